package io.jsteer.bench.peers;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Linear;
import ai.djl.pytorch.jni.JniUtils;
import io.jsteer.weights.ModelWeights;
import io.jsteer.weights.TensorData;
import io.jsteer.weights.safetensors.HfConfig;
import io.jsteer.weights.safetensors.SafetensorsReader;
import java.nio.ByteOrder;
import java.nio.file.Path;

/**
 * A Llama forward pass written with DJL's NDArray API on the PyTorch engine (CPU), what a JVM shop
 * "on DJL" would run: the same computation as Hugging Face's {@code LlamaForCausalLM} in eager PyTorch,
 * op for op.
 *
 * <ul>
 *   <li>Weights: the float32 tensors of {@code model.safetensors} handed to libtorch without a copy
 *       (direct buffers over jsteer's memory map of the file); projections are {@code torch.linear}
 *       ({@link Linear#linear}: one GEMM/GEMV through libtorch's BLAS, weight used transposed in place),
 *       exactly as {@code nn.Linear} does.</li>
 *   <li>RMSNorm, rotate-half RoPE (cos/sin tables for every position computed once, llama3 frequency
 *       scaling included), SiLU-gated MLP, grouped-query attention without repeating K/V (queries of a
 *       KV group are stacked so one batched matmul serves them).</li>
 *   <li>KV cache: one preallocated {@code [kvHeads, context, headSize]} tensor per layer for K and V,
 *       written in place ({@code index_put_}); attention reads the prefix {@code [:, :pos+1]} as a view.</li>
 *   <li>Prefill: the whole prompt in one pass (matrix-matrix products, causal mask), logits of the
 *       last token only. Decode: one token per pass.</li>
 *   <li>Warm and multi-threaded: libtorch's intra-op pool is set to the same thread count as jsteer's
 *       ({@code at::set_num_threads}), autograd is off, every intermediate is freed at the end of its
 *       pass ({@link NDScope}) so the allocator reuses memory.</li>
 * </ul>
 *
 * The native library is PyTorch's own build from Maven Central ({@code pytorch-native-cpu}
 * linux-x86_64 + {@code pytorch-jni}); with {@code ai.djl.offline=true} DJL extracts it from those
 * jars into its cache and never goes to the network.
 */
public final class DjlLlamaPeer implements Peer {

    private final ModelWeights file;
    private final NDManager manager;
    private final HfConfig c;
    private final int dim, hidden, heads, kvHeads, headSize, layers, context;
    private final NDArray embed, finalNorm, classifier;
    private final NDArray[] attnNorm, wq, wk, wv, wo, ffnNorm, wGate, wUp, wDown;
    private final NDArray[] keys, values;
    /** cos/sin of every position and frequency: [context, headSize/2]. */
    private final NDArray cos, sin;

    public DjlLlamaPeer(Path hfDir, int threads, int context) {
        configureEngine(threads);
        c = HfConfig.read(hfDir.resolve("config.json"));
        dim = c.hiddenSize();
        hidden = c.intermediateSize();
        heads = c.numAttentionHeads();
        kvHeads = c.numKeyValueHeads();
        headSize = c.headSize();
        layers = c.numHiddenLayers();
        this.context = (int) Math.min(context, c.maxPositionEmbeddings());
        file = SafetensorsReader.open(hfDir.resolve(SafetensorsReader.SINGLE_FILE));
        manager = NDManager.newBaseManager(Device.cpu(), "PyTorch");
        try {
            embed = weight("model.embed_tokens.weight");
            finalNorm = weight("model.norm.weight");
            classifier = file.hasTensor("lm_head.weight") ? weight("lm_head.weight") : embed;
            attnNorm = new NDArray[layers];
            wq = new NDArray[layers];
            wk = new NDArray[layers];
            wv = new NDArray[layers];
            wo = new NDArray[layers];
            ffnNorm = new NDArray[layers];
            wGate = new NDArray[layers];
            wUp = new NDArray[layers];
            wDown = new NDArray[layers];
            keys = new NDArray[layers];
            values = new NDArray[layers];
            for (int l = 0; l < layers; l++) {
                String p = "model.layers." + l + ".";
                attnNorm[l] = weight(p + "input_layernorm.weight");
                wq[l] = weight(p + "self_attn.q_proj.weight");
                wk[l] = weight(p + "self_attn.k_proj.weight");
                wv[l] = weight(p + "self_attn.v_proj.weight");
                wo[l] = weight(p + "self_attn.o_proj.weight");
                ffnNorm[l] = weight(p + "post_attention_layernorm.weight");
                wGate[l] = weight(p + "mlp.gate_proj.weight");
                wUp[l] = weight(p + "mlp.up_proj.weight");
                wDown[l] = weight(p + "mlp.down_proj.weight");
                keys[l] = manager.zeros(new Shape(kvHeads, this.context, headSize));
                values[l] = manager.zeros(new Shape(kvHeads, this.context, headSize));
            }
            float[][] table = ropeTables();
            cos = manager.create(table[0], new Shape(this.context, headSize / 2));
            sin = manager.create(table[1], new Shape(this.context, headSize / 2));
        } catch (RuntimeException e) {
            manager.close();
            file.close();
            throw e;
        }
    }

    /** Threads and offline mode must be set before the engine first loads. */
    private static void configureEngine(int threads) {
        System.setProperty("ai.djl.offline", "true");
        System.setProperty("ai.djl.pytorch.num_threads", String.valueOf(threads));
        System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        Engine.getEngine("PyTorch");
        JniUtils.setNumThreads(threads); // the properties are read once per process; this holds for later peers too
        JniUtils.setGradMode(false);
    }

    /** A float32 safetensors tensor as an NDArray over the mapped file (no copy). */
    private NDArray weight(String name) {
        TensorData t = file.tensor(name);
        if (t.dtype() != io.jsteer.tensor.DType.F32) {
            throw new IllegalArgumentException(file.path() + ": tensor " + name + " is " + t.dtype().label() + ", the DJL port reads F32");
        }
        var buffer = t.data().segment().asByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        return manager.create(buffer, new Shape(t.shape()), DataType.FLOAT32);
    }

    /** HF's inverse frequencies (llama3 scaling when config.json has it) times every position. */
    private float[][] ropeTables() {
        int half = headSize / 2;
        double[] inv = new double[half];
        HfConfig.RopeScaling s = c.ropeScaling();
        boolean llama3 = s != null && "llama3".equals(s.type());
        for (int i = 0; i < half; i++) {
            double f = 1.0 / Math.pow(c.ropeTheta(), 2.0 * i / headSize);
            if (llama3) {
                double orig = s.originalContextLength(), factor = s.factor(), low = s.lowFreqFactor(), high = s.highFreqFactor();
                double wavelen = 2 * Math.PI / f;
                if (wavelen > orig / low) {
                    f = f / factor;
                } else if (wavelen >= orig / high) {
                    double smooth = (orig / wavelen - low) / (high - low);
                    f = (1 - smooth) * f / factor + smooth * f;
                }
            } else if (s != null && s.type() != null && !"default".equals(s.type())) {
                throw new IllegalArgumentException("the DJL port implements llama3 RoPE scaling only, not " + s.type());
            }
            inv[i] = f;
        }
        float[] cs = new float[context * half], sn = new float[context * half];
        for (int p = 0; p < context; p++) {
            for (int i = 0; i < half; i++) {
                double a = p * inv[i];
                cs[p * half + i] = (float) Math.cos(a);
                sn[p * half + i] = (float) Math.sin(a);
            }
        }
        return new float[][] {cs, sn};
    }

    private float[] last;

    @Override
    public float[] lastLogits() {
        return last.clone();
    }

    @Override
    public String name() { return "djl"; }

    @Override
    public String weights() {
        return "F32 (PyTorch " + Engine.getEngine("PyTorch").getVersion() + ", " + JniUtils.getNumThreads() + " threads)";
    }

    @Override
    public int prefill(int[] prompt) {
        return forward(prompt, 0);
    }

    @Override
    public int decode(int token, int pos) {
        return forward(new int[] {token}, pos);
    }

    /** Runs {@code tokens} at positions start.. and returns the argmax of the last one's logits. */
    private int forward(int[] tokens, int start) {
        int n = tokens.length;
        if (start + n > context) {
            throw new IllegalArgumentException("positions " + start + ".." + (start + n - 1) + " exceed the context of " + context);
        }
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            long[] ids = new long[n];
            for (int i = 0; i < n; i++) {
                ids[i] = tokens[i];
            }
            NDArray x = embed.get(manager.create(ids)); // [n, dim]
            NDArray cosP = cos.get(new NDIndex("{}:{}", start, start + n)).expandDims(1); // [n, 1, hs/2]
            NDArray sinP = sin.get(new NDIndex("{}:{}", start, start + n)).expandDims(1);
            NDArray mask = n == 1 ? null : causalMask(n, start); // [n, start+n]
            float scale = (float) (1.0 / Math.sqrt(headSize));
            int group = heads / kvHeads;
            for (int l = 0; l < layers; l++) {
                NDArray h = rmsnorm(x, attnNorm[l]);
                NDArray q = rope(linear(h, wq[l]).reshape(n, heads, headSize), cosP, sinP); // [n, H, hs]
                NDArray k = rope(linear(h, wk[l]).reshape(n, kvHeads, headSize), cosP, sinP); // [n, kvH, hs]
                NDArray v = linear(h, wv[l]).reshape(n, kvHeads, headSize);
                NDIndex slot = new NDIndex(":, {}:{}, :", start, start + n);
                keys[l].set(slot, k.transpose(1, 0, 2));
                values[l].set(slot, v.transpose(1, 0, 2));
                NDIndex prefix = new NDIndex(":, :{}, :", start + n);
                NDArray kAll = keys[l].get(prefix); // [kvH, T, hs]
                NDArray vAll = values[l].get(prefix);
                // the queries of one KV group side by side: [kvH, group·n, hs]
                NDArray qg = q.transpose(1, 0, 2).reshape(kvHeads, group * n, headSize);
                NDArray scores = qg.matMul(kAll.transpose(0, 2, 1)).mul(scale); // [kvH, group·n, T]
                if (mask != null) {
                    scores = scores.reshape(kvHeads, group, n, start + n).add(mask).reshape(kvHeads, group * n, start + n);
                }
                NDArray o = scores.softmax(-1).matMul(vAll) // [kvH, group·n, hs]
                        .reshape(heads, n, headSize).transpose(1, 0, 2).reshape(n, dim);
                x = x.add(linear(o, wo[l]));
                h = rmsnorm(x, ffnNorm[l]);
                NDArray gate = linear(h, wGate[l]);
                NDArray act = Activation.sigmoid(gate).mul(gate).mul(linear(h, wUp[l])); // silu(gate)·up
                x = x.add(linear(act, wDown[l]));
            }
            NDArray lastRow = n == 1 ? x : x.get(new NDIndex("{}:", n - 1));
            NDArray logits = linear(rmsnorm(lastRow, finalNorm), classifier); // [1, vocab]
            last = logits.toFloatArray();
            return (int) logits.argMax().getLong();
        }
    }

    /** 0 where key j may be seen by query i (j ≤ start+i), −∞ elsewhere: [n, start+n]. */
    private NDArray causalMask(int n, int start) {
        int t = start + n;
        float[] m = new float[n * t];
        for (int i = 0; i < n; i++) {
            for (int j = start + i + 1; j < t; j++) {
                m[i * t + j] = Float.NEGATIVE_INFINITY;
            }
        }
        return manager.create(m, new Shape(n, t));
    }

    private static NDArray linear(NDArray x, NDArray w) {
        return Linear.linear(x, w).singletonOrThrow();
    }

    /** x / sqrt(mean(x²) + eps) · w over the last axis. */
    private NDArray rmsnorm(NDArray x, NDArray w) {
        NDArray ms = x.square().mean(new int[] {-1}, true);
        return x.div(ms.add((float) c.rmsNormEps()).sqrt()).mul(w);
    }

    /** HF rotate-half RoPE on [n, heads, hs]: (x1, x2) → (x1·cos − x2·sin, x2·cos + x1·sin). */
    private NDArray rope(NDArray x, NDArray cosP, NDArray sinP) {
        int half = headSize / 2;
        NDArray x1 = x.get(new NDIndex("..., :{}", half));
        NDArray x2 = x.get(new NDIndex("..., {}:", half));
        return x1.mul(cosP).sub(x2.mul(sinP)).concat(x2.mul(cosP).add(x1.mul(sinP)), -1);
    }

    @Override
    public void close() {
        manager.close();
        file.close();
    }
}
