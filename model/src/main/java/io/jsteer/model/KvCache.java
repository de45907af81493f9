package io.jsteer.model;

import io.jsteer.model.intervene.Hooks;
import io.jsteer.model.intervene.InterventionSet;

/**
 * Keys and values of processed positions, {@code [layer][slot * kvDim]}. Without a sliding
 * window every position has its own slot. With one (Mistral v0.1) only the last {@code window}
 * positions are ever read, so the cache is a ring of {@code window + slack} slots ({@link KvRing}):
 * memory stays bounded however long the context; the slack keeps the keys that earlier rows of a
 * prefill batch still need while later rows of the batch are written.
 */
public final class KvCache {

    final float[][] keys;
    final float[][] values;
    final KvRing ring;
    // the steering of this cache's sequence in a batch (CpuEngine.decodeBatch) and the engine's
    // compilation of it: a sequence passes the same set each step, so it compiles once
    InterventionSet steeringSet;
    Hooks steeringHooks;

    public KvCache(LlamaConfig c, int capacity) {
        this(c, capacity, 0);
    }

    /** @param slack rows written at once (the prefill batch) beyond the window */
    public KvCache(LlamaConfig c, int capacity, int slack) {
        this.ring = new KvRing(c, capacity, slack);
        int slots = ring.slots();
        if ((long) slots * c.kvDim() > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("KV cache of " + slots + " positions is too large ("
                    + ring.bytes(c) / (1 << 20) + " MiB in all); lower the context length");
        }
        this.keys = new float[c.nLayers()][slots * c.kvDim()];
        this.values = new float[c.nLayers()][slots * c.kvDim()];
    }

    /** Positions the cache can hold. */
    public int capacity() { return ring.capacity(); }

    /** Positions kept at once (rows allocated per layer): the capacity, or the ring's length with a sliding window. */
    public int slots() { return ring.slots(); }

    /** Floats allocated for the keys of layer {@code l} (as many again for its values): slots × kvDim. */
    public int allocatedFloats(int l) { return keys[l].length; }

    /** Where position {@code pos} is kept. */
    int slot(int pos) {
        return ring.slot(pos);
    }
}
