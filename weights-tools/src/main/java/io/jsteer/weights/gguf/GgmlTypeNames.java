package io.jsteer.weights.gguf;

import java.util.Map;

/** Names of ggml types jsteer does not read, so that an error can say what the file holds. */
final class GgmlTypeNames {

    private GgmlTypeNames() {}

    private static final Map<Long, String> NAMES = Map.ofEntries(
            Map.entry(9L, "Q8_1"), Map.entry(15L, "Q8_K"), Map.entry(16L, "IQ2_XXS"), Map.entry(17L, "IQ2_XS"),
            Map.entry(18L, "IQ3_XXS"), Map.entry(19L, "IQ1_S"), Map.entry(21L, "IQ3_S"), Map.entry(22L, "IQ2_S"),
            Map.entry(24L, "I8"), Map.entry(25L, "I16"), Map.entry(26L, "I32"), Map.entry(27L, "I64"),
            Map.entry(28L, "F64"), Map.entry(29L, "IQ1_M"), Map.entry(34L, "TQ1_0"), Map.entry(35L, "TQ2_0"),
            Map.entry(39L, "MXFP4"));

    static String describe(long id) {
        String name = NAMES.get(id);
        return name == null ? "id " + id : name + " (id " + id + ")";
    }
}
