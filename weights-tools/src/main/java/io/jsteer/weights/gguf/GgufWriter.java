package io.jsteer.weights.gguf;

import io.jsteer.tensor.DType;
import io.jsteer.weights.AtomicFileWriter;
import io.jsteer.weights.LittleEndianWriter;
import io.jsteer.weights.LlamaKeys;
import io.jsteer.weights.quant.TensorEncoder;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Writes GGUF version 3 files atomically, streaming tensor contents one at a time.
 *
 * <p>Metadata values are written with an explicit type when given as {@link GgufValue}; plain Java
 * values get a default: Boolean → BOOL, String → STRING, Float → FLOAT32, Double → FLOAT64,
 * Byte/Short/Integer → INT8/INT16/INT32, Long → UINT32 when it fits in 0..2^32-1 (the type
 * llama.cpp expects for counts and token ids), else INT32 when it fits, else INT64; a List →
 * ARRAY whose element type follows the same rules for all its elements (INT32 for
 * {@code tokenizer.ggml.token_type}, as llama.cpp reads it).
 */
public final class GgufWriter {

    public static final int VERSION = 3;

    private GgufWriter() {}

    public static void write(Path out, Map<String, Object> metadata, List<GgufTensorSpec> tensors) throws IOException {
        long alignment = alignmentOf(metadata);
        Set<String> names = new HashSet<>();
        for (GgufTensorSpec t : tensors) {
            if (!names.add(t.name())) {
                throw new IllegalArgumentException("duplicate tensor name " + t.name());
            }
        }
        AtomicFileWriter.write(out, w -> {
            w.i32(GgufReader.MAGIC);
            w.i32(VERSION);
            w.i64(tensors.size());
            w.i64(metadata.size());
            for (Map.Entry<String, Object> e : metadata.entrySet()) {
                writeString(w, e.getKey());
                GgufValue v = typed(e.getKey(), e.getValue());
                w.i32(v.type().id());
                writeValue(w, v);
            }
            long offset = 0;
            for (GgufTensorSpec t : tensors) {
                writeString(w, t.name());
                long[] shape = t.shape();
                w.i32(shape.length);
                for (int d = shape.length - 1; d >= 0; d--) {
                    w.i64(shape[d]); // GGUF lists dims innermost first
                }
                w.i32(t.dtype().ggmlId());
                w.i64(offset);
                offset = GgufReader.alignUp(offset + t.byteSize(), alignment);
            }
            pad(w, alignment);
            long dataStart = w.position();
            for (GgufTensorSpec t : tensors) {
                long start = w.position();
                t.content().writeTo(new EncodingSink(w, t.dtype()));
                long written = w.position() - start;
                if (written != t.byteSize()) {
                    throw new IllegalStateException("tensor " + t.name() + " produced " + written + " bytes, expected "
                            + t.byteSize());
                }
                pad(w, alignment);
            }
            assert w.position() - dataStart == offset;
        });
    }

    private static long alignmentOf(Map<String, Object> metadata) {
        Object a = metadata.get(LlamaKeys.ALIGNMENT);
        if (a instanceof GgufValue v) {
            a = v.value();
        }
        if (a == null) {
            return GgufReader.DEFAULT_ALIGNMENT;
        }
        long value = ((Number) a).longValue();
        if (value <= 0 || Long.bitCount(value) != 1) {
            throw new IllegalArgumentException("general.alignment must be a positive power of two: " + value);
        }
        return value;
    }

    private static void pad(LittleEndianWriter w, long alignment) throws IOException {
        w.zeros(GgufReader.alignUp(w.position(), alignment) - w.position());
    }

    private static void writeString(LittleEndianWriter w, String s) throws IOException {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        w.i64(b.length);
        w.bytes(b);
    }

    /** The explicit or default-typed form of a metadata value. */
    static GgufValue typed(String key, Object value) {
        if (value instanceof GgufValue v) {
            return v;
        }
        if (value instanceof List<?> list) {
            GgufValueType element = LlamaKeys.TOKEN_TYPE.equals(key) ? GgufValueType.INT32 : elementType(key, list);
            return GgufValue.array(element, list);
        }
        return GgufValue.of(scalarType(value), value);
    }

    private static GgufValueType scalarType(Object value) {
        return switch (value) {
            case Boolean b -> GgufValueType.BOOL;
            case String s -> GgufValueType.STRING;
            case Float f -> GgufValueType.FLOAT32;
            case Double d -> GgufValueType.FLOAT64;
            case Byte b -> GgufValueType.INT8;
            case Short s -> GgufValueType.INT16;
            case Integer i -> GgufValueType.INT32;
            case Long l -> longType(l, l);
            default -> throw new IllegalArgumentException("cannot store a " + value.getClass().getName() + " in GGUF");
        };
    }

    private static GgufValueType longType(long min, long max) {
        if (min >= 0 && max <= 0xFFFF_FFFFL) {
            return GgufValueType.UINT32;
        }
        if (min >= Integer.MIN_VALUE && max <= Integer.MAX_VALUE) {
            return GgufValueType.INT32;
        }
        return GgufValueType.INT64;
    }

    private static GgufValueType elementType(String key, List<?> list) {
        if (list.isEmpty()) {
            return GgufValueType.UINT32;
        }
        Object first = list.getFirst();
        if (first instanceof List<?> || first instanceof GgufValue g && g.type() == GgufValueType.ARRAY) {
            return GgufValueType.ARRAY;
        }
        if (first instanceof Long) {
            long min = Long.MAX_VALUE, max = Long.MIN_VALUE;
            for (Object o : list) {
                long v = (Long) o;
                min = Math.min(min, v);
                max = Math.max(max, v);
            }
            return longType(min, max);
        }
        return scalarType(first);
    }

    private static void writeValue(LittleEndianWriter w, GgufValue v) throws IOException {
        Object x = v.value();
        switch (v.type()) {
            case UINT8, INT8 -> w.u8(((Number) x).intValue());
            case UINT16, INT16 -> w.i16(((Number) x).intValue());
            case UINT32, INT32 -> w.i32(((Number) x).intValue());
            case UINT64, INT64 -> w.i64(((Number) x).longValue());
            case FLOAT32 -> w.f32(((Number) x).floatValue());
            case FLOAT64 -> w.f64(((Number) x).doubleValue());
            case BOOL -> w.u8((Boolean) x ? 1 : 0);
            case STRING -> writeString(w, (String) x);
            case ARRAY -> {
                List<?> list = (List<?>) x;
                w.i32(v.elementType().id());
                w.i64(list.size());
                for (Object element : list) {
                    GgufValue e = element instanceof GgufValue g ? g
                            : v.elementType() == GgufValueType.ARRAY ? typed("", element)
                            : GgufValue.of(v.elementType(), element);
                    if (e.type() != v.elementType()) {
                        throw new IllegalArgumentException("array element of type " + e.type() + " in an array of "
                                + v.elementType());
                    }
                    writeValue(w, e);
                }
            }
        }
    }

    /** Encodes floats into the tensor's dtype on the way to the file. */
    private record EncodingSink(LittleEndianWriter w, DType dtype) implements TensorSink {
        @Override
        public void writeFloats(float[] values, int off, int n) throws IOException {
            w.bytes(TensorEncoder.encode(dtype, values, off, n));
        }

        @Override
        public void writeBytes(MemorySegment bytes) throws IOException {
            w.segment(bytes);
        }

        @Override
        public void writeBytes(byte[] bytes) throws IOException {
            w.bytes(bytes);
        }
    }
}
