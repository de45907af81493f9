package io.jsteer.weights.download;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Flow;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Receives an HTTP response body chunk by chunk with a time limit on every wait. java.net.http's
 * own InputStream blocks forever when a server stops sending mid-body; here a stall becomes an
 * IOException, which the downloader answers by resuming. One chunk is requested at a time, so
 * memory stays bounded.
 */
final class TimedBodyStream implements Flow.Subscriber<List<ByteBuffer>>, AutoCloseable {

    private static final Object END = new Object();

    private final BlockingQueue<Object> queue = new LinkedBlockingQueue<>();
    private final Duration stallTimeout;
    private volatile Flow.Subscription subscription;
    private boolean finished;

    TimedBodyStream(Duration stallTimeout) {
        this.stallTimeout = stallTimeout;
    }

    @Override
    public void onSubscribe(Flow.Subscription s) {
        subscription = s;
        s.request(1);
    }

    @Override
    public void onNext(List<ByteBuffer> item) {
        queue.add(item);
    }

    @Override
    public void onError(Throwable t) {
        queue.add(t);
    }

    @Override
    public void onComplete() {
        queue.add(END);
    }

    /** The next chunk, or null at the end of the body. */
    @SuppressWarnings("unchecked")
    List<ByteBuffer> next() throws IOException {
        if (finished) {
            return null;
        }
        Object item;
        try {
            item = queue.poll(stallTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for data", e);
        }
        if (item == null) {
            throw new IOException("no data received for " + stallTimeout.toSeconds() + " s");
        }
        if (item == END) {
            finished = true;
            return null;
        }
        if (item instanceof Throwable t) {
            finished = true;
            throw t instanceof IOException io ? io : new IOException(t);
        }
        subscription.request(1);
        return (List<ByteBuffer>) item;
    }

    @Override
    public void close() {
        Flow.Subscription s = subscription;
        if (!finished && s != null) {
            s.cancel();
        }
    }
}
