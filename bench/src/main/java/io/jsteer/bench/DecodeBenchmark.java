package io.jsteer.bench;

import java.io.IOException;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/** Decode speed: one token through the whole model per operation, so ops/s = tok/s. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class DecodeBenchmark {

    /** Positions decoded before the cache wraps around (attention cost grows with position). */
    static final int WINDOW = 256;

    @Param({"llama2-110m", "llama3.2-1b"})
    public String shape;

    @Param({"f32", "q8_0"})
    public String dtype;

    @Param({"2"})
    public int threads;

    private ModelBenchState state;
    private int pos;

    @Setup
    public void setUp() throws IOException {
        state = new ModelBenchState(shape, dtype, threads, WINDOW);
        pos = 0;
    }

    @Benchmark
    public float decodeToken() {
        float[] logits = state.engine.forward(state.tokenAt(pos), pos, pos == 0);
        pos = (pos + 1) % WINDOW;
        return logits[0];
    }

    @TearDown
    public void tearDown() {
        state.close();
    }
}
