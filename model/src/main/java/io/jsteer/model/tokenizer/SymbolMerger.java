package io.jsteer.model.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;

/**
 * Greedy bigram merging over a doubly linked list of symbols, as SentencePiece BPE, llama.cpp and
 * Hugging Face tokenizers do it: repeatedly merge the adjacent pair with the highest priority;
 * among equal priorities the leftmost pair wins. A priority queue holds candidate pairs; entries
 * made stale by an earlier merge are recognised (their symbols changed) and skipped, which keeps
 * the whole pass O(n log n).
 */
final class SymbolMerger {
    private final PairPriority priority;

    SymbolMerger(PairPriority priority) {
        this.priority = priority;
    }

    private record Candidate(int left, int right, String leftText, String rightText, double priority) {
    }

    List<String> merge(List<String> initialSymbols) {
        int n = initialSymbols.size();
        String[] text = initialSymbols.toArray(new String[0]);
        int[] prev = new int[n];
        int[] next = new int[n];
        for (int i = 0; i < n; i++) {
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
        }
        PriorityQueue<Candidate> queue = new PriorityQueue<>((a, b) -> {
            int byPriority = Double.compare(b.priority, a.priority);
            return byPriority != 0 ? byPriority : Integer.compare(a.left, b.left);
        });
        for (int i = 1; i < n; i++) {
            offer(queue, text, i - 1, i);
        }
        while (!queue.isEmpty()) {
            Candidate c = queue.poll();
            // Stale when either side has been merged away or grown since the pair was queued.
            if (text[c.left] == null || text[c.right] == null || next[c.left] != c.right
                    || !text[c.left].equals(c.leftText) || !text[c.right].equals(c.rightText)) {
                continue;
            }
            text[c.left] = c.leftText + c.rightText;
            text[c.right] = null;
            next[c.left] = next[c.right];
            if (next[c.right] >= 0) {
                prev[next[c.right]] = c.left;
            }
            if (prev[c.left] >= 0) {
                offer(queue, text, prev[c.left], c.left);
            }
            if (next[c.left] >= 0) {
                offer(queue, text, c.left, next[c.left]);
            }
        }
        List<String> result = new ArrayList<>();
        for (int i = n == 0 ? -1 : 0; i >= 0; i = next[i]) {
            result.add(text[i]);
        }
        return result;
    }

    private void offer(PriorityQueue<Candidate> queue, String[] text, int left, int right) {
        double p = priority.of(text[left], text[right]);
        if (p != PairPriority.NO_MERGE) {
            queue.add(new Candidate(left, right, text[left], text[right], p));
        }
    }
}
