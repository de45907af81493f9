package io.jsteer.model.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Splits text into the chunks that byte-level BPE encodes independently (merges never cross a
 * chunk boundary). {@code UNICODE_CHARACTER_CLASS} is required: the reference implementations
 * (Oniguruma / Rust regex) treat {@code \s} as Unicode white space, Java by default as ASCII only.
 */
record PreTokenizer(String name, Pattern pattern) {

    /** Llama 3 (tiktoken cl100k-style): digits in groups of up to three, contractions case-insensitive. */
    static final String LLAMA3_REGEX = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}"
            + "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    /**
     * Qwen2/Qwen2.5/Qwen3: Llama 3's pattern except that every digit is a chunk of its own
     * ({@code \p{N}} instead of {@code \p{N}{1,3}}).
     */
    static final String QWEN2_REGEX = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}"
            + "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    /** GPT-2's original pattern, used by GGUF gpt2 vocabularies with pre-tokenizer "default"/"gpt2". */
    static final String GPT2_REGEX = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

    static PreTokenizer named(String source, String name) {
        return switch (name) {
            case "llama-bpe", "llama3", "llama-v3" -> of(name, LLAMA3_REGEX);
            case "qwen2" -> of(name, QWEN2_REGEX);
            case "default", "gpt2", "gpt-2" -> of(name, GPT2_REGEX);
            default -> throw new TokenizerFormatException(source, "tokenizer.ggml.pre",
                    "unsupported pre-tokenizer '" + name + "' (supported: llama-bpe, qwen2, default, gpt2)");
        };
    }

    static PreTokenizer of(String name, String regex) {
        return new PreTokenizer(name, Pattern.compile(regex, Pattern.UNICODE_CHARACTER_CLASS));
    }

    List<String> split(String text) {
        List<String> chunks = new ArrayList<>();
        Matcher m = pattern.matcher(text);
        int end = 0;
        while (m.find()) {
            // Isolated split: text between matches (none for these patterns) is kept as chunks too.
            if (m.start() > end) {
                chunks.add(text.substring(end, m.start()));
            }
            if (m.end() > m.start()) {
                chunks.add(m.group());
            }
            end = m.end();
        }
        if (end < text.length()) {
            chunks.add(text.substring(end));
        }
        return chunks;
    }
}
