package io.jsteer.cli.serve;

import io.jsteer.model.LlamaConfig;
import io.jsteer.model.intervene.AddVector;
import io.jsteer.model.intervene.LayerSelection;
import io.jsteer.model.intervene.InterventionSet;
import io.jsteer.model.intervene.Positions;
import io.jsteer.steering.vectors.VectorSet;
import io.jsteer.steering.vectors.VectorSetFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * Steering from vector-set files ({@code NAME.safetensors} + {@code NAME.json}): each
 * {@link SteerSpec} becomes one {@link AddVector} per chosen layer of its set, all composed in
 * order: strength times the layer's unit direction, or times the stored vector for a raw spec
 * ({@link VectorSet#steeringVector}). Sets are read once, checked against the model (width, layers) and kept.
 */
public final class VectorSteering implements SteeringResolver {

    private final LlamaConfig config;
    private final Function<String, Path> locate;
    private final Map<Path, VectorSet> sets = new ConcurrentHashMap<>();
    /** The --vectors directory of a server (null: none, or names are paths). */
    private final Path dir;
    /** Sets loaded at run time (uploaded, or read from a file under {@code dir}) by the name they were given. */
    private final Map<String, VectorSet> loaded = new ConcurrentHashMap<>();
    /** Names unloaded at run time: refused until they are loaded again, even when {@code dir} has such a file. */
    private final java.util.Set<String> unloaded = ConcurrentHashMap.newKeySet();

    private VectorSteering(LlamaConfig config, Function<String, Path> locate) {
        this(config, locate, null);
    }

    private VectorSteering(LlamaConfig config, Function<String, Path> locate, Path dir) {
        this.config = config;
        this.locate = locate;
        this.dir = dir;
    }

    /** Names are file paths (the command line: {@code --steer happy.json:4@3}). */
    public static VectorSteering files(LlamaConfig config) {
        return files(config, null);
    }

    /**
     * Names are file paths ({@code happy.json}, or {@code happy} for {@code ./happy.json}); a bare
     * name with no such file is then looked up in {@code dir} when one is given, so that
     * {@code --steer happy} means the same in run, chat and serve.
     */
    public static VectorSteering files(LlamaConfig config, Path dir) {
        return new VectorSteering(config, name -> {
            Path asFile = Path.of(name);
            if (dir == null || Files.isRegularFile(VectorSetFiles.jsonPath(asFile)) || !isBareName(name)) {
                return asFile;
            }
            return dir.resolve(name.endsWith(".json") ? name : name + ".json");
        });
    }

    private static boolean isBareName(String name) {
        return name.matches("[A-Za-z0-9._-]+") && !name.startsWith(".");
    }

    /**
     * Names are set names inside {@code dir} (the server: a client may name only what the operator
     * put there, never a path).
     */
    public static VectorSteering directory(LlamaConfig config, Path dir) {
        return directory(config, dir, Map.of());
    }

    /**
     * As {@link #directory(LlamaConfig, Path)}, and the names in {@code operatorFiles} (the
     * operator's own {@code --steer FILE} flags, exactly as written) stand for those files. A
     * client can name these, as the default steering does, but no other path. {@code dir} may be
     * null when the server has only those files.
     */
    public static VectorSteering directory(LlamaConfig config, Path dir, Map<String, Path> operatorFiles) {
        if (dir != null && !Files.isDirectory(dir)) {
            throw new IllegalArgumentException("--vectors: " + dir + " is not a directory");
        }
        Map<String, Path> files = Map.copyOf(operatorFiles);
        return new VectorSteering(config, name -> {
            Path operators = files.get(name);
            if (operators != null) {
                return operators;
            }
            if (dir == null) {
                throw new IllegalArgumentException("no vector set named '" + name + "' (this server has only its --steer files "
                        + files.keySet() + "; start it with --vectors DIR to offer more)");
            }
            if (!isBareName(name)) {
                throw new IllegalArgumentException("vector name '" + name + "' may hold only letters, digits, '.', '_' and '-'");
            }
            Path set = dir.resolve(name);
            // the .safetensors is the set (its header carries the metadata; older sets also have NAME.json)
            if (!Files.isRegularFile(VectorSetFiles.tensorPath(set))) {
                throw new IllegalArgumentException("no vector set named '" + name + "' (the server has: " + names(dir) + ")");
            }
            return set;
        }, dir);
    }

    /** The names of the sets in {@code dir}, for messages and listings. */
    public static List<String> names(Path dir) {
        try (var files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".safetensors") && !n.startsWith("."))
                    .map(n -> n.substring(0, n.length() - ".safetensors".length())).sorted().toList();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot list " + dir, e);
        }
    }

    /** The vector set a name stands for, read and checked once. */
    public VectorSet set(String name) {
        VectorSet set = loaded.get(name);
        if (set != null) {
            return set;
        }
        if (unloaded.contains(name)) {
            throw new IllegalArgumentException("vector set '" + name + "' was unloaded (POST /v1/steering/vectors loads it again)");
        }
        Path path = locate.apply(name).toAbsolutePath().normalize();
        return sets.computeIfAbsent(path, p -> {
            VectorSet read = VectorSetFiles.read(p, config);
            // once per file: a set whose strengths read differently since strengths are lengths says so
            read.legacyStrengthNote(name).ifPresent(n -> System.err.println("jsteer: note: " + n));
            return read;
        });
    }

    /**
     * Loads {@code set} under {@code name} (replacing a set of that name) after checking it fits
     * the model. Names follow the rule for files in --vectors.
     */
    public void load(String name, VectorSet set) {
        if (!isBareName(name)) {
            throw new IllegalArgumentException("vector name '" + name + "' may hold only letters, digits, '.', '_' and '-'");
        }
        set.requireFits(config, "vector set '" + name + "'");
        loaded.put(name, set);
        unloaded.remove(name);
    }

    /**
     * Reads a vector set ({@code NAME.safetensors}) or a llama.cpp control vector ({@code .gguf})
     * from {@code relative}, a path inside --vectors: a client can never make the server read
     * outside that directory.
     */
    public VectorSet readInside(String relative) {
        if (dir == null) {
            throw new IllegalArgumentException("this server has no --vectors directory to load vector sets from");
        }
        Path root = dir.toAbsolutePath().normalize();
        Path file = root.resolve(relative).normalize();
        if (relative.isEmpty() || Path.of(relative).isAbsolute() || !file.startsWith(root) || file.equals(root)) {
            throw new IllegalArgumentException("path '" + relative + "' must name a file inside the --vectors directory");
        }
        try {
            if (!file.toRealPath().startsWith(root.toRealPath())) { // a symbolic link pointing out
                throw new IllegalArgumentException("path '" + relative + "' leads outside the --vectors directory");
            }
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException("path '" + relative + "': no such file in the --vectors directory");
        }
        return file.getFileName().toString().endsWith(".gguf") ? io.jsteer.steering.vectors.ControlVectors.importFile(file)
                : VectorSetFiles.read(file, config);
    }

    /** Unloads a set; true when the name was one this server knew (loaded, or a file in --vectors). */
    public boolean unload(String name) {
        boolean known = loaded.remove(name) != null;
        if (!known && !unloaded.contains(name)) {
            try {
                set(name);
                known = true;
            } catch (RuntimeException e) {
                // not a set this server has
            }
        }
        if (known) {
            unloaded.add(name);
            sets.clear(); // file-backed sets are read again if loaded again: the file may have changed
        }
        return known;
    }

    /** The names a request may use now: sets in --vectors and sets loaded at run time, minus unloaded ones. */
    public java.util.SortedSet<String> available() {
        SortedSet<String> names = new TreeSet<>(loaded.keySet());
        if (dir != null) {
            names.addAll(names(dir));
        }
        names.removeAll(unloaded);
        names.addAll(loaded.keySet());
        return names;
    }

    public InterventionSet interventions(List<SteerSpec> specs) {
        List<io.jsteer.model.intervene.Intervention> items = new ArrayList<>();
        for (SteerSpec s : specs) {
            VectorSet set = set(s.vector());
            Positions positions = s.positions() == null ? Positions.ALL : Positions.parse(s.positions());
            items.addAll(set.interventions(layers(s.layers(), set, s.vector()), s.strength(), positions, s.raw()).items());
        }
        InterventionSet result = new InterventionSet(items);
        result.validate(config);
        return result;
    }

    /**
     * For stderr, one line per steered layer: what each spec adds there as a length and, when the
     * set recorded it, as a share of the stream's typical norm (see {@link VectorSet#strengthNote}).
     */
    public List<String> strengthNotes(List<SteerSpec> specs) {
        List<String> out = new ArrayList<>();
        for (SteerSpec s : specs) {
            VectorSet set = set(s.vector());
            for (int layer : layers(s.layers(), set, s.vector())) {
                out.add("steering: " + s.label() + " adds " + set.strengthNote(s.strength(), s.raw(), layer)
                        + (s.raw() ? " (raw: the stored vector times " + s.strength() + ")" : ""));
            }
        }
        return out;
    }

    @Override
    public InterventionSet resolve(List<SteerSpec> specs) {
        return specs.isEmpty() ? null : interventions(specs);
    }

    /**
     * {@code null} = every layer of the set; else a {@link LayerSelection} ({@code 4}, {@code 3-6},
     * {@code 1,3,5-6}, {@code all}) checked against the model's blocks first, then each chosen
     * layer must be one the set has.
     */
    SortedSet<Integer> layers(String text, VectorSet set, String name) {
        SortedSet<Integer> have = new TreeSet<>(set.vectors().keySet());
        if (text == null) {
            return have;
        }
        LayerSelection chosen = LayerSelection.parse("layers of '" + name + "'", text);
        if (chosen.isAll()) {
            return have;
        }
        SortedSet<Integer> out = new TreeSet<>(chosen.resolve(config.nLayers()));
        if (!have.containsAll(out)) {
            SortedSet<Integer> missing = new TreeSet<>(out);
            missing.removeAll(have);
            throw new IllegalArgumentException("vector set '" + name + "' has no vector for layer(s) " + missing
                    + " (it has " + have + ")");
        }
        return out;
    }
}
