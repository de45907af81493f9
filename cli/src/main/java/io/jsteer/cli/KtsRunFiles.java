package io.jsteer.cli;

import io.jsteer.weights.InputFiles;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.jsteer.steering.kts.KtsTrainConfig;
import io.jsteer.weights.AtomicFileWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** The files of a KTS run directory, shared by train, eval and apply. */
record KtsRunFiles(Path dir) {

    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /**
     * What train leaves for eval and apply. {@code pool} says which concept files and prompt format
     * trained the adapter (null in runs written before the pool came from files).
     */
    record TrainSummary(String model, KtsTrainConfig config, double cMax, int benignTrain, int benignEval,
                        int steps, double secondsPerStep, long peakHeapBytes, List<Double> lossHistory,
                        double steeredKlBefore, double steeredKlAfter, double unsteeredParityKl, PoolSummary pool) {}

    /**
     * @param source  the concept directory or "built-in stories260K"
     * @param format  how the pairs were rendered ({@code PromptFormat.describe()})
     * @param entries pool entry names, in pool order (the order of the checkpoint's pool vectors)
     * @param pairs   contrast pairs per entry, same order
     * @param target  the target's name and pair count
     * @param options the options that rebuild the pool and target (kts eval and apply read the target
     *                with them, a resume must match them); null in runs written before they were recorded
     * @param poolSha256   SHA-256 of the rendered pool ids ({@link KtsTarget#sha256}), null in older runs
     * @param targetSha256 SHA-256 of the rendered target ids, null in older runs
     */
    record PoolSummary(String source, String format, List<String> entries, List<Integer> pairs, String target, int targetPairs,
                       PoolOptions options, String poolSha256, String targetSha256) {}

    /**
     * The pool and format options as kts train resolved them: absolute paths ("builtin" for the
     * built-in files), the styles in use, the format's kind (auto already decided: plain, reference or
     * template), the --template asked for (null: the model's default choice) and the system prompt.
     */
    record PoolOptions(String concepts, String refusalAb, String styles, String target, String format, String template,
                       String system) {}

    /** The trained adapter: a PEFT directory (adapter_model.safetensors + adapter_config.json). */
    Path adapter() { return dir.resolve("adapter"); }
    Path checkpoints() { return dir.resolve("checkpoint"); }
    Path benignTrain() { return dir.resolve("benign_train.json"); }
    Path benignEval() { return dir.resolve("benign_eval.json"); }
    Path summary() { return dir.resolve("train.json"); }
    Path gate() { return dir.resolve("gate.json"); }
    /** The pool record written when training starts, so that a resume of a killed run can be checked against it. */
    Path pool() { return dir.resolve("pool.json"); }

    static void writeJson(Path file, Object value) throws IOException {
        byte[] bytes = JSON.writeValueAsBytes(value);
        AtomicFileWriter.write(file, out -> out.bytes(bytes));
    }

    List<int[]> readSequences(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new java.nio.file.NoSuchFileException(file.toString());
        }
        return List.of(JSON.readValue(InputFiles.readText("", file, InputFiles.DATASET_LIMIT), int[][].class));
    }

    TrainSummary readSummary() throws IOException {
        if (!Files.isRegularFile(summary())) {
            throw new IllegalArgumentException(summary() + " is missing: run 'jsteer kts train --out " + dir + "' first");
        }
        return JSON.readValue(InputFiles.readText("", summary(), InputFiles.TEXT_LIMIT), TrainSummary.class);
    }
}
