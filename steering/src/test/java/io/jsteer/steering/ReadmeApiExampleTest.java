package io.jsteer.steering;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.jsteer.model.CpuEngine;
import io.jsteer.model.GenerationResult;
import io.jsteer.model.Generator;
import io.jsteer.model.LoadedModel;
import io.jsteer.model.ModelLoader;
import io.jsteer.model.Sampler;
import io.jsteer.model.intervene.AddVector;
import io.jsteer.model.intervene.InterventionSet;
import io.jsteer.model.intervene.Positions;
import io.jsteer.model.tokenizer.Tokenizer;
import io.jsteer.steering.sweep.SentimentSweepDemo;
import io.jsteer.steering.vectors.VectorSet;
import io.jsteer.steering.vectors.VectorSetFiles;
import io.jsteer.tensor.Parallel;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** README.md, "Java API": load a model, steer it with a vector, generate (README.md holds this file verbatim). */
class ReadmeApiExampleTest {

    /** The prompt and its greedy continuation, with {@code steering} applied (null: none). */
    static String generate(LoadedModel model, Parallel threads, InterventionSet steering, String prompt, int maxTokens) {
        Tokenizer tok = model.tokenizer();
        try (CpuEngine engine = model.newCpuEngine(256, threads)) {
            engine.setInterventions(steering); // the one steering door, on every engine
            GenerationResult r = new Generator(engine).generate(tok.encode(prompt, true), maxTokens, Sampler.greedy(),
                    t -> t == tok.eos() || t == tok.bos(), (previous, next) -> { });
            return prompt + tok.decode(r.generated());
        }
    }

    @Test
    void loadSteerGenerate(@TempDir Path dir) throws Exception {
        Path models = Path.of(System.getProperty("jsteer.shared", "../../shared"), "models");
        try (LoadedModel model = ModelLoader.load(models.resolve("stories260K.bin"), models.resolve("tok512.bin"));
             Parallel threads = new Parallel(2)) {
            // A vector set as `jsteer extract ... --out happy` writes it (happy.json + happy.safetensors);
            // here the demo's happy-minus-sad directions (unit length, one per block), written and read back.
            try (CpuEngine engine = model.newCpuEngine(256, threads)) {
                VectorSetFiles.write(dir.resolve("happy"), SentimentSweepDemo.happyMinusSad(engine, model.tokenizer(), model.name()));
            }
            VectorSet happy = VectorSetFiles.read(dir.resolve("happy.json"), model.config()); // checked against the model
            // add length 3 along the direction to the output of block 1 (resid_post:1) at every position: strength
            // times the unit direction, as --steer happy:3@1 (steeringVector(1, true): the vector as stored, :raw)
            InterventionSet steering = InterventionSet.of(AddVector.of(happy.site(1), happy.steeringVector(1, false), 3.0,
                    Positions.ALL));

            String plain = generate(model, threads, null, "Once upon a time", 30);
            String steered = generate(model, threads, steering, "Once upon a time", 30);
            // the start of the reference text in ../shared/models/MANIFEST.md (llama2.c's own greedy output)
            assertEquals("Once upon a time, there was a little girl named Lily. She loved to play outside in the park. One day,", plain);
            assertNotEquals(plain, steered);
            System.out.println(steered);
        }
    }
}
