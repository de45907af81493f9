package io.jsteer.steering.capture;

import io.jsteer.weights.InputFiles;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.jsteer.model.intervene.Site;
import io.jsteer.weights.AtomicFileWriter;
import io.jsteer.weights.LittleEndianWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Captured activations streamed to a directory, for captures too large for memory, and read
 * back memory-mapped. The layout (version 1):
 *
 * <pre>
 * DIR/capture.json          header, written last: its presence marks a complete capture
 *   {"format": "jsteer-activations", "version": 1, "dtype": "f32", "byte_order": "little-endian",
 *    "dim": 64, "rows": 1200, "position_mode": "LAST",
 *    "sites": ["resid_post:0", …], "files": {"resid_post:0": "resid_post.0.f32", …},
 *    "rows_file": "rows.i32", "row_fields": ["prompt", "group", "position", "label"],
 *    "metadata": {…caller's…}}
 * DIR/rows.i32              rows × 4 little-endian int32: prompt, group, position (−1 = mean), label
 * DIR/resid_post.0.f32      rows × dim little-endian float32, row-major, one file per site
 * </pre>
 *
 * Row r of every site file is the same token as row r of rows.i32.
 */
public final class ActivationStore implements Activations, AutoCloseable {

    public static final String HEADER = "capture.json";
    public static final String ROWS = "rows.i32";
    public static final String FORMAT = "jsteer-activations";
    public static final int VERSION = 1;

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Path dir;
    private final List<Site> sites;
    private final int dim;
    private final int rows;
    private final PositionMode mode;
    private final JsonNode metadata;
    private final Arena arena;
    private final MemorySegment rowInfo;
    private final Map<Site, MemorySegment> data;

    private ActivationStore(Path dir, List<Site> sites, int dim, int rows, PositionMode mode, JsonNode metadata,
                            Arena arena, MemorySegment rowInfo, Map<Site, MemorySegment> data) {
        this.dir = dir;
        this.sites = sites;
        this.dim = dim;
        this.rows = rows;
        this.mode = mode;
        this.metadata = metadata;
        this.arena = arena;
        this.rowInfo = rowInfo;
        this.data = data;
    }

    /** The file name of a site's data, e.g. {@code resid_post.3.f32}. */
    public static String fileName(Site site) {
        return site.kind().label() + "." + site.layer() + ".f32";
    }

    /** Starts a capture into {@code dir} (created; an earlier capture there is replaced). */
    public static Writer create(Path dir, List<Site> sites, int dim, PositionMode mode, Map<String, Object> metadata)
            throws IOException {
        return new Writer(dir, sites, dim, mode, metadata);
    }

    /** Opens a complete capture for reading; its files are mapped until {@link #close()}. */
    public static ActivationStore open(Path dir) {
        Path header = dir.resolve(HEADER);
        if (!Files.isRegularFile(header)) {
            throw new IllegalArgumentException(dir + ": no " + HEADER + " — not a capture directory, or the capture did"
                    + " not finish");
        }
        JsonNode h;
        try {
            h = JSON.readTree(InputFiles.readText("", header, InputFiles.TEXT_LIMIT));
        } catch (IOException e) {
            throw new IllegalArgumentException(header + ": unreadable header: " + e.getMessage(), e);
        }
        if (!FORMAT.equals(h.path("format").asText()) || h.path("version").asInt() != VERSION) {
            throw new IllegalArgumentException(header + ": format/version is " + h.path("format") + "/" + h.path("version")
                    + ", expected " + FORMAT + "/" + VERSION);
        }
        int dim = positive(header, h, "dim");
        int rows = h.path("rows").asInt(-1);
        if (rows < 0) {
            throw new IllegalArgumentException(header + ": field 'rows' missing or negative");
        }
        PositionMode mode;
        try {
            mode = PositionMode.valueOf(h.path("position_mode").asText());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(header + ": field 'position_mode' is " + h.path("position_mode"));
        }
        List<Site> sites = new ArrayList<>();
        for (JsonNode s : h.path("sites")) {
            sites.add(Site.parse(s.asText()));
        }
        if (sites.isEmpty()) {
            throw new IllegalArgumentException(header + ": field 'sites' is missing or empty");
        }
        Arena arena = Arena.ofShared();
        try {
            MemorySegment info = map(dir.resolve(ROWS), 16L * rows, arena);
            Map<Site, MemorySegment> data = new HashMap<>();
            for (Site s : sites) {
                String file = h.path("files").path(s.toString()).asText(fileName(s));
                if (file.contains("/") || file.contains("\\") || file.startsWith(".")) {
                    throw new IllegalArgumentException(header + ": file of site " + s + " must be a plain name, is " + file);
                }
                data.put(s, map(dir.resolve(file), 4L * dim * rows, arena));
            }
            return new ActivationStore(dir, List.copyOf(sites), dim, rows, mode, h.path("metadata"), arena, info, data);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    private static int positive(Path file, JsonNode h, String field) {
        int v = h.path(field).asInt(-1);
        if (v <= 0) {
            throw new IllegalArgumentException(file + ": field '" + field + "' missing or not positive");
        }
        return v;
    }

    private static MemorySegment map(Path file, long expected, Arena arena) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            if (ch.size() != expected) {
                throw new IllegalArgumentException(file + ": has " + ch.size() + " bytes, the header implies " + expected);
            }
            return expected == 0 ? MemorySegment.NULL : ch.map(FileChannel.MapMode.READ_ONLY, 0, expected, arena);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    public Path dir() { return dir; }

    public PositionMode mode() { return mode; }

    /** The caller's metadata object from the header (an empty node when none). */
    public JsonNode metadata() { return metadata; }

    @Override
    public List<Site> sites() { return sites; }

    @Override
    public int dim() { return dim; }

    @Override
    public int rows() { return rows; }

    @Override
    public RowInfo info(int row) {
        java.util.Objects.checkIndex(row, rows);
        long o = 16L * row;
        return new RowInfo(rowInfo.get(I32, o), rowInfo.get(I32, o + 4), rowInfo.get(I32, o + 8), rowInfo.get(I32, o + 12));
    }

    @Override
    public void copy(Site site, int row, float[] dst) {
        requireSite(site);
        java.util.Objects.checkIndex(row, rows);
        MemorySegment.copy(data.get(site), F32, 4L * dim * row, dst, 0, dim);
    }

    @Override
    public void close() {
        if (arena.scope().isAlive()) {
            arena.close();
        }
    }

    /** Streams a capture to disk; {@link #close()} writes the header that completes it. */
    public static final class Writer implements ActivationSink, AutoCloseable {
        private final Path dir;
        private final List<Site> sites;
        private final int dim;
        private final PositionMode mode;
        private final Map<String, Object> metadata;
        private final Map<Site, FileChannel> channels = new HashMap<>();
        private final Map<Site, LittleEndianWriter> out = new HashMap<>();
        private final Map<Site, Long> written = new HashMap<>();
        private final FileChannel rowsChannel;
        private final LittleEndianWriter rowsOut;
        private final Site first;
        private int rows;
        private boolean closed;

        private Writer(Path dir, List<Site> sites, int dim, PositionMode mode, Map<String, Object> metadata) throws IOException {
            if (sites.isEmpty() || dim <= 0) {
                throw new IllegalArgumentException("a capture needs sites and a positive width");
            }
            this.dir = dir;
            this.sites = List.copyOf(sites);
            this.dim = dim;
            this.mode = mode;
            this.metadata = metadata == null ? Map.of() : new LinkedHashMap<>(metadata);
            this.first = sites.getFirst();
            Files.createDirectories(dir);
            Files.deleteIfExists(dir.resolve(HEADER)); // an old header must not vouch for new data
            rowsChannel = open(dir.resolve(ROWS));
            rowsOut = new LittleEndianWriter(rowsChannel);
            for (Site s : sites) {
                FileChannel ch = open(dir.resolve(fileName(s)));
                channels.put(s, ch);
                out.put(s, new LittleEndianWriter(ch));
                written.put(s, 0L);
            }
        }

        private static FileChannel open(Path p) throws IOException {
            return FileChannel.open(p, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
        }

        @Override
        public void accept(int prompt, CapturePrompt p, int position, Site site, float[] x) {
            LittleEndianWriter w = out.get(site);
            if (w == null) {
                throw new IllegalArgumentException("site " + site + " is not one of " + sites);
            }
            try {
                for (int i = 0; i < dim; i++) {
                    w.f32(x[i]);
                }
                written.merge(site, 1L, Long::sum);
                if (site.equals(first)) {
                    rowsOut.i32(prompt);
                    rowsOut.i32(p.group());
                    rowsOut.i32(position);
                    rowsOut.i32(p.label());
                    rows++;
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write activations to " + dir, e);
            }
        }

        public int rows() { return rows; }

        /** Flushes the data files and writes capture.json (atomically), completing the capture. */
        @Override
        public void close() throws IOException {
            if (closed) {
                return;
            }
            closed = true;
            try {
                rowsOut.close();
                rowsChannel.force(true);
                for (Site s : sites) {
                    out.get(s).close();
                    channels.get(s).force(true);
                    if (written.get(s) != rows) {
                        throw new IllegalStateException("site " + s + " received " + written.get(s) + " vectors but "
                                + first + " received " + rows + "; every site must see the same tokens");
                    }
                }
            } finally {
                rowsChannel.close();
                for (FileChannel ch : channels.values()) {
                    ch.close();
                }
            }
            Map<String, Object> h = new LinkedHashMap<>();
            h.put("format", FORMAT);
            h.put("version", VERSION);
            h.put("dtype", "f32");
            h.put("byte_order", "little-endian");
            h.put("dim", dim);
            h.put("rows", rows);
            h.put("position_mode", mode.name());
            h.put("sites", sites.stream().map(Site::toString).toList());
            Map<String, String> files = new LinkedHashMap<>();
            for (Site s : sites) {
                files.put(s.toString(), fileName(s));
            }
            h.put("files", files);
            h.put("rows_file", ROWS);
            h.put("row_fields", List.of("prompt", "group", "position", "label"));
            h.put("metadata", metadata);
            byte[] json = JSON.writeValueAsBytes(h);
            AtomicFileWriter.write(dir.resolve(HEADER), w -> w.bytes(json));
        }
    }
}
