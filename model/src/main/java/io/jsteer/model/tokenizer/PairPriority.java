package io.jsteer.model.tokenizer;

/**
 * How strongly two adjacent symbols want to merge. SentencePiece vocabularies rank a pair by the
 * score of the merged piece; merge-list BPE (Hugging Face, GGUF gpt2) by the merge's position.
 */
@FunctionalInterface
interface PairPriority {
    /** Marker for "these two symbols never merge". */
    double NO_MERGE = Double.NEGATIVE_INFINITY;

    /** Higher merges first; {@link #NO_MERGE} when the pair is not a merge. */
    double of(String left, String right);
}
