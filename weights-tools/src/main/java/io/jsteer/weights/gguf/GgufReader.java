package io.jsteer.weights.gguf;

import io.jsteer.weights.InputFiles;
import io.jsteer.tensor.DType;
import io.jsteer.tensor.FloatTensor;
import io.jsteer.weights.HeaderReader;
import io.jsteer.weights.LlamaKeys;
import io.jsteer.weights.LlamaMetadata;
import io.jsteer.weights.ModelFormat;
import io.jsteer.weights.ModelWeights;
import io.jsteer.weights.TensorData;
import io.jsteer.weights.WeightFormatException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads GGUF v2/v3 files. The whole header is parsed and validated through the file channel
 * first (magic, version, every count and length against the bytes that remain, dims, types,
 * alignment, tensor byte ranges and overlaps); only then is the file mapped.
 */
public final class GgufReader {

    /** "GGUF" read as a little-endian u32. */
    public static final int MAGIC = 0x46554747;
    public static final long DEFAULT_ALIGNMENT = 32;
    public static final int MAX_DIMS = 4;
    /** Nested arrays deeper than this are certainly garbage; the bound keeps recursion shallow. */
    private static final int MAX_ARRAY_DEPTH = 8;
    /** Smallest tensor entry: name length, n_dims, one dim, type, offset. */
    private static final long MIN_TENSOR_INFO_BYTES = 8 + 4 + 8 + 4 + 8;
    /** Smallest metadata entry: key length, value type, a one-byte value. */
    private static final long MIN_KV_BYTES = 8 + 4 + 1;

    private GgufReader() {}

    /** Validates and maps a GGUF file into the unified view. */
    public static ModelWeights open(Path file) {
        InputFiles.requireRegular("", file);
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            GgufHeader header = readHeader(file, channel);
            Arena arena = Arena.ofShared();
            try {
                Map<String, TensorData> tensors = new LinkedHashMap<>();
                if (!header.tensors().isEmpty()) {
                    MemorySegment all = channel.map(FileChannel.MapMode.READ_ONLY, 0, header.fileSize(), arena);
                    for (GgufTensorInfo info : header.tensors()) {
                        MemorySegment slice = all.asSlice(header.dataStart() + info.offset(), info.byteSize());
                        long count = TensorData.elementCount(info.shape());
                        tensors.put(info.name(), new TensorData(info.name(), info.dtype(), info.shape(),
                                FloatTensor.wrap(info.dtype(), slice, count)));
                    }
                }
                return new ModelWeights(file, ModelFormat.GGUF,
                        LlamaMetadata.withDefaults(header.metadata(), tensors), tensors, arena);
            } catch (RuntimeException e) {
                arena.close();
                throw e;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    /** Reads and validates the header only; nothing is mapped. */
    public static GgufHeader readHeader(Path file) {
        InputFiles.requireRegular("", file);
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            return readHeader(file, channel);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    static GgufHeader readHeader(Path file, FileChannel channel) throws IOException {
        HeaderReader in = new HeaderReader(file, channel);
        int magic = in.i32("magic");
        if (magic != MAGIC) {
            throw new WeightFormatException(file, "magic", "not a GGUF file", String.format("0x%08x", magic));
        }
        long version = in.u32("version");
        if (version != 2 && version != 3) {
            String problem = Long.reverseBytes(version) >>> 32 == 2 || Long.reverseBytes(version) >>> 32 == 3
                    ? "big-endian GGUF is not supported" : "unsupported GGUF version (2 and 3 are)";
            throw new WeightFormatException(file, "version", problem, version);
        }
        long tensorCount = in.u64Size("tensor_count");
        long kvCount = in.u64Size("metadata_kv_count");
        if (kvCount > in.remaining() / MIN_KV_BYTES) {
            throw new WeightFormatException(file, "metadata_kv_count", "more entries than the file can hold", kvCount);
        }
        if (tensorCount > in.remaining() / MIN_TENSOR_INFO_BYTES) {
            throw new WeightFormatException(file, "tensor_count", "more tensors than the file can hold", tensorCount);
        }

        Map<String, Object> metadata = new LinkedHashMap<>();
        Map<String, GgufValueType> types = new HashMap<>();
        for (long i = 0; i < kvCount; i++) {
            String key = readString(in, "metadata[" + i + "].key");
            String field = "metadata " + key;
            GgufValueType type = readType(in, field + ": type");
            Object value = readValue(in, type, field, 0);
            if (metadata.put(key, value) != null) {
                throw new WeightFormatException(file, field, "duplicate metadata key");
            }
            types.put(key, type);
        }

        long alignment = DEFAULT_ALIGNMENT;
        Object align = metadata.get(LlamaKeys.ALIGNMENT);
        if (align != null) {
            if (!(align instanceof Long a) || a <= 0 || Long.bitCount(a) != 1 || a > (1 << 24)) {
                throw new WeightFormatException(file, LlamaKeys.ALIGNMENT, "must be a positive power of two", align);
            }
            alignment = a;
        }

        List<GgufTensorInfo> infos = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (long i = 0; i < tensorCount; i++) {
            infos.add(readTensorInfo(in, i, alignment, names));
        }

        long dataStart = alignUp(in.position(), alignment);
        long fileSize = in.fileSize();
        if (!infos.isEmpty()) {
            if (dataStart > fileSize) {
                throw new WeightFormatException(file, "data section", "starts past the end of the file at " + dataStart,
                        fileSize);
            }
            checkRanges(file, infos, fileSize - dataStart);
        }
        return new GgufHeader((int) version, metadata, types, infos, alignment, dataStart, fileSize);
    }

    private static GgufTensorInfo readTensorInfo(HeaderReader in, long index, long alignment, Set<String> names) {
        Path file = in.file();
        String name = readString(in, "tensor[" + index + "].name");
        String field = "tensor " + name;
        if (!names.add(name)) {
            throw new WeightFormatException(file, field, "duplicate tensor name");
        }
        long nDims = in.u32(field + ": n_dims");
        if (nDims < 1 || nDims > MAX_DIMS) {
            throw new WeightFormatException(file, field + ": n_dims", "must be 1.." + MAX_DIMS, nDims);
        }
        long[] dims = new long[(int) nDims];
        long elements = 1;
        for (int d = 0; d < nDims; d++) {
            dims[d] = in.i64(field + ": dims[" + d + "]");
            if (dims[d] <= 0) {
                throw new WeightFormatException(file, field + ": dims[" + d + "]", "must be positive",
                        Long.toUnsignedString(dims[d]));
            }
            try {
                elements = Math.multiplyExact(elements, dims[d]);
            } catch (ArithmeticException e) {
                throw new WeightFormatException(file, field + ": dims", "element count overflows", Arrays.toString(dims));
            }
        }
        long typeId = in.u32(field + ": type");
        DType dtype = DType.fromGgmlId(typeId).orElseThrow(() -> new WeightFormatException(file, field + ": type",
                "unsupported ggml type " + GgmlTypeNames.describe(typeId)
                        + " (jsteer reads " + java.util.Arrays.stream(DType.values()).map(DType::name)
                        .collect(java.util.stream.Collectors.joining(", ")) + ")", typeId));
        if (dims[0] % dtype.blockSize() != 0) {
            throw new WeightFormatException(file, field + ": dims[0]", "row length is not a multiple of the "
                    + dtype + " block size " + dtype.blockSize(), dims[0]);
        }
        long byteSize;
        try {
            byteSize = dtype.bytesFor(elements);
        } catch (ArithmeticException e) {
            throw new WeightFormatException(file, field + ": dims", "byte size overflows", Arrays.toString(dims));
        }
        long offset = in.i64(field + ": offset");
        if (offset < 0) {
            throw new WeightFormatException(file, field + ": offset", "negative", Long.toUnsignedString(offset));
        }
        if (offset % alignment != 0) {
            throw new WeightFormatException(file, field + ": offset", "not a multiple of the alignment " + alignment, offset);
        }
        return new GgufTensorInfo(name, dims, dtype, offset, byteSize);
    }

    private static void checkRanges(Path file, List<GgufTensorInfo> infos, long dataSize) {
        for (GgufTensorInfo t : infos) {
            if (t.offset() > dataSize || t.byteSize() > dataSize - t.offset()) {
                throw new WeightFormatException(file, "tensor " + t.name() + ": offset", "byte range [" + t.offset() + ", "
                        + (t.offset() + t.byteSize()) + ") of the data section exceeds its " + dataSize + " bytes",
                        t.offset());
            }
        }
        List<GgufTensorInfo> sorted = new ArrayList<>(infos);
        sorted.sort(Comparator.comparingLong(GgufTensorInfo::offset));
        for (int i = 1; i < sorted.size(); i++) {
            GgufTensorInfo prev = sorted.get(i - 1);
            GgufTensorInfo cur = sorted.get(i);
            if (cur.offset() < prev.offset() + prev.byteSize()) {
                throw new WeightFormatException(file, "tensor " + cur.name() + ": offset", "overlaps tensor "
                        + prev.name() + " which ends at " + (prev.offset() + prev.byteSize()), cur.offset());
            }
        }
    }

    static long alignUp(long position, long alignment) {
        return (position + alignment - 1) / alignment * alignment;
    }

    private static String readString(HeaderReader in, String field) {
        long length = in.u64Size(field + ": length");
        return in.utf8(length, field);
    }

    private static GgufValueType readType(HeaderReader in, String field) {
        long id = in.u32(field);
        return GgufValueType.fromId(id).orElseThrow(() ->
                new WeightFormatException(in.file(), field, "unknown metadata value type", id));
    }

    private static Object readValue(HeaderReader in, GgufValueType type, String field, int depth) {
        return switch (type) {
            case UINT8 -> (long) in.u8(field);
            case INT8 -> (long) (byte) in.u8(field);
            case UINT16 -> (long) (in.u8(field) | in.u8(field) << 8);
            case INT16 -> (long) (short) (in.u8(field) | in.u8(field) << 8);
            case UINT32 -> in.u32(field);
            case INT32 -> (long) in.i32(field);
            case UINT64, INT64 -> in.i64(field);
            case FLOAT32 -> in.f32(field);
            case FLOAT64 -> in.f64(field);
            case BOOL -> {
                int b = in.u8(field);
                if (b > 1) {
                    throw new WeightFormatException(in.file(), field, "bool must be 0 or 1", b);
                }
                yield b == 1;
            }
            case STRING -> readString(in, field);
            case ARRAY -> readArray(in, field, depth);
        };
    }

    private static List<Object> readArray(HeaderReader in, String field, int depth) {
        if (depth >= MAX_ARRAY_DEPTH) {
            throw new WeightFormatException(in.file(), field, "arrays nested deeper than " + MAX_ARRAY_DEPTH, depth);
        }
        GgufValueType elementType = readType(in, field + ": array type");
        long count = in.u64Size(field + ": array length");
        if (count > in.remaining() / elementType.minimumSize()) {
            throw new WeightFormatException(in.file(), field + ": array length", "more " + elementType
                    + " elements than the remaining " + in.remaining() + " bytes can hold", count);
        }
        List<Object> values = new ArrayList<>((int) count);
        for (long i = 0; i < count; i++) {
            values.add(readValue(in, elementType, field, depth + 1));
        }
        return Collections.unmodifiableList(values);
    }
}
