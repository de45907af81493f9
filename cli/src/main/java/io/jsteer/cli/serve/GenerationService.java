package io.jsteer.cli.serve;

import io.jsteer.model.InferenceEngine;
import io.jsteer.model.GenerationResult;
import io.jsteer.model.Generator;
import io.jsteer.model.NonFiniteLogitsException;
import io.jsteer.model.LoadedModel;
import io.jsteer.model.Sampler;
import io.jsteer.model.chat.ChatTemplate;
import io.jsteer.model.intervene.ActivationHook;
import io.jsteer.model.intervene.GatedEdit;
import io.jsteer.model.intervene.Hooks;
import io.jsteer.model.tokenizer.StreamingDecoder;
import io.jsteer.model.tokenizer.Tokenizer;
import io.jsteer.tensor.Parallel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * Runs completions on a fixed set of engine slots (each a CPU engine with its own KV cache and
 * thread team); a request waits for a free slot. Steering is set on the slot's engine for the
 * request only and removed afterwards, so an unsteered request pays nothing for it.
 */
public final class GenerationService implements AutoCloseable {

    /** Receives text as it is generated; returns false when the client has gone (generation stops). */
    @FunctionalInterface
    public interface TextSink {
        boolean accept(String text);
    }

    private record Slot(Parallel parallel, InferenceEngine engine) {}

    private final LoadedModel model;
    private final ModelFileWatch modelFile;
    private final ChatTemplate template;
    private final SteeringResolver steering;
    private final List<SteerSpec> defaultSteering;
    /** The server's MAT-Steer module (null: none), compiled once; the hook keeps no state, so slots share it. */
    private final GatedEdit mat;
    private final ActivationHook matHook;
    private final BlockingQueue<Slot> free;
    private final List<Slot> all = new ArrayList<>();
    private final int capacity;

    /** Makes one slot's engine (the CPU engine, or the one --engine names). */
    @FunctionalInterface
    public interface EngineFactory {
        InferenceEngine create(LoadedModel model, int contextLength, Parallel parallel);
    }

    private final EngineFactory engines;
    /** Decides per request whether its steering is applied; null: always applied. */
    private final PromptGate gate;

    public GenerationService(LoadedModel model, ChatTemplate template, SteeringResolver steering,
                             List<SteerSpec> defaultSteering, int slots, int threadsPerSlot, int contextLength) {
        this(model, template, steering, defaultSteering, null, slots, threadsPerSlot, contextLength);
    }

    /**
     * @param mat a MAT-Steer module applied to every request that does not say {@code "mat": false}
     *            (after its vector steering, at the module's site); null for none
     */
    public GenerationService(LoadedModel model, ChatTemplate template, SteeringResolver steering,
                             List<SteerSpec> defaultSteering, GatedEdit mat, int slots, int threadsPerSlot, int contextLength) {
        this(model, template, steering, defaultSteering, mat, slots, threadsPerSlot, contextLength,
                (m, ctx, par) -> m.newCpuEngine(ctx, par));
    }

    public GenerationService(LoadedModel model, ChatTemplate template, SteeringResolver steering,
                             List<SteerSpec> defaultSteering, GatedEdit mat, int slots, int threadsPerSlot, int contextLength,
                             EngineFactory engines) {
        this(model, template, steering, defaultSteering, mat, slots, threadsPerSlot, contextLength, engines, null);
    }

    /** As above, with a prompt gate (KTS) deciding per request whether its steering is applied (null: always). */
    public GenerationService(LoadedModel model, ChatTemplate template, SteeringResolver steering,
                             List<SteerSpec> defaultSteering, GatedEdit mat, int slots, int threadsPerSlot, int contextLength,
                             EngineFactory engines, PromptGate gate) {
        this.engines = engines;
        this.gate = gate;
        if (slots < 1) {
            throw new IllegalArgumentException("--parallel must be at least 1, got " + slots);
        }
        this.model = model;
        this.modelFile = new ModelFileWatch(model.file().path());
        this.template = template;
        this.steering = steering;
        this.defaultSteering = List.copyOf(defaultSteering);
        steering.resolve(this.defaultSteering); // refuse bad --steer flags at start-up, not at the first request
        if (mat != null) {
            mat.validate(model.config());
        }
        this.mat = mat;
        this.matHook = mat == null ? null : mat.toHook(null);
        this.free = new ArrayBlockingQueue<>(slots);
        for (int i = 0; i < slots; i++) {
            Parallel par = new Parallel(threadsPerSlot);
            Slot s = new Slot(par, engines.create(model, contextLength, par));
            all.add(s);
            free.add(s);
        }
        this.capacity = all.get(0).engine().capacity();
    }

    /** The model's id in the API: its file name without the extension (e.g. {@code stories260K}). */
    /** Null while the served model file is the one loaded; else what changed (see {@link ModelFileWatch}). */
    public String modelFileChanged() {
        return modelFile.changed();
    }

    public String modelName() {
        String n = model.name();
        int dot = n.lastIndexOf('.');
        return dot > 0 ? n.substring(0, dot) : n;
    }

    /** Validates the request's steering before any response byte is sent (so errors can still be 400). */
    public Hooks steeringFor(CompletionRequest r) {
        Hooks hooks;
        try {
            hooks = steering.resolve(r.steering() == null ? defaultSteering : r.steering());
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest("steering", e.getMessage());
        }
        boolean useMat = r.mat() == null ? mat != null : r.mat();
        if (useMat) {
            if (mat == null) {
                throw ApiException.badRequest("mat", "this server has no MAT-Steer module (start it with --mat FILE)");
            }
            hooks = (hooks == null ? new Hooks(model.config().nLayers()) : hooks).add(mat.site(), matHook);
        }
        return hooks;
    }

    /** KV-cache positions per slot: the --ctx-size asked for, capped at the model's own context. */
    public int capacity() { return capacity; }

    /** The steering a request gets before any gate decides, for the server's log: e.g. {@code happy:4@3 + mat}, or {@code none}. */
    public String steeringLabel(CompletionRequest r) {
        List<String> parts = new java.util.ArrayList<>((r.steering() == null ? defaultSteering : r.steering()).stream()
                .map(SteerSpec::label).toList());
        if (r.mat() == null ? mat != null : r.mat()) {
            parts.add("mat");
        }
        return parts.isEmpty() ? "none" : String.join(" + ", parts);
    }

    /** Whether the server was started with a MAT-Steer module. */
    public boolean hasMat() { return mat != null; }

    public int[] promptTokens(CompletionRequest r) {
        Tokenizer tok = model.tokenizer();
        int[] ids = r.chat() ? template.encode(r.messages(), true) : tok.encode(r.prompt(), true);
        if (ids.length == 0) {
            ids = new int[] {tok.bos()};
        }
        if (ids.length >= capacity) {
            throw ApiException.badRequest(r.chat() ? "messages" : "prompt", "the prompt has " + ids.length
                    + " tokens but the context holds " + capacity + (capacity < model.config().contextLength()
                    ? " (start the server with a larger --ctx-size, up to the model's " + model.config().contextLength() + ")"
                    : " (the model's whole context; shorten the prompt)"));
        }
        return ids;
    }

    public Completion complete(CompletionRequest r, int[] prompt, Hooks hooks, TextSink sink) throws InterruptedException {
        Tokenizer tok = model.tokenizer();
        int[] stops = r.chat() ? template.stopTokens() : new int[0];
        StopStrings stopStrings = new StopStrings(r.stop());
        Sampler sampler = r.temperature() == 0f ? Sampler.greedy()
                : new Sampler(r.temperature(), r.topP(), r.seed() != null ? r.seed() : System.nanoTime());
        Slot slot = free.take();
        try {
            GateDecision decision = null;
            if (gate != null && hooks != null) {
                decision = gate.decide(slot.engine(), prompt); // runs the prompt unsteered on this slot
                if (!decision.steer()) {
                    hooks = null;
                }
            }
            slot.engine().setHooks(hooks);
            StreamingDecoder decoder = tok.newDecoder();
            boolean[] clientGone = {false};
            GenerationResult result;
            try {
                result = new Generator(slot.engine()).generateUntil(prompt, r.maxTokens(), sampler,
                        t -> t == tok.eos() || t == tok.bos() || contains(stops, t),
                        (prev, next) -> {
                            String ready = stopStrings.add(decoder.accept(next));
                            if (!ready.isEmpty() && !sink.accept(ready)) {
                                clientGone[0] = true;
                            }
                            return !stopStrings.stopped() && !clientGone[0];
                        });
            } catch (NonFiniteLogitsException e) {
                // garbage tokens must not be returned as a completion: steered requests get a 400 about their
                // steering, unsteered ones a 500 (the weights themselves are at fault)
                throw hooks != null ? ApiException.badRequest("steering", e.getMessage())
                        : new ApiException(500, "server_error", null, e.getMessage());
            }
            String rest = stopStrings.finish(decoder.flush());
            if (!rest.isEmpty()) {
                sink.accept(rest);
            }
            int generated = result.generatedCount();
            boolean hitLength = !stopStrings.stopped() && (generated >= r.maxTokens()
                    || result.tokens().length >= slot.engine().capacity());
            return new Completion(stopStrings.text(), hitLength ? "length" : "stop", prompt.length, generated, decision);
        } finally {
            slot.engine().setHooks(null);
            free.put(slot);
        }
    }

    private static boolean contains(int[] ids, int t) {
        for (int id : ids) {
            if (id == t) {
                return true;
            }
        }
        return false;
    }

    @Override
    public void close() {
        for (Slot s : all) {
            s.engine().close();
            s.parallel().close();
        }
    }
}
