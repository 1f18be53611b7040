package dev.herald.api;

import dev.herald.core.ValidationException;
import dev.herald.engine.NotFoundException;
import dev.herald.store.Json;
import dev.herald.store.StoreUnavailableException;
import io.helidon.common.buffers.DataReader;
import io.helidon.http.DirectHandler;
import io.helidon.http.Header;
import io.helidon.http.ServerResponseHeaders;
import io.helidon.http.Status;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.CloseConnectionException;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Helidon glue: one catch-all handler that reads the request (body capped), authenticates,
 * dispatches through {@link Routes} and renders the answer. Errors become the QStash error body
 * in exactly one place here; anything unexpected is a bare 500 for the client and a log line for us.
 */
public final class HttpApi implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(HttpApi.class);

  /**
   * HTTP limits.
   *
   * @param stopGrace how long a stop waits for the requests in progress, from {@link #stopTakingRequests()}:
   *     {@code server.shutdown-grace}, the same grace the dispatcher gives attempts in flight (docs/guarantees.md)
   */
  public record Limits(long maxBodyBytes, int maxHeadersBytes, int maxPrologueBytes, Duration idleTimeout,
      int maxConnections, Duration readTimeout, long maxInflightBodyBytes, Duration stopGrace) {}

  private final Routes routes;
  private final Auth auth;
  private final Limits limits;
  /** Bytes of request bodies held in memory right now; bounded so overload is refused, not buffered. */
  private final java.util.concurrent.atomic.AtomicLong inflightBytes = new java.util.concurrent.atomic.AtomicLong();
  private WebServer server;
  private ReadWatchdog watchdog;
  /** Requests inside {@link #handle} now; a stop waits for them (it is also the monitor it waits on). */
  private final java.util.concurrent.atomic.AtomicInteger inProgress = new java.util.concurrent.atomic.AtomicInteger();
  private volatile boolean stopping;
  private volatile long stopDeadline;

  public HttpApi(Routes routes, Auth auth, Limits limits) {
    this.routes = routes;
    this.auth = auth;
    this.limits = limits;
  }

  /** Listens on {@code host:port}; a CannotListenException says why it cannot (in use, no such address, not allowed). */
  public int start(String host, int port) {
    probe(host, port);
    watchdog = new ReadWatchdog(limits.readTimeout(), limits.maxHeadersBytes());
    server = WebServer.builder()
        .host(host)
        .port(port)
        .maxPayloadSize(-1) // we cap bodies ourselves, to answer with the QStash error body
        .maxTcpConnections(limits.maxConnections())
        .idleConnectionTimeout(limits.idleTimeout())
        // Helidon looks for idle connections every 2 minutes by default, so a 60 s idle timeout took up to
        // 3 minutes; a quarter of the timeout (1 s to 30 s) keeps it within a quarter of its value.
        .idleConnectionPeriod(idleCheckPeriod(limits.idleTimeout()))
        // No readTimeout here: Helidon 4.5 does not apply the one of connectionOptions to the connections
        // it accepts; ReadWatchdog enforces server.read-timeout (SlowClientTest). TCP_NODELAY:
        // Helidon writes a response larger than its 8 KiB buffer in several writes, and with Nagle the
        // last, short one waits for the client's delayed ACK (up to 40 ms) on a kept-alive connection,
        // which is how the SDKs call (a 23 KB GET /v2/events took 47-65 ms each, 6-14 ms with it).
        .connectionOptions(o -> o.tcpNoDelay(true))
        .shutdownHook(false)
        .addProtocol(io.helidon.webserver.http1.Http1Config.builder()
            .maxHeadersSize(ReadWatchdog.helidonHeadersLimit(limits.maxHeadersBytes())) // ours: a 431 there
            .maxPrologueLength(limits.maxPrologueBytes())
            .validatePath(false)
            .addReceiveListener(watchdog) // the only one: Helidon 4.5 drops the events with several
            .build())
        .directHandlers(d -> {
          for (DirectHandler.EventType t : DirectHandler.EventType.values()) d.addHandler(t, HttpApi::direct);
        })
        .routing(r -> r.any(this::handle))
        .build()
        .start();
    if (server.port() <= 0) { // taken between the probe and Helidon's bind: Helidon logged it, ask again why
      close();
      probe(host, port);
      throw new CannotListenException(host, port, "the listener did not start (see the log above)");
    }
    watchdog.start();
    return server.port();
  }

  /**
   * Binds and releases {@code host:port} once, as Helidon is about to. When Helidon's own bind fails it logs
   * a stack trace and returns a server without a port, so this is where the reason can still be told in one
   * line. SO_REUSEADDR like Helidon's listener, so a port in TIME_WAIT is not reported as taken.
   */
  private static void probe(String host, int port) {
    InetSocketAddress address = new InetSocketAddress(host, port);
    if (address.isUnresolved()) throw new CannotListenException(host, port, "unknown host");
    try (java.nio.channels.ServerSocketChannel channel = java.nio.channels.ServerSocketChannel.open()) {
      channel.setOption(java.net.StandardSocketOptions.SO_REUSEADDR, true);
      channel.bind(address);
    } catch (IOException e) {
      throw new CannotListenException(host, port, e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
    }
  }

  /**
   * Requests Helidon refuses before routing (malformed request line, headers too large, bad escapes)
   * still get the QStash error body.
   */
  private static DirectHandler.TransportResponse direct(DirectHandler.TransportRequest req, DirectHandler.EventType type,
      Status status, ServerResponseHeaders headers, String message) {
    String text = switch (type) {
      case PAYLOAD_TOO_LARGE -> "request too large";
      // Helidon 4.5 reports headers over its own limit (twice ours: ReadWatchdog) as a plain bad request,
      // the same as a malformed header line, and without the reason
      case BAD_REQUEST -> switch (status.code()) {
        case 414 -> "request line too long (limits.max-request-line-bytes)";
        case 431 -> "request headers larger than limits.max-headers-bytes";
        case 501 -> "transfer coding not supported (only chunked)"; // Helidon's answer to e.g. "gzip, chunked"
        default -> "malformed request, or headers larger than limits.max-headers-bytes";
      };
      case HTTP_VERSION_NOT_SUPPORTED -> "HTTP version not supported";
      default -> status.code() >= 500 ? "internal error" : "request refused";
    };
    byte[] body = Json.MAPPER.writeValueAsBytes(Map.of("error", text));
    return DirectHandler.TransportResponse.builder()
        .status(status)
        .headers(headers)
        .header(HeaderNames.CONTENT_TYPE, "application/json")
        .entity(body)
        .keepAlive(false)
        .build();
  }

  /** How often Helidon looks for connections idle longer than {@code idleTimeout}. */
  static Duration idleCheckPeriod(Duration idleTimeout) {
    return Duration.ofMillis(Math.clamp(idleTimeout.toMillis() / 4, 1000, 30_000));
  }

  private void handle(ServerRequest req, ServerResponse res) {
    inProgress.incrementAndGet(); // before dispatch reads `stopping`: a stop that begins now waits for this request
    try {
      serve(req, res, watchdog.current());
    } finally {
      if (inProgress.decrementAndGet() == 0 && stopping) {
        synchronized (inProgress) {
          inProgress.notifyAll();
        }
      }
    }
  }

  private void serve(ServerRequest req, ServerResponse res, ReadWatchdog.Watch watch) {
    Body body = req.content().hasEntity() ? new Body(req, watch) : null;
    if (body == null) watch.done();
    try {
      ApiResponse out;
      try {
        out = dispatch(req, body);
      } catch (ApiException e) {
        out = ApiResponse.error(e.status(), e.getMessage());
        // RFC 9110 section 11.6.1: a 401 names the scheme it wants
        if (e.status() == 401) out = out.withHeader("WWW-Authenticate", "Bearer");
      } catch (ValidationException e) {
        out = ApiResponse.error(400, e.getMessage());
      } catch (NotFoundException e) {
        out = ApiResponse.error(404, e.getMessage());
      } catch (OverloadedException e) {
        out = ApiResponse.error(503, "overloaded, nothing was stored; retry later").withHeader("Retry-After", "1");
      } catch (StoppingException e) {
        out = ApiResponse.error(503, "Herald is stopping, nothing was stored; retry later").withHeader("Retry-After", "5");
      } catch (CloseConnectionException e) {
        throw e; // the connection broke, or ReadWatchdog hung up on it: nobody to answer
      } catch (RuntimeException e) {
        out = fromUnexpected(e, req);
      }
      // Refused before the body was asked for (Expect: 100-continue, no 100 sent): a client may still
      // send it, and Helidon would read it as the next request. Say so and close (RFC 9110, 10.1.1);
      // Helidon 4.5 keeps a connection open after a Connection: close answer unless told to end it.
      // While stopping, every answer ends its connection: the next request would only be refused.
      boolean close = stopping || body != null && body.notAskedFor();
      write(res, close ? out.withHeader("Connection", "close") : out, watch);
      if (body != null) body.drain(); // nothing to drain when not asked for; closing on unread data may reset the answer
      if (close) throw new CloseConnectionException("connection ends after the answer");
    } finally {
      watch.done();
    }
  }

  private ApiResponse dispatch(ServerRequest req, Body body) {
    String rawPath = req.prologue().uriPath().rawPath();
    String rawQuery = req.prologue().query().rawValue();
    Map<String, List<String>> headers = new LinkedHashMap<>();
    for (Header h : req.headers()) headers.put(h.name(), h.allValues());
    String ip = req.remotePeer().address() instanceof InetSocketAddress a && a.getAddress() != null
        ? a.getAddress().getHostAddress() : null;
    ApiRequest peek = new ApiRequest(req.prologue().method().text(), rawPath, rawQuery, headers, new byte[0], ip);
    Routes.Match m = routes.match(peek);
    if (m instanceof Routes.NotFound) throw new ApiException(404, "route not found: " + clip(rawPath));
    if (m instanceof Routes.MethodNotAllowed) throw new ApiException(405, "method not allowed");
    Routes.Found found = (Routes.Found) m;
    if (found.authenticated() && !auth.allows(peek)) throw new ApiException(401, "unauthorized");
    long reserved = reserve(req);
    try {
      ApiRequest full = peek.withBody(readBody(req, body)); // keeps the path variables of the match
      if (body != null) body.done();
      // Checked once the request is in, so the 503 is read by a client that is still sending (an answer
      // before the body, then a close, can reset the connection and destroy it). A request past this
      // point is served: the stop waits for it, and the store closes after it.
      if (stopping) throw new StoppingException();
      return found.handler().apply(full);
    } finally {
      inflightBytes.addAndGet(-reserved);
    }
  }

  /** Reserves room for this request's body (its declared length, else the maximum) or refuses with 503. */
  private long reserve(ServerRequest req) {
    if (!req.content().hasEntity()) return 0;
    long declared = req.headers().contentLength().orElse(-1);
    long want = declared >= 0 ? Math.min(declared, limits.maxBodyBytes()) : limits.maxBodyBytes();
    if (inflightBytes.addAndGet(want) > limits.maxInflightBodyBytes() && want > 0) {
      inflightBytes.addAndGet(-want);
      throw new OverloadedException();
    }
    return want;
  }

  /** Herald is stopping: the client should retry (with the next process); nothing was stored. */
  static final class StoppingException extends RuntimeException {
    StoppingException() {
      super(null, null, false, false);
    }
  }

  /** Too much work in flight: the client should retry later; nothing was stored. */
  static final class OverloadedException extends RuntimeException {
    OverloadedException() {
      super(null, null, false, false);
    }
  }

  private byte[] readBody(ServerRequest req, Body in) {
    long declared = req.headers().contentLength().orElse(-1);
    if (declared > limits.maxBodyBytes()) throw tooLarge();
    if (in == null) return new byte[0];
    try {
      if (declared >= 0) { // one array of the declared size (readNBytes(max) allocates 16 KiB buffers)
        byte[] b = new byte[(int) declared];
        int n = in.readNBytes(b, 0, b.length);
        if (n < b.length) throw new ApiException(400, "could not read request body");
        return b;
      }
      byte[] b = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, limits.maxBodyBytes() + 1));
      if (b.length > limits.maxBodyBytes()) throw tooLarge();
      return b;
    } catch (IOException | DataReader.InsufficientDataAvailableException e) { // the client ended the connection
      throw new ApiException(400, "could not read request body");
    } catch (ApiException e) {
      throw e;
    } catch (RuntimeException e) { // the framing is broken (a chunk size that is no number...): nothing to resync on
      throw new ApiException(400, "malformed request body");
    }
  }

  /**
   * A request's body, opened at most once. Every read tells {@link ReadWatchdog} that the client still
   * sends; a client that sends nothing for {@code server.read-timeout} while a read waits is hung up on.
   */
  private static final class Body extends InputStream {
    private final ServerRequest req;
    private final ReadWatchdog.Watch watch;
    private InputStream in;

    Body(ServerRequest req, ReadWatchdog.Watch watch) {
      this.req = req;
      this.watch = watch;
    }

    @Override
    public int read() throws IOException {
      watch.progress();
      return stream().read();
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      watch.progress();
      return stream().read(b, off, len);
    }

    /** The client waits for a 100 Continue before it sends the body, and none was sent. */
    boolean notAskedFor() {
      return in == null && !req.continueSent();
    }

    /** The handler has what it needs: what it does next is not reading. */
    void done() {
      watch.done();
    }

    /**
     * Reads and drops what the handler left of the body (all of it after a 401 or 404), after the answer,
     * so that the connection can carry the next request. Helidon would drain it too, but without telling
     * the watchdog. Ends the connection if the body cannot be read.
     */
    void drain() {
      // Expect: 100-continue answered without a 100: Helidon takes no body after the answer
      if (req.content().consumed() || notAskedFor()) return;
      try {
        if (read() < 0) return; // the usual case: the handler read it all, this only sees the end
        byte[] skip = new byte[8192];
        while (read(skip, 0, skip.length) >= 0) {
          // dropped
        }
      } catch (IOException | RuntimeException e) {
        throw new CloseConnectionException("request body not drained", e);
      }
    }

    private InputStream stream() {
      if (in == null) in = req.content().inputStream();
      return in;
    }
  }

  private ApiException tooLarge() {
    return new ApiException(413, "request body larger than " + limits.maxBodyBytes() + " bytes (limits.max-body-bytes)");
  }

  private static ApiResponse fromUnexpected(RuntimeException e, ServerRequest req) {
    Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
    if (cause instanceof ApiException a) return ApiResponse.error(a.status(), a.getMessage());
    if (cause instanceof ValidationException v) return ApiResponse.error(400, v.getMessage());
    if (cause instanceof NotFoundException n) return ApiResponse.error(404, n.getMessage());
    if (cause instanceof tools.jackson.databind.exc.JsonNodeException j) {
      // a JSON request body with a value of the wrong type (e.g. "paused": "yes"): the client's mistake
      String why = String.valueOf(j.getOriginalMessage());
      return ApiResponse.error(400, "body: a value has the wrong type (" + (why.length() <= 160 ? why : why.substring(0, 160) + "...") + ")");
    }
    if (cause instanceof StoreUnavailableException s) {
      log.warn("store unavailable while serving {} {}: {}", req.prologue().method().text(),
          clip(req.prologue().uriPath().rawPath()), s.getMessage());
      return ApiResponse.error(503, "storage unavailable, nothing was stored; retry later").withHeader("Retry-After", "5");
    }
    log.error("unexpected error serving {} {}", req.prologue().method().text(), clip(req.prologue().uriPath().rawPath()), cause);
    return ApiResponse.error(500, "internal error");
  }

  /** Answers larger than this go out in pieces of this size, each one a sign that the client still reads. */
  private static final int WRITE_PIECE = 64 * 1024;

  /**
   * Writes the answer. The watch times it like a read: a client that stops taking an answer larger than
   * the socket buffers (a long log or DLQ page, a message with a large body) blocks the write, and is
   * hung up on after {@code server.read-timeout} without progress. A large answer is written in pieces,
   * so a slow client that keeps reading is not cut off.
   */
  private static void write(ServerResponse res, ApiResponse out, ReadWatchdog.Watch watch) {
    res.status(out.status());
    out.headers().forEach(res::header);
    watch.progress();
    try {
      if (out.body() == null) {
        res.send();
        return;
      }
      byte[] bytes;
      if (out.body() instanceof ApiResponse.Raw raw) {
        res.header(HeaderNames.CONTENT_TYPE, raw.contentType());
        bytes = raw.bytes();
      } else {
        res.header(HeaderNames.CONTENT_TYPE, "application/json");
        bytes = Json.MAPPER.writeValueAsBytes(out.body());
      }
      if (bytes.length <= WRITE_PIECE) {
        res.send(bytes);
        return;
      }
      res.header(HeaderNames.CONTENT_LENGTH, Integer.toString(bytes.length)); // not chunked
      try (OutputStream os = res.outputStream()) {
        for (int off = 0; off < bytes.length; off += WRITE_PIECE) {
          watch.progress();
          os.write(bytes, off, Math.min(WRITE_PIECE, bytes.length - off));
        }
      }
    } catch (IOException | UncheckedIOException e) {
      throw new CloseConnectionException("answer not written", e); // the client left, or was hung up on
    }
  }

  /** Paths can carry query-like secrets; log only a prefix and never the query. */
  static String clip(String path) {
    int q = path.indexOf('?');
    String p = q < 0 ? path : path.substring(0, q);
    return p.length() <= 120 ? p : p.substring(0, 120) + "...";
  }

  public int port() {
    return server.port();
  }

  /**
   * The first step of a stop: from now on every request that is not yet read in full is answered 503
   * (QStash error body, {@code Retry-After}) with {@code Connection: close}, and every answer ends its
   * connection. Requests already read are served as usual. The port stays open, so a client that
   * calls during the stop (also on a kept-alive connection) gets that answer rather than a reset, until
   * {@link #close()}.
   */
  public void stopTakingRequests() {
    if (stopping) return;
    stopDeadline = System.nanoTime() + limits.stopGrace().toNanos();
    stopping = true;
  }

  /**
   * Stops taking requests (if not already), waits up to {@code stopGrace} from that moment for the
   * requests in progress, then closes the port and every connection. Helidon then gives a request
   * still in progress half a second before it interrupts it (its connection is cut, without an answer).
   */
  @Override
  public void close() {
    stopTakingRequests();
    if (server != null) {
      int left = awaitRequestsInProgress();
      if (left > 0) log.warn("{} request(s) still in progress after the stop's grace; closing their connections", left);
      server.stop();
    }
    if (watchdog != null) watchdog.close();
  }

  /** Waits until no request is in progress or the stop's grace is over; returns how many are left. */
  private int awaitRequestsInProgress() {
    synchronized (inProgress) {
      long left;
      while (inProgress.get() > 0 && (left = stopDeadline - System.nanoTime()) > 0) {
        try {
          inProgress.wait(Math.max(1, java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(left)));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          break;
        }
      }
      return inProgress.get();
    }
  }
}
