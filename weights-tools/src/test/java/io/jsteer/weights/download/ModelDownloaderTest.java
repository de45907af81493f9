package io.jsteer.weights.download;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.jsteer.weights.SharedFiles;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The downloader against a loopback server that serves the shared copies, well or badly. */
class ModelDownloaderTest {

    enum Mode { NORMAL, IGNORE_RANGE, TRUNCATE_FIRST, CORRUPT, NOT_FOUND }

    @TempDir
    Path dir;

    private HttpServer server;
    private volatile Mode mode = Mode.NORMAL;
    /** The Range header of each request ("" when none). */
    private final List<String> ranges = new CopyOnWriteArrayList<>();
    private final AtomicInteger requests = new AtomicInteger();

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/repo/", this::serve);
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private URI base() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/repo/");
    }

    private void serve(HttpExchange ex) throws IOException {
        int n = requests.incrementAndGet();
        String range = ex.getRequestHeaders().getFirst("Range");
        ranges.add(range == null ? "" : range);
        String name = ex.getRequestURI().getPath().substring(ex.getRequestURI().getPath().lastIndexOf('/') + 1);
        if (mode == Mode.NOT_FOUND || !(name.equals("stories260K.bin") || name.equals("tok512.bin"))) {
            ex.sendResponseHeaders(404, -1);
            ex.close();
            return;
        }
        byte[] body = Files.readAllBytes(SharedFiles.model(name));
        if (mode == Mode.CORRUPT) {
            body[body.length / 2] ^= 0x55;
        }
        int start = 0;
        Matcher m = Pattern.compile("bytes=(\\d+)-").matcher(range == null ? "" : range);
        if (m.matches() && mode != Mode.IGNORE_RANGE) {
            start = Integer.parseInt(m.group(1));
            ex.getResponseHeaders().add("Content-Range", "bytes " + start + "-" + (body.length - 1) + "/" + body.length);
        }
        byte[] send = Arrays.copyOfRange(body, start, body.length);
        ex.sendResponseHeaders(start > 0 ? 206 : 200, send.length);
        try (OutputStream out = ex.getResponseBody()) {
            if (mode == Mode.TRUNCATE_FIRST && n == 1) {
                out.write(send, 0, send.length / 3);
                out.flush();
                // stop mid-body: the client gets no more bytes on this connection
                throw new IOException("simulated connection drop");
            }
            out.write(send);
        } catch (IOException dropped) {
            // the exchange closes with fewer bytes than announced: the client sees a cut body
        }
    }

    private ModelDownloader downloader(int attempts) {
        return new ModelDownloader(base(), false, attempts, Duration.ofSeconds(2));
    }

    @Test
    void downloadsBothKnownFilesAndVerifiesThem() throws IOException {
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            ModelDownloader d = new ModelDownloader(base(), true, 3, Duration.ofSeconds(5));
            for (KnownModel model : KnownModels.all()) {
                Path file = d.download(model, dir);
                assertEquals(model.fileName(), file.getFileName().toString());
                assertEquals(model.sha256(), ModelDownloader.sha256(file));
                assertFalse(Files.exists(dir.resolve(model.fileName() + ".part")));
            }
            assertEquals(List.of("", ""), ranges);
            d.download(KnownModels.STORIES_260K, dir);
            assertEquals(2, requests.get(), "a verified file is not fetched again");
        });
    }

    @Test
    void resumesAPartFileWithARangeRequest() throws IOException {
        byte[] real = Files.readAllBytes(SharedFiles.model("stories260K.bin"));
        Files.write(dir.resolve("stories260K.bin.part"), Arrays.copyOf(real, 100_000));
        Path file = assertTimeoutPreemptively(Duration.ofSeconds(30), () -> downloader(1).download(KnownModels.STORIES_260K, dir));
        assertEquals(List.of("bytes=100000-"), ranges);
        assertEquals(KnownModels.STORIES_260K.sha256(), ModelDownloader.sha256(file));
    }

    @Test
    void serverIgnoringRangeRestartsFromScratch() throws IOException {
        mode = Mode.IGNORE_RANGE;
        byte[] real = Files.readAllBytes(SharedFiles.model("tok512.bin"));
        Files.write(dir.resolve("tok512.bin.part"), Arrays.copyOf(real, 3000));
        Path file = downloader(1).download(KnownModels.TOK512, dir);
        assertEquals(List.of("bytes=3000-"), ranges);
        assertEquals(-1L, Files.mismatch(file, SharedFiles.model("tok512.bin")));
    }

    @Test
    void interruptedTransferIsResumedByTheNextAttempt() throws IOException {
        mode = Mode.TRUNCATE_FIRST;
        Path file = assertTimeoutPreemptively(Duration.ofSeconds(60),
                () -> downloader(3).download(KnownModels.STORIES_260K, dir));
        assertEquals(2, ranges.size(), ranges.toString());
        assertEquals("", ranges.get(0));
        assertTrue(ranges.get(1).startsWith("bytes="), ranges.toString());
        assertFalse(ranges.get(1).equals("bytes=0-"));
        assertEquals(KnownModels.STORIES_260K.sha256(), ModelDownloader.sha256(file));
    }

    @Test
    void interruptedSingleAttemptKeepsThePartForALaterRun() throws IOException {
        mode = Mode.TRUNCATE_FIRST;
        DownloadException e = assertTimeoutPreemptively(Duration.ofSeconds(30), () -> assertThrows(DownloadException.class,
                () -> downloader(1).download(KnownModels.STORIES_260K, dir)));
        assertTrue(e.getMessage().contains("incomplete") && e.getMessage().contains("resume"), e.getMessage());
        long kept = Files.size(dir.resolve("stories260K.bin.part"));
        assertTrue(kept > 0 && kept < KnownModels.STORIES_260K.size(), "kept " + kept);
        Path file = downloader(1).download(KnownModels.STORIES_260K, dir);
        assertEquals("bytes=" + kept + "-", ranges.get(1));
        assertEquals(KnownModels.STORIES_260K.sha256(), ModelDownloader.sha256(file));
    }

    @Test
    void corruptedBodyFailsTheChecksumAndIsDeleted() {
        mode = Mode.CORRUPT;
        DownloadException e = assertThrows(DownloadException.class, () -> downloader(3).download(KnownModels.TOK512, dir));
        assertTrue(e.getMessage().contains("sha256 mismatch") && e.getMessage().contains(KnownModels.TOK512.sha256()),
                e.getMessage());
        assertFalse(Files.exists(dir.resolve("tok512.bin.part")));
        assertFalse(Files.exists(dir.resolve("tok512.bin")));
    }

    @Test
    void notFoundIsAClearError() {
        mode = Mode.NOT_FOUND;
        DownloadException e = assertThrows(DownloadException.class, () -> downloader(3).download(KnownModels.TOK512, dir));
        assertTrue(e.getMessage().contains("HTTP 404") && e.getMessage().contains("/repo/stories260K/tok512.bin"),
                e.getMessage());
        assertEquals(1, requests.get(), "a 404 is not retried");
        assertFalse(Files.exists(dir.resolve("tok512.bin")));
    }

    @Test
    void mirrorPropertyReplacesTheDefaultBaseUrl() {
        assertEquals(URI.create("https://huggingface.co/karpathy/tinyllamas/resolve/main/stories260K/stories260K.bin"),
                new ModelDownloader(URI.create(KnownModels.DEFAULT_BASE_URL)).urlOf(KnownModels.STORIES_260K));
        String old = System.getProperty(ModelDownloader.MIRROR_PROPERTY);
        try {
            System.setProperty(ModelDownloader.MIRROR_PROPERTY, base().toString().replaceAll("/$", ""));
            assertEquals(base().resolve("stories260K/tok512.bin"), new ModelDownloader().urlOf(KnownModels.TOK512));
        } finally {
            if (old == null) {
                System.clearProperty(ModelDownloader.MIRROR_PROPERTY);
            } else {
                System.setProperty(ModelDownloader.MIRROR_PROPERTY, old);
            }
        }
    }
}
