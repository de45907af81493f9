package io.jsteer.cli.serve;

import io.jsteer.model.BatchedGenerator;
import io.jsteer.model.CpuEngine;
import io.jsteer.model.InferenceEngine;
import io.jsteer.model.GenerationResult;
import io.jsteer.model.Generator;
import io.jsteer.model.NonFiniteLogitsException;
import io.jsteer.model.LoadedModel;
import io.jsteer.model.Sampler;
import io.jsteer.model.chat.ChatTemplate;
import io.jsteer.model.intervene.GatedEdit;
import io.jsteer.model.intervene.Hooks;
import io.jsteer.model.intervene.InterventionSet;
import io.jsteer.model.intervene.Site;
import io.jsteer.model.tokenizer.StreamingDecoder;
import io.jsteer.model.tokenizer.Tokenizer;
import io.jsteer.tensor.Parallel;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntPredicate;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * Runs completions on a fixed set of engine slots (each a CPU engine with its own KV cache and
 * thread team); a request waits for a free slot. Steering is set on the slot's engine for the
 * request only and removed afterwards, so an unsteered request pays nothing for it.
 */
public final class GenerationService implements AutoCloseable {

    /**
     * Receives each choice's text as it becomes safe to send (possibly empty: it is called after
     * every token) with the log-probabilities of the tokens that text completes (empty unless the
     * request asked for them); returns false when the client has gone, which stops generation.
     */
    @FunctionalInterface
    public interface ChoiceSink {
        boolean accept(int choice, String text, List<Sampler.TokenLogprob> logprobs);
    }

    private record Slot(Parallel parallel, InferenceEngine engine) {}

    private final LoadedModel model;
    private final ModelFileWatch modelFile;
    private final ChatTemplate template;
    private final SteeringResolver steering;
    /** Steering for requests without a 'steering' field; replaced at run time through the API. */
    private volatile List<SteerSpec> defaultSteering;
    /** The server's MAT-Steer module (null: none), compiled once; the hook keeps no state, so slots share it. */
    private final GatedEdit mat;
    private final BlockingQueue<Slot> free;
    private final List<Slot> all = new ArrayList<>();
    private final int capacity;
    /** Requests that may wait for a slot; more are refused with 503 (see {@link #onSlot}). */
    private final int queueLimit;
    /** Requests holding or waiting for a slot. */
    private final java.util.concurrent.atomic.AtomicInteger admitted = new java.util.concurrent.atomic.AtomicInteger();
    private final java.util.concurrent.atomic.AtomicLong meanRequestMs = new java.util.concurrent.atomic.AtomicLong();
    /** Longest a request may take, waiting for a slot included (--timeout); 0 = no limit. Set before serving. */
    private volatile long timeoutNanos;

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
        this(model, template, steering, defaultSteering, mat, slots, threadsPerSlot, contextLength, engines, gate, DEFAULT_QUEUE);
    }

    /** With --cont-batching: one CPU engine that advances every slot's request in each step (null: per-slot engines generate). */
    private BatchedGenerator batched;
    private CpuEngine batchEngine;
    private Parallel batchParallel;

    /**
     * Continuous batching from now on (serve --cont-batching): completions of the {@link #slots()}
     * concurrent requests run on one CPU engine with {@code threads} threads, each step reading the
     * weights once for all of them, each request with its own KV cache and steering. The slots still
     * admit, queue and time requests; their engines serve embeddings, activations and the probe gate.
     */
    public void enableContinuousBatching(EngineFactory engines, int threads) {
        if (gate != null) {
            throw new IllegalArgumentException("--cont-batching does not combine with a probe gate (--gate) yet");
        }
        if (all.size() > CpuEngine.maxBatch()) {
            throw new IllegalArgumentException("--cont-batching takes --parallel up to " + CpuEngine.maxBatch() + ", got " + all.size());
        }
        Parallel par = new Parallel(threads);
        InferenceEngine e = engines.create(model, capacity, par);
        if (!(e instanceof CpuEngine cpu)) {
            e.close();
            par.close();
            throw new IllegalArgumentException("--cont-batching needs the CPU engine (--engine cpu): "
                    + "decoding several sequences in one pass (CpuEngine.decodeBatch) exists there only");
        }
        batchParallel = par;
        batchEngine = cpu;
        batched = new BatchedGenerator(cpu, all.size(), capacity);
    }

    /** Whether completions run continuously batched. */
    public boolean continuousBatching() { return batched != null; }

    /** Requests that may wait for a slot unless --queue says otherwise. */
    public static final int DEFAULT_QUEUE = 64;

    /** As above, with at most {@code queueLimit} requests waiting for a slot (more get 503). */
    public GenerationService(LoadedModel model, ChatTemplate template, SteeringResolver steering,
                             List<SteerSpec> defaultSteering, GatedEdit mat, int slots, int threadsPerSlot, int contextLength,
                             EngineFactory engines, PromptGate gate, int queueLimit) {
        if (queueLimit < 0) {
            throw new IllegalArgumentException("--queue must be 0 or more, got " + queueLimit);
        }
        this.queueLimit = queueLimit;
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
    public InterventionSet steeringFor(CompletionRequest r) {
        InterventionSet steer;
        try {
            steer = steering.resolve(r.steering() == null ? defaultSteering : r.steering());
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest("steering", e.getMessage());
        }
        boolean useMat = r.mat() == null ? mat != null : r.mat();
        if (useMat) {
            if (mat == null) {
                throw ApiException.badRequest("mat", "this server has no MAT-Steer module (start it with --mat FILE)");
            }
            steer = steer == null ? InterventionSet.of(mat) : steer.plus(mat);
        }
        if (steer != null) {
            try {
                steer.check(model.config()); // a bad edit is a 400 before any byte is sent
            } catch (IllegalArgumentException e) {
                throw ApiException.badRequest("steering", e.getMessage());
            }
        }
        return steer;
    }

    /** The steering requests without a 'steering' field get. */
    public List<SteerSpec> defaultSteering() { return defaultSteering; }

    /** Replaces the default steering after checking that it resolves (400 naming what is wrong otherwise). */
    public void setDefaultSteering(List<SteerSpec> specs) {
        try {
            steering.resolve(specs);
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest("steering", e.getMessage());
        }
        defaultSteering = List.copyOf(specs);
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
        int[] ids;
        try {
            ids = r.chat() ? template.encode(r.messages(), true) : tok.encode(r.prompt(), true);
        } catch (IllegalArgumentException e) { // roles out of the order the chat template knows
            throw ApiException.badRequest("messages", "'messages' cannot be put in the model's chat template: " + e.getMessage());
        }
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

    /**
     * Generates the request's {@code n} choices one after the other on one slot; choices after the
     * first reuse the prompt's KV cache. {@code sink} sees each choice's text as it becomes safe to
     * send (after stop strings) and is asked after every token whether the client is still there.
     */
    public List<Completion> complete(CompletionRequest r, int[] prompt, InterventionSet steer, ChoiceSink sink)
            throws InterruptedException {
        return onSlot((slot, deadline) -> {
            GateDecision decision = null;
            InterventionSet applied = steer;
            if (gate != null && steer != null) {
                decision = gate.decide(slot.engine(), prompt); // runs the prompt unsteered on this slot
                if (!decision.steer()) {
                    applied = null;
                }
            }
            slot.engine().setInterventions(applied); // the one steering door: device kernels on the GPU engine
            long seed = r.seed() != null ? r.seed() : System.nanoTime();
            List<Completion> out = new ArrayList<>();
            for (int i = 0; i < r.n(); i++) {
                int cached = i == 0 ? 0 : slot.engine().reusable(prompt.length - 1); // 0 when a sliding-window ring lost it
                Completion c = choice(slot, r, prompt, i, seed + i * SEED_STEP, cached, applied, decision, sink, deadline);
                out.add(c);
                if (c == null) {
                    return null; // the client went away
                }
            }
            return out;
        });
    }

    /** The batched generation's result, or what went wrong in it (a 504 from the sink, non-finite logits...). */
    private static GenerationResult awaitBatched(java.util.concurrent.CompletableFuture<GenerationResult> f) {
        try {
            return f.join();
        } catch (java.util.concurrent.CompletionException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw e;
        }
    }

    /** Seeds of successive choices: far apart in SplittableRandom's sequence (the golden-ratio increment). */
    private static final long SEED_STEP = 0x9E3779B97F4A7C15L;

    /** One choice; null when the client went away during it. */
    private Completion choice(Slot slot, CompletionRequest r, int[] prompt, int index, long seed, int cached, InterventionSet applied,
                              GateDecision decision, ChoiceSink sink, long deadline) {
        boolean steered = applied != null;
        Tokenizer tok = model.tokenizer();
        int[] stops = r.chat() ? template.stopTokens() : new int[0];
        StopStrings stopStrings = new StopStrings(r.stop());
        Sampler sampler = new Sampler(r.sampling(), seed);
        sampler.prime(prompt);
        StreamingDecoder decoder = tok.newDecoder();
        boolean[] clientGone = {false};
        List<Sampler.TokenLogprob> logprobs = r.logprobs() >= 0 ? new ArrayList<>() : null;
        int[] sent = {0}; // logprobs already handed to the sink with their text
        int[] made = {0}; // tokens generated so far
        GenerationResult result;
        IntPredicate stop = t -> t == tok.eos() || t == tok.bos() || contains(stops, t);
        Generator.TokenSink tokens = (prev, next) -> {
                        made[0]++;
                        if (logprobs != null) {
                            logprobs.add(sampler.lastLogprob());
                        }
                        String ready = stopStrings.add(decoder.accept(next));
                        List<Sampler.TokenLogprob> with = List.of();
                        if (!ready.isEmpty() && logprobs != null) {
                            with = List.copyOf(logprobs.subList(sent[0], logprobs.size()));
                            sent[0] = logprobs.size();
                        }
                        if (!sink.accept(index, ready, with)) {
                            clientGone[0] = true;
                        }
                        if (System.nanoTime() > deadline) { // checked after each token: the limit is kept to one token's time
                            throw new ApiException(504, "server_error", null, "the request ran longer than --timeout ("
                                    + timeoutNanos / 1_000_000_000L + " s); it was stopped after " + made[0] + " tokens");
                        }
                        return !stopStrings.stopped() && !clientGone[0];
                    };
        try {
            if (batched != null) { // the request's steering rides along with its row of the batch, as its set
                result = awaitBatched(batched.generate(prompt, r.maxTokens(), sampler, stop, tokens, applied));
            } else {
                result = new Generator(slot.engine()).generateUntil(prompt, cached, r.maxTokens(), sampler, stop, tokens);
            }
        } catch (NonFiniteLogitsException e) {
            // garbage tokens must not be returned as a completion: steered requests get a 400 about their
            // steering, unsteered ones a 500 (the weights themselves are at fault)
            throw steered ? ApiException.badRequest("steering", e.getMessage())
                    : new ApiException(500, "server_error", null, e.getMessage());
        }
        if (clientGone[0]) {
            return null;
        }
        String rest = stopStrings.finish(decoder.flush());
        if (!rest.isEmpty()) {
            sink.accept(index, rest, logprobs == null ? List.of() : List.copyOf(logprobs.subList(sent[0], logprobs.size())));
        }
        int generated = result.generatedCount();
        boolean hitLength = !stopStrings.stopped() && (generated >= r.maxTokens()
                || result.tokens().length >= slot.engine().capacity());
        return new Completion(index, stopStrings.text(), hitLength ? "length" : "stop", prompt.length, generated,
                logprobs == null ? null : List.copyOf(logprobs), decision);
    }

    /**
     * The activations at each of {@code sites} for every position of {@code tokens},
     * {@code [site][token][dim]}, from the unsteered model (the slot's adapter, if any, applies).
     */
    public float[][][] activations(int[] tokens, List<Site> sites) throws InterruptedException {
        for (Site site : sites) {
            if (site.layer() >= model.config().nLayers()) {
                throw ApiException.badRequest("site", "site " + site + " does not exist: the model has " + model.config().nLayers()
                        + " blocks (0 to " + (model.config().nLayers() - 1) + ")");
            }
        }
        if (tokens.length > capacity) {
            throw ApiException.badRequest("input", "the input has " + tokens.length + " tokens but the context holds " + capacity);
        }
        return onSlot((slot, deadline) -> {
            int dim = model.config().dim(); // every site is dim wide (attn_heads: nHeads × headSize = dim)
            float[][][] out = new float[sites.size()][tokens.length][dim];
            Hooks capture = new Hooks(model.config().nLayers());
            for (int i = 0; i < sites.size(); i++) {
                float[][] into = out[i];
                capture.add(sites.get(i), (s, pos, inPrompt, x) -> {
                    if (pos < into.length) {
                        System.arraycopy(x, 0, into[pos], 0, dim);
                    }
                });
            }
            slot.engine().setHooks(capture);
            slot.engine().prefill(tokens, 0);
            return out;
        });
    }

    /** What turns a request's steering names into hooks (a {@link VectorSteering} for servers with vector sets). */
    public SteeringResolver steering() { return steering; }

    /** Work that needs a slot's engine; its observers and steering are cleared afterwards. */
    @FunctionalInterface
    private interface SlotJob<T> {
        /** @param deadline System.nanoTime() by which the request must be done; Long.MAX_VALUE for none */
        T run(Slot slot, long deadline) throws InterruptedException;
    }

    /**
     * Runs {@code job} on a free slot, waiting for one if all are busy, unless {@code queueLimit}
     * requests are already waiting: then 503 with a Retry-After from the recent request times.
     */
    private <T> T onSlot(SlotJob<T> job) throws InterruptedException {
        int ahead = admitted.incrementAndGet() - all.size();
        if (ahead > queueLimit) {
            admitted.decrementAndGet();
            long typicalMs = Math.max(1, meanRequestMs.get());
            long wait = (long) Math.ceil((ahead * typicalMs) / 1000.0 / all.size());
            throw new ApiException(503, "server_error", null, "the server is busy: " + all.size() + " slot(s) generating and "
                    + queueLimit + " request(s) waiting already (--parallel, --queue); retry in " + Math.max(1, wait) + " s")
                    .retryAfter(Math.max(1, wait));
        }
        long arrived = System.nanoTime(), limit = timeoutNanos;
        long deadline = limit == 0 ? Long.MAX_VALUE : arrived + limit;
        Slot slot;
        try {
            slot = limit == 0 ? free.take() : free.poll(limit, java.util.concurrent.TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            admitted.decrementAndGet();
            throw e;
        }
        if (slot == null) {
            admitted.decrementAndGet();
            throw new ApiException(503, "server_error", null, "the request waited " + limit / 1_000_000_000L
                    + " s (--timeout) without a free slot; retry later").retryAfter(Math.max(1, meanRequestMs.get() / 1000));
        }
        long started = System.nanoTime();
        try {
            return job.run(slot, deadline);
        } finally {
            slot.engine().setHooks(null); // observers and steering are apart: a slot goes back with neither
            slot.engine().setInterventions(null);
            free.put(slot);
            admitted.decrementAndGet();
            long ms = (System.nanoTime() - started) / 1_000_000;
            meanRequestMs.updateAndGet(m -> m == 0 ? ms : (7 * m + ms) / 8); // a moving average of the last few
        }
    }

    /**
     * Bounds each request's time, its wait for a slot included: a request still waiting then gets
     * 503, one still generating is stopped with 504 (an error event when streamed). 0 = no limit.
     */
    public void setRequestTimeout(java.time.Duration timeout) {
        if (timeout.isNegative()) {
            throw new IllegalArgumentException("--timeout must be 0 (none) or more, got " + timeout.toSeconds());
        }
        this.timeoutNanos = timeout.toNanos();
    }

    /** Requests waiting for a slot now. */
    public int waiting() { return Math.max(0, admitted.get() - all.size()); }

    /** Slots generating now. */
    public int busy() { return all.size() - free.size(); }

    public int slots() { return all.size(); }

    public LoadedModel model() { return model; }

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
        if (batched != null) {
            batched.close();
            batchEngine.close();
            batchParallel.close();
        }
        for (Slot s : all) {
            s.engine().close();
            s.parallel().close();
        }
    }
}
