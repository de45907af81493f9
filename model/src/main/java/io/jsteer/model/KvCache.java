package io.jsteer.model;

/**
 * Keys and values of processed positions, {@code [layer][slot * kvDim]}. Without a sliding
 * window every position has its own slot. With one (Mistral v0.1) only the last {@code window}
 * positions are ever read, so the cache is a ring of {@code window + slack} slots (position p in
 * slot p mod slots): memory stays bounded however long the context; the slack keeps the keys
 * that earlier rows of a prefill batch still need while later rows of the batch are written.
 */
public final class KvCache {

    final float[][] keys;
    final float[][] values;
    private final int capacity;
    private final int slots;

    public KvCache(LlamaConfig c, int capacity) {
        this(c, capacity, 0);
    }

    /** @param slack rows written at once (the prefill batch) beyond the window */
    public KvCache(LlamaConfig c, int capacity, int slack) {
        this.capacity = capacity;
        this.slots = c.slidingWindow() > 0 ? Math.min(capacity, c.slidingWindow() + slack) : capacity;
        long bytes = 2L * c.nLayers() * slots * c.kvDim() * Float.BYTES;
        if ((long) slots * c.kvDim() > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("KV cache of " + slots + " positions is too large ("
                    + bytes / (1 << 20) + " MiB in all); lower the context length");
        }
        this.keys = new float[c.nLayers()][slots * c.kvDim()];
        this.values = new float[c.nLayers()][slots * c.kvDim()];
    }

    /** Positions the cache can hold. */
    public int capacity() { return capacity; }

    /** Slots in the ring (the capacity when there is no sliding window). */
    int slots() { return slots; }

    /** Where position {@code pos} is kept. */
    int slot(int pos) {
        return pos < slots ? pos : pos % slots; // no division in the common case (no window, or early positions)
    }
}
