package io.jsteer.steering.data;

import io.jsteer.weights.InputFiles;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * A file a dataset was read from and the SHA-256 of its bytes, for provenance: a vector file
 * names the exact data it was made from.
 */
public record DatasetSource(Path path, String sha256) {

    public static DatasetSource of(Path path, byte[] content) {
        return new DatasetSource(path, sha256(content));
    }

    /** Hashes the file's bytes. */
    public static DatasetSource of(Path path) {
        return of(path, InputFiles.readBytes("dataset", path, InputFiles.DATASET_LIMIT));
    }

    public static String sha256(byte[] content) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }
}
