package io.jsteer.cli;

import static io.jsteer.cli.CliTest.jsteer;
import static io.jsteer.cli.CliTest.shared;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code mat train/eval --format template}: stories260K has no chat template, so a small Jinja file is given with --template. */
class MatFormatCliTest {

    static final String JINJA = "{% for m in messages %}<{{ m.role }}> {{ m.content }}\n{% endfor %}"
            + "{% if add_generation_prompt %}<assistant>{% endif %}";

    private static String[] mat(String sub, String... rest) {
        List<String> a = new ArrayList<>(List.of("mat", sub, "--model", shared("models/stories260K.bin").toString(), "--tokenizer",
                shared("models/tok512.bin").toString(), "--threads", "1"));
        a.addAll(List.of(rest));
        return a.toArray(String[]::new);
    }

    private static String[] train(Path out, Path cache, String... format) {
        List<String> a = new ArrayList<>(List.of("--data-dir", shared("data").toString(), "--tasks", "truthfulqa", "--train-items", "4",
                "--epochs", "2", "--batch-size", "8", "--site", "attn_heads:2", "--out", out.toString(), "--cache", cache.toString(), "--json"));
        a.addAll(List.of(format));
        return mat("train", a.toArray(String[]::new));
    }

    @Test
    void templateTrainThenEvalRunsAndAPlainFeatureCacheIsNotReusedForTemplate(@TempDir Path dir) throws Exception {
        Path jinja = dir.resolve("chat.jinja");
        Files.writeString(jinja, JINJA);
        Path cache = dir.resolve("features.safetensors");
        CliTest.Result plain = jsteer(train(dir.resolve("plain"), cache));
        assertEquals(0, plain.code(), plain.err());
        JsonNode p = new ObjectMapper().readTree(plain.out());
        assertEquals("plain", p.get("metadata").get("promptFormat").asText());

        CliTest.Result templ = jsteer(train(dir.resolve("templ"), cache, "--format", "template", "--template", jinja.toString()));
        assertEquals(0, templ.code(), templ.err());
        JsonNode t = new ObjectMapper().readTree(templ.out());
        assertFalse(t.get("featureCacheHit").asBoolean(), "a plain cache must not serve template features");
        assertEquals("template", t.get("metadata").get("promptFormat").asText());
        assertEquals(jinja.toString(), t.get("metadata").get("chatTemplate").asText());
        // other token sequences give other features, hence other CAA vector norms in the loss report
        assertNotEquals(p.get("metadata").get("lossBefore").toString(), t.get("metadata").get("lossBefore").toString());

        CliTest.Result again = jsteer(train(dir.resolve("templ2"), cache, "--format", "template", "--template", jinja.toString()));
        assertTrue(new ObjectMapper().readTree(again.out()).get("featureCacheHit").asBoolean(), "same format: the cache is reused");

        CliTest.Result eval = jsteer(mat("eval", "--data-dir", shared("data").toString(), "--mat", dir.resolve("templ").toString(),
                "--eval-items", "2", "--no-baselines", "--kl-texts", "1", "--json"));
        assertEquals(0, eval.code(), eval.err());
        assertTrue(eval.err().contains("prompt format template (the checkpoint's"), eval.err());

        CliTest.Result mismatch = jsteer(mat("eval", "--data-dir", shared("data").toString(), "--mat", dir.resolve("templ").toString(),
                "--eval-items", "1", "--no-baselines", "--kl-texts", "0", "--format", "plain", "--json"));
        assertEquals(0, mismatch.code(), mismatch.err());
        assertTrue(mismatch.err().contains("--format plain differs from the checkpoint's template format"), mismatch.err());

        CliTest.Result bad = jsteer(mat("eval", "--data-dir", shared("data").toString(), "--mat", dir.resolve("plain").toString(),
                "--format", "reference"));
        assertEquals(2, bad.code(), bad.err());
        assertTrue(bad.err().contains("--format must be plain or template"), bad.err());
    }
}
