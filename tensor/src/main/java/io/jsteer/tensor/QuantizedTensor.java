package io.jsteer.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * GGUF block-quantized weights, read in place from the mapped file. Every type reduces to the
 * same form once a block is unpacked: small signed integers q (one byte each) and, per group of
 * 16 or 32 values ({@link DType#groupSize()}), a float scale s and min m with
 * {@code value = q·s − m}. Each type only says how to unpack its bits ({@link #unpack}); the
 * dequantization, the float reference dot product and the integer kernels are written once here.
 *
 * <p>The fast path is integer: the activation vector is quantized once per product to 8 bits
 * ({@link Q8Activations}, the block layout llama.cpp pairs with the type), each weight row is
 * unpacked once into bytes, and groups are multiplied in 16-bit lanes, summed in 32-bit lanes and
 * scaled once per group: {@code Σ_g s_g·d_x·Σ(q·q_x) − m_g·d_x·Σq_x}. Batched prefill unpacks a
 * row once and reuses it for every token of the batch.
 */
public abstract sealed class QuantizedTensor extends FloatTensor
        permits Q4_0Tensor, Q4_1Tensor, Q5_0Tensor, Q5_1Tensor, Q8_0Tensor, Q2_KTensor, Q3_KTensor,
        Q4_KTensor, Q5_KTensor, Q6_KTensor, IQ4_NLTensor, IQ4_XSTensor {

    /** Integer lanes: at most 256 bits, so that AVX2 and AVX-512 machines run the same native shapes. */
    private static final VectorShape SHAPE = VectorShape.forBitSize(Math.min(256, VectorSupport.Species.F.vectorBitSize()));
    static final VectorSpecies<Short> S = VectorSpecies.of(short.class, SHAPE);
    private static final VectorSpecies<Byte> B = VectorSpecies.of(byte.class, VectorShape.forBitSize(SHAPE.vectorBitSize() / 2));
    private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, SHAPE);
    static final VectorSpecies<Float> FS = VectorSpecies.of(float.class, SHAPE);

    final int blockSize;
    final int blockBytes;
    final int group;
    private final boolean mins;
    /** |q| ≤ 32: the 16-bit products of a whole group of 32 can be added before widening. */
    private final boolean narrow;

    QuantizedTensor(MemorySegment segment, long size) {
        super(segment, size);
        DType t = dtype();
        this.blockSize = t.blockSize();
        this.blockBytes = t.blockBytes();
        this.group = t.groupSize();
        this.mins = switch (t) {
            case Q4_1, Q5_1, Q2_K, Q4_K, Q5_K -> true;
            default -> false;
        };
        this.narrow = switch (t) {
            case Q8_0, IQ4_NL, IQ4_XS -> false;
            default -> true;
        };
    }

    /** 128-bit byte lanes for unpacking: native on x86 (SSE/AVX) and ARM (NEON) alike. */
    static final VectorSpecies<Byte> B16 = ByteVector.SPECIES_128;

    /**
     * Unpacks {@code blocks} consecutive blocks whose bytes are {@code raw[0 .. blocks·blockBytes)}:
     * their values into {@code q[0 .. blocks·blockSize)}, their groups' scales into {@code scale}
     * and mins into {@code min} (left untouched by types without mins). One call per row, the
     * loop over blocks inside each type, so that the JIT compiles each type's loop on its own.
     */
    abstract void unpackRow(byte[] raw, int blocks, byte[] q, float[] scale, float[] min);

    /** Buffers for one unpacked row of up to {@code cols} values; one per thread. */
    public final class Row {
        final byte[] raw;
        final byte[] q;
        final float[] scale;
        final float[] min;
        int n;

        Row(int cols) {
            raw = new byte[cols / blockSize * blockBytes];
            q = new byte[cols];
            scale = new float[cols / group];
            min = new float[cols / group];
        }

        /** Unpacks the n values from element {@code offset} (whole blocks). */
        void load(long offset, int n) {
            loadRaw(offset, n);
            unpackRow(raw, n / blockSize, q, scale, min);
        }

        /** Copies the blocks of the n values from element {@code offset} into {@link #raw}, unpacking nothing. */
        void loadRaw(long offset, int n) {
            checkRange(offset, n);
            loadBlocks(offset / blockSize, n / blockSize);
        }

        /**
         * Copies {@code blocks} blocks from block {@code first} into {@link #raw}: the kernels'
         * per-row load, with no 64-bit division (tens of cycles each, per row) and the range
         * checked once per product by {@link #checkRows}.
         */
        void loadBlocks(long first, int blocks) {
            this.n = blocks * blockSize;
            MemorySegment.copy(segment, ValueLayout.JAVA_BYTE, first * blockBytes, raw, 0, blocks * blockBytes);
        }

        /** {@link #loadBlocks} and unpacks them. */
        void loadUnpacked(long first, int blocks) {
            loadBlocks(first, blocks);
            unpackRow(raw, blocks, q, scale, min);
        }

        float value(int i) {
            int g = i / group;
            return q[i] * scale[g] - min[g];
        }

        /** dst[off + i] = q[i]·s (− m when {@code withMins}) for the n loaded values, vectorised. */
        void dequantize(float[] dst, int off, boolean withMins) {
            for (int g = 0, base = 0; base < n; g++, base += group) {
                FloatVector s = FloatVector.broadcast(FW, scale[g]);
                FloatVector m = FloatVector.broadcast(FW, withMins && mins ? -min[g] : 0f);
                for (int j = 0; j < group; j += FW.length()) {
                    ((FloatVector) ByteVector.fromArray(BW, q, base + j).convertShape(VectorOperators.B2F, FW, 0))
                            .fma(s, m).intoArray(dst, off + base + j);
                }
            }
        }
    }

    /** Floats of the preferred width (groups of 16 and 32 are whole vectors) and bytes as many. */
    private static final VectorSpecies<Float> FW = VectorSupport.Species.F;
    private static final VectorSpecies<Byte> BW = VectorSpecies.of(byte.class, VectorShape.forBitSize(FW.vectorBitSize() / 4));

    /** A reusable row buffer for rows of up to {@code cols} values. */
    public Row newRow(int cols) {
        return new Row(cols);
    }

    @Override
    public float getFloat(long index) {
        Row row = new Row(blockSize);
        row.load(index / blockSize * blockSize, blockSize);
        return row.value((int) (index % blockSize));
    }

    @Override
    public void copyTo(long offset, float[] dst, int dstOffset, int n) {
        checkRange(offset, n);
        Row row = new Row(Math.min(n, 64 * blockSize));
        for (int done = 0; done < n; done += row.q.length) {
            int len = Math.min(row.q.length, n - done);
            row.load(offset + done, len);
            row.dequantize(dst, dstOffset + done, true);
        }
    }

    /** Float reference: dequantizes and multiplies in float32 (tests, one-off products). */
    @Override
    public float dot(long offset, float[] x, int xOffset, int n) {
        float[] w = new float[n];
        copyTo(offset, w, 0, n);
        return Kernels.dot(w, 0, x, xOffset, n);
    }

    /** {@code out[r] = row r · a} for rows [rowStart, rowEnd) of {@code [rows][cols]}, in integers. */
    public void matvecRows(Q8Activations a, float[] out, int rowStart, int rowEnd, int cols) {
        checkActivations(a, cols);
        checkRows(rowStart, rowEnd, cols);
        Row row = new Row(cols);
        boolean fused = FUSED && hasFusedDot();
        int blocks = cols / blockSize;
        for (int r = rowStart; r < rowEnd; r++) {
            if (fused) {
                row.loadBlocks((long) r * blocks, blocks);
                out[r] = fusedDot(row, a);
            } else {
                row.loadUnpacked((long) r * blocks, blocks);
                out[r] = dot(row, a);
            }
        }
    }

    /**
     * The fused kernels below assume 16 short lanes (256-bit integer vectors: AVX2, AVX-512
     * capped at 256 bits); narrower machines take the unpack-then-multiply path.
     */
    static final boolean FUSED = S.length() == 16;

    /** Whether this type has its own {@link #fusedDot}. */
    boolean hasFusedDot() {
        return false;
    }

    /**
     * The decode kernel of the types that override it: {@code row · a} straight from the packed
     * bytes in {@code row.raw} (filled by {@link Row#loadRaw}), each block unpacked into vector
     * registers and multiplied there, with no unpacked row written to memory and read back.
     * Must equal {@link #dot(Row, Q8Activations)} up to float rounding.
     */
    float fusedDot(Row row, Q8Activations a) {
        throw new UnsupportedOperationException(dtype() + " has no fused kernel");
    }

    /**
     * {@code out[b][r] = row r · xs[b]} for every b (prefill), rows [rowStart, rowEnd) of
     * {@code [rows][cols]}, through {@link #floatActivations} and {@link #matmulTiles}.
     */
    public void matmulRows(Q8Activations[] xs, float[][] out, int batch, int rowStart, int rowEnd, int cols) {
        matmulTiles(floatActivations(xs, batch, cols), out, batch, rowStart, rowEnd, cols);
    }

    /**
     * The 8-bit activations of a batch as the float rows prefill's kernel reads, back to back and each
     * {@link #tileWidth} long: the dequantized values, then (types with mins) the group sums d·Σq
     * that meet the mins, then zeros up to a whole vector.
     */
    float[] floatActivations(Q8Activations[] xs, int batch, int cols) {
        int groups = cols / group, width = tileWidth(cols);
        float[] xf = new float[Math.multiplyExact(batch, width)]; // [batch][width]
        float[] row = new float[cols];
        for (int b = 0; b < batch; b++) {
            checkActivations(xs[b], cols);
            xs[b].dequantize(row);
            System.arraycopy(row, 0, xf, b * width, cols);
            if (mins) {
                System.arraycopy(group == 32 ? xs[b].sum32 : xs[b].sum16, 0, xf, b * width + cols, groups);
            }
        }
        return xf;
    }

    /** Row length of prefill's tiles: cols values, then (types with mins) one −m per group, padded to whole vectors. */
    int tileWidth(int cols) {
        int width = cols + (mins ? cols / group : 0);
        int lanes = FW.length();
        return (width + lanes - 1) / lanes * lanes;
    }

    /**
     * Prefill's product: tiles of {@link Gemm#ROWS} rows are decoded once into floats — q·s per
     * value, then −m per group — and multiplied by the register-blocked float kernel with every
     * token's row of {@link #floatActivations} (8-bit values as floats, then group sums), so the
     * mins come out of the same dot product. The products are those of the integer path, exact
     * in float (8-bit × 8-bit and their sums stay far below 2²⁴): the two paths differ only in
     * the order of the float additions. In floats the loop runs at two 8-lane FMAs per cycle,
     * where 16-bit integer products need about five vector instructions per 16 values.
     */
    void matmulTiles(float[] xf, float[][] out, int batch, int rowStart, int rowEnd, int cols) {
        int groups = cols / group, width = tileWidth(cols);
        if (xf.length != (long) batch * width) {
            throw new IllegalArgumentException("prefill activations of " + xf.length + " floats, " + dtype() + " rows of "
                    + cols + " need " + batch + " × " + width);
        }
        checkRows(rowStart, rowEnd, cols);
        int blocks = cols / blockSize;
        Row row = new Row(cols);
        float[] tile = new float[Gemm.ROWS * width]; // [ROWS][width]
        Gemm.Panel panel = new Gemm.Panel();
        for (int r0 = rowStart; r0 < rowEnd; r0 += Gemm.ROWS) {
            int n = Math.min(Gemm.ROWS, rowEnd - r0);
            for (int i = 0; i < n; i++) {
                row.loadUnpacked((long) (r0 + i) * blocks, blocks);
                row.dequantize(tile, i * width, false);
                if (mins) {
                    for (int g = 0; g < groups; g++) {
                        tile[i * width + cols + g] = -row.min[g];
                    }
                }
            }
            Gemm.multiply(tile, n, width, xf, batch, out, r0, panel);
        }
    }

    /** Rows [rowStart, rowEnd) of {@code [rows][cols]} lie inside this tensor and rows are whole blocks. */
    private void checkRows(int rowStart, int rowEnd, int cols) {
        checkRange((long) rowStart * cols, Math.multiplyExact(rowEnd - rowStart, cols));
        if (cols % blockSize != 0) {
            throw new IllegalArgumentException(dtype() + " rows must be whole blocks of " + blockSize + ", got " + cols + " columns");
        }
    }

    private void checkActivations(Q8Activations a, int cols) {
        if (a.block() != dtype().activationBlock() || a.length() != cols) {
            throw new IllegalArgumentException(dtype() + " rows of " + cols + " need activations in blocks of "
                    + dtype().activationBlock() + ", got " + a.length() + " in blocks of " + a.block());
        }
    }

    /**
     * The integer dot product of an unpacked row with quantized activations. Per group: 16-bit
     * products q·q_x (|q| ≤ 128, |q_x| ≤ 127, so a product and the sum of two fit in 16 bits),
     * neighbouring pairs summed into 32-bit lanes ({@link #pairSums}), converted to float once and
     * scaled by s_g·d_x. A group of 32 adds its two halves' products in 16 bits first. The mins
     * meet the activations' precomputed group sums in one vectorised dot product at the end.
     */
    float dot(Row row, Q8Activations a) {
        byte[] q = row.q;
        short[] xq = a.q;
        float[] scale = row.scale, xd = a.d;
        int groups = row.n / group;
        FloatVector acc = FloatVector.zero(FS);
        if (group == 32 && S.length() == 16 && narrow) {
            for (int g = 0, base = 0; g < groups; g++, base += 32) {
                ShortVector p = product(q, xq, base).add(product(q, xq, base + 16));
                acc = toFloat(pairSums(p)).fma(FloatVector.broadcast(FS, scale[g] * xd[g]), acc);
            }
        } else if (group == 32 && S.length() == 16) {
            for (int g = 0, base = 0; g < groups; g++, base += 32) {
                IntVector p = pairSums(product(q, xq, base)).add(pairSums(product(q, xq, base + 16)));
                acc = toFloat(p).fma(FloatVector.broadcast(FS, scale[g] * xd[g]), acc);
            }
        } else if (group == 16 && S.length() == 16) {
            for (int g = 0, base = 0; g < groups; g++, base += 16) {
                acc = toFloat(pairSums(product(q, xq, base))).fma(FloatVector.broadcast(FS, scale[g] * xd[g >> 1]), acc);
            }
        } else {
            // narrower machines (128-bit vectors): several steps per group
            int step = S.length();
            for (int g = 0, base = 0; g < groups; g++, base += group) {
                IntVector p = pairSums(product(q, xq, base));
                for (int j = step; j < group; j += step) {
                    p = p.add(pairSums(product(q, xq, base + j)));
                }
                acc = toFloat(p).fma(FloatVector.broadcast(FS, scale[g] * xd[base >> 5]), acc);
            }
        }
        float sum = acc.reduceLanes(VectorOperators.ADD);
        if (mins) {
            sum -= Kernels.dot(row.min, 0, group == 32 ? a.sum32 : a.sum16, 0, groups);
        }
        return sum;
    }

    /** 16-bit products of the S.length() weights (bytes) and activations (already widened) at {@code at}. */
    private static ShortVector product(byte[] q, short[] xq, int at) {
        return product(ByteVector.fromArray(B, q, at), xq, at);
    }

    /** 16-bit products of 16 weights already in a byte vector and the activations xq[at .. at + 16). */
    static ShortVector product(ByteVector w, short[] xq, int at) {
        return ((ShortVector) w.convertShape(VectorOperators.B2S, S, 0)).mul(ShortVector.fromArray(S, xq, at));
    }

    /** The float sums of neighbouring 16-bit lanes (8 lanes from 16). */
    static FloatVector pairSumsF(ShortVector p) {
        return toFloat(pairSums(p));
    }

    /**
     * Sums of neighbouring 16-bit lanes in 32-bit lanes: seen as ints, a lane pair is hi·2¹⁶ + lo,
     * and (x + (x << 16)) >> 16 is hi + lo (exact while |hi + lo| < 2¹⁵: two products of 8-bit
     * values, or four when the weights have at most 6 bits).
     */
    static IntVector pairSums(ShortVector p) {
        IntVector x = p.reinterpretAsInts();
        return x.add(x.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16);
    }

    static FloatVector toFloat(IntVector v) {
        return (FloatVector) v.convert(VectorOperators.I2F, 0);
    }

    // ---- helpers for the types' unpack methods

    static float half(byte[] raw, int at) {
        return Float.float16ToFloat((short) ((raw[at] & 0xff) | (raw[at + 1] << 8)));
    }

    static int u8(byte[] raw, int at) {
        return raw[at] & 0xff;
    }

    /**
     * Q4_K/Q5_K's float16 d and dmin at raw[r], then eight 6-bit scales and mins packed in the 12
     * bytes after them (llama.cpp's get_scale_min_k4), into scale/min[go .. go + 8).
     */
    static void kScales(byte[] raw, int r, float[] scale, float[] min, int go) {
        float d = half(raw, r), dmin = half(raw, r + 2);
        int s = r + 4;
        for (int j = 0; j < 8; j++) {
            int sc, m;
            if (j < 4) {
                sc = u8(raw, s + j) & 63;
                m = u8(raw, s + j + 4) & 63;
            } else {
                sc = (u8(raw, s + j + 4) & 0x0f) | (u8(raw, s + j - 4) >> 6) << 4;
                m = (u8(raw, s + j + 4) >> 4) | (u8(raw, s + j) >> 6) << 4;
            }
            scale[go + j] = d * sc;
            min[go + j] = dmin * m;
        }
    }

    /** The low nibble of each lane. */
    static ByteVector low(ByteVector v) {
        return v.and((byte) 0x0f);
    }

    /**
     * The high nibble of each lane. Shifted in 16-bit lanes: x86 has no byte shift (C2 emulates one
     * with widening and packing), and the bits that cross from one byte into the next are masked off.
     */
    static ByteVector high(ByteVector v) {
        return shiftRight(v, 4).and((byte) 0x0f);
    }

    /**
     * Each lane's bits shifted right by {@code n} (0 ≤ n < 8) in 16-bit lanes: a byte receives its
     * upper neighbour's low bits in its top n bits, which the caller masks off.
     */
    static ByteVector shiftRight(ByteVector v, int n) {
        return v.reinterpretAsShorts().lanewise(VectorOperators.LSHR, n).reinterpretAsBytes();
    }

    /** Each lane's bits shifted left by {@code n} (0 ≤ n < 8) in 16-bit lanes; the caller masks off the low n bits. */
    static ByteVector shiftLeft(ByteVector v, int n) {
        return v.reinterpretAsShorts().lanewise(VectorOperators.LSHL, n).reinterpretAsBytes();
    }

    /** Bit {@code from} of each lane moved to bit 4, all other bits cleared. */
    static ByteVector bitTo4(ByteVector v, int from) {
        return shiftLeft(shiftRight(v, from).and((byte) 1), 4);
    }

    /** Per bit of the 32-bit little-endian word at raw[at]: 16 in its value's lane, else 0 (Q5_0/Q5_1 fifth bits). */
    static void fifthBits(byte[] raw, int at, byte[] out) {
        for (int k = 0; k < 4; k++) {
            LONG_LE.set(out, 8 * k, SPREAD[raw[at + k] & 0xff]);
        }
    }

    private static final java.lang.invoke.VarHandle LONG_LE =
            java.lang.invoke.MethodHandles.byteArrayViewVarHandle(long[].class, java.nio.ByteOrder.LITTLE_ENDIAN);

    /** For each byte value, its 8 bits spread into 8 bytes of 0 or 16 (bit k → byte k). */
    private static final long[] SPREAD = new long[256];

    static {
        for (int b = 0; b < 256; b++) {
            for (int k = 0; k < 8; k++) {
                if ((b >> k & 1) != 0) {
                    SPREAD[b] |= 0x10L << (8 * k);
                }
            }
        }
    }
}
