package io.jsteer.spark;

import io.jsteer.model.InferenceEngine;
import io.jsteer.model.LoadedModel;
import io.jsteer.model.ModelLoader;
import io.jsteer.tensor.Parallel;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The models this JVM (a Spark executor, or the driver in local mode) has opened, so that every
 * task of every job on this executor shares one memory-mapped copy of the weights: loads happen
 * once per executor, not per task.
 *
 * <p>This is the project's one deliberate piece of static mutable state: an executor JVM runs
 * tasks of any number of jobs, and the class (loaded once per executor) is the only scope that
 * lives as long as the executor. Models are never closed; they go with the executor.
 */
public final class ExecutorModels {

    /** Keyed by the files only: jobs with other context sizes or thread counts share the weights. */
    private record Files(String path, String tokenizer) {}

    private static final Map<Files, LoadedModel> MODELS = new ConcurrentHashMap<>();
    private static final AtomicInteger LOADS = new AtomicInteger();

    private ExecutorModels() {}

    /** The model of {@code spec}, opened on the first call in this JVM. */
    public static LoadedModel model(ModelSpec spec) {
        return MODELS.computeIfAbsent(new Files(spec.path(), spec.tokenizer()), f -> open(spec));
    }

    /** How many times this JVM opened a model (for tests and the job summary). */
    public static int loads() {
        return LOADS.get();
    }

    /**
     * A task's engine over the shared weights: its own KV cache and threads (engines are not
     * thread-safe, tasks of one executor run in parallel). Close it at the end of the task.
     */
    public static TaskEngine engine(ModelSpec spec) {
        LoadedModel model = model(spec);
        Parallel par = new Parallel(spec.threads());
        return new TaskEngine(model, model.newCpuEngine(spec.contextLength(), par), par);
    }

    /** An engine and its threads, closed together. */
    public record TaskEngine(LoadedModel model, InferenceEngine engine, Parallel parallel) implements AutoCloseable {
        @Override
        public void close() {
            try {
                engine.close();
            } finally {
                parallel.close();
            }
        }
    }

    private static LoadedModel open(ModelSpec spec) {
        try {
            LoadedModel m = ModelLoader.load(Path.of(spec.path()), spec.tokenizer() == null ? null : Path.of(spec.tokenizer()));
            LOADS.incrementAndGet();
            return m;
        } catch (RuntimeException e) {
            throw new ExecutorModelException("executor " + executorId() + " on " + host() + " cannot open the model " + spec.path()
                    + " (every node must be able to read it at that path): " + e.getMessage(), e);
        }
    }

    private static String executorId() {
        org.apache.spark.SparkEnv env = org.apache.spark.SparkEnv.get();
        return env == null ? "?" : env.executorId();
    }

    private static String host() {
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.io.IOException e) {
            return "?";
        }
    }

    /** An executor could not open the model; its message names the executor, host and path. */
    public static final class ExecutorModelException extends IllegalStateException {
        ExecutorModelException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
