package io.jsteer.model.tokenizer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Just enough of a GGUF metadata reader to feed {@link Vocabulary#fromGgufMetadata} in tests, with
 * the value types the real GGUF reader promises (uint32 as Long, int32 as Integer, arrays as List).
 */
final class GgufMetadataForTests {
    private GgufMetadataForTests() {
    }

    static Map<String, Object> read(Path path) throws IOException {
        ByteBuffer in = ByteBuffer.wrap(Files.readAllBytes(path)).order(ByteOrder.LITTLE_ENDIAN);
        if (in.getInt() != 0x46554747) { // "GGUF" little-endian
            throw new IOException("not a GGUF file: " + path);
        }
        in.getInt(); // version
        in.getLong(); // tensor count
        long kvCount = in.getLong();
        Map<String, Object> meta = new LinkedHashMap<>();
        for (long i = 0; i < kvCount; i++) {
            String key = string(in);
            meta.put(key, value(in, in.getInt()));
        }
        return meta;
    }

    private static String string(ByteBuffer in) {
        byte[] bytes = new byte[(int) in.getLong()];
        in.get(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    private static Object value(ByteBuffer in, int type) {
        return switch (type) {
            case 0 -> (long) (in.get() & 0xFF);
            case 1 -> (int) in.get();
            case 2 -> (long) (in.getShort() & 0xFFFF);
            case 3 -> (int) in.getShort();
            case 4 -> in.getInt() & 0xFFFFFFFFL;
            case 5 -> in.getInt();
            case 6 -> in.getFloat();
            case 7 -> in.get() != 0;
            case 8 -> string(in);
            case 9 -> {
                int elementType = in.getInt();
                long count = in.getLong();
                List<Object> list = new ArrayList<>((int) count);
                for (long j = 0; j < count; j++) {
                    list.add(value(in, elementType));
                }
                yield list;
            }
            case 10, 11 -> in.getLong();
            case 12 -> in.getDouble();
            default -> throw new IllegalStateException("GGUF value type " + type);
        };
    }
}
