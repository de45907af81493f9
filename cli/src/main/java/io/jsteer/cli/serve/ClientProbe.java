package io.jsteer.cli.serve;

import io.javalin.http.Context;
import java.io.IOException;
import java.nio.ByteBuffer;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.util.BufferUtil;

/**
 * Tells whether the client of a non-streamed request is still connected. A stream finds out when a
 * write fails; a non-streamed request writes nothing until the end, and Jetty does not read the
 * connection while a request is being handled, so a closed connection goes unnoticed and the server
 * would generate to the end for nobody. This asks the connection itself: a read that returns
 * end-of-stream means the client closed it (one non-blocking read syscall per token).
 *
 * <p>A read that returns a byte means the client pipelined its next request: that byte cannot be
 * put back, so probing stops and the connection is closed after this response (the client sees a
 * closed keep-alive connection and resends, as HTTP/1.1 clients do).
 */
final class ClientProbe {

    private final EndPoint endPoint;
    private final Context ctx;
    private boolean stopped;

    private ClientProbe(Context ctx, EndPoint endPoint) {
        this.ctx = ctx;
        this.endPoint = endPoint;
    }

    /** A probe for {@code ctx}'s connection; one that always answers "connected" when it cannot reach it. */
    static ClientProbe of(Context ctx) {
        Request base = Request.getBaseRequest(ctx.req());
        return new ClientProbe(ctx, base == null || base.getHttpChannel() == null ? null : base.getHttpChannel().getEndPoint());
    }

    boolean gone() {
        if (endPoint == null || stopped) {
            return false;
        }
        if (!endPoint.isOpen() || endPoint.isInputShutdown()) {
            return true;
        }
        ByteBuffer one = BufferUtil.allocate(1);
        try {
            int n = endPoint.fill(one);
            if (n > 0) {
                stopped = true;
                ctx.header("Connection", "close");
            }
            return n < 0;
        } catch (IOException e) {
            return true; // reset by the peer
        }
    }
}
