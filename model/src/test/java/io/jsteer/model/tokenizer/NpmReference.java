package io.jsteer.model.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** One expected encoding written by src/test/node/write-refs.js. */
record NpmReference(String text, boolean parseSpecial, int[] ids) {

    static List<NpmReference> load(String fileName) throws IOException {
        JsonNode root = new ObjectMapper().readTree(SharedFiles.npm(fileName).toFile());
        List<NpmReference> refs = new ArrayList<>();
        for (JsonNode entry : root) {
            JsonNode idsNode = entry.get("ids");
            int[] ids = new int[idsNode.size()];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = idsNode.get(i).intValue();
            }
            refs.add(new NpmReference(entry.get("text").asText(), entry.get("parseSpecial").asBoolean(), ids));
        }
        return refs;
    }
}
