package io.jsteer.weights.download;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code jsteer pull} without a network names the host it could not reach (issue 14, point 5). */
class OfflineDownloadTest {

    @Test
    void anUnreachableHostIsNamed(@TempDir Path dir) throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort(); // free now, closed below: connections are refused
        }
        ModelDownloader d = new ModelDownloader(URI.create("http://127.0.0.1:" + port + "/mirror/"), false, 2, Duration.ofSeconds(5));
        DownloadException e = assertThrows(DownloadException.class, () -> d.download(KnownModels.STORIES_260K, dir));
        assertTrue(e.getMessage().startsWith("cannot reach 127.0.0.1:" + port + " (connection refused, 2 attempts)"), e.getMessage());
        assertTrue(e.getMessage().contains("2 attempts") && e.getMessage().contains("--mirror"), e.getMessage());
        assertFalse(e.getMessage().contains("incomplete"), e.getMessage());
        assertFalse(Files.exists(dir.resolve(KnownModels.STORIES_260K.fileName())));
    }

    @Test
    void anUnknownHostNameIsNamedToo(@TempDir Path dir) {
        // .invalid never resolves (RFC 2606), so this fails the same way with or without a network
        ModelDownloader d = new ModelDownloader(URI.create("https://no-such-host.invalid/"), false, 1, Duration.ofSeconds(5));
        DownloadException e = assertThrows(DownloadException.class, () -> d.download(KnownModels.STORIES_260K, dir));
        assertTrue(e.getMessage().startsWith("cannot reach no-such-host.invalid (unknown host, 1 attempt)"), e.getMessage());
    }
}
