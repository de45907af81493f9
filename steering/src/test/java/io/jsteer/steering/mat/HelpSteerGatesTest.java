package io.jsteer.steering.mat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsteer.model.CpuEngine;
import io.jsteer.model.Generator;
import io.jsteer.model.LoadedModel;
import io.jsteer.model.ModelLoader;
import io.jsteer.model.Sampler;
import io.jsteer.model.intervene.GateRecorder;
import io.jsteer.model.intervene.InterventionSet;
import io.jsteer.model.intervene.Site;
import io.jsteer.steering.mat.tasks.HelpSteer;
import io.jsteer.tensor.Parallel;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The generative evaluation's offline gate figure reads the gates from an unsteered pass over the
 * generated tokens; this checks that against the gates the steered generation itself reported
 * (a {@link GateRecorder} on the same module's hooks) on stories260K, with a module trained on the
 * HelpSteer-format fixture, and that the report's mat response is that generation's text.
 */
class HelpSteerGatesTest {

    @Test
    void gatesOfAnUnsteeredPassEqualTheGatesSeenWhileSteering() throws Exception {
        try (LoadedModel m = ModelLoader.load(Shared.path("models/stories260K.bin"), Shared.path("models/tok512.bin"));
             Parallel par = new Parallel(1); CpuEngine engine = m.newCpuEngine(256, par)) {
            Site site = Site.parse("attn_heads:2");
            var prepared = HelpSteerJob.prepare(m, engine, HelpSteerTest.FIXTURE, site, TrainTokens.ANSWER, 42, 500, null, false, null);
            assertEquals(HelpSteer.ATTRIBUTES, prepared.features().stream().map(AttributeFeatures::name).toList());
            MatCheckpoint module = MatTrainingJob.train(prepared, site, TrainTokens.ANSWER, TrainConfig.generation().withEpochs(5),
                    false, null).checkpoint();
            MatParameters p = module.parameters();

            HelpSteer.Row row = HelpSteer.split(HelpSteer.read(HelpSteerTest.FIXTURE), 42).testPrompts().getFirst();
            var gen = new HelpSteerGeneration(engine, m.tokenizer());
            var report = gen.run(module, List.of(row), 10, null, false);

            int[] prompt = m.tokenizer().encode(row.query(), true);
            GateRecorder recorder = new GateRecorder();
            engine.setInterventions(InterventionSet.of(p.toGatedEdit(site)), recorder);
            int[] generated;
            try {
                generated = new Generator(engine).generate(prompt, 10, Sampler.greedy(),
                        t -> t == m.tokenizer().eos() || t == m.tokenizer().bos(), (a, b) -> { }).generated();
            } finally {
                engine.setInterventions(null);
            }
            assertTrue(generated.length >= 2, "tokens " + generated.length);
            var dec = m.tokenizer().newDecoder();
            StringBuilder text = new StringBuilder();
            for (int id : generated) {
                text.append(dec.accept(id));
            }
            assertEquals(text.append(dec.flush()).toString().strip(), report.responses().getFirst().responses().get("mat"),
                    "the report's MAT arm and the module set directly, with a gate listener, generate the same text");

            // the recorder saw every generated token that was fed back (all but the last)
            double[][] offline = gen.responseGates(p, site, prompt, generated);
            int compared = 0;
            for (var r : recorder.records()) {
                int i = r.position() - prompt.length;
                if (i >= 0) {
                    assertArrayEquals(r.gates(), offline[i], 1e-4, "position " + r.position());
                    compared++;
                }
            }
            assertEquals(generated.length - 1, compared);
            double mean0 = 0;
            for (double[] g : offline) {
                mean0 += g[0];
            }
            assertEquals(mean0 / offline.length, report.arms().get(2).meanGate().get("helpfulness"), 1e-9);
        }
    }
}
