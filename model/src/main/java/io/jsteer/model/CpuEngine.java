package io.jsteer.model;

import io.jsteer.model.intervene.GateListener;
import io.jsteer.model.intervene.Hooks;
import io.jsteer.model.intervene.InterventionSet;
import io.jsteer.model.intervene.SiteKind;
import io.jsteer.model.lora.LoraAdapter;
import io.jsteer.model.lora.LoraTarget;
import io.jsteer.tensor.FloatTensor;
import io.jsteer.tensor.Kernels;
import io.jsteer.tensor.Parallel;
import java.util.Arrays;

/**
 * The forward pass on the CPU: {@link LlamaBlock} over a batch of rows (one token when decoding,
 * up to {@value #PREFILL_CHUNK} prompt tokens when prefilling), read like llama2.c's run.c step by
 * step in {@link RowOps}. Weights stay in the mapped file, every matrix product is vectorised and
 * split across threads, and all buffers are allocated once here so that a token decoded alone
 * allocates nothing.
 */
public final class CpuEngine implements InferenceEngine {

    /**
     * Prompt tokens per batch. Each batch reads every weight once, so longer batches read less
     * (a 512-token prompt in 4 passes, not 16), and from {@link io.jsteer.tensor.Kernels}' 64
     * tokens the matrix products run on the packed-panel kernel.
     */
    private static final int PREFILL_CHUNK = 128;

    private final LlamaConfig c;
    private final LlamaWeights w;
    private final Parallel par;
    private final boolean ownsParallel;
    private final KvCache cache;
    private final RopeTable rope;
    private final RowOps ops = new RowOps();
    private final int[] oneToken = new int[1]; // decode's batch, reused: a decoded token allocates nothing
    private Hooks observers; // setHooks: read only
    private Hooks steering;  // setInterventions, compiled
    private Hooks hooks;     // what the pass runs at each site: steering, then observers
    private LoraAdapter adapter;
    private float[] loraScratch; // [rank]

    // row buffers, PREFILL_CHUNK rows; decoding uses row 0
    private final float[][] x;     // [n][dim] residual stream
    private final float[][] xb;    // [n][dim] normed input of a branch
    private final float[][] xb2;   // [n][dim] branch output (attn_out, then mlp_out)
    private final float[][] q;     // [n][qDim]
    private final float[][] k;     // [n][kvDim]
    private final float[][] v;     // [n][kvDim]
    private final float[][] heads; // [n][qDim] attention output
    private final float[][] hb;    // [n][hidden] gate, then silu(gate) ⊙ up
    private final float[][] hb2;   // [n][hidden] up
    private final int span;        // positions one query sees at most: the capacity, or the sliding window
    private final float[] att;     // [nHeads][span] attention scores of one row
    private final float[] norm;    // [dim] final norm of the last row
    private final float[] logits;  // [vocab]
    private float[][] batchLogits; // [sequences][vocab], made on the first decodeBatch
    private int tokenCount;        // ids below it are tokens; rows beyond are embedding padding
    // decode fuses the q/k/v and gate/up products into one parallel pass each
    private final FloatTensor[][] qkvWeights;    // [layer] {wq, wk, wv}
    private final FloatTensor[][] gateUpWeights; // [layer] {w1, w3}
    private final int[] qkvRows;
    private final int[] gateUpRows;
    private final float[][] qkvOut;    // {q[0], k[0], v[0]}
    private final float[][] gateUpOut; // {hb[0], hb2[0]}
    private final float[][][] qkvRowsOut;    // {q, k, v}: the batched products' outputs
    private final float[][][] gateUpRowsOut; // {hb, hb2}

    public CpuEngine(LlamaConfig config, LlamaWeights weights, int capacity, Parallel parallel) {
        if (capacity < 1) {
            throw new IllegalArgumentException("context length must be at least 1, got " + capacity);
        }
        this.c = config;
        this.w = weights;
        this.ownsParallel = parallel == null;
        this.par = parallel == null ? Parallel.ofAvailableProcessors() : parallel;
        this.cache = new KvCache(config, capacity, prefillRows(config));
        this.rope = new RopeTable(config, weights.ropeFactors(), capacity);
        int n = PREFILL_CHUNK, dim = c.dim(), qd = c.qDim(), kv = c.kvDim(), hid = c.hiddenDim();
        x = new float[n][dim];
        xb = new float[n][dim];
        xb2 = new float[n][dim];
        q = new float[n][qd];
        k = new float[n][kv];
        v = new float[n][kv];
        heads = new float[n][qd];
        hb = new float[n][hid];
        hb2 = new float[n][hid];
        span = c.slidingWindow() > 0 ? Math.min(capacity, c.slidingWindow()) : capacity;
        att = new float[c.nHeads() * span];
        norm = new float[dim];
        logits = new float[c.vocabSize()];
        qkvWeights = new FloatTensor[c.nLayers()][];
        gateUpWeights = new FloatTensor[c.nLayers()][];
        for (int l = 0; l < c.nLayers(); l++) {
            qkvWeights[l] = new FloatTensor[] {w.wq()[l], w.wk()[l], w.wv()[l]};
            gateUpWeights[l] = new FloatTensor[] {w.w1()[l], w.w3()[l]};
        }
        qkvRows = new int[] {qd, kv, kv};
        gateUpRows = new int[] {hid, hid};
        tokenCount = c.vocabSize();
        qkvOut = new float[][] {q[0], k[0], v[0]};
        gateUpOut = new float[][] {hb[0], hb2[0]};
        qkvRowsOut = new float[][][] {q, k, v};
        gateUpRowsOut = new float[][][] {hb, hb2};
    }

    @Override
    public LlamaConfig config() { return c; }

    /**
     * Only ids below {@code n} are tokens (a Hugging Face embedding padded past its tokenizer):
     * the logits of the padding rows are set to {@value #NEVER}, so no sampler picks them and
     * softmax gives them nothing, while every logit stays finite.
     */
    public void limitVocabulary(int n) {
        if (n < 1 || n > c.vocabSize()) {
            throw new IllegalArgumentException("a vocabulary limit must be 1.." + c.vocabSize() + ", got " + n);
        }
        tokenCount = n;
    }

    /** The logit of an embedding row that is no token. */
    private static final float NEVER = -1e30f;

    @Override
    public int capacity() { return cache.capacity(); }

    /** The KV cache a CPU engine of {@code capacity} positions allocates for {@code config} (what inspect reports). */
    public static KvRing cacheRing(LlamaConfig config, int capacity) {
        return new KvRing(config, capacity, prefillRows(config));
    }

    /** Positions kept at once by this engine's KV cache (a ring of the window + one prefill batch with a sliding window). */
    public int cacheSlots() { return cache.slots(); }

    /** Floats allocated for layer {@code l}'s keys in this engine's cache (as many again for its values). */
    public int cacheFloats(int l) { return cache.allocatedFloats(l); }

    @Override
    public int reusable(int prefix) { return cache.ring.reusable(prefix); }

    @Override
    public void setHooks(Hooks observers) {
        if (observers != null && observers.layers() != c.nLayers()) {
            throw new IllegalArgumentException("hooks are for " + observers.layers() + " blocks, the model has " + c.nLayers());
        }
        this.observers = observers;
        this.hooks = Hooks.steerThenObserve(steering, observers);
    }

    /** The set compiled to hooks (parameters snapshotted now), run before the observers at each site. */
    @Override
    public void setInterventions(InterventionSet interventions, GateListener gates) {
        this.steering = compile(interventions, gates);
        this.hooks = Hooks.steerThenObserve(steering, observers);
    }

    /** What the CPU pass runs for a set: its hooks (validated against the model), or null for none. */
    private Hooks compile(InterventionSet set, GateListener gates) {
        return set == null || set.isEmpty() ? null : set.toHooks(c, gates);
    }

    /**
     * The compiled {@code set} of the sequence whose cache is {@code kv}: kept with the cache and
     * compiled again only when the sequence passes another set instance, so a sequence that passes
     * the same one every step compiles it once.
     */
    private Hooks rowSteering(KvCache kv, InterventionSet set) {
        if (set == null || set.isEmpty()) {
            return null;
        }
        if (kv.steeringSet != set) {
            kv.steeringHooks = compile(set, null);
            kv.steeringSet = set;
        }
        return kv.steeringHooks;
    }

    /**
     * A LoRA adapter from now on ({@code y += s·B(A x)} on its target projections, in decode and
     * in batched prefill), or {@code null} for none: without one the forward pass is unchanged.
     * The engine reads the adapter's current values on every token (no copy), so training steps
     * show up at once.
     */
    @Override
    public void setAdapter(LoraAdapter adapter) {
        if (adapter != null) {
            adapter.validate(c);
            loraScratch = new float[adapter.rank()];
        }
        this.adapter = adapter;
    }

    private void checkToken(int token, int position) {
        if (token < 0 || token >= c.vocabSize()) {
            throw new IllegalArgumentException("token id " + token + " is outside the vocabulary of " + c.vocabSize());
        }
        if (position < 0 || position >= cache.capacity()) {
            throw new IllegalArgumentException("position " + position + " is outside the context of " + cache.capacity()
                    + " tokens (raise --ctx-size or shorten the prompt)");
        }
    }

    @Override
    public float[] forward(int token, int pos, boolean inPrompt) {
        checkToken(token, pos);
        cache.ring.checkResumableAt(pos);
        cache.ring.recordWrite(pos, 1);
        oneToken[0] = token;
        return rows(cache, hooks, oneToken, 0, 1, pos, inPrompt);
    }

    /**
     * Prompt tokens per prefill batch for {@code config}: {@link #PREFILL_CHUNK}, or the sliding
     * window when it is shorter. A batch writes all its keys before its rows attend, so a ring
     * cache needs the window plus one batch of slots; a batch no longer than the window keeps
     * that slack at most the window.
     */
    static int prefillRows(LlamaConfig config) {
        return config.slidingWindow() > 0 ? Math.min(PREFILL_CHUNK, config.slidingWindow()) : PREFILL_CHUNK;
    }

    /** Most sequences one {@link #decodeBatch} call takes. */
    public static int maxBatch() { return PREFILL_CHUNK; }

    /**
     * A KV cache for one more sequence that {@link #decodeBatch} can advance together with
     * others (a server slot); {@code capacity} is at most this engine's.
     */
    public KvCache newCache(int capacity) {
        if (capacity < 1 || capacity > cache.capacity()) {
            throw new IllegalArgumentException("a sequence cache holds 1.." + cache.capacity() + " positions, asked " + capacity);
        }
        return new KvCache(c, capacity, prefillRows(c));
    }

    /**
     * One token for each of several independent sequences in one pass over the weights (what makes
     * concurrent requests cheap: the weights are read once per step, not once per request).
     * Sequence i runs token {@code tokens[i]} at {@code positions[i]} on its own cache
     * ({@link #newCache}) with its own steering {@code steering[i]} (its request's set, or null;
     * {@code steering} itself may be null for none), as {@link #setInterventions} would run it on
     * that sequence alone; the engine's adapter applies to all, while its own steering and
     * observers belong to its own sequence and do not. Returns the next-token logits of each,
     * reused by the next call. Each row computes exactly what {@link #forward} computes for that
     * sequence alone.
     *
     * <p>A row's set is compiled when its sequence first passes it (at its {@link #prefill(KvCache,
     * InterventionSet, int[], int) prefill}) and kept with the sequence's cache: pass the same
     * instance each step, and a new one to change its steering (parameters are snapshotted when it
     * compiles, as by setInterventions).
     */
    public float[][] decodeBatch(KvCache[] caches, InterventionSet[] steering, int[] tokens, int[] positions) {
        int n = tokens.length;
        if (n < 1 || n > PREFILL_CHUNK || caches.length != n || positions.length != n || (steering != null && steering.length != n)) {
            throw new IllegalArgumentException("decodeBatch takes 1.." + PREFILL_CHUNK + " sequences with one cache, token and"
                    + " position each (and one steering set each, or none); got " + n + " tokens, " + caches.length + " caches, "
                    + positions.length + " positions" + (steering == null ? "" : ", " + steering.length + " steering sets"));
        }
        for (int i = 0; i < n; i++) {
            checkToken(tokens[i], positions[i]);
            if (positions[i] >= caches[i].capacity()) {
                throw new IllegalArgumentException("position " + positions[i] + " is outside sequence " + i + "'s context of "
                        + caches[i].capacity() + " tokens");
            }
            for (int j = 0; j < i; j++) {
                if (caches[j] == caches[i]) {
                    throw new IllegalArgumentException("sequences " + j + " and " + i + " share one cache");
                }
            }
            try {
                ops.hooks[i] = steering == null ? null : rowSteering(caches[i], steering[i]);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("steering of sequence " + i + ": " + e.getMessage(), e);
            }
            caches[i].ring.checkResumableAt(positions[i]);
        }
        for (int i = 0; i < n; i++) {
            caches[i].ring.recordWrite(positions[i], 1);
        }
        if (batchLogits == null || batchLogits.length < n) {
            batchLogits = new float[n][c.vocabSize()]; // as many rows as the widest batch so far (vocab-long each)
        }
        int dim = c.dim();
        for (int t = 0; t < n; t++) {
            ops.caches[t] = caches[t];
            ops.pos[t] = positions[t];
            w.tokenEmbedding().copyTo((long) tokens[t] * dim, x[t], 0, dim);
        }
        ops.n = n;
        ops.inPrompt = false;
        for (int l = 0; l < c.nLayers(); l++) {
            LlamaBlock.forward(c, w, l, x, ops);
        }
        // logits[n, vocab] = classifier · rmsnorm(x): one pass over the classifier for all rows
        for (int t = 0; t < n; t++) {
            Kernels.rmsnorm(xb[t], x[t], w.outputNorm(), dim, c.rmsEps());
        }
        if (n == 1) {
            Kernels.matvec(w.classifier(), xb[0], batchLogits[0], c.vocabSize(), dim, par);
        } else {
            Kernels.matmul(w.classifier(), xb, batchLogits, n, c.vocabSize(), dim, par);
        }
        for (int t = 0; t < n; t++) {
            Arrays.fill(batchLogits[t], tokenCount, c.vocabSize(), NEVER);
        }
        return batchLogits;
    }

    @Override
    public float[] prefill(int[] tokens, int start) {
        return prefill(cache, hooks, tokens, start);
    }

    /**
     * {@link #prefill} into another sequence's cache ({@link #newCache}) with that sequence's
     * steering (or null), as {@link #decodeBatch} runs it: how a server slot reads its prompt
     * before joining the batch. The set compiles here (a bad one fails here, naming what is
     * wrong) and the next decodeBatch step finds it compiled.
     */
    public float[] prefill(KvCache kv, InterventionSet steering, int[] tokens, int start) {
        return prefill(kv, rowSteering(kv, steering), tokens, start);
    }

    private float[] prefill(KvCache kv, Hooks seqHooks, int[] tokens, int start) {
        if (tokens.length == 0) {
            throw new IllegalArgumentException("prefill needs at least one token");
        }
        for (int i = 0; i < tokens.length; i++) {
            checkToken(tokens[i], start + i);
        }
        if (start + tokens.length > kv.capacity()) {
            throw new IllegalArgumentException("positions " + start + ".." + (start + tokens.length - 1)
                    + " do not fit the sequence's context of " + kv.capacity() + " tokens");
        }
        kv.ring.checkResumableAt(start);
        kv.ring.recordWrite(start, tokens.length);
        int chunk = prefillRows(c);
        for (int done = 0; done < tokens.length; done += chunk) {
            int n = Math.min(chunk, tokens.length - done);
            rows(kv, seqHooks, tokens, done, n, start + done, true);
        }
        return logits;
    }

    /** Tokens {@code from .. from+n-1} at positions {@code start ..}: every block, then the logits of the last row. */
    private float[] rows(KvCache kv, Hooks h, int[] tokens, int from, int n, int start, boolean inPrompt) {
        int dim = c.dim();
        ops.n = n;
        ops.inPrompt = inPrompt;
        for (int t = 0; t < n; t++) {
            ops.caches[t] = kv;
            ops.pos[t] = start + t;
            ops.hooks[t] = h;
        }
        // x[n, dim] = embeddings of the tokens
        for (int t = 0; t < n; t++) {
            w.tokenEmbedding().copyTo((long) tokens[from + t] * dim, x[t], 0, dim);
        }
        for (int l = 0; l < c.nLayers(); l++) {
            LlamaBlock.forward(c, w, l, x, ops);
        }
        // logits[vocab] = classifier · rmsnorm(x[n-1])
        Kernels.rmsnorm(norm, x[n - 1], w.outputNorm(), dim, c.rmsEps());
        Kernels.matvec(w.classifier(), norm, logits, c.vocabSize(), dim, par);
        Arrays.fill(logits, tokenCount, c.vocabSize(), NEVER);
        return logits;
    }

    /**
     * Each step of a block on rows {@code 0..n-1} of the engine's buffers, row t at position
     * {@code pos[t]} of the sequence whose cache is {@code caches[t]} (a prompt chunk: one cache,
     * consecutive positions; a batch of sequences: one row each). Steps write into the buffer
     * that belongs to their output (norms into xb, q into q, ...) or in place, so the block runs
     * without allocating.
     */
    private final class RowOps implements BlockOps<float[][]> {
        int n;
        boolean inPrompt;
        final KvCache[] caches = new KvCache[PREFILL_CHUNK];
        final int[] pos = new int[PREFILL_CHUNK];
        final Hooks[] hooks = new Hooks[PREFILL_CHUNK];
        private int fusedQkv = -1, fusedGateUp = -1; // block whose fused decode product is in q/k/v, hb/hb2

        @Override
        public float[][] site(SiteKind kind, int layer, float[][] a) {
            for (int t = 0; t < n; t++) {
                if (hooks[t] != null) {
                    hooks[t].run(kind, layer, pos[t], inPrompt, a[t]);
                }
            }
            return a;
        }

        @Override
        public float[][] rmsNorm(float[][] a, float[] weight) {
            for (int t = 0; t < n; t++) {
                Kernels.rmsnorm(xb[t], a[t], weight, c.dim(), c.rmsEps());
            }
            return xb;
        }

        @Override
        public float[][] project(int layer, LoraTarget target, float[][] in) {
            float[][] out = switch (target) {
                case Q -> q;
                case K -> k;
                case V -> v;
                case O, DOWN -> xb2;
                case GATE -> hb;
                case UP -> hb2;
            };
            int rows = target.outFeatures(c), cols = target.inFeatures(c);
            boolean fused = (target == LoraTarget.K || target == LoraTarget.V) && fusedQkv == layer
                    || target == LoraTarget.UP && fusedGateUp == layer;
            if (target == LoraTarget.Q || target == LoraTarget.GATE) {
                // the sibling products (k, v / up) share the input: one parallel pass for all of them,
                // the input quantized once (the block asks for them next; they find their outputs ready)
                boolean qkv = target == LoraTarget.Q;
                if (n == 1) {
                    Kernels.matvecs(qkv ? qkvWeights[layer] : gateUpWeights[layer], in[0], qkv ? qkvOut : gateUpOut,
                            qkv ? qkvRows : gateUpRows, cols, par);
                } else {
                    Kernels.matmuls(qkv ? qkvWeights[layer] : gateUpWeights[layer], in, qkv ? qkvRowsOut : gateUpRowsOut, n,
                            qkv ? qkvRows : gateUpRows, cols, par);
                }
                if (qkv) {
                    fusedQkv = layer;
                } else {
                    fusedGateUp = layer;
                }
            } else if (!fused) {
                if (n == 1) {
                    Kernels.matvec(w.projection(layer, target), in[0], out[0], rows, cols, par);
                } else {
                    Kernels.matmul(w.projection(layer, target), in, out, n, rows, cols, par);
                }
            }
            float[] bias = w.bias(layer, target);
            for (int t = 0; t < n; t++) {
                if (bias != null) {
                    Kernels.add(out[t], bias, rows);
                }
                if (adapter != null) {
                    adapter.addTo(layer, target, in[t], out[t], loraScratch);
                }
            }
            if (target == LoraTarget.V) {
                fusedQkv = -1;
            } else if (target == LoraTarget.UP) {
                fusedGateUp = -1;
            }
            return out;
        }

        @Override
        public float[][] headNorm(float[][] a, float[] weight, int nHeads) {
            int hs = c.headSize();
            for (int t = 0; t < n; t++) {
                for (int h = 0; h < nHeads; h++) {
                    // y = x / rms(x) ⊙ weight over the head's hs values, in place
                    int o = h * hs;
                    float ss = 0;
                    for (int i = 0; i < hs; i++) {
                        ss += a[t][o + i] * a[t][o + i];
                    }
                    float inv = (float) (1.0 / Math.sqrt(ss / hs + c.rmsEps()));
                    for (int i = 0; i < hs; i++) {
                        a[t][o + i] = a[t][o + i] * inv * weight[i];
                    }
                }
            }
            return a;
        }

        @Override
        public float[][] rope(float[][] a, int nHeads) {
            for (int t = 0; t < n; t++) {
                rope.rotate(a[t], nHeads, pos[t]);
            }
            return a;
        }

        @Override
        public float[][] attention(int layer, float[][] qs, float[][] ks, float[][] vs) {
            int kvDim = c.kvDim();
            for (int t = 0; t < n; t++) {
                int slot = caches[t].slot(pos[t]);
                System.arraycopy(ks[t], 0, caches[t].keys[layer], slot * kvDim, kvDim);
                System.arraycopy(vs[t], 0, caches[t].values[layer], slot * kvDim, kvDim);
            }
            // causal: row t sees its sequence's positions up to pos[t], all of which are now cached
            if (n == 1) {
                attend(layer, qs[0], caches[0], pos[0], heads[0]);
                return heads;
            }
            // every (row, head) pair in one parallel region; each thread's pairs take turns with one
            // score buffer (a buffer per row and head would be rows × heads × span floats)
            int nHeads = c.nHeads();
            par.forRange(n * nHeads, 1, (i0, i1) -> {
                float[] scores = new float[span];
                for (int i = i0; i < i1; i++) {
                    int t = i / nHeads;
                    attendHead(layer, qs[t], caches[t], pos[t], i % nHeads, scores, 0, heads[t]);
                }
            });
            return heads;
        }

        @Override
        public float[][] swiglu(float[][] gate, float[][] up) {
            for (int t = 0; t < n; t++) {
                Kernels.swiglu(gate[t], up[t], c.hiddenDim());
            }
            return gate;
        }

        @Override
        public float[][] add(float[][] a, float[][] b) {
            for (int t = 0; t < n; t++) {
                Kernels.add(a[t], b[t], c.dim());
            }
            return a;
        }
    }

    /**
     * Multi-head attention of one query (at {@code pos}) over the cached positions it sees
     * (0..pos, or the sliding window ending at pos) of layer l, heads in parallel; query head h
     * reads KV head h / kvGroup (grouped-query attention).
     */
    private void attend(int l, float[] query, KvCache kv, int pos, float[] out) {
        int seen = pos - c.firstVisible(pos) + 1;
        par.forRange(c.nHeads(), Math.max(1, Kernels.MIN_WORK_PER_TASK / (2 * seen * c.headSize())), (h0, h1) -> {
            for (int h = h0; h < h1; h++) {
                attendHead(l, query, kv, pos, h, att, h * span, out);
            }
        });
    }

    /** Head h of one query: scores into {@code scores[ao ..]} (span floats), its output into {@code out[h*hs ..]}. */
    private void attendHead(int l, float[] query, KvCache kv, int pos, int h, float[] scores, int ao, float[] out) {
        int hs = c.headSize(), kvDim = c.kvDim();
        int first = c.firstVisible(pos), seen = pos - first + 1;
        float scale = (float) (1.0 / Math.sqrt(hs));
        float[] keys = kv.keys[l], values = kv.values[l];
        int qo = h * hs;
        int kvo = (h / c.kvGroup()) * hs;
        // the visible positions are at most two runs of consecutive slots (one where a ring wraps)
        int slot = kv.slot(first), run = Math.min(seen, kv.slots() - slot);
        Kernels.attentionScores(query, qo, keys, slot * kvDim + kvo, kvDim, run, hs, scale, scores, ao);
        Kernels.attentionScores(query, qo, keys, kvo, kvDim, seen - run, hs, scale, scores, ao + run);
        Kernels.softmax(scores, ao, seen);
        Arrays.fill(out, h * hs, (h + 1) * hs, 0f);
        Kernels.weightedSum(scores, ao, values, slot * kvDim + kvo, kvDim, run, hs, out, h * hs);
        Kernels.weightedSum(scores, ao + run, values, kvo, kvDim, seen - run, hs, out, h * hs);
    }

    @Override
    public void close() {
        if (ownsParallel) {
            par.close();
        }
    }
}
