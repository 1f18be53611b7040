package dev.herald.api;

import dev.herald.engine.Loop;
import io.helidon.http.DirectHandler;
import io.helidon.http.Header;
import io.helidon.http.HeaderNames;
import io.helidon.http.Headers;
import io.helidon.http.HttpPrologue;
import io.helidon.http.RequestException;
import io.helidon.http.Status;
import io.helidon.webserver.ConnectionContext;
import io.helidon.webserver.http.DirectTransportRequest;
import io.helidon.webserver.http1.Http1ConnectionListener;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code server.read-timeout}: hangs up on a client that stops sending while Herald reads its request
 * (slow loris). Helidon 4.5 has no such timeout for the connections it accepts: the read timeout of its
 * connection options is not applied to them, and its idle check only interrupts a connection that is
 * reading a request line.
 *
 * <p>Helidon serves each connection on its own virtual thread, so a connection's {@link Watch} is found
 * by that thread, and only that thread moves it: Helidon tells this listener when a request line has
 * been read and when the headers are complete, and {@link HttpApi} reports each read of the body and
 * the end of reading. One {@link Loop} looks at every watch each tick and closes the connection of one
 * that has been reading without moving for the timeout. A read costs a volatile write: no clock, no
 * timer, no map change (a timed socket read on a virtual thread queues a task on the JDK's delay
 * scheduler every time it blocks).
 *
 * <p>What is timed: the headers as a whole (Helidon reports nothing inside them), from the end of the
 * request line; the body between reads, so a slow client that keeps sending is not cut off. A request
 * line that stalls looks like an idle kept-alive connection and is left to {@code server.idle-timeout}.
 * A handler at work (waiting for the fsync of a publish, say) is not reading and is never timed. The
 * answer is timed like a body, a piece at a time ({@link HttpApi}): a client that stops taking it blocks
 * the write and is hung up on too.
 *
 * <p>Helidon 4.5 only delivers these events to a single receive listener (its composite of several
 * forwards nothing), so this must stay the only one. It also enforces {@code limits.max-headers-bytes}
 * with a 431 ({@link #checkHeaderSize}), which needs the same event.
 */
final class ReadWatchdog implements Http1ConnectionListener, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ReadWatchdog.class);
  /** For a request on a connection this listener never saw (none is expected): moves, but nobody looks. */
  static final Watch NONE = new Watch(() -> {});

  /** Status 431 (RFC 6585); Helidon 4.5 has no constant for it. */
  static final Status HEADERS_TOO_LARGE = Status.create(431, "Request Header Fields Too Large");

  private final long timeoutNanos;
  private final Duration timeout;
  private final int maxHeadersBytes;
  private final Map<Thread, Watch> watches = new ConcurrentHashMap<>();
  private final Loop loop;

  /**
   * @param maxHeadersBytes {@code limits.max-headers-bytes}, answered with a 431 here; Helidon's own
   *     limit must be above it ({@link #helidonHeadersLimit})
   */
  ReadWatchdog(Duration timeout, int maxHeadersBytes) {
    this.maxHeadersBytes = maxHeadersBytes;
    this.timeout = timeout;
    this.timeoutNanos = timeout.toNanos();
    // a tenth of the timeout (10 ms to 1 s): a stalled client is cut off within the timeout plus two ticks
    long tickMillis = Math.clamp(timeout.toMillis() / 10, 10, 1000);
    this.loop = new Loop("read-watchdog", Duration.ofMillis(tickMillis), () -> scan(System.nanoTime()));
  }

  void start() {
    loop.start();
  }

  /** The watch of the connection the calling thread serves, or {@link #NONE}. */
  Watch current() {
    Watch w = watches.get(Thread.currentThread());
    return w != null ? w : NONE;
  }

  @Override
  public void prologue(ConnectionContext ctx, HttpPrologue prologue) {
    Watch w = watches.get(Thread.currentThread());
    if (w == null) w = watch(Thread.currentThread(), () -> ctx.serverSocket().close());
    w.prologue = prologue;
    w.progress(); // the headers come next
  }

  @Override
  public void headers(ConnectionContext ctx, Headers headers) {
    checkHeaderSize(ctx, headers);
    Watch w = current();
    // with a body, HttpApi reads it next; without one, the handler's work is not reading
    if (headers.contains(HeaderNames.CONTENT_LENGTH) || headers.contains(HeaderNames.TRANSFER_ENCODING)) w.progress();
    else w.done();
  }

  /**
   * Headers over {@code limits.max-headers-bytes} are refused with 431 (RFC 6585). Helidon 4.5 reports its
   * own header limit as a bare 400, the same event as a malformed header line, and passes the direct
   * handler neither the cause nor its message, so Herald cannot tell them apart there. Helidon's limit is
   * therefore set above ours ({@link #helidonHeadersLimit}) and ours is counted here, as Helidon counts:
   * each line as name, ": ", value and CRLF.
   */
  private void checkHeaderSize(ConnectionContext ctx, Headers headers) {
    long size = 0;
    for (Header h : headers) {
      for (String v : h.allValues()) size += h.name().length() + v.length() + 4;
    }
    if (size <= maxHeadersBytes) return;
    throw RequestException.builder()
        .type(DirectHandler.EventType.BAD_REQUEST)
        .status(HEADERS_TOO_LARGE)
        .request(DirectTransportRequest.create(current().prologue, headers))
        .setKeepAlive(false)
        .message("request headers larger than limits.max-headers-bytes")
        .build();
  }

  /**
   * Helidon's own header limit: twice ours (at most {@code Integer.MAX_VALUE}), so that headers over ours
   * reach {@link #checkHeaderSize} and get their 431. Headers beyond even that stop Helidon's reader
   * (a 400 that names both causes it may be).
   */
  static int helidonHeadersLimit(int maxHeadersBytes) {
    return (int) Math.min(Integer.MAX_VALUE, 2L * maxHeadersBytes);
  }

  /** Registers the connection served by {@code thread}; {@code hangUp} closes it. */
  Watch watch(Thread thread, Runnable hangUp) {
    Watch w = new Watch(hangUp);
    watches.put(thread, w);
    return w;
  }

  /**
   * One pass: forgets connections whose thread has ended and hangs up on those that have been reading
   * without moving for the timeout. {@code now} is {@link System#nanoTime()}.
   */
  boolean scan(long now) {
    for (Map.Entry<Thread, Watch> e : watches.entrySet()) {
      Thread thread = e.getKey();
      Watch w = e.getValue();
      if (!thread.isAlive()) {
        watches.remove(thread, w);
        continue;
      }
      int state = w.state;
      if (!Watch.reading(state) || state != w.seen) {
        w.seen = state;
        w.seenAt = now;
      } else if (now - w.seenAt >= timeoutNanos) {
        watches.remove(thread, w);
        log.debug("closing a connection whose client sent nothing for {} while its request was read", timeout);
        try {
          w.hangUp.run();
        } catch (RuntimeException closed) {
          log.debug("closing a stalled connection failed (already closed?): {}", closed.toString());
        }
      }
    }
    return false;
  }

  /** Connections known (tests). */
  int size() {
    return watches.size();
  }

  @Override
  public void close() {
    loop.close();
    watches.clear();
  }

  /**
   * One connection's reading state. Only the connection's own thread calls {@link #progress()} and
   * {@link #done()}; only the scan reads it. The state is odd while a request is being read, and every
   * call changes it, so the scan can tell a stalled read from a moving one without a clock.
   */
  static final class Watch {
    private final Runnable hangUp;
    private volatile int state;
    /** The request line just read (the connection's own thread writes and reads it). */
    private HttpPrologue prologue;
    // the scan's own: the state it saw last and when it first saw it
    private int seen;
    private long seenAt;

    private Watch(Runnable hangUp) {
      this.hangUp = hangUp;
    }

    private static boolean reading(int state) {
      return (state & 1) != 0;
    }

    /** The request is being read, and it just moved (a read starts, a part was read). */
    void progress() {
      int s = state;
      state = reading(s) ? s + 2 : s + 1;
    }

    /** Nothing of the request is being read now. */
    void done() {
      int s = state;
      if (reading(s)) state = s + 1;
    }
  }
}
