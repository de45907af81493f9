package io.jsteer.bench;

import java.io.IOException;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/** Prefill speed: a 64-token prompt in one batched call; ops/s = prompt tok/s. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class PrefillBenchmark {

    static final int PROMPT = 64;

    @Param({"llama2-110m", "llama3.2-1b"})
    public String shape;

    @Param({"f32", "q8_0"})
    public String dtype;

    @Param({"2"})
    public int threads;

    private ModelBenchState state;
    private int[] prompt;

    @Setup
    public void setUp() throws IOException {
        state = new ModelBenchState(shape, dtype, threads, PROMPT);
        prompt = new int[PROMPT];
        for (int i = 0; i < PROMPT; i++) {
            prompt[i] = state.tokenAt(i);
        }
    }

    @Benchmark
    @OperationsPerInvocation(PROMPT)
    public float prefillPrompt() {
        return state.engine.prefill(prompt, 0)[0];
    }

    @TearDown
    public void tearDown() {
        state.close();
    }
}
