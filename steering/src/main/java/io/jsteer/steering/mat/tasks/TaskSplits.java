package io.jsteer.steering.mat.tasks;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * One task's items split by item (so all choices of a question stay together), seeded.
 *
 * @param files dataset file → sha256, for provenance
 */
public record TaskSplits(String task, List<McItem> train, List<McItem> dev, List<McItem> test,
                         java.util.Map<String, String> files) {

    public TaskSplits {
        train = List.copyOf(train);
        dev = List.copyOf(dev);
        test = List.copyOf(test);
        files = java.util.Collections.unmodifiableMap(new java.util.TreeMap<>(files)); // sorted: stable provenance
    }

    /**
     * Shuffles with {@code seed} and cuts train / dev / test by the given fractions (the rest is
     * test). Fractions are of items, rounded down.
     */
    public static TaskSplits split(String task, List<McItem> items, double trainFraction, double devFraction, long seed,
                                   java.util.Map<String, String> files) {
        if (items.isEmpty()) {
            throw new IllegalArgumentException("task " + task + " has no items");
        }
        List<McItem> shuffled = new ArrayList<>(items);
        java.util.Collections.shuffle(shuffled, new Random(seed));
        int n = shuffled.size();
        int nTrain = (int) Math.floor(n * trainFraction), nDev = (int) Math.floor(n * devFraction);
        return new TaskSplits(task, shuffled.subList(0, nTrain), shuffled.subList(nTrain, nTrain + nDev),
                shuffled.subList(nTrain + nDev, n), files);
    }

    /** At most {@code maxTrain} train items and {@code maxEval} dev and test items each (first ones of the split). */
    public TaskSplits limit(int maxTrain, int maxEval) {
        return new TaskSplits(task, train.subList(0, Math.min(maxTrain, train.size())),
                dev.subList(0, Math.min(maxEval, dev.size())), test.subList(0, Math.min(maxEval, test.size())), files);
    }

    public List<McItem> split(String name) {
        return switch (name) {
            case "train" -> train;
            case "dev" -> dev;
            case "test" -> test;
            default -> throw new IllegalArgumentException("unknown split '" + name + "' (expected train, dev or test)");
        };
    }
}
