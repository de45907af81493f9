package io.jsteer.model;

/**
 * Where each position of a KV cache lives, and which positions the cache still holds; shared by
 * the CPU cache ({@link KvCache}) and the TornadoVM engine's device cache, so both engines keep
 * the same ring.
 *
 * <p>Without a sliding window every position has its own slot ({@code slots == capacity}). With
 * one (Mistral v0.1) a query at p reads only positions p-window+1..p, so the cache is a ring of
 * {@code min(capacity, window + slack)} slots, position p in slot p mod slots: its memory is
 * bounded by the window however long the context. {@code slack} is the rows an engine writes
 * before it attends (a prefill batch writes all its rows first, and its first row still needs the
 * window before it); an engine that writes one row and attends before the next needs none.
 *
 * <p>The price of a ring: going back (a sequence that continues from an earlier position, as a
 * chat turn or a second completion of one prompt does) is exact only if no later position has
 * overwritten the slots that the resumed position reads. {@link #resumableAt} says whether it is,
 * and {@link #checkResumableAt} refuses a resume that would read overwritten keys, instead of
 * returning wrong logits.
 */
public final class KvRing {

    private final int capacity;
    private final int window;
    private final int slots;
    private int written; // 1 + the highest position written since the sequence last started at 0

    /**
     * @param capacity positions the cache serves (the context length)
     * @param slack    rows written at once before attention (the prefill batch), beyond the window
     */
    public KvRing(LlamaConfig c, int capacity, int slack) {
        if (capacity < 1 || slack < 0) {
            throw new IllegalArgumentException("a KV cache needs a capacity of at least 1 and a slack of 0 or more, got "
                    + capacity + " and " + slack);
        }
        this.capacity = capacity;
        this.window = c.slidingWindow();
        this.slots = window > 0 ? (int) Math.min(capacity, (long) window + slack) : capacity;
    }

    /** Positions the cache serves: 0 .. capacity-1. */
    public int capacity() { return capacity; }

    /** Positions it keeps at once: the rows allocated per layer. */
    public int slots() { return slots; }

    /** Whether it is a ring that overwrites old positions (a sliding window shorter than the capacity). */
    public boolean isRing() { return slots < capacity; }

    /** The row of position {@code pos}. */
    public int slot(int pos) {
        return pos < slots ? pos : pos % slots; // no division in the common case (no window, or early positions)
    }

    /**
     * Whether a sequence can continue at position {@code start} over what the cache holds: the
     * positions the query at start reads (start-window+1 .. start-1) were not overwritten by a
     * later position written since. Always true going forward, and without a ring.
     */
    public boolean resumableAt(int start) {
        if (start == 0 || start >= written || !isRing()) {
            return true;
        }
        // position p's slot was overwritten iff some position q in (p, written-1] has q ≡ p (mod slots),
        // i.e. iff written - 1 >= p + slots; the oldest position read is max(0, start - window + 1)
        return written - 1 < Math.max(0, start - window + 1) + slots;
    }

    /** How many of {@code prefix} cached leading positions a sequence can keep: all of them, or 0 when the ring lost what it needs. */
    public int reusable(int prefix) {
        return resumableAt(prefix) ? prefix : 0;
    }

    /** Fails, naming the positions, when a sequence would continue at {@code start} over overwritten keys. */
    public void checkResumableAt(int start) {
        if (!resumableAt(start)) {
            int lost = Math.max(0, start - window + 1);
            throw new IllegalArgumentException("position " + start + " reads positions " + lost + ".." + (start - 1)
                    + ", which the sliding-window KV cache (a ring of " + slots + " positions, window " + window
                    + ") has overwritten since (positions up to " + (written - 1) + " were run); restart the sequence at"
                    + " position 0 (the engine's reusable(prefix) says how much of a cached prefix can be kept)");
        }
    }

    /** Records that positions {@code start .. start+n-1} were written (after {@link #checkResumableAt}). */
    public void recordWrite(int start, int n) {
        written = start == 0 ? n : Math.max(written, start + n);
    }

    /** Bytes of keys and values in float32 over all layers. */
    public long bytes(LlamaConfig c) {
        return 2L * c.nLayers() * slots * c.kvDim() * Float.BYTES;
    }
}
