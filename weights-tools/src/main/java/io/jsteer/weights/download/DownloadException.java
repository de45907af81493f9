package io.jsteer.weights.download;

import java.io.IOException;

/** A download that cannot complete: HTTP error, wrong size or checksum. The message says which. */
public class DownloadException extends IOException {

    private static final long serialVersionUID = 1L;

    public DownloadException(String message) {
        super(message);
    }

    public DownloadException(String message, Throwable cause) {
        super(message, cause);
    }
}
