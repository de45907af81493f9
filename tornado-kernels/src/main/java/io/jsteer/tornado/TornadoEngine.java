package io.jsteer.tornado;

import io.jsteer.model.BlockOps;
import io.jsteer.model.InferenceEngine;
import io.jsteer.model.KvRing;
import io.jsteer.model.LlamaBlock;
import io.jsteer.model.LlamaConfig;
import io.jsteer.model.LlamaWeights;
import io.jsteer.model.RopeStyle;
import io.jsteer.model.RopeTable;
import io.jsteer.model.intervene.Hooks;
import io.jsteer.model.intervene.SiteKind;
import io.jsteer.model.lora.LoraAdapter;
import io.jsteer.model.lora.LoraTarget;
import io.jsteer.tornado.DeviceVectors.Vector;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.ImmutableTaskGraph;
import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.TornadoExecutionResult;
import uk.ac.manchester.tornado.api.WorkerGrid1D;
import uk.ac.manchester.tornado.api.common.TornadoDevice;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.enums.TornadoVMBackendType;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * The forward pass of every model family on a TornadoVM device: the same function as
 * {@link io.jsteer.model.CpuEngine} (same hooks semantics), with weights, norms, biases, RoPE tables
 * and the KV cache sent to the device once and kept there. A token costs one upload of its
 * embedding row and position and one download of the logits. The plan is laid out by walking the
 * one block definition, {@link LlamaBlock#forward}, with steps that append device tasks.
 *
 * <p>Without Java hooks a forward pass is a short chain of task graphs in one execution plan, each a
 * few whole blocks (TornadoVM's per-graph buffers are small, see {@link #MAX_BLOCKS_PER_GRAPH}); the
 * residual stream stays on the device from one to the next (persistOnDevice / consumeFromDevice).
 * A block is 9 kernels: q|k|v and gate|up are one stacked matrix each (when their storage
 * matches), and the residual adds are folded into the output projections. Observer hooks ({@link #setHooks}) are Java code, so they run on the host: the pass is then cut into
 * one graph per stretch between observed sites, and at each the activation (and the residual stream)
 * goes to the host, through the hooks, and back. Steering ({@link #setInterventions}) stays on the
 * device as {@link DeviceEdit}s: kernels inside the graph at their site, applied before the
 * observers of the same site.
 */
public final class TornadoEngine implements InferenceEngine {

    /** Threads per work-group of the reductions (a power of two); -Djsteer.tornado.localSize overrides. */
    static final int LOCAL = Integer.getInteger("jsteer.tornado.localSize", 128);

    /**
     * Blocks per task graph when TornadoVM's bytecode buffer allows it. TornadoVM 5.2.1 also keeps a
     * graph's task list in a fixed 8 KB buffer (at most 256 tasks): a 12-block model in one graph
     * overflows it (BufferOverflowException, seen on the H200, at 14 tasks a block), so a forward
     * pass is several graphs of a few blocks each, the residual stream kept on the device between them.
     */
    static final int MAX_BLOCKS_PER_GRAPH = 4;

    /**
     * -Djsteer.tornado.cudaGraph=true|false: each graph's copies and kernels are captured once as a
     * CUDA graph and replayed per token (PTX backend only), instead of one driver call per kernel.
     * Unset: on for PTX (measured on the H200: 2.9x on llama2-110m f32, 1.9x q8_0, 1.3x llama3.2-1b
     * q8_0), off elsewhere.
     */
    static final String CUDA_GRAPH_PROPERTY = "jsteer.tornado.cudaGraph";

    private final LlamaConfig c;
    private final LlamaWeights hostWeights;
    private final int capacity;
    private final KvRing ring; // which cache row holds a position: a ring of the window with a sliding window

    // device-resident, sent once per plan
    private final Projection[] wqkv;  // q|k|v rows: one matrix when they stack, else three
    private final Projection[] w13;   // gate|up rows
    private final DeviceMatrix[] wo, w2;
    private final DeviceMatrix classifier;
    private final DeviceVectors vectors;  // every norm weight and bias, packed
    private final Vector[] biasQkv;       // per layer [q | k | v] biases (Qwen2), or null
    private final FloatArray ropeCos;    // [capacity * headSize/2]
    private final FloatArray ropeSin;
    private final FloatArray[] keyCache;   // [layer][slots * kvDim], slots = capacity, or the window (a ring)
    private final FloatArray[] valueCache; // [layer][slots * kvDim]

    // per-token state on the device
    private final FloatArray x, xb, xb2, logitsOnDevice;
    private final FloatArray att;   // [nHeads][slots] attention scores
    private final FloatArray heads; // [qDim] attention output
    private final FloatArray qkv; // [qDim | kvDim | kvDim]
    private final FloatArray hb;  // [hiddenDim gate | hiddenDim up]
    private final IntArray position = new IntArray(1);

    private final int blocksPerGraph;
    private final boolean cudaGraph;
    private final float[] embeddingRow;
    private final float[] hookBuffer;  // [dim]: what Java hooks see at the stream's sites
    private final float[] headsBuffer; // [qDim]: at attn_heads
    private final float[] logits;

    private Hooks observers;    // setHooks
    private Hooks hostSteering; // setInterventions without kernels: compiled to hooks
    private Hooks hooks;        // what the host steps run: hostSteering, then observers
    private List<DeviceEdit> edits = List.of();
    private DeviceLora lora;
    private List<Step> steps;
    private TornadoExecutionPlan plan;
    private int planGeneration;
    private boolean cacheOnDeviceOnly;

    private TornadoEngine(LlamaConfig c, LlamaWeights w, int capacity, int bytecodeBuffer, boolean cudaGraph) {
        this.c = c;
        this.cudaGraph = cudaGraph;
        // one block fits TornadoVM's default 4 KB bytecode buffer, MAX_BLOCKS_PER_GRAPH need the sized one
        this.blocksPerGraph = bytecodeBuffer >= DeviceMemory.BYTECODE_PER_BLOCK * (MAX_BLOCKS_PER_GRAPH + 1) ? MAX_BLOCKS_PER_GRAPH : 1;
        this.hostWeights = w;
        this.capacity = capacity;
        // one row written per token before its attention reads: the ring needs no slack beyond the window
        this.ring = new KvRing(c, capacity, 0);
        int L = c.nLayers(), dim = c.dim(), kvDim = c.kvDim(), hid = c.hiddenDim();
        wqkv = new Projection[L];
        w13 = new Projection[L];
        wo = new DeviceMatrix[L];
        w2 = new DeviceMatrix[L];
        keyCache = new FloatArray[L];
        valueCache = new FloatArray[L];
        reportConversions(w, L);
        int qDim = c.qDim();
        List<float[]> small = new ArrayList<>();
        biasQkv = new Vector[L];
        float[][] stackedBias = new float[L][];
        for (int l = 0; l < L; l++) {
            String p = "blk." + l + ".";
            wqkv[l] = Projection.of(DeviceMatrix.of(p + "attn_q", w.wq()[l], qDim, dim),
                    DeviceMatrix.of(p + "attn_k", w.wk()[l], kvDim, dim), DeviceMatrix.of(p + "attn_v", w.wv()[l], kvDim, dim));
            wo[l] = DeviceMatrix.of(p + "attn_output", w.wo()[l], dim, qDim);
            w13[l] = Projection.of(DeviceMatrix.of(p + "ffn_gate", w.w1()[l], hid, dim), DeviceMatrix.of(p + "ffn_up", w.w3()[l], hid, dim));
            w2[l] = DeviceMatrix.of(p + "ffn_down", w.w2()[l], dim, hid);
            small.add(w.attnNorm()[l]);
            small.add(w.ffnNorm()[l]);
            small.add(w.qNorm() == null ? null : w.qNorm()[l]);
            small.add(w.kNorm() == null ? null : w.kNorm()[l]);
            stackedBias[l] = stackBiases(w, l, qDim, kvDim);
            small.add(stackedBias[l]);
            keyCache[l] = new FloatArray(ring.slots() * kvDim);
            valueCache[l] = new FloatArray(ring.slots() * kvDim);
        }
        classifier = DeviceMatrix.of("output", w.classifier(), c.vocabSize(), dim);
        small.add(w.outputNorm());
        vectors = new DeviceVectors(small);
        for (int l = 0; l < L; l++) {
            biasQkv[l] = stackedBias[l] == null ? null : vectors.of(stackedBias[l]);
        }
        float[][] cosSin = ropeTables(c, w.ropeFactors(), capacity);
        ropeCos = FloatArray.fromArray(cosSin[0]);
        ropeSin = FloatArray.fromArray(cosSin[1]);
        x = new FloatArray(dim);
        xb = new FloatArray(dim);
        xb2 = new FloatArray(dim);
        qkv = new FloatArray(qDim + 2 * kvDim);
        heads = new FloatArray(qDim);
        hb = new FloatArray(2 * hid);
        att = new FloatArray(c.nHeads() * ring.slots());
        logitsOnDevice = new FloatArray(c.vocabSize());
        embeddingRow = new float[dim];
        hookBuffer = new float[dim];
        headsBuffer = new float[qDim];
        logits = new float[c.vocabSize()];
    }

    /**
     * An engine for {@code weights} with a KV cache of {@code capacity} positions. Sets
     * -Dtornado.device.memory from the model and cache when it is not set yet (it must be, before
     * TornadoVM starts; a value that is set and too small fails here, naming what is needed).
     */
    public static TornadoEngine create(LlamaConfig config, LlamaWeights weights, int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("context length must be at least 1, got " + capacity);
        }
        if (config.headSize() % 2 != 0) {
            throw new IllegalArgumentException("head size " + config.headSize() + " is odd; RoPE needs pairs");
        }
        KvRing ring = new KvRing(config, capacity, 0);
        int slots = ring.slots();
        if ((long) slots * config.kvDim() > Integer.MAX_VALUE - 64 || (long) slots * config.nHeads() > Integer.MAX_VALUE - 64
                || (long) capacity * config.headSize() > Integer.MAX_VALUE - 64) {
            throw new IllegalArgumentException("a KV cache of " + slots + " positions does not fit TornadoVM's int-indexed arrays;"
                    + " lower the context length");
        }
        if (ring.isRing()) {
            double full = (double) ring.bytes(config) / slots * capacity; // one row per position
            System.err.printf(java.util.Locale.ROOT, "jsteer: note: sliding window of %d positions: the device KV cache is a ring of"
                    + " %d positions, %.1f MiB for a context of %d (%.1f MiB without the window)%n", config.slidingWindow(), slots,
                    ring.bytes(config) / (double) (1 << 20), capacity, full / (double) (1 << 20));
        }
        DeviceMemory.ensure(DeviceMemory.estimate(config, weights, capacity));
        int bytecode = DeviceMemory.ensureBytecodeBuffer(config.nLayers());
        String asked = System.getProperty(CUDA_GRAPH_PROPERTY);
        TornadoDevice device = TornadoExecutionPlan.DEFAULT_DEVICE;
        boolean ptx = device.getTornadoVMBackend() == TornadoVMBackendType.PTX;
        boolean cudaGraph = asked == null ? ptx : Boolean.parseBoolean(asked);
        if (cudaGraph) {
            if (!ptx) {
                throw new IllegalArgumentException("-D" + CUDA_GRAPH_PROPERTY + "=true needs TornadoVM's PTX backend; the default device "
                        + device.getDeviceName() + " runs " + device.getTornadoVMBackend());
            }
        }
        return new TornadoEngine(config, weights, capacity, bytecode, cudaGraph);
    }

    /** [q | k | v] biases of block {@code l} as one vector (they are added in one launch when q|k|v is one product), or null. */
    private static float[] stackBiases(LlamaWeights w, int l, int qDim, int kvDim) {
        if (w.qBias() == null) {
            return null;
        }
        float[] b = new float[qDim + 2 * kvDim];
        System.arraycopy(w.qBias()[l], 0, b, 0, qDim);
        System.arraycopy(w.kBias()[l], 0, b, qDim, kvDim);
        System.arraycopy(w.vBias()[l], 0, b, qDim + kvDim, kvDim);
        return b;
    }

    private static float[][] ropeTables(LlamaConfig c, float[] factors, int capacity) {
        int half = c.headSize() / 2;
        double[] freq = RopeTable.frequencies(c, factors);
        float[] cos = new float[capacity * half];
        float[] sin = new float[capacity * half];
        for (int p = 0; p < capacity; p++) {
            for (int i = 0; i < half; i++) {
                double angle = p * freq[i];
                cos[p * half + i] = (float) Math.cos(angle);
                sin[p * half + i] = (float) Math.sin(angle);
            }
        }
        return new float[][] {cos, sin};
    }

    @Override
    public LlamaConfig config() { return c; }

    @Override
    public int capacity() { return capacity; }

    /** Observers; they run on the host between device graphs, after the steering of their site (see the class comment). */
    @Override
    public void setHooks(Hooks observers) {
        if (observers != null && observers.layers() != c.nLayers()) {
            throw new IllegalArgumentException("hooks are for " + observers.layers() + " blocks, the model has " + c.nLayers());
        }
        this.observers = observers;
        if (observers != null && !observers.isEmpty() && !hooksAnnounced) {
            hooksAnnounced = true;
            System.err.println("jsteer: note: observer hooks on the TornadoVM engine run on the host: the pass is cut at each observed "
                    + "site on every token");
        }
        hostHooks();
    }

    /** The host steps' hooks: steering that has no kernel (if any), then the observers. */
    private void hostHooks() {
        this.hooks = Hooks.steerThenObserve(hostSteering, observers);
        invalidatePlan();
    }

    /**
     * A LoRA adapter on any of the seven projections, run as two matrix-vector kernels per adapted
     * projection where the block definition places it (after the frozen product and its bias).
     * Its matrices are copied to the device now: set it again after training it further.
     */
    @Override
    public void setAdapter(LoraAdapter adapter) {
        this.lora = adapter == null ? null : DeviceLora.of(c, adapter);
        invalidatePlan();
    }

    /** Whether the host-hooks note was printed (once per engine). */
    private boolean hooksAnnounced;

    /**
     * The shared intervention objects run as device kernels when every item has one: AddVector at
     * all positions, Ablate, and GatedEdit with multiplier 1. Anything else (prompt- or
     * generated-only vectors, another multiplier, a {@link io.jsteer.model.intervene.HostEdit}), or a
     * gate listener (gates stay on the device), runs the whole set as Java hooks on the host before
     * the observers, and that is said on stderr, since it cuts the pass at the site on every token.
     * The observers ({@link #setHooks}) are kept either way.
     */
    @Override
    public void setInterventions(io.jsteer.model.intervene.InterventionSet set, io.jsteer.model.intervene.GateListener gates) {
        if (set == null || set.isEmpty()) {
            hostSteering = null;
            setSteering(List.of());
            hostHooks();
            return;
        }
        List<DeviceEdit> device = new java.util.ArrayList<>();
        String why = null;
        for (var item : set.items()) {
            switch (item) {
                case io.jsteer.model.intervene.AddVector a when a.positions() == io.jsteer.model.intervene.Positions.ALL ->
                        device.add(new DeviceEdit.AddVector(a.site(), a.vector().toFloatArray(), (float) a.strength()));
                case io.jsteer.model.intervene.Ablate a -> device.add(new DeviceEdit.Ablation(a.site(), a.direction().toFloatArray(), 1f));
                case io.jsteer.model.intervene.GatedEdit g when g.multiplier() == 1.0 && gates == null -> {
                    int t = g.theta().rows(), d = g.theta().cols();
                    float[] th = g.theta().toFloatArray(), w = g.gateWeight().toFloatArray();
                    float[][] theta = new float[t][], weights = new float[t][];
                    for (int i = 0; i < t; i++) {
                        theta[i] = java.util.Arrays.copyOfRange(th, i * d, (i + 1) * d);
                        weights[i] = java.util.Arrays.copyOfRange(w, i * d, (i + 1) * d);
                    }
                    device.add(new DeviceEdit.MatSteer(g.site(), theta, weights, g.gateBias().toFloatArray()));
                }
                case io.jsteer.model.intervene.GatedEdit g when gates != null -> why = "reporting the gates of gated_edit at " + g.site();
                default -> why = item.kind() + " at " + item.site()
                        + (item instanceof io.jsteer.model.intervene.AddVector a ? " on " + a.positions().label() + " positions only" : "");
            }
        }
        set.validate(c);
        if (why != null) {
            hooksAnnounced = true;
            System.err.println("jsteer: warning: the TornadoVM engine has no kernel for " + why
                    + "; the steering runs as Java hooks on the host, which moves the activations to the host at every steered site");
            setSteering(List.of());
            hostSteering = set.toHooks(c, gates);
        } else {
            hostSteering = null;
            setSteering(device);
        }
        hostHooks();
    }

    /** Steering run as kernels on the device, in list order at each site; an empty list removes it. */
    public void setSteering(List<DeviceEdit> newEdits) {
        for (DeviceEdit e : newEdits) {
            e.check(c.siteWidth(e.site().kind()), c.nLayers());
            if (e instanceof DeviceEdit.LoraOutputProjection && c.qDim() != c.dim()) {
                throw new IllegalArgumentException("a LoraOutputProjection edit needs heads as wide as the stream (" + c.qDim() + " != "
                        + c.dim() + "); give the adapter with setAdapter instead");
            }
        }
        this.edits = List.copyOf(newEdits);
        invalidatePlan();
    }

    /** Bytes of weights the device reads per token (for bandwidth figures). */
    public long weightBytesPerToken() {
        long sum = classifier.deviceBytes();
        for (int l = 0; l < c.nLayers(); l++) {
            sum += wqkv[l].deviceBytes() + wo[l].deviceBytes() + w13[l].deviceBytes() + w2[l].deviceBytes();
        }
        return sum;
    }

    /** Whether graphs run as captured CUDA graphs ({@value #CUDA_GRAPH_PROPERTY}). */
    public boolean cudaGraph() { return cudaGraph; }

    /** Blocks per task graph: {@link #MAX_BLOCKS_PER_GRAPH}, or 1 if TornadoVM started with its small default bytecode buffer. */
    public int blocksPerGraph() { return blocksPerGraph; }

    /** Device graphs per token with the current hooks and steering. */
    public int graphsPerToken() {
        ensurePlan();
        int n = 0;
        for (Step s : steps) {
            if (s instanceof DeviceStep) {
                n++;
            }
        }
        return n;
    }

    /**
     * Drops the plans; the KV cache is first fetched from the device so that the next plans (which
     * send it once again) continue the same sequence.
     */
    private void invalidatePlan() {
        if (steps == null) {
            return;
        }
        for (Step s : steps) {
            if (s instanceof DeviceStep d && cacheOnDeviceOnly && d.lastResult != null && !d.cache.isEmpty()) {
                // a result's transfer applies to the plan's selected graph, the one holding these caches
                plan.withGraph(d.index);
                d.lastResult.transferToHost(d.cache.toArray());
            }
        }
        // close() frees the graphs selected at the time only: select them all first. A graph left
        // allocated keeps its host arrays registered (pinned) with the CUDA driver after Java frees
        // them, and the next engine's arrays at those addresses then fail to copy (seen on the H200).
        plan.withAllGraphs();
        closePlan(plan);
        cacheOnDeviceOnly = false;
        steps = null;
        plan = null;
    }

    private static void closePlan(TornadoExecutionPlan plan) {
        try {
            plan.close();
        } catch (Exception e) {
            throw new IllegalStateException("TornadoVM could not release a plan's device memory: " + e.getMessage(), e);
        }
    }

    /** A cached prefix is kept unless the sliding-window ring has overwritten what its next position reads. */
    @Override
    public int reusable(int prefix) { return ring.reusable(prefix); }

    /** Positions the device KV cache keeps at once: the capacity, or the window with a sliding window. */
    int cacheSlots() { return ring.slots(); }

    /** Floats of layer {@code l}'s key cache on the device (as many again for its values): slots × kvDim. */
    int cacheFloats(int l) { return keyCache[l].getSize(); }

    private void checkToken(int token, int pos) {
        if (token < 0 || token >= c.vocabSize()) {
            throw new IllegalArgumentException("token id " + token + " is outside the vocabulary of " + c.vocabSize());
        }
        if (pos < 0 || pos >= capacity) {
            throw new IllegalArgumentException("position " + pos + " is outside the context of " + capacity
                    + " tokens (raise --ctx-size or shorten the prompt)");
        }
    }

    @Override
    public float[] forward(int token, int pos, boolean inPrompt) {
        checkToken(token, pos);
        ring.checkResumableAt(pos);
        ensurePlan();
        ring.recordWrite(pos, 1);
        hostWeights.tokenEmbedding().copyTo((long) token * c.dim(), embeddingRow, 0, c.dim());
        MemorySegment.copy(embeddingRow, 0, x.getSegment(), ValueLayout.JAVA_FLOAT, 0, c.dim());
        position.set(0, pos);
        for (Step s : steps) {
            switch (s) {
                case DeviceStep d -> d.lastResult = plan.withGraph(d.index).execute();
                case HostStep h -> runHooks(h, pos, inPrompt);
            }
        }
        cacheOnDeviceOnly = true;
        MemorySegment.copy(logitsOnDevice.getSegment(), ValueLayout.JAVA_FLOAT, 0, logits, 0, logits.length);
        return logits;
    }

    /** Token by token: the device graph is built for one position, and a prompt is short next to a generation. */
    @Override
    public float[] prefill(int[] tokens, int start) {
        if (tokens.length == 0) {
            throw new IllegalArgumentException("prefill needs at least one token");
        }
        for (int i = 0; i < tokens.length; i++) {
            checkToken(tokens[i], start + i);
        }
        float[] out = null;
        for (int i = 0; i < tokens.length; i++) {
            out = forward(tokens[i], start + i, true);
        }
        return out;
    }

    private void runHooks(HostStep h, int pos, boolean inPrompt) {
        float[] values = h.width == c.dim() ? hookBuffer : headsBuffer;
        MemorySegment.copy(h.activation.getSegment(), ValueLayout.JAVA_FLOAT, 0, values, 0, h.width);
        hooks.run(h.kind, h.layer, pos, inPrompt, values);
        MemorySegment.copy(values, 0, h.activation.getSegment(), ValueLayout.JAVA_FLOAT, 0, h.width);
    }

    @Override
    public void close() {
        invalidatePlan();
    }

    // ---------------------------------------------------------------- plan building

    private sealed interface Step permits DeviceStep, HostStep {}

    /** Graph {@code index} of the plan; {@code cache} the KV cache arrays it holds. */
    private static final class DeviceStep implements Step {
        final int index;
        final List<FloatArray> cache;
        TornadoExecutionResult lastResult;

        DeviceStep(int index, List<FloatArray> cache) {
            this.index = index;
            this.cache = cache;
        }
    }

    /** Java hooks at a site, on the {@code width} values of {@code activation}. */
    private record HostStep(SiteKind kind, int layer, FloatArray activation, int width) implements Step {}

    /** A value of the device plan (see {@link PlanBuilder.DeviceOps}). */
    private sealed interface Dev permits Slice, Deferred {}

    /** {@code width} values of {@code array} from {@code offset}. */
    private record Slice(FloatArray array, int offset, int width) implements Dev {}

    /** An output projection (o, down) of {@code in}, launched at the residual add (folded into it) or where its site needs it. */
    private record Deferred(int layer, LoraTarget target, Slice in) implements Dev {}

    private void ensurePlan() {
        if (steps == null) {
            PlanBuilder b = new PlanBuilder(planGeneration++);
            steps = b.build();
            plan = new TornadoExecutionPlan(b.snapshots.toArray(new ImmutableTaskGraph[0]));
            if (cudaGraph) {
                // before any withGraph(i): it applies to the graphs selected at the time
                plan.withCUDAGraph();
            }
            if (!b.grid.keySet().isEmpty()) {
                // a plan of @Parallel tasks only has no worker grids, and TornadoVM rejects an empty scheduler
                plan.withGridScheduler(b.grid);
            }
        }
    }

    /**
     * Lays the forward pass out as the task graphs of one plan, by walking the one block definition
     * ({@link LlamaBlock#forward}) with {@link DeviceOps}, whose steps append device tasks: the step
     * order, the family switches (biases, per-head norms), the sites and the LoRA placement are
     * those of every other path. Between graphs the residual stream stays on the device
     * (persistOnDevice / consumeFromDevice, graphs run in order); only where Java hooks listen is a
     * graph cut with the live activations going through the host.
     */
    private final class PlanBuilder {
        private final String prefix;
        private final List<Step> out = new ArrayList<>();
        final List<ImmutableTaskGraph> snapshots = new ArrayList<>();
        final GridScheduler grid = new GridScheduler();
        private final Set<Object> pendingUploads = Collections.newSetFromMap(new IdentityHashMap<>());
        private final Set<Object> pendingConsumes = Collections.newSetFromMap(new IdentityHashMap<>());
        private TaskGraph graph;
        private String graphName;
        private Set<Object> declared;
        private Set<Object> declaredAsConsumed;
        private List<FloatArray> cache;
        private int graphs;
        private int tasks;

        PlanBuilder(int generation) {
            this.prefix = "jsteer" + System.identityHashCode(TornadoEngine.this) + "p" + generation;
            pendingUploads.add(x); // the embedding row comes from the host
        }

        List<Step> build() {
            DeviceOps ops = new DeviceOps();
            Dev stream = new Slice(x, 0, c.dim());
            for (int l = 0; l < c.nLayers(); l++) {
                stream = LlamaBlock.forward(c, hostWeights, l, stream, ops);
                ops.requireStream(stream, "the block's output");
                if ((l + 1) % blocksPerGraph == 0 && l < c.nLayers() - 1) {
                    chain();
                }
            }
            Vector norm = vectors.of(hostWeights.outputNorm());
            rmsnorm(xb, x, norm);
            matvec(classifier, xb, logitsOnDevice, 0, false);
            graph.transferToHost(DataTransferMode.EVERY_EXECUTION, logitsOnDevice);
            finish();
            return out;
        }

        /**
         * The block's steps as device tasks. Values are slices of the engine's device arrays: x (the
         * stream), xb (normed stream), qkv = [q | k | v], heads (attention output), hb = [gate | up],
         * xb2 (an output projection's result when something acts at its site). Three steps are
         * fused as the kernels allow, with the result the block asked for: q, k and v (and gate and
         * up) come from one stacked product when their storage matches (the first request computes
         * all, as the CPU engine's fused products do); the two RoPE requests run in the kernel that
         * also writes the cache, launched by {@code attention}; and an output projection (o, down)
         * is {@link Deferred} until the residual add, which it then accumulates into x in the same
         * launch, unless something acts at its site (then it is computed into xb2 first).
         */
        private final class DeviceOps implements BlockOps<Dev> {
            /** Blocks whose stacked q|k|v (gate|up) product (and biases) already ran. */
            private int qkvDone = -1, gateUpDone = -1;
            /** RoPE requests waiting for the fused rope + cache-write kernel. */
            private final List<Slice> roped = new ArrayList<>();

            @Override
            public Dev site(SiteKind kind, int layer, Dev a) {
                boolean edited = edits.stream().anyMatch(e -> e.site().kind() == kind && e.site().layer() == layer);
                boolean listened = hooks != null && hooks.has(kind, layer);
                if (!edited && !listened) {
                    return a;
                }
                Slice s = slice(a);
                for (DeviceEdit e : edits) {
                    if (e.site().kind() == kind && e.site().layer() == layer) {
                        edit(e, s.array());
                    }
                }
                if (listened) {
                    viaHost(s.array() == x ? new FloatArray[] {x} : new FloatArray[] {x, s.array()});
                    out.add(new HostStep(kind, layer, s.array(), s.width()));
                }
                return s;
            }

            @Override
            public Dev rmsNorm(Dev a, float[] weight) {
                requireStream(a, "RMSNorm's input");
                rmsnorm(xb, x, vectors.of(weight));
                return new Slice(xb, 0, c.dim());
            }

            @Override
            public Dev project(int layer, LoraTarget target, Dev in) {
                Slice input = slice(in);
                if (input.offset() != 0) {
                    throw new IllegalStateException("the device kernels read a projection's input from the start of its array; "
                            + target.label() + " got offset " + input.offset());
                }
                return switch (target) {
                    case O, DOWN -> new Deferred(layer, target, input);
                    case Q, K, V -> projectInto(layer, target, input, wqkv[layer], qkv, LoraTarget.Q, c.qDim(), c.kvDim(), true);
                    case GATE, UP -> projectInto(layer, target, input, w13[layer], hb, LoraTarget.GATE, c.hiddenDim(), c.hiddenDim(), false);
                };
            }

            /**
             * The product of {@code target}'s rows of {@code p} ([first | second | third] parts one
             * under the other) into its slice of {@code result}, plus its bias and LoRA path. A
             * stacked projection runs once, on the first target's request, with all biases.
             */
            private Slice projectInto(int layer, LoraTarget target, Slice input, Projection p, FloatArray result,
                                      LoraTarget first, int firstRows, int otherRows, boolean qkvGroup) {
                int index = target.ordinal() - first.ordinal();
                int offset = index == 0 ? 0 : firstRows + (index - 1) * otherRows;
                int rows = index == 0 ? firstRows : otherRows;
                Vector bias = qkvGroup ? biasQkv[layer] : null; // [q | k | v] biases of the block, or null
                if (p.parts().size() == 1) {
                    int done = qkvGroup ? qkvDone : gateUpDone;
                    if (target == first) {
                        matvec(p.parts().getFirst(), input.array(), result, 0, false);
                        if (bias != null) {
                            addAt(result, 0, bias, 0, p.parts().getFirst().rows());
                        }
                        if (qkvGroup) {
                            qkvDone = layer;
                        } else {
                            gateUpDone = layer;
                        }
                    } else if (done != layer) {
                        throw new IllegalStateException("stacked projection of block " + layer + ": " + target.label()
                                + " asked for before " + first.label());
                    }
                } else {
                    matvec(p.parts().get(index), input.array(), result, offset, false);
                    if (bias != null) {
                        addAt(result, offset, bias, offset, rows);
                    }
                }
                lora(layer, target, input.array(), result, offset);
                return new Slice(result, offset, rows);
            }

            @Override
            public Dev headNorm(Dev a, float[] weight, int heads) {
                Slice s = slice(a);
                if (s.width() != heads * c.headSize()) {
                    throw new IllegalStateException("head norm of " + heads + " heads on " + s.width() + " values");
                }
                Vector w = vectors.of(weight);
                use(s.array(), w.array());
                String id = task();
                graph.task(id, TornadoKernels::headRmsnorm, new KernelContext(), s.array(), s.offset(), w.array(), w.offset(),
                        c.headSize(), c.rmsEps(), LOCAL);
                groups(id, heads, LOCAL);
                return s;
            }

            @Override
            public Dev rope(Dev a, int heads) {
                Slice s = slice(a);
                if (s.width() != heads * c.headSize()) {
                    throw new IllegalStateException("RoPE of " + heads + " heads on " + s.width() + " values");
                }
                roped.add(s);
                return s;
            }

            @Override
            public Dev attention(int layer, Dev q, Dev k, Dev v) {
                Slice sq = (Slice) q, sk = (Slice) k, sv = (Slice) v;
                int qd = c.qDim(), kv = c.kvDim();
                // the fused kernel rotates q and k where the projection wrote them and caches k and v
                if (!sq.equals(new Slice(qkv, 0, qd)) || !sk.equals(new Slice(qkv, qd, kv)) || !sv.equals(new Slice(qkv, qd + kv, kv))
                        || !roped.equals(List.of(sq, sk))) {
                    throw new IllegalStateException("the device attention needs q, k, v as projected, q and k rotated (block " + layer + ")");
                }
                roped.clear();
                use(qkv, keyCache[layer], valueCache[layer], ropeCos, ropeSin);
                cache.add(keyCache[layer]);
                cache.add(valueCache[layer]);
                graph.task(task(), TornadoKernels::ropeAndCacheWrite, qkv, keyCache[layer], valueCache[layer], ropeCos, ropeSin, position,
                        c.nHeads(), c.nKvHeads(), c.headSize(), c.ropeStyle() == RopeStyle.NEOX ? 1 : 0, ring.slots());
                use(att, heads);
                String id = task();
                graph.task(id, TornadoKernels::attention, new KernelContext(), qkv, keyCache[layer], valueCache[layer], att, heads, position,
                        c.headSize(), c.kvDim(), c.kvGroup(), ring.slots(), c.slidingWindow(), LOCAL);
                groups(id, c.nHeads(), LOCAL);
                return new Slice(heads, 0, qd);
            }

            @Override
            public Dev swiglu(Dev gate, Dev up) {
                int hid = c.hiddenDim();
                if (!slice(gate).equals(new Slice(hb, 0, hid)) || !slice(up).equals(new Slice(hb, hid, hid))) {
                    throw new IllegalStateException("the device SwiGLU needs gate and up as projected");
                }
                use(hb);
                graph.task(task(), TornadoKernels::swiglu, hb, hid);
                return new Slice(hb, 0, hid);
            }

            @Override
            public Dev add(Dev stream, Dev y) {
                requireStream(stream, "the residual add's stream");
                if (y instanceof Deferred d) {
                    // x += W · in (+ its LoRA path): the add folded into the projection's launch
                    matvec(outputMatrix(d), d.in().array(), x, 0, true);
                    lora(d.layer(), d.target(), d.in().array(), x, 0);
                } else {
                    Slice s = (Slice) y;
                    use(x, s.array());
                    graph.task(task(), TornadoKernels::add, x, s.array(), c.dim());
                }
                return stream;
            }

            /** A value as a slice: a deferred output projection is computed into xb2 (with its LoRA path). */
            private Slice slice(Dev a) {
                if (a instanceof Slice s) {
                    if (roped.contains(s)) {
                        throw new IllegalStateException("a rotated value used before attention (the device fuses RoPE into it)");
                    }
                    return s;
                }
                Deferred d = (Deferred) a;
                matvec(outputMatrix(d), d.in().array(), xb2, 0, false);
                lora(d.layer(), d.target(), d.in().array(), xb2, 0);
                return new Slice(xb2, 0, c.dim());
            }

            private DeviceMatrix outputMatrix(Deferred d) {
                return d.target() == LoraTarget.O ? wo[d.layer()] : w2[d.layer()];
            }

            void requireStream(Dev a, String what) {
                if (!(a instanceof Slice s) || s.array() != x) {
                    throw new IllegalStateException(what + " must be the residual stream");
                }
            }
        }

        /** result[offset ..] += s · B (A · in) when the adapter adapts (layer, target): two launches. */
        private void lora(int layer, LoraTarget target, FloatArray in, FloatArray result, int offset) {
            DeviceLora.Pair p = lora == null ? null : lora.pair(layer, target);
            if (p != null) {
                loraSidePath(p.a(), p.b(), p.down(), lora.scale(), in, result, offset);
            }
        }

        private void loraSidePath(DeviceMatrix a, DeviceMatrix b, FloatArray down, float scale, FloatArray in, FloatArray result,
                                  int offset) {
            matvec(a, in, down, 0, false);
            use(b.f32(), down, result);
            int rt = rowThreads(b.cols());
            String id = task();
            graph.task(id, TornadoKernels::matvecAddScaledF32, new KernelContext(), b.f32(), down, result, b.rows(), b.cols(), LOCAL, rt,
                    offset, scale);
            groups(id, bandGroups(b.rows(), rt), LOCAL);
        }

        /** Ends the open graph (if any) with the live activations going to the host, and the next one taking them up. */
        private void viaHost(FloatArray... live) {
            if (graph != null) {
                graph.transferToHost(DataTransferMode.EVERY_EXECUTION, (Object[]) live);
                finish();
            }
            Collections.addAll(pendingUploads, live);
        }

        /** Ends the open graph with the residual stream left on the device for the next graph (which runs right after it). */
        private void chain() {
            if (graph == null) {
                pendingUploads.add(x); // nothing ran since the last host step: x is still coming from the host
                return;
            }
            if (!declaredAsConsumed.contains(x)) {
                // only the graph that took x from the host persists it: the graphs consuming it share its
                // device buffer, and one that also persisted it would free that buffer a second time on close
                graph.persistOnDevice(x);
            }
            finish();
            pendingConsumes.add(position);
            pendingConsumes.add(x);
        }

        /** A device edit on the site's activation {@code act} (its width: the site's). */
        private void edit(DeviceEdit e, FloatArray act) {
            int width = c.siteWidth(e.site().kind());
            switch (e) {
                case DeviceEdit.AddVector a -> {
                    FloatArray vec = FloatArray.fromArray(a.vector());
                    use(act, vec);
                    graph.task(task(), TornadoKernels::addScaled, act, vec, 0, a.strength(), width);
                }
                case DeviceEdit.Ablation a -> {
                    FloatArray dir = FloatArray.fromArray(a.direction());
                    use(act, dir);
                    String id = task();
                    graph.task(id, TornadoKernels::ablate, new KernelContext(), act, dir, width, a.strength(), LOCAL);
                    groups(id, 1, LOCAL);
                }
                case DeviceEdit.MatSteer m -> {
                    int n = m.attributes();
                    FloatArray theta = FloatArray.fromArray(DeviceEdit.flatten(m.theta()));
                    FloatArray gw = FloatArray.fromArray(DeviceEdit.flatten(m.gateWeights()));
                    FloatArray gb = FloatArray.fromArray(m.gateBias());
                    FloatArray gates = new FloatArray(n + 1);
                    use(act, theta, gw, gb, gates);
                    String g = task();
                    graph.task(g, TornadoKernels::matSteerGates, new KernelContext(), act, gw, gb, gates, width, n, LOCAL);
                    groups(g, n + 1, LOCAL);
                    graph.task(task(), TornadoKernels::matSteerEdit, act, theta, gates, width, n);
                    String r = task();
                    graph.task(r, TornadoKernels::matSteerRenorm, new KernelContext(), act, gates, width, n, LOCAL);
                    groups(r, 1, LOCAL);
                }
                case DeviceEdit.LoraOutputProjection lora -> {
                    // attn_out (act) += scale · B (A · attn_heads), attn_heads still in heads
                    DeviceMatrix a = DeviceMatrix.ofFloats(DeviceEdit.flatten(lora.a()), lora.rank(), c.qDim());
                    DeviceMatrix b = DeviceMatrix.ofFloats(DeviceEdit.flatten(lora.b()), c.dim(), lora.rank());
                    loraSidePath(a, b, new FloatArray(lora.rank()), lora.scale(), heads, act, 0);
                }
            }
        }

        /** result[offset ..] = m · in, or += with {@code accumulate}. */
        private void matvec(DeviceMatrix m, FloatArray in, FloatArray result, int offset, boolean accumulate) {
            use(m.arrays());
            use(in, result);
            int rt = rowThreads(m.cols());
            int acc = accumulate ? 1 : 0;
            String id = task();
            switch (m.storage()) {
                case F16 -> graph.task(id, TornadoKernels::matvecF16, new KernelContext(), m.f16(), in, result, m.rows(), m.cols(), LOCAL, rt,
                        offset, acc);
                case Q8_0 -> graph.task(id, TornadoKernels::matvecQ8, new KernelContext(), m.quants(), m.scales(), in, result, m.rows(), m.cols(),
                        LOCAL, rt, offset, acc);
                default -> graph.task(id, TornadoKernels::matvecF32, new KernelContext(), m.f32(), in, result, m.rows(), m.cols(), LOCAL, rt,
                        offset, acc);
            }
            groups(id, bandGroups(m.rows(), rt), LOCAL);
        }

        private void rmsnorm(FloatArray o, FloatArray in, Vector weight) {
            use(o, in, weight.array());
            String id = task();
            graph.task(id, TornadoKernels::rmsnorm, new KernelContext(), o, in, weight.array(), weight.offset(), c.dim(), c.rmsEps(), LOCAL);
            groups(id, 1, LOCAL);
        }

        private void addAt(FloatArray y, int yOffset, Vector v, int vOffset, int n) {
            use(y, v.array());
            graph.task(task(), TornadoKernels::addAt, y, yOffset, v.array(), v.offset() + vOffset, n);
        }

        /**
         * Opens a graph if none is open: it takes the position and the residual stream from the
         * graph before it on the device, or (first graph, after a host step) from the host.
         */
        private void open() {
            if (graph != null) {
                return;
            }
            graphName = prefix + "g" + graphs++;
            graph = new TaskGraph(graphName);
            declared = Collections.newSetFromMap(new IdentityHashMap<>());
            declaredAsConsumed = Collections.newSetFromMap(new IdentityHashMap<>());
            cache = new ArrayList<>();
            if (!pendingConsumes.isEmpty()) {
                // from the graph run just before this one (graphs run in order)
                Object[] consumed = pendingConsumes.toArray();
                graph.consumeFromDevice(consumed);
                Collections.addAll(declared, consumed);
                Collections.addAll(declaredAsConsumed, consumed);
            }
            List<Object> up = new ArrayList<>(new LinkedHashSet<>(pendingUploads));
            if (!declared.contains(position)) {
                up.add(0, position);
            }
            if (!up.isEmpty()) {
                graph.transferToDevice(DataTransferMode.EVERY_EXECUTION, up.toArray());
                declared.addAll(up);
            }
            pendingUploads.clear();
            pendingConsumes.clear();
        }

        /** Everything else a task reads is sent once, the first time the graph runs. */
        private void use(Object... arrays) {
            open();
            for (Object a : arrays) {
                if (declared.add(a)) {
                    graph.transferToDevice(DataTransferMode.FIRST_EXECUTION, a);
                }
            }
        }

        private String task() {
            open();
            return "t" + tasks++;
        }

        private void groups(String taskId, int groups, int local) {
            WorkerGrid1D worker = new WorkerGrid1D(groups * local);
            worker.setLocalWork(local, 1, 1);
            grid.addWorkerGrid(graphName + "." + taskId, worker);
        }

        private void finish() {
            if (!cache.isEmpty()) {
                // fetched only when the plan is replaced (setHooks / setSteering mid-sequence)
                graph.transferToHost(DataTransferMode.UNDER_DEMAND, cache.toArray());
            }
            out.add(new DeviceStep(snapshots.size(), List.copyOf(cache)));
            snapshots.add(graph.snapshot());
            graph = null;
        }
    }

    /** A projection whose matrices are stacked into one when they share storage and width (one kernel), else kept apart. */
    private record Projection(List<DeviceMatrix> parts) {
        static Projection of(DeviceMatrix... parts) {
            return new Projection(DeviceMatrix.stack(parts).map(List::of).orElseGet(() -> List.of(parts)));
        }

        long deviceBytes() {
            return parts.stream().mapToLong(DeviceMatrix::deviceBytes).sum();
        }
    }

    /** Threads per row: a power of two, at most the group size, no more than the row has values. */
    static int rowThreads(int cols) {
        int t = Integer.highestOneBit(Math.max(1, cols));
        return Math.min(t, LOCAL);
    }

    static int bandGroups(int rows, int rowThreads) {
        int rowsPerGroup = LOCAL / rowThreads;
        return (rows + rowsPerGroup - 1) / rowsPerGroup;
    }

    /**
     * The device has kernels for F32, F16 and Q8_0 weights; other types (the K-quants, Q4_0,
     * Q4_1, Q5_x, IQ4) are dequantized to F32 at load by {@link DeviceMatrix#of}. Said once per
     * type on stderr with the device memory it costs, never silently.
     */
    private static void reportConversions(io.jsteer.model.LlamaWeights w, int layers) {
        java.util.Map<String, long[]> converted = new java.util.TreeMap<>();
        java.util.List<io.jsteer.tensor.FloatTensor> all = new java.util.ArrayList<>();
        for (int l = 0; l < layers; l++) {
            all.addAll(java.util.List.of(w.wq()[l], w.wk()[l], w.wv()[l], w.wo()[l], w.w1()[l], w.w2()[l], w.w3()[l]));
        }
        all.add(w.classifier());
        for (io.jsteer.tensor.FloatTensor t : all) {
            io.jsteer.tensor.DType type = t.dtype();
            if (type != io.jsteer.tensor.DType.F32 && type != io.jsteer.tensor.DType.F16 && type != io.jsteer.tensor.DType.Q8_0) {
                long[] n = converted.computeIfAbsent(type.label(), k -> new long[3]);
                n[0]++;
                n[1] += t.segment().byteSize();
                n[2] += t.size() * 4L;
            }
        }
        converted.forEach((type, n) -> System.err.printf(java.util.Locale.ROOT,
                "jsteer: note: the TornadoVM engine has no %s kernel: %d matrices dequantized to F32 at load "
                        + "(%.1f MiB on the device instead of %.1f MiB; convert the file to q8_0 or f16 to avoid it)%n",
                type, n[0], n[2] / 1048576.0, n[1] / 1048576.0));
    }
}
