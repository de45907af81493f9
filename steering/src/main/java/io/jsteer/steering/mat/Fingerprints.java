package io.jsteer.steering.mat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** Content hashes recorded as provenance in checkpoints and feature caches. */
public final class Fingerprints {

    /** Model files can be many GB; hashing the first 16 MiB plus the size identifies them cheaply. */
    private static final long MODEL_HEAD = 16L << 20;

    private Fingerprints() {}

    /** Lower-case hex sha256 of a whole file. */
    public static String sha256(Path file) throws IOException {
        return "sha256:" + digest(file, Long.MAX_VALUE);
    }

    /** {@code sha256-head16M:<hex>:size:<bytes>} of a model file. */
    public static String model(Path file) throws IOException {
        return "sha256-head16M:" + digest(file, MODEL_HEAD) + ":size:" + Files.size(file);
    }

    private static String digest(Path file, long limit) throws IOException {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK always has SHA-256", e);
        }
        byte[] buf = new byte[1 << 16];
        long left = limit;
        try (InputStream in = Files.newInputStream(file)) {
            int n;
            while (left > 0 && (n = in.read(buf, 0, (int) Math.min(buf.length, left))) > 0) {
                md.update(buf, 0, n);
                left -= n;
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }
}
