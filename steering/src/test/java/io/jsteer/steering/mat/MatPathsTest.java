package io.jsteer.steering.mat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsteer.model.CpuEngine;
import io.jsteer.model.LoadedModel;
import io.jsteer.model.intervene.GateRecorder;
import io.jsteer.model.intervene.InterventionSet;
import io.jsteer.model.intervene.Site;
import io.jsteer.model.train.ForwardOptions;
import io.jsteer.model.train.TrainableLlama;
import io.jsteer.tensor.Parallel;
import io.jsteer.tensor.autograd.Precision;
import io.jsteer.tensor.autograd.Tape;
import io.jsteer.tensor.autograd.Var;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A MAT-Steer module, as the shared GatedEdit, gives the same logits and gates on the inference
 * path (CpuEngine, token by token through the KV cache) and the trainable path (TrainableLlama
 * with toTapeHooks) of stories260K.
 */
class MatPathsTest {

    @Test
    void inferenceAndTrainablePathsAgree() {
        try (LoadedModel m = Shared.stories()) {
            int[] tokens = m.tokenizer().encode("Once upon a time, there was a little dog named Max. He liked to play.", true);
            for (String s : List.of("attn_heads:2", "resid_post:3")) {
                Site site = Site.parse(s);
                MatParameters mat = MatParameters.initial(List.of("happy", "animals"), m.config().dim(), 9);
                InterventionSet set = InterventionSet.of(mat.toGatedEdit(site));

                GateRecorder engineGates = new GateRecorder();
                float[][] engine = new float[tokens.length][];
                float[][] plain = new float[tokens.length][];
                try (Parallel par = new Parallel(1); CpuEngine e = m.newCpuEngine(tokens.length, par)) {
                    for (int t = 0; t < tokens.length; t++) {
                        plain[t] = e.forward(tokens[t], t, true).clone();
                    }
                    e.setInterventions(set, engineGates);
                    for (int t = 0; t < tokens.length; t++) {
                        engine[t] = e.forward(tokens[t], t, true).clone();
                    }
                }
                GateRecorder tapeGates = new GateRecorder();
                Var tape = TrainableLlama.of(m).logitsNoGrad(new Tape(Precision.F32), tokens,
                        ForwardOptions.NONE.withHooks(set.toTapeHooks(m.config(), tapeGates)));

                int v = tape.cols();
                double diff = 0, effect = 0;
                for (int t = 0; t < tokens.length; t++) {
                    for (int j = 0; j < v; j++) {
                        diff = Math.max(diff, Math.abs(engine[t][j] - tape.get(t * v + j)));
                        effect = Math.max(effect, Math.abs(engine[t][j] - plain[t][j]));
                    }
                }
                assertTrue(effect > 0.05, s + ": the module changes the logits (max " + effect + ")");
                assertTrue(diff < 1e-4, s + ": max |Δlogit| between the paths = " + diff);
                assertEquals(tokens.length, engineGates.records().size());
                assertEquals(tokens.length, tapeGates.records().size());
                for (int t = 0; t < tokens.length; t++) {
                    double[] a = engineGates.records().get(t).gates(), b = tapeGates.records().get(t).gates();
                    for (int k = 0; k < a.length; k++) {
                        assertEquals(a[k], b[k], 1e-5, s + " gate " + k + " at " + t);
                    }
                }
            }
        }
    }
}
