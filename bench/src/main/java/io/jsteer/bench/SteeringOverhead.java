package io.jsteer.bench;

import io.jsteer.model.CpuEngine;
import io.jsteer.model.KvCache;
import io.jsteer.model.intervene.InterventionSet;
import io.jsteer.steering.capture.ActivationCapture;
import java.util.Arrays;
import java.util.List;

/**
 * Decode tok/s and time to first token of each {@link SteeringSetup} on one engine, interleaved
 * as finely as the engine allows: each setup has its own KV cache, the prompts of all setups are
 * prefilled in turn, then every decode step runs once per setup before the next step, so that a
 * change of load on a shared machine falls on all setups alike. Per repeat, each setup's figures
 * are divided by the unsteered setup's of the same repeat; the medians of those ratios are the
 * overheads reported.
 */
public final class SteeringOverhead {

    /**
     * One setup's medians.
     *
     * @param decodeRatio decode tok/s ÷ the unsteered setup's (below 1: slower)
     * @param ttftRatio   time to first token ÷ the unsteered setup's (above 1: slower)
     */
    public record Result(SteeringSetup setup, double decodeTokPerSec, double ttftMs, double decodeRatio, double ttftRatio) {

        /** Decode cost in percent of the unsteered speed: {@code (1/ratio − 1)·100}, i.e. extra time per token. */
        public double decodeOverheadPercent() {
            return (1 / decodeRatio - 1) * 100;
        }
    }

    private SteeringOverhead() {}

    /**
     * @param setups the first one is the baseline (no steering)
     * @param prompt the prompt whose first token is timed; {@code prompt.length + steps} must fit the engine's context
     */
    public static List<Result> measure(CpuEngine engine, List<SteeringSetup> setups, int[] prompt, int steps, int repeats) {
        int n = setups.size();
        int capacity = engine.capacity();
        if (prompt.length + steps > capacity) {
            throw new IllegalArgumentException("a " + prompt.length + "-token prompt and " + steps + " decoded tokens do not fit the context of "
                    + capacity);
        }
        KvCache[] caches = new KvCache[n];
        for (int s = 0; s < n; s++) {
            caches[s] = engine.newCache(prompt.length + steps);
        }
        double[][] decode = new double[n][repeats], ttft = new double[n][repeats];
        run(engine, setups, caches, prompt, Math.min(steps, 4), new double[n], new double[n], 0); // warm-up: JIT, page cache
        for (int r = 0; r < repeats; r++) {
            double[] d = new double[n], t = new double[n];
            run(engine, setups, caches, prompt, steps, d, t, r % n);
            for (int s = 0; s < n; s++) {
                decode[s][r] = d[s];
                ttft[s][r] = t[s];
            }
        }
        Result[] out = new Result[n];
        for (int s = 0; s < n; s++) {
            double[] dr = new double[repeats], tr = new double[repeats];
            for (int r = 0; r < repeats; r++) {
                dr[r] = decode[s][r] / decode[0][r];
                tr[r] = ttft[s][r] / ttft[0][r];
            }
            out[s] = new Result(setups.get(s), median(decode[s]), median(ttft[s]), median(dr), median(tr));
        }
        engine.setAdapter(null);
        return List.of(out);
    }

    /**
     * One repeat: every setup's prompt (time to its first token), then {@code steps} decode steps
     * round-robin. The turn order starts at setup {@code first}, rotating from repeat to repeat, so
     * that no setup always runs right after the warm-up or another's prompt.
     */
    private static void run(CpuEngine engine, List<SteeringSetup> setups, KvCache[] caches, int[] prompt, int steps,
                            double[] decodeTokPerSec, double[] ttftMs, int first) {
        int n = setups.size();
        int[] next = new int[n];
        InterventionSet[] active = new InterventionSet[n];
        for (int k = 0; k < n; k++) {
            int s = (first + k) % n;
            SteeringSetup setup = setups.get(s);
            long t0 = System.nanoTime();
            next[s] = argmax(firstToken(engine, setup, caches[s], prompt, active, s));
            ttftMs[s] = (System.nanoTime() - t0) / 1e6;
        }
        long[] nanos = new long[n];
        KvCache[] one = new KvCache[1];
        InterventionSet[] oneSteering = new InterventionSet[1];
        int[] tok = new int[1], pos = new int[1];
        for (int i = 0; i < steps; i++) {
            for (int k = 0; k < n; k++) {
                int s = (first + k) % n;
                one[0] = caches[s];
                oneSteering[0] = active[s];
                tok[0] = next[s];
                pos[0] = prompt.length + i;
                long t0 = System.nanoTime();
                engine.setAdapter(setups.get(s).adapter());
                next[s] = argmax(engine.decodeBatch(one, oneSteering, tok, pos)[0]);
                nanos[s] += System.nanoTime() - t0;
            }
        }
        for (int s = 0; s < n; s++) {
            decodeTokPerSec[s] = steps * 1e9 / nanos[s];
        }
    }

    /** The prompt of one setup: the gate first (when it has one), then the prefill with the steering the gate chose
     * (compiled there, once per sequence: its cost is in the time to first token, as in a server). */
    static float[] firstToken(CpuEngine engine, SteeringSetup setup, KvCache cache, int[] prompt, InterventionSet[] active, int s) {
        engine.setAdapter(setup.adapter());
        InterventionSet steering = setup.steering();
        if (setup.gate() != null && !setup.gate().shouldSteer(ActivationCapture.residuals(engine), prompt)) {
            steering = null;
        }
        active[s] = steering;
        return engine.prefill(cache, steering, prompt, 0);
    }

    private static int argmax(float[] logits) {
        return io.jsteer.model.Sampler.argmax(logits, logits.length);
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
