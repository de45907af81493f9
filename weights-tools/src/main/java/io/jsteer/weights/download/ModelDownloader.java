package io.jsteer.weights.download;

import io.jsteer.weights.AtomicFileWriter;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.Flow;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import io.jsteer.weights.ProgressBars;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;

/**
 * Downloads a {@link KnownModel} into a directory: bytes go to {@code <file>.part}, an interrupted
 * transfer resumes with an HTTP Range request (a server that ignores Range and answers 200 is
 * handled by starting over), the finished file must match the expected size and sha256 (else the
 * part file is deleted), and only then is it renamed into place atomically. Progress is drawn on
 * stderr.
 */
public final class ModelDownloader {

    /** System property that replaces the default base URL (a mirror or a local test server). */
    public static final String MIRROR_PROPERTY = "jsteer.mirror";

    private static final Pattern CONTENT_RANGE = Pattern.compile("bytes (\\d+)-(\\d+)/(\\d+|\\*)");

    private final URI baseUrl;
    private final boolean showProgress;
    private final int maxAttempts;
    private final Duration stallTimeout;
    private final HttpClient client;

    /** Base URL from {@code -Djsteer.mirror=...}, else Karpathy's Hugging Face repository. */
    public ModelDownloader() {
        this(URI.create(System.getProperty(MIRROR_PROPERTY, KnownModels.DEFAULT_BASE_URL)), true, 3);
    }

    public ModelDownloader(URI baseUrl) {
        this(baseUrl, true, 3);
    }

    /**
     * @param maxAttempts transfers tried (each resuming the previous one) before giving up
     */
    public ModelDownloader(URI baseUrl, boolean showProgress, int maxAttempts) {
        this(baseUrl, showProgress, maxAttempts, Duration.ofSeconds(60));
    }

    /**
     * @param stallTimeout how long to wait for the response or for more body bytes before the
     *                     attempt is abandoned (and the next one resumes)
     */
    public ModelDownloader(URI baseUrl, boolean showProgress, int maxAttempts, Duration stallTimeout) {
        this.stallTimeout = stallTimeout;
        String s = baseUrl.toString();
        this.baseUrl = URI.create(s.endsWith("/") ? s : s + "/");
        this.showProgress = showProgress;
        this.maxAttempts = Math.max(1, maxAttempts);
        this.client = HttpClient.newBuilder()
                .followRedirects(HttpClient.Redirect.NORMAL) // Hugging Face redirects to its CDN
                .connectTimeout(Duration.ofSeconds(30))
                .build();
    }

    public URI urlOf(KnownModel model) {
        return baseUrl.resolve(model.remotePath());
    }

    /** Downloads (or finds already downloaded and verified) {@code model} into {@code directory}. */
    public Path download(KnownModel model, Path directory) throws IOException {
        Files.createDirectories(directory);
        Path target = directory.resolve(model.fileName());
        if (Files.isRegularFile(target) && Files.size(target) == model.size() && sha256(target).equals(model.sha256())) {
            return target;
        }
        Path part = directory.resolve(model.fileName() + ".part");
        URI url = urlOf(model);
        IOException lastFailure = null;
        for (int attempt = 1; attempt <= maxAttempts && partSize(part) != model.size(); attempt++) {
            try {
                transfer(url, model, part);
            } catch (DownloadException e) {
                throw e;
            } catch (IOException e) {
                lastFailure = e; // connection dropped: the next attempt resumes from the part file
            }
        }
        long have = partSize(part);
        if (have != model.size() && lastFailure != null && isUnreachable(lastFailure)) {
            // offline, DNS failure, refused or timed-out connection: say which host, not "incomplete"
            throw new DownloadException("cannot reach " + hostOf(url) + " (" + describe(lastFailure) + ", " + maxAttempts
                    + (maxAttempts == 1 ? " attempt" : " attempts") + "); check the network, or give a reachable mirror with --mirror URL"
                    + (have > 0 ? " (" + have + " of " + model.size() + " bytes kept in " + part + "; run again to resume)" : ""),
                    lastFailure);
        }
        if (have != model.size()) {
            throw new DownloadException("download of " + url + " incomplete after " + maxAttempts + " attempts ("
                    + have + " of " + model.size() + " bytes kept in " + part + "; run again to resume)", lastFailure);
        }
        String actual = sha256(part);
        if (!actual.equals(model.sha256())) {
            Files.deleteIfExists(part);
            throw new DownloadException("sha256 mismatch for " + url + ": expected " + model.sha256() + ", got "
                    + actual + " (the downloaded file was deleted)");
        }
        AtomicFileWriter.moveIntoPlace(part, target);
        return target;
    }

    /** Whether the failure happened before any HTTP exchange: no route, no name, refused, connect time-out. */
    static boolean isUnreachable(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof java.net.ConnectException || t instanceof java.net.UnknownHostException
                    || t instanceof java.nio.channels.UnresolvedAddressException || t instanceof java.net.NoRouteToHostException
                    || t instanceof java.net.http.HttpConnectTimeoutException) {
                return true;
            }
        }
        return false;
    }

    private static String hostOf(URI url) {
        return url.getHost() + (url.getPort() >= 0 ? ":" + url.getPort() : "");
    }

    /** What went wrong in words (the JDK's HttpClient often gives these exceptions no message). */
    private static String describe(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof java.net.UnknownHostException || t instanceof java.nio.channels.UnresolvedAddressException) {
                return "unknown host";
            }
            if (t instanceof java.net.http.HttpConnectTimeoutException) {
                return "connection timed out";
            }
            if (t instanceof java.net.NoRouteToHostException) {
                return "no route to host";
            }
        }
        // only now a plain ConnectException: it also wraps the more specific causes above
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof java.net.ConnectException c) {
                return c.getMessage() == null ? "connection refused" : c.getMessage();
            }
        }
        return e.toString();
    }

    private static long partSize(Path part) throws IOException {
        return Files.exists(part) ? Files.size(part) : 0;
    }

    /** One HTTP transfer into the part file, resuming from its current length. */
    private void transfer(URI url, KnownModel model, Path part) throws IOException {
        long have = partSize(part);
        if (have > model.size()) {
            Files.delete(part); // longer than the real file: cannot be a prefix of it
            have = 0;
        }
        HttpRequest.Builder request = HttpRequest.newBuilder(url).timeout(stallTimeout).GET();
        if (have > 0) {
            request.header("Range", "bytes=" + have + "-");
        }
        HttpResponse<Flow.Publisher<List<ByteBuffer>>> response;
        try {
            response = client.send(request.build(), HttpResponse.BodyHandlers.ofPublisher());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DownloadException("download of " + url + " interrupted", e);
        }
        try (TimedBodyStream body = new TimedBodyStream(stallTimeout)) {
            response.body().subscribe(body);
            int status = response.statusCode();
            boolean append;
            if (status == 206) {
                long start = rangeStart(response).orElse(-1L);
                if (start != have) {
                    Files.deleteIfExists(part);
                    throw new IOException("server resumed at byte " + start + " instead of " + have + "; starting over");
                }
                append = true;
            } else if (status == 200) {
                append = false; // the server ignored Range (or there was none): the body is the whole file
                have = 0;
            } else if (status == 416) {
                Files.deleteIfExists(part);
                throw new IOException("server refused to resume (HTTP 416); starting over");
            } else if (status >= 500) {
                throw new IOException("GET " + url + ": HTTP " + status);
            } else {
                throw new DownloadException("GET " + url + ": HTTP " + status
                        + (status == 404 ? " (not found: check the base URL or -D" + MIRROR_PROPERTY + ")" : ""));
            }
            copy(body, part, append, have, model);
        }
    }

    private static Optional<Long> rangeStart(HttpResponse<?> response) {
        return response.headers().firstValue("Content-Range").map(CONTENT_RANGE::matcher)
                .filter(Matcher::matches).map(m -> Long.parseLong(m.group(1)));
    }

    private void copy(TimedBodyStream body, Path part, boolean append, long have, KnownModel model) throws IOException {
        StandardOpenOption mode = append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING;
        try (OutputStream out = Files.newOutputStream(part, StandardOpenOption.CREATE, StandardOpenOption.WRITE, mode);
             ProgressBar bar = showProgress ? progressBar(model, have) : null) {
            byte[] buffer = new byte[1 << 16];
            long written = have;
            for (List<ByteBuffer> chunk; (chunk = body.next()) != null; ) {
                for (ByteBuffer b : chunk) {
                    while (b.hasRemaining()) {
                        int n = Math.min(buffer.length, b.remaining());
                        if (written + n > model.size()) {
                            throw new DownloadException("server sent more than the expected " + model.size()
                                    + " bytes of " + model.fileName());
                        }
                        b.get(buffer, 0, n);
                        out.write(buffer, 0, n);
                        written += n;
                    }
                }
                if (bar != null) {
                    bar.stepTo(written);
                }
            }
        }
    }

    private static ProgressBar progressBar(KnownModel model, long initial) {
        return ProgressBars.build(new ProgressBarBuilder()
                .setTaskName(model.fileName())
                .setInitialMax(model.size())
                .startsFrom(initial, Duration.ZERO)
                .setUnit(" KiB", 1024));
    }

    /** Lower-case hex sha256 of a file. */
    public static String sha256(Path file) throws IOException {
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK always has SHA-256", e);
        }
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buffer = new byte[1 << 16];
            int n;
            while ((n = in.read(buffer)) > 0) {
                digest.update(buffer, 0, n);
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }
}
