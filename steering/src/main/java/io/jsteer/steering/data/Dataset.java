package io.jsteer.steering.data;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Records read from one or more files, with the files' hashes.
 *
 * @param sources the files, in the order they were read (two for line-paired prompt files)
 * @param items   the records, in file order
 */
public record Dataset<T>(List<DatasetSource> sources, List<T> items) {

    public Dataset {
        sources = List.copyOf(sources);
        items = List.copyOf(items);
        if (sources.isEmpty()) {
            throw new IllegalArgumentException("a dataset needs at least one source file");
        }
    }

    public int size() { return items.size(); }

    public T get(int i) { return items.get(i); }

    /** The same sources with each record transformed (e.g. A/B items into capture prompts). */
    public <R> Dataset<R> map(Function<? super T, ? extends R> f) {
        List<R> out = new ArrayList<>(items.size());
        for (T t : items) {
            out.add(f.apply(t));
        }
        return new Dataset<>(sources, out);
    }

    /** The first {@code n} records (all when fewer), same sources. */
    public Dataset<T> limit(int n) {
        if (n < 0) {
            throw new IllegalArgumentException("limit must be 0 or more, got " + n);
        }
        return new Dataset<>(sources, items.subList(0, Math.min(n, items.size())));
    }

    /** Paths joined with " + ", for logs and metadata. */
    public String describe() {
        return sources.stream().map(s -> s.path().toString()).collect(Collectors.joining(" + "));
    }
}
