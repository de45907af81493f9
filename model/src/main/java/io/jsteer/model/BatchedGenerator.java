package io.jsteer.model;

import io.jsteer.model.intervene.InterventionSet;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.TimeUnit;

/**
 * Continuous batching: up to {@code slots} sequences (requests) generate at once on one
 * {@link CpuEngine}, each with its own KV cache and steering, and every decoding step reads the
 * weights once for all of them ({@link CpuEngine#decodeBatch}). A new sequence is prefilled into
 * a free slot between steps and joins the batch at the next one; a finished one frees its slot
 * at once. One worker thread owns the engine.
 *
 * <p>A prompt is prefilled whole before the next step, so a long prompt delays the others' next
 * tokens by its prefill time (chunked prefill interleaved with decoding would bound that).
 */
public final class BatchedGenerator implements AutoCloseable {

    /** One request: its prompt and steering, and what it does with each step's logits. */
    public interface Sequence {
        int[] prompt();

        /**
         * This request's steering, or null: the same instance on every call (the engine compiles
         * it once, at the prefill, and keeps it with the sequence's cache).
         */
        InterventionSet steering();

        /**
         * The next token after {@code logits} (sampled as the request asks, and delivered to its
         * client), or -1 to end the sequence here. Runs on the worker thread: keep it short.
         */
        int next(float[] logits);

        /** Called on the worker thread when the sequence's prompt starts prefilling (it had a slot). */
        default void started() {}
    }

    private record Slot(KvCache cache, Sequence seq, CompletableFuture<Integer> done, int[] state) {
        // state[0] = position of the pending token, state[1] = the pending token
    }

    private record Pending(Sequence seq, CompletableFuture<Integer> done) {}

    private final CpuEngine engine;
    private final KvCache[] caches;
    private final Slot[] active;
    private final LinkedBlockingDeque<Pending> queue = new LinkedBlockingDeque<>();
    private final Thread worker;
    private volatile boolean closed;

    /**
     * @param slots           sequences generated at once, 1..{@link CpuEngine#maxBatch()}
     * @param contextPerSlot  positions (prompt + generated) each sequence may use, at most the engine's capacity
     */
    public BatchedGenerator(CpuEngine engine, int slots, int contextPerSlot) {
        if (slots < 1 || slots > CpuEngine.maxBatch()) {
            throw new IllegalArgumentException("parallel sequences must be 1.." + CpuEngine.maxBatch() + ", got " + slots);
        }
        this.engine = engine;
        this.caches = new KvCache[slots];
        for (int i = 0; i < slots; i++) {
            caches[i] = engine.newCache(contextPerSlot);
        }
        this.active = new Slot[slots];
        this.worker = Thread.ofPlatform().name("jsteer-batch").daemon().start(this::loop);
    }

    /**
     * Queues a sequence; the future completes with the number of tokens it generated, or
     * exceptionally with what went wrong for it (other sequences go on).
     */
    public CompletableFuture<Integer> submit(Sequence seq) {
        CompletableFuture<Integer> done = new CompletableFuture<>();
        int[] prompt = seq.prompt();
        if (prompt.length == 0 || prompt.length >= caches[0].capacity()) {
            done.completeExceptionally(new IllegalArgumentException("the prompt has " + prompt.length
                    + " tokens; a sequence holds 1.." + (caches[0].capacity() - 1) + " prompt tokens"));
            return done;
        }
        if (closed) {
            done.completeExceptionally(new IllegalStateException("the generator is closed"));
            return done;
        }
        queue.add(new Pending(seq, done));
        return done;
    }

    /**
     * {@link Generator#generateUntil} as one sequence of the batch: sample until {@code maxTokens}
     * new tokens, a stop token (not emitted), the sink declining more, or the slot's context; with
     * this request's {@code steering} (or null), run as {@link InferenceEngine#setInterventions} would. The sink runs on the worker thread.
     */
    public CompletableFuture<GenerationResult> generate(int[] prompt, int maxTokens, Sampler sampler,
                                                        java.util.function.IntPredicate stop, Generator.TokenSink sink,
                                                        InterventionSet steering) {
        if (maxTokens < 0) {
            throw new IllegalArgumentException("max tokens must be 0 or more, got " + maxTokens);
        }
        int vocab = engine.config().vocabSize();
        int[] tokens = Arrays.copyOf(prompt, prompt.length + maxTokens);
        int[] n = {prompt.length};
        long[] times = {0, 0}; // prefill start and end
        Sequence seq = new Sequence() {
            @Override
            public int[] prompt() { return prompt; }

            @Override
            public InterventionSet steering() { return steering; }

            @Override
            public void started() { times[0] = System.nanoTime(); }

            @Override
            public int next(float[] logits) {
                if (times[1] == 0) {
                    times[1] = System.nanoTime(); // the prompt's logits: prefill is over
                }
                if (n[0] == tokens.length) {
                    return -1;
                }
                Generator.requireFinite(logits, vocab, n[0]);
                int next = sampler.sample(logits, vocab);
                if (stop.test(next)) {
                    return -1;
                }
                boolean more = sink.accept(tokens[n[0] - 1], next);
                tokens[n[0]++] = next;
                return more && n[0] < tokens.length ? next : -1;
            }
        };
        return submit(seq).thenApply(count -> {
            long end = System.nanoTime(), prefillDone = times[1] == 0 ? end : times[1];
            return new GenerationResult(Arrays.copyOf(tokens, n[0]), prompt.length, prefillDone - times[0], end - prefillDone);
        });
    }

    /** Sequences generating now. */
    public int activeCount() {
        int n = 0;
        for (Slot s : active) {
            n += s == null ? 0 : 1;
        }
        return n;
    }

    /** Sequences waiting for a slot. */
    public int queued() {
        return queue.size();
    }

    private void loop() {
        KvCache[] stepCaches = new KvCache[active.length];
        InterventionSet[] stepSteering = new InterventionSet[active.length];
        int[] tokens = new int[active.length], positions = new int[active.length], slotOf = new int[active.length];
        while (!closed) {
            try {
                admit();
                int n = 0;
                for (int i = 0; i < active.length; i++) {
                    if (active[i] != null) {
                        stepCaches[n] = active[i].cache();
                        stepSteering[n] = active[i].seq().steering();
                        positions[n] = active[i].state()[0];
                        tokens[n] = active[i].state()[1];
                        slotOf[n++] = i;
                    }
                }
                if (n == 0) {
                    Pending p = queue.poll(100, TimeUnit.MILLISECONDS);
                    if (p != null) {
                        queue.offerFirst(p); // admitted at the top of the loop, still first in line
                    }
                    continue;
                }
                float[][] logits;
                try {
                    logits = engine.decodeBatch(Arrays.copyOf(stepCaches, n), Arrays.copyOf(stepSteering, n),
                            Arrays.copyOf(tokens, n), Arrays.copyOf(positions, n));
                } catch (RuntimeException e) { // e.g. non-finite logits: every sequence of the step fails with it
                    for (int k = 0; k < n; k++) {
                        finish(slotOf[k], e);
                    }
                    continue;
                }
                for (int k = 0; k < n; k++) {
                    advance(slotOf[k], logits[k]);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        IllegalStateException gone = new IllegalStateException("the generator was closed");
        for (int i = 0; i < active.length; i++) {
            if (active[i] != null) {
                finish(i, gone);
            }
        }
        for (Pending p; (p = queue.poll()) != null; ) {
            p.done().completeExceptionally(gone);
        }
    }

    /** Prefills queued sequences into free slots; each takes its first token from the prompt's logits. */
    private void admit() {
        for (int i = 0; i < active.length && !queue.isEmpty(); i++) {
            if (active[i] != null) {
                continue;
            }
            Pending p = queue.poll();
            if (p == null) {
                return;
            }
            int[] prompt = p.seq().prompt();
            active[i] = new Slot(caches[i], p.seq(), p.done(), new int[] {prompt.length, -1, 0});
            try {
                p.seq().started();
                float[] logits = engine.prefill(caches[i], p.seq().steering(), prompt, 0);
                advance(i, logits);
            } catch (RuntimeException e) {
                finish(i, e);
            }
        }
    }

    /** Hands the slot's sequence its logits; keeps it for the next step or finishes it. */
    private void advance(int i, float[] logits) {
        Slot s = active[i];
        int[] state = s.state();
        int next;
        try {
            next = s.seq().next(logits);
        } catch (RuntimeException e) {
            finish(i, e);
            return;
        }
        boolean first = state[1] < 0;
        int position = first ? state[0] : state[0] + 1; // where the new token will be decoded
        if (next < 0) {
            finish(i, null);
            return;
        }
        state[2]++;
        if (position >= s.cache().capacity()) { // the context is full: the token was delivered, nothing more fits
            finish(i, null);
            return;
        }
        state[0] = position;
        state[1] = next;
    }

    private void finish(int i, Throwable error) {
        Slot s = active[i];
        active[i] = null;
        if (error == null) {
            s.done().complete(s.state()[2]);
        } else {
            s.done().completeExceptionally(error);
        }
    }

    @Override
    public void close() {
        closed = true;
        worker.interrupt();
        try {
            worker.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
