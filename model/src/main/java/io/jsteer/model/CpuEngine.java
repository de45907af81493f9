package io.jsteer.model;

import io.jsteer.model.intervene.Hooks;
import io.jsteer.model.intervene.SiteKind;
import io.jsteer.model.lora.LoraAdapter;
import io.jsteer.model.lora.LoraTarget;
import io.jsteer.tensor.FloatTensor;
import io.jsteer.tensor.Kernels;
import io.jsteer.tensor.Parallel;

/**
 * The Llama forward pass on the CPU, read top to bottom like llama2.c's run.c: weights stay in
 * the mapped file, every matrix-vector product is vectorised and split across threads, and all
 * buffers are allocated once here so that a decoded token allocates nothing.
 */
public final class CpuEngine implements InferenceEngine {

    /** Tokens per prefill batch: enough to reuse each weight row from cache, few enough to bound memory. */
    private static final int PREFILL_CHUNK = 32;

    private final LlamaConfig c;
    private final LlamaWeights w;
    private final Parallel par;
    private final boolean ownsParallel;
    private final KvCache cache;
    private final RopeTable rope;
    private Hooks hooks;
    private LoraAdapter adapter;
    private float[] loraScratch; // [rank]

    // decode state, one token
    private final float[] x;      // [dim] residual stream
    private final float[] xb;     // [dim] normed input of a branch / attention output
    private final float[] xb2;    // [dim] branch output
    private final float[] q;      // [dim]
    private final float[] k;      // [kvDim]
    private final float[] v;      // [kvDim]
    private final float[] hb;     // [hidden]
    private final float[] hb2;    // [hidden]
    private final float[] att;    // [nHeads][capacity] attention scores
    private final float[] logits; // [vocab]
    private final float[][] qkv;    // {q, k, v}: outputs of the fused projection
    private final float[][] gateUp; // {hb, hb2}
    private final FloatTensor[][] qkvWeights;    // [layer] {wq, wk, wv}
    private final FloatTensor[][] gateUpWeights; // [layer] {w1, w3}
    private final int[] qkvRows;
    private final int[] gateUpRows;

    // prefill state, PREFILL_CHUNK tokens
    private final float[][] bx, bxb, bxb2, bq, bk, bv, bhb, bhb2;

    public CpuEngine(LlamaConfig config, LlamaWeights weights, int capacity, Parallel parallel) {
        if (capacity < 1) {
            throw new IllegalArgumentException("context length must be at least 1, got " + capacity);
        }
        this.c = config;
        this.w = weights;
        this.ownsParallel = parallel == null;
        this.par = parallel == null ? Parallel.ofAvailableProcessors() : parallel;
        this.cache = new KvCache(config, capacity);
        this.rope = new RopeTable(config, capacity);
        int dim = c.dim(), kv = c.kvDim(), hid = c.hiddenDim();
        x = new float[dim];
        xb = new float[dim];
        xb2 = new float[dim];
        q = new float[dim];
        k = new float[kv];
        v = new float[kv];
        hb = new float[hid];
        hb2 = new float[hid];
        att = new float[c.nHeads() * capacity];
        logits = new float[c.vocabSize()];
        qkv = new float[][] {q, k, v};
        gateUp = new float[][] {hb, hb2};
        qkvWeights = new FloatTensor[c.nLayers()][];
        gateUpWeights = new FloatTensor[c.nLayers()][];
        for (int l = 0; l < c.nLayers(); l++) {
            qkvWeights[l] = new FloatTensor[] {w.wq()[l], w.wk()[l], w.wv()[l]};
            gateUpWeights[l] = new FloatTensor[] {w.w1()[l], w.w3()[l]};
        }
        qkvRows = new int[] {dim, kv, kv};
        gateUpRows = new int[] {hid, hid};
        int n = PREFILL_CHUNK;
        bx = new float[n][dim];
        bxb = new float[n][dim];
        bxb2 = new float[n][dim];
        bq = new float[n][dim];
        bk = new float[n][kv];
        bv = new float[n][kv];
        bhb = new float[n][hid];
        bhb2 = new float[n][hid];
    }

    @Override
    public LlamaConfig config() { return c; }

    @Override
    public int capacity() { return cache.capacity(); }

    @Override
    public void setHooks(Hooks hooks) {
        if (hooks != null && hooks.layers() != c.nLayers()) {
            throw new IllegalArgumentException("hooks are for " + hooks.layers() + " blocks, the model has " + c.nLayers());
        }
        this.hooks = hooks == null || hooks.isEmpty() ? null : hooks;
    }

    /**
     * A LoRA adapter from now on ({@code y += s·B(A x)} on its target projections, in decode and
     * in batched prefill), or {@code null} for none: without one the forward pass is unchanged.
     * The engine reads the adapter's current values on every token (no copy), so training steps
     * show up at once.
     */
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
        int dim = c.dim(), kvDim = c.kvDim(), hid = c.hiddenDim();

        // x[dim] = embedding of the token
        w.tokenEmbedding().copyTo((long) token * dim, x, 0, dim);

        for (int l = 0; l < c.nLayers(); l++) {
            hook(SiteKind.RESID_PRE, l, pos, inPrompt, x);

            // attention: q[dim], k[kvDim], v[kvDim] from the normed stream
            Kernels.rmsnorm(xb, x, w.attnNorm()[l], dim, c.rmsEps());
            Kernels.matvecs(qkvWeights[l], xb, qkv, qkvRows, dim, par);
            if (adapter != null) {
                lora(l, LoraTarget.Q, xb, q);
                lora(l, LoraTarget.K, xb, k);
                lora(l, LoraTarget.V, xb, v);
            }
            rope.rotate(q, c.nHeads(), pos);
            rope.rotate(k, c.nKvHeads(), pos);
            System.arraycopy(k, 0, cache.keys[l], pos * kvDim, kvDim);
            System.arraycopy(v, 0, cache.values[l], pos * kvDim, kvDim);

            // xb[dim] = softmax(q·Kᵀ/√hs)·V per head, over positions 0..pos
            attend(l, q, 0, pos, xb);
            hook(SiteKind.ATTN_HEADS, l, pos, inPrompt, xb);

            // xb2[dim] = wo · xb; x += xb2
            Kernels.matvec(w.wo()[l], xb, xb2, dim, dim, par);
            lora(l, LoraTarget.O, xb, xb2);
            hook(SiteKind.ATTN_OUT, l, pos, inPrompt, xb2);
            Kernels.add(x, xb2, dim);

            // feed-forward: xb2[dim] = w2 · (silu(w1·xb) ⊙ (w3·xb)); x += xb2
            Kernels.rmsnorm(xb, x, w.ffnNorm()[l], dim, c.rmsEps());
            Kernels.matvecs(gateUpWeights[l], xb, gateUp, gateUpRows, dim, par);
            if (adapter != null) {
                lora(l, LoraTarget.GATE, xb, hb);
                lora(l, LoraTarget.UP, xb, hb2);
            }
            Kernels.swiglu(hb, hb2, hid);
            Kernels.matvec(w.w2()[l], hb, xb2, dim, hid, par);
            lora(l, LoraTarget.DOWN, hb, xb2);
            hook(SiteKind.MLP_OUT, l, pos, inPrompt, xb2);
            Kernels.add(x, xb2, dim);

            hook(SiteKind.RESID_POST, l, pos, inPrompt, x);
        }

        // logits[vocab] = classifier · rmsnorm(x)
        Kernels.rmsnorm(xb, x, w.outputNorm(), dim, c.rmsEps());
        Kernels.matvec(w.classifier(), xb, logits, c.vocabSize(), dim, par);
        return logits;
    }

    @Override
    public float[] prefill(int[] tokens, int start) {
        if (tokens.length == 0) {
            throw new IllegalArgumentException("prefill needs at least one token");
        }
        for (int i = 0; i < tokens.length; i++) {
            checkToken(tokens[i], start + i);
        }
        for (int done = 0; done < tokens.length; done += PREFILL_CHUNK) {
            int n = Math.min(PREFILL_CHUNK, tokens.length - done);
            prefillChunk(tokens, done, n, start + done);
        }
        // logits of the last prompt token
        int last = (tokens.length - 1) % PREFILL_CHUNK;
        Kernels.rmsnorm(xb, bx[last], w.outputNorm(), c.dim(), c.rmsEps());
        Kernels.matvec(w.classifier(), xb, logits, c.vocabSize(), c.dim(), par);
        return logits;
    }

    /** The same computation as {@link #forward} for n tokens at once, each weight row reused n times. */
    private void prefillChunk(int[] tokens, int from, int n, int start) {
        int dim = c.dim(), kvDim = c.kvDim(), hid = c.hiddenDim();
        for (int t = 0; t < n; t++) {
            w.tokenEmbedding().copyTo((long) tokens[from + t] * dim, bx[t], 0, dim);
        }
        for (int l = 0; l < c.nLayers(); l++) {
            for (int t = 0; t < n; t++) {
                hook(SiteKind.RESID_PRE, l, start + t, true, bx[t]);
                Kernels.rmsnorm(bxb[t], bx[t], w.attnNorm()[l], dim, c.rmsEps());
            }
            Kernels.matmul(w.wq()[l], bxb, bq, n, dim, dim, par);
            Kernels.matmul(w.wk()[l], bxb, bk, n, kvDim, dim, par);
            Kernels.matmul(w.wv()[l], bxb, bv, n, kvDim, dim, par);
            for (int t = 0; t < n; t++) {
                int pos = start + t;
                if (adapter != null) {
                    lora(l, LoraTarget.Q, bxb[t], bq[t]);
                    lora(l, LoraTarget.K, bxb[t], bk[t]);
                    lora(l, LoraTarget.V, bxb[t], bv[t]);
                }
                rope.rotate(bq[t], c.nHeads(), pos);
                rope.rotate(bk[t], c.nKvHeads(), pos);
                System.arraycopy(bk[t], 0, cache.keys[l], pos * kvDim, kvDim);
                System.arraycopy(bv[t], 0, cache.values[l], pos * kvDim, kvDim);
            }
            // causal: token t sees positions up to start + t, all of which are now cached
            for (int t = 0; t < n; t++) {
                attend(l, bq[t], 0, start + t, bxb[t]);
                hook(SiteKind.ATTN_HEADS, l, start + t, true, bxb[t]);
            }
            Kernels.matmul(w.wo()[l], bxb, bxb2, n, dim, dim, par);
            for (int t = 0; t < n; t++) {
                lora(l, LoraTarget.O, bxb[t], bxb2[t]);
                hook(SiteKind.ATTN_OUT, l, start + t, true, bxb2[t]);
                Kernels.add(bx[t], bxb2[t], dim);
                Kernels.rmsnorm(bxb[t], bx[t], w.ffnNorm()[l], dim, c.rmsEps());
            }
            Kernels.matmul(w.w1()[l], bxb, bhb, n, hid, dim, par);
            Kernels.matmul(w.w3()[l], bxb, bhb2, n, hid, dim, par);
            for (int t = 0; t < n; t++) {
                if (adapter != null) {
                    lora(l, LoraTarget.GATE, bxb[t], bhb[t]);
                    lora(l, LoraTarget.UP, bxb[t], bhb2[t]);
                }
                Kernels.swiglu(bhb[t], bhb2[t], hid);
            }
            Kernels.matmul(w.w2()[l], bhb, bxb2, n, dim, hid, par);
            for (int t = 0; t < n; t++) {
                lora(l, LoraTarget.DOWN, bhb[t], bxb2[t]);
                hook(SiteKind.MLP_OUT, l, start + t, true, bxb2[t]);
                Kernels.add(bx[t], bxb2[t], dim);
                hook(SiteKind.RESID_POST, l, start + t, true, bx[t]);
            }
        }
    }

    /**
     * Multi-head attention of one query (at {@code pos}) over cached positions 0..pos of layer l,
     * heads in parallel; query head h reads KV head h / kvGroup (grouped-query attention).
     */
    private void attend(int l, float[] query, int queryOffset, int pos, float[] out) {
        int hs = c.headSize(), kvDim = c.kvDim(), group = c.kvGroup(), cap = cache.capacity();
        float scale = (float) (1.0 / Math.sqrt(hs));
        float[] keys = cache.keys[l], values = cache.values[l];
        par.forRange(c.nHeads(), Math.max(1, Kernels.MIN_WORK_PER_TASK / (2 * (pos + 1) * hs)), (h0, h1) -> {
            for (int h = h0; h < h1; h++) {
                int qo = queryOffset + h * hs;
                int kvo = (h / group) * hs;
                int ao = h * cap;
                for (int t = 0; t <= pos; t++) {
                    att[ao + t] = Kernels.dot(query, qo, keys, t * kvDim + kvo, hs) * scale;
                }
                Kernels.softmax(att, ao, pos + 1);
                java.util.Arrays.fill(out, h * hs, (h + 1) * hs, 0f);
                for (int t = 0; t <= pos; t++) {
                    Kernels.axpy(att[ao + t], values, t * kvDim + kvo, out, h * hs, hs);
                }
            }
        });
    }

    /** out += s·B(A in) of the adapter's projection, if an adapter is set and targets it. */
    private void lora(int layer, LoraTarget target, float[] in, float[] out) {
        if (adapter != null) {
            adapter.addTo(layer, target, in, out, loraScratch);
        }
    }

    private void hook(SiteKind kind, int layer, int pos, boolean inPrompt, float[] act) {
        if (hooks != null) {
            hooks.run(kind, layer, pos, inPrompt, act);
        }
    }

    @Override
    public void close() {
        if (ownsParallel) {
            par.close();
        }
    }
}
