package io.jsteer.model;

/** Keys and values of every processed position, {@code [layer][position * kvDim]}. */
public final class KvCache {

    final float[][] keys;
    final float[][] values;
    private final int capacity;

    public KvCache(LlamaConfig c, int capacity) {
        long bytes = 2L * c.nLayers() * capacity * c.kvDim() * Float.BYTES;
        if ((long) capacity * c.kvDim() > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("KV cache of " + capacity + " positions is too large ("
                    + bytes / (1 << 20) + " MiB per layer pair); lower the context length");
        }
        this.capacity = capacity;
        this.keys = new float[c.nLayers()][capacity * c.kvDim()];
        this.values = new float[c.nLayers()][capacity * c.kvDim()];
    }

    /** Positions the cache can hold. */
    public int capacity() { return capacity; }
}
