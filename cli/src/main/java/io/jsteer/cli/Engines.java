package io.jsteer.cli;

import io.jsteer.model.InferenceEngine;
import io.jsteer.model.LlamaConfig;
import io.jsteer.model.LlamaWeights;
import io.jsteer.model.LoadedModel;
import io.jsteer.tensor.Parallel;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;

/**
 * Which inference engines this build has. The TornadoVM engine lives in tornado-kernels, which is
 * built only with -Ptornado, so it is looked up by name: a build or class path without it (or
 * without the TornadoVM runtime) gets a message saying how to get it instead of a linkage error.
 */
final class Engines {

    static final String TORNADO_ENGINE = "io.jsteer.tornado.TornadoEngine";
    private static final String HOW_TO_GET_IT = "Install the TornadoVM SDK (see README, 'Running on the GPU with TornadoVM'), "
            + "build with ./mvnw -Ptornado -Dtornado.version=<its version> install, and run with the SDK's JVM arguments "
            + "(java @$TORNADOVM_HOME/tornado-argfile ...) and jsteer-tornado-kernels on the class path";

    private Engines() {}

    static void requireSupported(String engine) {
        switch (engine) {
            case "cpu" -> { }
            case "tornado" -> tornadoFactory();
            default -> throw new UsageException("--engine must be cpu or tornado, got '" + engine + "'");
        }
    }

    /**
     * For jobs whose work is not inference on an engine (training on the CPU tape, rewriting a
     * weights file): refuses --engine tornado with {@code why}, in any build (a GPU engine would not help
     * them), instead of running on the CPU anyway; an unknown engine name is a usage error.
     */
    static void requireCpu(String engine, String job, String why) {
        if (engine.equals("tornado")) {
            throw new IllegalArgumentException("--engine tornado: " + job + " runs on the CPU only (" + why
                    + "); drop --engine or use --engine cpu");
        }
        requireSupported(engine);
    }

    /** The engine named by --engine over {@code model}, with a KV cache of {@code ctx} positions (capped at the model's). */
    static InferenceEngine create(String engine, LoadedModel model, int ctx, Parallel par) {
        requireSupported(engine);
        if (engine.equals("cpu")) {
            return model.newCpuEngine(ctx, par);
        }
        int capacity = Math.min(ctx, model.config().contextLength());
        try {
            return (InferenceEngine) tornadoFactory().invoke(null, model.config(), model.weights(), capacity);
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            if (e.getCause() instanceof LinkageError l) {
                throw new IllegalArgumentException("--engine tornado: the TornadoVM runtime did not start (" + l + "). " + HOW_TO_GET_IT, l);
            }
            throw new IllegalStateException("--engine tornado: " + e.getCause(), e.getCause());
        } catch (IllegalAccessException e) {
            throw new IllegalStateException("--engine tornado: " + TORNADO_ENGINE + ".create is not accessible", e);
        }
    }

    /** TornadoEngine.create(LlamaConfig, LlamaWeights, int), or a clear error when this build lacks it. */
    private static Method tornadoFactory() {
        try {
            Class<?> c = Class.forName(TORNADO_ENGINE);
            return c.getMethod("create", LlamaConfig.class, LlamaWeights.class, int.class);
        } catch (ClassNotFoundException e) {
            throw new IllegalArgumentException("--engine tornado: this build has no TornadoVM engine. " + HOW_TO_GET_IT);
        } catch (LinkageError e) {
            throw new IllegalArgumentException("--engine tornado: the TornadoVM runtime is not on this JVM (" + e + "). " + HOW_TO_GET_IT);
        } catch (NoSuchMethodException e) {
            throw new IllegalStateException(TORNADO_ENGINE + " has no create(LlamaConfig, LlamaWeights, int)", e);
        }
    }
}
