package io.jsteer.steering.mat;

import io.jsteer.weights.InputFiles;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.jsteer.model.LlamaConfig;
import io.jsteer.model.intervene.GatedEdit;
import io.jsteer.model.intervene.Site;
import io.jsteer.weights.AtomicFileWriter;
import io.jsteer.weights.ModelWeights;
import io.jsteer.weights.TensorData;
import io.jsteer.weights.safetensors.SafetensorsReader;
import io.jsteer.weights.safetensors.SafetensorsTensor;
import io.jsteer.weights.safetensors.SafetensorsWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * A trained MAT-Steer module on disk: {@code NAME.safetensors} with {@code theta} [T,d],
 * {@code gate_weight} [T,d] and {@code gate_bias} [T], and {@code NAME.json} beside it with
 * the metadata (attributes, d, site, training settings, provenance). Both writes are atomic.
 * {@code caa_vectors} [T,d], when present, holds each attribute's mean-difference vector of the
 * training features: the CAA and ungated-sum baselines that {@code mat eval} runs in the same
 * harness.
 */
public record MatCheckpoint(MatParameters parameters, float[][] baselineVectors, Metadata metadata) {

    public static final String FORMAT = "jsteer.mat-steer/1";

    /**
     * @param site         where the module reads gates and edits, e.g. {@code attn_heads:2}
     * @param trainTokens  {@code last} (one feature per sample) or {@code all} (every token of a sample)
     * @param datasets     dataset file → sha256
     * @param model        model file name
     * @param modelFingerprint see {@link Fingerprints#model}
     * @param thetaNorm    the norm θ was held at during training, 0 when free (the paper)
     * @param thetaInit    {@code random} (the paper) or {@code caa}; null in checkpoints written before it existed
     * @param normPreserve whether the edit rescales to the original norm (the paper); false only for the
     *                     Table 3 ablation; null in checkpoints written before it existed (= true)
     * @param promptFormat how samples were rendered ({@link MatPrompts#label}: plain or template); null in
     *                     checkpoints written before it existed (= plain)
     * @param chatTemplate the {@code --template} given with template (null: the model's own)
     * @param systemPrompt the {@code --system} text given with template (null: none)
     */
    public record Metadata(String format, List<String> attributes, int dim, String site, int layer, String trainTokens,
                           double lambdaMmd, double lambdaPos, double lambdaSparse, double lambdaOrtho,
                           String bandwidth, double sigma, double medianDistance, int batchSize, int k, int epochs,
                           double learningRate, long seed, String model, String modelFingerprint,
                           Map<String, String> datasets, LossReport lossBefore, LossReport lossAfter, double thetaNorm, String thetaInit,
                           Boolean normPreserve, String promptFormat, String chatTemplate, String systemPrompt) {

        /** Metadata of plain-format training (what every checkpoint was before formats existed). */
        public Metadata(String format, List<String> attributes, int dim, String site, int layer, String trainTokens,
                        double lambdaMmd, double lambdaPos, double lambdaSparse, double lambdaOrtho,
                        String bandwidth, double sigma, double medianDistance, int batchSize, int k, int epochs,
                        double learningRate, long seed, String model, String modelFingerprint,
                        Map<String, String> datasets, LossReport lossBefore, LossReport lossAfter, double thetaNorm, String thetaInit,
                        Boolean normPreserve) {
            this(format, attributes, dim, site, layer, trainTokens, lambdaMmd, lambdaPos, lambdaSparse, lambdaOrtho, bandwidth, sigma,
                    medianDistance, batchSize, k, epochs, learningRate, seed, model, modelFingerprint, datasets, lossBefore, lossAfter,
                    thetaNorm, thetaInit, normPreserve, null, null, null);
        }

        /** Older checkpoints lack the field: they were all trained with norm preservation. */
        public boolean normPreserved() { return normPreserve == null || normPreserve; }

        /** {@code plain} or {@code template}; older checkpoints were all plain. */
        public String prompts() { return promptFormat == null ? "plain" : promptFormat; }
    }

    public MatCheckpoint {
        if (baselineVectors != null && (baselineVectors.length != parameters.attributeCount()
                || baselineVectors[0].length != parameters.dim())) {
            throw new IllegalArgumentException("caa_vectors must be [" + parameters.attributeCount() + ", " + parameters.dim() + "]");
        }
        if (!metadata.attributes().equals(parameters.attributes()) || metadata.dim() != parameters.dim()) {
            throw new IllegalArgumentException("checkpoint metadata (attributes " + metadata.attributes() + ", d "
                    + metadata.dim() + ") disagrees with its tensors (" + parameters.attributes() + ", d " + parameters.dim() + ")");
        }
        Site.parse(metadata.site());
    }

    public Site site() { return Site.parse(metadata.site()); }

    /** The module as the shared intervention kind at its site (add it to an {@code InterventionSet}). */
    public GatedEdit gatedEdit() {
        if (!metadata.normPreserved()) {
            // the shared GatedEdit always renormalises: applying it would not be the module that was trained
            throw new IllegalStateException("MAT-Steer module was trained without norm preservation (the Table 3 ablation); "
                    + "only mat eval and mat ablate apply it (MatApplication), run/serve/chat need a normal module");
        }
        return parameters.toGatedEdit(site());
    }

    /** {@code x.safetensors} or {@code x} → {@code x.safetensors}. */
    public static Path tensorsPath(Path p) {
        String n = p.getFileName().toString();
        return n.endsWith(".safetensors") ? p : p.resolveSibling(n + ".safetensors");
    }

    /** The JSON beside the tensors file. */
    public static Path metadataPath(Path p) {
        String n = tensorsPath(p).getFileName().toString();
        return p.resolveSibling(n.substring(0, n.length() - ".safetensors".length()) + ".json");
    }

    private static ObjectMapper json() {
        return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    }

    /** The safetensors {@code __metadata__} entry that holds the checkpoint's metadata JSON. */
    public static final String METADATA_KEY = "jsteer.metadata";

    public void save(Path path) throws IOException {
        MatParameters p = parameters;
        int t = p.attributeCount(), d = p.dim();
        List<SafetensorsTensor> tensors = new java.util.ArrayList<>(List.of(
                new SafetensorsTensor("theta", new long[] {t, d}, MatTrainer.flatten(p.theta())),
                new SafetensorsTensor("gate_weight", new long[] {t, d}, MatTrainer.flatten(p.gateWeight())),
                new SafetensorsTensor("gate_bias", new long[] {t}, p.gateBias().clone())));
        if (baselineVectors != null) {
            tensors.add(new SafetensorsTensor("caa_vectors", new long[] {t, d}, MatTrainer.flatten(baselineVectors)));
        }
        // the .safetensors carries the metadata too, so it alone is the checkpoint and one atomic rename replaces it
        // whole; the .json written after it is a readable copy (readers prefer the header's)
        SafetensorsWriter.write(tensorsPath(path), Map.of("format", FORMAT, "attributes", String.join(",", p.attributes()),
                "site", metadata.site(), METADATA_KEY, new ObjectMapper().writeValueAsString(metadata)), tensors);
        byte[] bytes = json().writeValueAsBytes(metadata);
        AtomicFileWriter.write(metadataPath(path), w -> w.bytes(bytes));
    }

    public static MatCheckpoint load(Path path) throws IOException {
        Path tensors = tensorsPath(path), meta = metadataPath(path);
        if (!Files.exists(tensors)) {
            throw new NoSuchFileException(tensors.toString());
        }
        try (ModelWeights file = SafetensorsReader.open(tensors)) {
            Object embedded = file.metadata().get(METADATA_KEY);
            String source = embedded != null ? tensors + ": __metadata__." + METADATA_KEY : meta.toString();
            if (embedded == null && !Files.exists(meta)) {
                throw new NoSuchFileException(meta.toString(), null, tensors.getFileName() + " carries no metadata of its own");
            }
            Metadata m;
            try {
                m = json().readValue(embedded != null ? embedded.toString() : InputFiles.readText("", meta, InputFiles.TEXT_LIMIT),
                        Metadata.class);
            } catch (IOException e) {
                throw new IOException(source + ": not a MAT-Steer metadata file (" + e.getMessage().lines().findFirst().orElse("") + ")", e);
            }
            if (!FORMAT.equals(m.format())) {
                throw new IOException(source + ": field format is '" + m.format() + "', expected '" + FORMAT + "'");
            }
            int t = m.attributes().size(), d = m.dim();
            float[] theta = tensor(file, tensors, "theta", t, d);
            float[] w = tensor(file, tensors, "gate_weight", t, d);
            float[] b = tensor(file, tensors, "gate_bias", t);
            float[][] caa = file.hasTensor("caa_vectors") ? MatTrainer.unflatten(tensor(file, tensors, "caa_vectors", t, d), d) : null;
            try { // the record checks the parts against each other (site, shapes): say which file they came from
                return new MatCheckpoint(new MatParameters(m.attributes(), MatTrainer.unflatten(theta, d),
                        MatTrainer.unflatten(w, d), b), caa, m);
            } catch (IllegalArgumentException e) {
                throw new IOException(source + ": " + e.getMessage(), e);
            }
        }
    }

    private static float[] tensor(ModelWeights file, Path path, String name, long... shape) throws IOException {
        if (!file.hasTensor(name)) {
            throw new IOException(path + ": tensor " + name + " is missing");
        }
        TensorData td = file.tensor(name);
        if (!Arrays.equals(td.shape(), shape)) {
            throw new IOException(path + ": tensor " + name + " has shape " + Arrays.toString(td.shape()) + ", the metadata says "
                    + Arrays.toString(shape));
        }
        float[] values = td.data().toFloatArray();
        for (int i = 0; i < values.length; i++) {
            if (!Float.isFinite(values[i])) {
                throw new IOException(path + ": tensor " + name + " element " + i + " is " + values[i] + " (a trained module holds finite numbers)");
            }
        }
        return values;
    }

    /** Fails with a clear message when this module cannot run on a model of this config. */
    public void requireCompatible(LlamaConfig config, String modelName) {
        Site site = site();
        if (parameters.dim() != config.dim()) {
            throw new IllegalArgumentException("MAT-Steer module is " + parameters.dim() + " wide (trained on " + metadata.model()
                    + "), but " + modelName + " has width " + config.dim() + " at " + site);
        }
        if (site.layer() >= config.nLayers()) {
            throw new IllegalArgumentException("MAT-Steer module acts at " + site + ", but " + modelName + " has only "
                    + config.nLayers() + " blocks (0.." + (config.nLayers() - 1) + ")");
        }
    }
}
