package io.jsteer.model.lora;

import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * The shape of a LoRA adapter, as PEFT's {@code LoraConfig} has it.
 *
 * @param rank     r
 * @param alpha    the side path is scaled by alpha / r
 * @param targets  the adapted projections of each adapted block
 * @param dropout  PEFT's {@code lora_dropout}: in a training pass the side path sees inverted
 *                 dropout of its input with this probability (the frozen path sees the input as
 *                 it is); inference, evaluation and merging use no dropout. In [0, 1).
 * @param layers   PEFT's {@code layers_to_transform}: the adapted blocks, 0-based, ascending and
 *                 distinct; null means every block
 */
public record LoraSpec(int rank, double alpha, Set<LoraTarget> targets, double dropout, List<Integer> layers) {

    public LoraSpec {
        if (rank < 1) {
            throw new IllegalArgumentException("LoRA rank must be at least 1, got " + rank);
        }
        if (!(alpha > 0) || !Double.isFinite(alpha)) {
            throw new IllegalArgumentException("LoRA alpha must be positive, got " + alpha);
        }
        if (targets == null || targets.isEmpty()) {
            throw new IllegalArgumentException("a LoRA adapter needs at least one target projection");
        }
        if (!(dropout >= 0 && dropout < 1)) {
            throw new IllegalArgumentException("LoRA dropout must be in [0, 1), got " + dropout);
        }
        targets = Collections.unmodifiableSet(EnumSet.copyOf(targets));
        if (layers != null) {
            if (layers.isEmpty()) {
                throw new IllegalArgumentException("LoRA layers: the list of adapted blocks is empty (null means every block)");
            }
            TreeSet<Integer> sorted = new TreeSet<>();
            for (Integer l : layers) {
                if (l == null || l < 0) {
                    throw new IllegalArgumentException("LoRA layers: block index " + l + " is not 0 or more");
                }
                if (!sorted.add(l)) {
                    throw new IllegalArgumentException("LoRA layers: block " + l + " is listed twice");
                }
            }
            layers = List.copyOf(new ArrayList<>(sorted));
        }
    }

    /** Every block, no dropout: the adapter of earlier jsteer versions. */
    public static LoraSpec of(int rank, double alpha, Set<LoraTarget> targets) {
        return new LoraSpec(rank, alpha, targets, 0, null);
    }

    public LoraSpec withDropout(double p) { return new LoraSpec(rank, alpha, targets, p, layers); }

    /** Only these blocks (null: every block). */
    public LoraSpec withLayers(List<Integer> blocks) { return new LoraSpec(rank, alpha, targets, dropout, blocks); }

    /** Whether block {@code layer} is adapted. */
    public boolean adapts(int layer) {
        return layers == null || Collections.binarySearch(layers, layer) >= 0;
    }

    /** The adapted blocks of a model with {@code nLayers} blocks, ascending. */
    public List<Integer> adaptedLayers(int nLayers) {
        if (layers != null) {
            return layers;
        }
        List<Integer> all = new ArrayList<>();
        for (int l = 0; l < nLayers; l++) {
            all.add(l);
        }
        return all;
    }
}
