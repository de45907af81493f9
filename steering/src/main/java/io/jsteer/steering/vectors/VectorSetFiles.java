package io.jsteer.steering.vectors;

import io.jsteer.weights.InputFiles;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.jsteer.model.LlamaConfig;
import io.jsteer.model.intervene.SiteKind;
import io.jsteer.steering.data.DatasetSource;
import io.jsteer.tensor.DType;
import io.jsteer.weights.AtomicFileWriter;
import io.jsteer.weights.ModelWeights;
import io.jsteer.weights.TensorData;
import io.jsteer.weights.safetensors.SafetensorsReader;
import io.jsteer.weights.safetensors.SafetensorsTensor;
import io.jsteer.weights.safetensors.SafetensorsWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A vector set on disk is two files side by side:
 *
 * <ul>
 *   <li>{@code NAME.safetensors}: one F32 tensor [width] per layer, named {@code <site>.<layer>},
 *       e.g. {@code resid_post.3}; {@code __metadata__} holds format, site and method;</li>
 *   <li>{@code NAME.json}: metadata and provenance:
 * <pre>{@code
 * {"format": "jsteer-vectors", "version": 1, "site": "resid_post", "layers": [1, 2, 3], "width": 64,
 *  "method": "caa", "positions": "AT answer letter",
 *  "model": {"name": "stories260K.bin", "sha256": "…"},
 *  "datasets": [{"path": "…/refusal_generate_dataset.json", "sha256": "…"}],
 *  "norms": {"1": 0.42, "2": 0.57, "3": 0.61},
 *  "created_at": "2026-11-29T23:30:00Z", "jsteer_version": "0.1.0-SNAPSHOT",
 *  "extra": {"resid_norms": {"1": 5.1, "2": 7.9, "3": 8.4}, …}}
 * }</pre></li>
 * </ul>
 *
 * {@code norms} are the stored vectors' lengths; {@code extra.resid_norms}, when present, the
 * typical L2 norm of the residual stream at each layer (mean over the captured tokens). A
 * strength is a length ({@link VectorSet#steeringVector}), so neither changes what S means; they
 * tell the user how large S is next to the stream.
 *
 * The .safetensors is the artefact: its {@code __metadata__} also carries the JSON document under
 * {@value #METADATA_KEY}, so one atomic rename replaces the whole set and a kill at any moment
 * leaves the old set or the new one, never a pair that does not belong together. NAME.json is
 * written after it as a readable copy; readers use the header's copy when present and fall back
 * to NAME.json for sets written before the header carried it. Reading cross-checks metadata and
 * tensors: same layers (integers, each once), shapes and norms; components must be finite.
 */
public final class VectorSetFiles {

    public static final String FORMAT = "jsteer-vectors";
    public static final int VERSION = 1;
    /** The safetensors {@code __metadata__} entry holding the set's metadata JSON (the same document as NAME.json). */
    public static final String METADATA_KEY = "jsteer.metadata";

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    /** Norms in the JSON are rounded by nobody, but allow float32 vs double summation differences. */
    private static final double NORM_TOLERANCE = 1e-5;

    private VectorSetFiles() {}

    /** NAME from NAME, NAME.json or NAME.safetensors. */
    public static Path base(Path path) {
        String name = path.getFileName().toString();
        for (String ext : List.of(".json", ".safetensors")) {
            if (name.endsWith(ext)) {
                return path.resolveSibling(name.substring(0, name.length() - ext.length()));
            }
        }
        return path;
    }

    public static Path jsonPath(Path path) {
        Path b = base(path);
        return b.resolveSibling(b.getFileName() + ".json");
    }

    public static Path tensorPath(Path path) {
        Path b = base(path);
        return b.resolveSibling(b.getFileName() + ".safetensors");
    }

    /** The tensor name of a layer, e.g. {@code resid_post.3}. */
    public static String tensorName(SiteKind kind, int layer) {
        return kind.label() + "." + layer;
    }

    /** Writes NAME.safetensors and NAME.json; {@code path} is NAME or either file's name. */
    public static void write(Path path, VectorSet set) throws IOException {
        List<SafetensorsTensor> tensors = new ArrayList<>();
        set.vectors().forEach((l, v) -> tensors.add(new SafetensorsTensor(tensorName(set.kind(), l), new long[] {v.length}, v)));
        Map<String, String> stMeta = new LinkedHashMap<>();
        stMeta.put("format", FORMAT);
        stMeta.put("site", set.kind().label());
        stMeta.put("method", set.provenance().method());
        stMeta.put(METADATA_KEY, new ObjectMapper().writeValueAsString(header(set)));
        // the .safetensors, metadata inside, is the artefact: one atomic rename replaces the whole set
        SafetensorsWriter.write(tensorPath(path), stMeta, tensors);
        // the .json is a readable copy for people and older tools; a kill before this line leaves the old
        // copy, which readers ignore in favour of the header
        byte[] json = JSON.writeValueAsBytes(header(set));
        AtomicFileWriter.write(jsonPath(path), w -> w.bytes(json));
    }

    /** A set's metadata as written in its header and .json (the server lists sets with it). */
    public static Map<String, Object> header(VectorSet set) {
        Provenance p = set.provenance();
        Map<String, Object> h = new LinkedHashMap<>();
        h.put("format", FORMAT);
        h.put("version", VERSION);
        h.put("site", set.kind().label());
        h.put("layers", List.copyOf(set.vectors().keySet()));
        h.put("width", set.width());
        h.put("method", p.method());
        h.put("positions", p.positions());
        h.put("model", Map.of("name", p.model(), "sha256", p.modelSha256()));
        List<Map<String, String>> ds = new ArrayList<>();
        for (DatasetSource s : p.datasets()) {
            ds.add(Map.of("path", s.path().toString(), "sha256", s.sha256()));
        }
        h.put("datasets", ds);
        Map<String, Double> norms = new LinkedHashMap<>();
        set.norms().forEach((l, n) -> norms.put(Integer.toString(l), n));
        h.put("norms", norms);
        h.put("created_at", p.createdAt().toString());
        h.put("jsteer_version", p.jsteerVersion());
        h.put("extra", p.extra());
        return h;
    }

    /** Reads a vector set and checks it against {@code model} (width = dim, layers inside the model). */
    public static VectorSet read(Path path, LlamaConfig model) {
        VectorSet set = read(path);
        set.requireFits(model, "vector set " + base(path));
        return set;
    }

    /** Whether {@code file} is a vector set's .safetensors (its header says so), without reading the tensors. */
    public static boolean isVectorSet(Path file) {
        if (!Files.isRegularFile(file) || !file.getFileName().toString().endsWith(".safetensors")) {
            return false;
        }
        try (ModelWeights st = SafetensorsReader.open(file)) {
            return FORMAT.equals(st.metadata().get("format"));
        } catch (RuntimeException e) {
            return false;
        }
    }

    /**
     * Reads a vector set without a model to check against. The metadata comes from the
     * .safetensors header ({@value #METADATA_KEY}) when it is there (sets written since the
     * header carries it: the .safetensors alone is the artefact, the .json beside it a readable
     * copy that an interrupted write may have left one version behind), else from NAME.json
     * (sets written before).
     *
     * @throws IllegalArgumentException naming the file and field of any inconsistency
     */
    public static VectorSet read(Path path) {
        Path jsonFile = jsonPath(path), tensorFile = tensorPath(path);
        if (!Files.exists(tensorFile)) {
            throw new IllegalArgumentException(tensorFile + ": missing, so " + path.getFileName()
                    + " names no vector set (a set is NAME.safetensors, with NAME.json beside it)");
        }
        try (ModelWeights st = SafetensorsReader.open(tensorFile)) {
            Object embedded = st.metadata().get(METADATA_KEY);
            Fields f;
            if (embedded != null) {
                try {
                    f = new Fields(tensorFile + ": __metadata__." + METADATA_KEY, JSON.readTree(embedded.toString()));
                } catch (IOException e) {
                    throw new IllegalArgumentException(tensorFile + ": __metadata__." + METADATA_KEY + " is not valid JSON: "
                            + e.getMessage().lines().findFirst().orElse(""), e);
                }
            } else {
                if (!Files.exists(jsonFile)) {
                    throw new IllegalArgumentException(jsonFile + ": missing (" + tensorFile.getFileName()
                            + " carries no metadata of its own, so it needs the .json written with it)");
                }
                try {
                    f = new Fields(jsonFile.toString(), JSON.readTree(InputFiles.readText("", jsonFile, InputFiles.TEXT_LIMIT)));
                } catch (IOException e) {
                    throw new IllegalArgumentException(jsonFile + ": not valid JSON: " + e.getMessage().lines().findFirst().orElse(""), e);
                }
            }
            return read(f, st, tensorFile);
        }
    }

    private static VectorSet read(Fields f, ModelWeights st, Path tensorFile) {
        JsonNode h = f.root();
        if (h == null || !h.isObject()) {
            throw f.bad("(root)", "must be a JSON object");
        }
        if (!FORMAT.equals(f.text("format"))) {
            throw f.bad("format", "is not " + FORMAT);
        }
        if (!h.path("version").isIntegralNumber() || h.path("version").asInt(-1) != VERSION) {
            throw f.bad("version", "unsupported (this jsteer reads version " + VERSION + ")");
        }
        SiteKind kind;
        try {
            kind = SiteKind.parse(f.text("site"));
        } catch (IllegalArgumentException e) {
            throw f.bad("site", e.getMessage());
        }
        JsonNode layerNodes = f.node("layers");
        if (!layerNodes.isArray() || layerNodes.isEmpty()) {
            throw f.bad("layers", "must be a non-empty array of layer numbers");
        }
        List<Integer> layers = new ArrayList<>();
        java.util.Set<Integer> seen = new java.util.HashSet<>();
        for (JsonNode l : layerNodes) {
            // isIntegralNumber: 1.5 is not a layer (canConvertToInt alone would truncate it to 1)
            if (!l.isIntegralNumber() || !l.canConvertToInt() || l.asInt() < 0) {
                throw f.bad("layers", "must be non-negative integers, found " + l);
            }
            if (!seen.add(l.asInt())) {
                throw f.bad("layers", "lists layer " + l.asInt() + " twice");
            }
            layers.add(l.asInt());
        }
        if (!h.path("width").isIntegralNumber() || h.path("width").asInt(-1) <= 0) {
            throw f.bad("width", "missing or not a positive integer");
        }
        int width = h.path("width").asInt();
        TreeMap<Integer, float[]> vectors = new TreeMap<>();
        for (int l : layers) {
            String name = tensorName(kind, l);
            if (!st.hasTensor(name)) {
                throw new IllegalArgumentException(tensorFile + ": tensor " + name + " (layer " + l + " in " + f.label()
                        + ") is missing; it has " + shortList(st.tensors().keySet()));
            }
            TensorData t = st.tensor(name);
            if (t.dtype() != DType.F32 || !Arrays.equals(t.shape(), new long[] {width})) {
                throw new IllegalArgumentException(tensorFile + ": tensor " + name + " is " + t + ", expected f32[" + width + "]");
            }
            float[] v = new float[width];
            t.data().copyTo(0, v, 0, width);
            vectors.put(l, v);
        }
        if (st.tensors().size() != layers.size()) {
            throw new IllegalArgumentException(tensorFile + ": has " + st.tensors().size() + " tensors but " + f.label()
                    + " lists " + layers.size() + " layers " + layers);
        }
        Instant created;
        try {
            created = Instant.parse(f.text("created_at"));
        } catch (DateTimeParseException e) {
            throw f.bad("created_at", "is not an ISO-8601 instant");
        }
        List<DatasetSource> datasets = new ArrayList<>();
        for (JsonNode d : f.node("datasets")) {
            datasets.add(new DatasetSource(Path.of(d.path("path").asText()), d.path("sha256").asText()));
        }
        Map<String, Object> extra = JSON.convertValue(h.path("extra").isObject() ? h.path("extra") : JSON.createObjectNode(),
                new TypeReference<LinkedHashMap<String, Object>>() {});
        Provenance p = new Provenance(f.node("model").path("name").asText(), f.node("model").path("sha256").asText(),
                f.text("method"), f.text("positions"), datasets, created, f.text("jsteer_version"), extra);
        VectorSet set;
        try {
            set = new VectorSet(kind, vectors, p);
        } catch (IllegalArgumentException e) {
            // e.g. a NaN or infinite component: refused at load, never applied
            throw new IllegalArgumentException(tensorFile + ": " + e.getMessage(), e);
        }
        // the norms in the metadata must describe these tensors: a mismatched pair of files is caught here
        JsonNode norms = f.node("norms");
        for (Map.Entry<Integer, Double> e : set.norms().entrySet()) {
            JsonNode n = norms.get(Integer.toString(e.getKey()));
            if (n == null || !n.isNumber()) {
                throw f.bad("norms." + e.getKey(), "missing");
            }
            if (Math.abs(n.asDouble() - e.getValue()) > NORM_TOLERANCE * Math.max(1, e.getValue())) {
                throw f.bad("norms." + e.getKey(), "is " + n.asDouble() + " but the tensor's norm is " + e.getValue()
                        + " (the .json and .safetensors do not belong together)");
            }
        }
        // the typical residual norms (extra.resid_norms, see VectorSet.residNorms) put strengths in proportion:
        // when present, one positive number per layer of the set
        JsonNode resid = h.path("extra").get(VectorSet.RESID_NORMS);
        if (resid != null && !resid.isNull()) {
            String field = "extra." + VectorSet.RESID_NORMS;
            if (!resid.isObject()) {
                throw f.bad(field, "must be an object of layer -> residual norm");
            }
            java.util.SortedMap<Integer, Double> rn = new TreeMap<>();
            for (int l : set.vectors().keySet()) {
                JsonNode n = resid.get(Integer.toString(l));
                if (n == null || !n.isNumber() || !(n.asDouble() > 0) || !Double.isFinite(n.asDouble())) {
                    throw f.bad(field + "." + l, n == null ? "missing" : "is " + n + ", not a positive number");
                }
                rn.put(l, n.asDouble());
            }
            if (resid.size() != rn.size()) {
                throw f.bad(field, "has " + resid.size() + " entries but the set has layers " + set.vectors().keySet());
            }
            set = set.withResidNorms(rn);
        }
        return set;
    }

    /** At most ten names, so a hostile file with a million tensors cannot make an error line huge. */
    private static String shortList(java.util.Collection<String> names) {
        List<String> first = names.stream().limit(10).toList();
        return names.size() <= 10 ? first.toString() : first + " and " + (names.size() - 10) + " more";
    }

    /** Required-field access with errors naming the file (or header entry) and field. */
    private record Fields(String label, JsonNode root) {
        JsonNode node(String field) {
            JsonNode n = root.get(field);
            if (n == null || n.isNull()) {
                throw bad(field, "missing");
            }
            return n;
        }

        String text(String field) {
            JsonNode n = node(field);
            if (!n.isTextual()) {
                throw bad(field, "must be a string");
            }
            return n.asText();
        }

        IllegalArgumentException bad(String field, String problem) {
            return new IllegalArgumentException(label + ": field '" + field + "' " + problem);
        }
    }
}
