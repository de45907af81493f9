package io.jsteer.bench;

import io.jsteer.tensor.DType;
import io.jsteer.tensor.FloatTensor;
import io.jsteer.tensor.Kernels;
import io.jsteer.tensor.Parallel;
import java.lang.foreign.Arena;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One CPU kernel per dtype, so that a regression in any of them shows up: {@code matvec} (decode:
 * one activation vector against a {@code rows × cols} weight matrix) and {@code matmul} (prefill:
 * {@value #TOKENS} tokens against it, the register-blocked GEMM). Besides ops/s, JMH prints two
 * secondary results per benchmark from the counters below, already as rates:
 * {@code weightGB} = GB of weights streamed per second, {@code gflop} = GFLOP/s (2 per weight per
 * token, as a multiply-add). Not run by the build or CI (JMH benchmarks are main classes, not tests).
 *
 * <p>Run: {@code ./mvnw -B -o -q -pl bench -am package -DskipTests}, then
 * {@code java --add-modules jdk.incubator.vector -cp "bench/target/jsteer-bench.jar:bench/target/peers-lib/*"
 * org.openjdk.jmh.Main KernelBenchmark -p dtype=q4_k,q8_0 -p threads=1}, or {@code jsteer bench --jmh-kernels}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class KernelBenchmark {

    /** Tokens per prefill product, as the engine's prefill chunk. */
    static final int TOKENS = 32;

    @Param({"f32", "bf16", "f16", "q8_0", "q4_0", "q4_1", "q5_0", "q5_1", "q2_k", "q3_k", "q4_k", "q5_k", "q6_k", "iq4_nl", "iq4_xs"})
    public String dtype;

    /** 2048 × 2048 is a llama3.2-1b projection: 16 MB in F32, past L2, within reach of L3 for the smaller types. */
    @Param({"2048"})
    public int rows;

    @Param({"2048"})
    public int cols;

    @Param({"1"})
    public int threads;

    private Arena arena;
    private Parallel par;
    private FloatTensor w;
    private float[] x, y;
    private float[][] xs, ys;
    private long weightBytes;

    /** Counters JMH reports as rates per second (the output unit): GB of weights read, GFLOP. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Rates {
        public double weightGB;
        public double gflop;

        @Setup(Level.Iteration)
        public void clean() {
            weightGB = 0;
            gflop = 0;
        }
    }

    @Setup
    public void setUp() {
        DType type = DType.parse(dtype);
        arena = Arena.ofShared();
        w = RandomTensors.matrix(type, rows, cols, 42, arena);
        weightBytes = type.bytesFor((long) rows * cols);
        par = new Parallel(threads);
        SplittableRandom r = new SplittableRandom(7);
        x = new float[cols];
        y = new float[rows];
        xs = new float[TOKENS][cols];
        ys = new float[TOKENS][rows];
        for (int i = 0; i < cols; i++) {
            x[i] = (float) r.nextGaussian();
            for (int t = 0; t < TOKENS; t++) {
                xs[t][i] = (float) r.nextGaussian();
            }
        }
    }

    @Benchmark
    public float matvec(Rates rates) {
        Kernels.matvec(w, x, y, rows, cols, par);
        rates.weightGB += weightBytes / 1e9;
        rates.gflop += 2.0 * rows * cols / 1e9;
        return y[0];
    }

    @Benchmark
    public float matmul(Rates rates) {
        Kernels.matmul(w, xs, ys, TOKENS, rows, cols, par);
        rates.weightGB += weightBytes / 1e9;
        rates.gflop += 2.0 * rows * cols * TOKENS / 1e9;
        return ys[TOKENS - 1][0];
    }

    @TearDown
    public void tearDown() {
        par.close();
        arena.close();
    }
}
