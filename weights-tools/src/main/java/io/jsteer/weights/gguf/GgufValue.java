package io.jsteer.weights.gguf;

import java.util.List;
import java.util.Objects;

/**
 * A metadata value with an explicit GGUF type, for writers that must control the stored type
 * (plain Java values get a default type, see {@link GgufWriter}). For {@link GgufValueType#ARRAY}
 * the value is a {@code List} and {@code elementType} names its elements' type; the elements may
 * themselves be {@code GgufValue}s (nested arrays).
 */
public record GgufValue(GgufValueType type, GgufValueType elementType, Object value) {

    public GgufValue {
        Objects.requireNonNull(type);
        Objects.requireNonNull(value);
        if (type == GgufValueType.ARRAY && (elementType == null || !(value instanceof List<?>))) {
            throw new IllegalArgumentException("an ARRAY value needs an element type and a List");
        }
    }

    public static GgufValue of(GgufValueType type, Object value) {
        return new GgufValue(type, null, value);
    }

    public static GgufValue array(GgufValueType elementType, List<?> values) {
        return new GgufValue(GgufValueType.ARRAY, elementType, values);
    }
}
