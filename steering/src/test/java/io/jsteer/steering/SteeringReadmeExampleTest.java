package io.jsteer.steering;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsteer.model.CpuEngine;
import io.jsteer.model.LoadedModel;
import io.jsteer.model.ModelLoader;
import io.jsteer.model.intervene.SiteKind;
import io.jsteer.steering.capture.CapturePrompt;
import io.jsteer.steering.capture.CapturePrompts;
import io.jsteer.steering.capture.PositionMode;
import io.jsteer.steering.data.ContrastivePair;
import io.jsteer.steering.data.Dataset;
import io.jsteer.steering.data.Datasets;
import io.jsteer.steering.vectors.ControlVectors;
import io.jsteer.steering.vectors.Extraction;
import io.jsteer.steering.vectors.Provenance;
import io.jsteer.steering.vectors.VectorSet;
import io.jsteer.steering.vectors.VectorSetFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * steering/README.md's first example, compiled and run: the lines between the README markers, and
 * the closing brace of the try block, are that example verbatim ({@link ReadmeExamplesTest} holds the two equal).
 */
class SteeringReadmeExampleTest {

    @Test
    void fromADatasetToVectorFiles(@TempDir Path out) throws Exception {
        Path shared = Path.of(System.getProperty("jsteer.shared", "../../shared"));
        Path models = shared.resolve("models"), data = shared.resolve("data/sentiment");
        // README begin
        try (LoadedModel model = ModelLoader.load(models.resolve("stories260K.bin"), models.resolve("tok512.bin"));
             CpuEngine engine = model.newCpuEngine(512, null)) { // null: a thread pool of all cores, closed with the engine
            // 1. dataset: line i of one file pairs with line i of the other (\n escapes as llama.cpp reads them)
            Dataset<ContrastivePair> pairs = Datasets.linePairs(data.resolve("cvector_positive.txt"),
                    data.resolve("cvector_negative.txt"), true);
            // 2. prompts: positive = label 1, negative = label 0, pair i = group i, BOS first
            List<CapturePrompt> prompts = CapturePrompts.pairs(model.tokenizer(), pairs.items(), false);
            // 3. capture + method in one call (progress bar on stderr)
            Extraction.Request request = Extraction.Request.of(SiteKind.RESID_POST, List.of(1, 2, 3, 4),
                    PositionMode.LAST, Extraction.Method.MEAN_DIFFERENCE);
            Provenance provenance = Provenance.of(model.name(), Provenance.sha256(model.file().path()),
                    "mean_difference", "LAST", pairs.sources());
            VectorSet set = Extraction.extract(engine, prompts, request, provenance);
            // 4. files: happy.safetensors + happy.json; and a llama.cpp control vector
            VectorSetFiles.write(out.resolve("happy"), set);
            ControlVectors.export(set, out.resolve("happy.gguf"), model.config(), "llama", true);
            // later: read the set back, checked against the model it is applied to
            VectorSet back = VectorSetFiles.read(out.resolve("happy.json"), model.config());
            // README end (the README closes the try block here)
            assertEquals(List.of(1, 2, 3, 4), List.copyOf(back.vectors().keySet()));
            assertEquals(SiteKind.RESID_POST, back.kind());
            assertEquals("mean_difference", back.provenance().method());
            assertTrue(back.norms().values().stream().allMatch(n -> n > 0), back.norms().toString());
            assertTrue(Files.size(out.resolve("happy.gguf")) > 0);
        }
    }
}
