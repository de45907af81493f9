package io.jsteer.weights.gguf;

import java.util.Map;

/** Names of ggml types jsteer does not read, so that an error can say what the file holds. */
final class GgmlTypeNames {

    private GgmlTypeNames() {}

    private static final Map<Long, String> NAMES = Map.ofEntries(
            Map.entry(3L, "Q4_1"), Map.entry(6L, "Q5_0"), Map.entry(7L, "Q5_1"), Map.entry(9L, "Q8_1"),
            Map.entry(10L, "Q2_K"), Map.entry(11L, "Q3_K"), Map.entry(12L, "Q4_K"), Map.entry(13L, "Q5_K"),
            Map.entry(14L, "Q6_K"), Map.entry(15L, "Q8_K"), Map.entry(24L, "I8"), Map.entry(25L, "I16"),
            Map.entry(26L, "I32"), Map.entry(27L, "I64"), Map.entry(28L, "F64"));

    static String describe(long id) {
        String name = NAMES.get(id);
        return name == null ? "id " + id : name + " (id " + id + ")";
    }
}
