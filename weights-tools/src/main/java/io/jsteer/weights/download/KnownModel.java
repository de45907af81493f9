package io.jsteer.weights.download;

/**
 * A downloadable file: its path below the repository's base URL, the local file name, and the
 * expected size and sha256 (lower-case hex) that a download must match.
 */
public record KnownModel(String name, String remotePath, String fileName, long size, String sha256) {
}
