package io.jsteer.tornado;

import io.jsteer.model.KvRing;
import io.jsteer.model.LlamaConfig;
import io.jsteer.model.LlamaWeights;
import io.jsteer.tensor.FloatTensor;
import java.util.Locale;

/**
 * Sizes TornadoVM's device-memory cap (-Dtornado.device.memory, read once when its runtime starts;
 * its default of 4 GB is too small for a 1B model in F32) from the model and the KV cache.
 */
final class DeviceMemory {

    static final String PROPERTY = "tornado.device.memory";
    private static final long MIB = 1L << 20;

    private DeviceMemory() {}

    /** Device bytes of weights (as stored there), norms, RoPE tables, KV cache and buffers, plus headroom. */
    static long estimate(LlamaConfig c, LlamaWeights w, int capacity) {
        long weights = bytes(w.classifier());
        for (int l = 0; l < c.nLayers(); l++) {
            weights += bytes(w.wq()[l]) + bytes(w.wk()[l]) + bytes(w.wv()[l]) + bytes(w.wo()[l])
                    + bytes(w.w1()[l]) + bytes(w.w2()[l]) + bytes(w.w3()[l]);
        }
        KvRing ring = new KvRing(c, capacity, 0); // as the engine allocates it: a ring of the window with one
        long cache = ring.bytes(c);
        long rope = (long) capacity * c.headSize() * Float.BYTES;
        long buffers = 4L * (6L * c.dim() + 3L * c.qDim() + 2L * c.hiddenDim() + (long) c.nHeads() * ring.slots() + c.vocabSize()
                + 2L * c.nLayers() * c.dim());
        long total = weights + cache + rope + buffers;
        return total + total / 4 + 256 * MIB;
    }

    /** What a tensor occupies on the device: Q8_0 as bytes + float scales, F16 as is, the rest as F32. */
    private static long bytes(FloatTensor t) {
        return switch (t.dtype()) {
            case Q8_0 -> t.size() + 4 * (t.size() / 32);
            case F16 -> 2 * t.size();
            default -> 4 * t.size();
        };
    }

    /** TornadoVM's own default cap; jsteer only ever raises it. */
    private static final long TORNADO_DEFAULT = 4L << 30;

    /** TornadoVM's bytecode buffer per task graph, 4096 bytes by default. */
    static final String BYTECODE_PROPERTY = "tornado.tvm.maxbytecodesize";
    /** Generous bytes of TornadoVM bytecode per block (seen: 2 blocks of ~14 tasks already overflow 4096). */
    static final int BYTECODE_PER_BLOCK = 16 << 10;
    /** Enough for 31 blocks; the buffer is small next to any model. */
    private static final int BYTECODE_FLOOR = 512 << 10;

    /**
     * Sizes TornadoVM's bytecode buffer for graphs of several blocks and returns the size TornadoVM
     * actually uses. TornadoVM reads it once, when its runtime starts; a graph whose bytecode
     * overflows it can run wrong without an error (seen with 5.2.1: two Llama blocks in one graph
     * at the 4096-byte default gave garbage logits). When the runtime started before this call
     * (another TornadoVM user in the process), the old value stays and the engine uses graphs of
     * one block, which fit the default.
     */
    static int ensureBytecodeBuffer(int nLayers) {
        long wanted = Math.max((long) BYTECODE_PER_BLOCK * (nLayers + 1), BYTECODE_FLOOR);
        String set = System.getProperty(BYTECODE_PROPERTY);
        if (set == null || set.isBlank()) {
            System.setProperty(BYTECODE_PROPERTY, Long.toString(wanted));
        }
        return effectiveBytecodeBuffer();
    }

    /** TornadoVM's bytecode buffer size as its runtime sees it (initialising that class if needed). */
    static int effectiveBytecodeBuffer() {
        try {
            return Class.forName("uk.ac.manchester.tornado.runtime.graph.TornadoVMBytecodeBuilder")
                    .getField("MAX_TORNADO_VM_BYTECODE_SIZE").getInt(null);
        } catch (ReflectiveOperationException | LinkageError e) {
            // not this TornadoVM's layout: assume its default and keep graphs small
            return 4096;
        }
    }

    /** Sets the cap to {@code needed} (at least TornadoVM's default) if unset; fails when it is set lower. */
    static void ensure(long needed) {
        String set = System.getProperty(PROPERTY);
        if (set == null || set.isBlank()) {
            System.setProperty(PROPERTY, ((Math.max(needed, TORNADO_DEFAULT) + MIB - 1) / MIB) + "MB");
            return;
        }
        long have = parse(set);
        if (have < needed) {
            throw new IllegalStateException("-D" + PROPERTY + "=" + set + " is below the " + (needed / MIB)
                    + " MB this model and KV cache need on the device; set -D" + PROPERTY + "=" + ((needed + MIB - 1) / MIB) + "MB"
                    + " (or leave it unset and jsteer sizes it)");
        }
    }

    /** "4GB", "512MB", "1024KB" or a byte count, as TornadoVM reads it. */
    static long parse(String s) {
        String t = s.trim().toUpperCase(Locale.ROOT);
        long unit = 1;
        if (t.endsWith("GB")) {
            unit = 1L << 30;
        } else if (t.endsWith("MB")) {
            unit = MIB;
        } else if (t.endsWith("KB")) {
            unit = 1L << 10;
        }
        String digits = unit == 1 ? t : t.substring(0, t.length() - 2).trim();
        try {
            return Long.parseLong(digits) * unit;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("-D" + PROPERTY + "=" + s + " is not a size like 4GB or 512MB");
        }
    }
}
