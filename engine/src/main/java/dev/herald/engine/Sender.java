package dev.herald.engine;

import dev.herald.core.delivery.Outcome;
import dev.herald.core.message.HeaderParser;
import dev.herald.core.message.Message;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.hc.client5.http.classic.methods.HttpUriRequestBase;
import org.apache.hc.client5.http.config.ConnectionConfig;
import org.apache.hc.client5.http.config.RequestConfig;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.client5.http.impl.classic.HttpClients;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManager;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManagerBuilder;
import org.apache.hc.core5.http.ClassicHttpResponse;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.HttpEntity;
import org.apache.hc.core5.http.io.SocketConfig;
import org.apache.hc.core5.http.io.entity.ByteArrayEntity;
import org.apache.hc.core5.io.CloseMode;
import org.apache.hc.core5.pool.PoolConcurrencyPolicy;
import org.apache.hc.core5.util.TimeValue;
import org.apache.hc.core5.util.Timeout;

/**
 * Makes one HTTP attempt for a message (spec 5.5): the body byte for byte, forwarded headers, the
 * Upstash-* delivery headers and a signature made now. HTTP/1.1, redirects never followed, nothing
 * resent by the client, a total per-attempt timeout, and at most {@code maxResponseBytes} of the
 * response body read. Never throws: every failure is an {@link Outcome}.
 *
 * <p>The client is Apache HttpClient 5's blocking ("classic") client: the attempt runs on its own
 * virtual thread, so a blocking call costs no platform thread, and there is no selector thread or
 * future chain per request (the JDK {@code HttpClient} spent more CPU per delivery than the rest of
 * Herald together: docs/performance.md). It sends the request target exactly as the destination URL
 * spells it ({@code //}, {@code ;}, dot segments and percent-escapes kept). Connections are kept alive
 * in a pool per destination host; one idle for more than a second is checked before reuse.
 * A timer cancels an attempt that passes its total timeout, which closes its connection and so ends
 * a connect, write or read in progress; reads have no timeout of their own (see the constructor).
 */
public final class Sender implements AutoCloseable {
  /**
   * Settings of the sender; {@code maxConnections} bounds open connections per destination host and in
   * all (set it to the delivery concurrency: an attempt then never waits for a connection).
   */
  public record Settings(Duration connectTimeout, Duration maxAttemptTimeout, int maxResponseBytes, int maxConnections) {}

  /**
   * Headers that describe one connection, not the message: the client sets its own, and a forwarded
   * Transfer-Encoding would make it refuse the request (RFC 9110 section 7.6.1).
   */
  private static final java.util.Set<String> HOP_BY_HOP =
      java.util.Set.of("transfer-encoding", "te", "trailer", "keep-alive", "proxy-connection");

  private final CloseableHttpClient client;
  private final Signer signer;
  private final EgressGuard egress;
  private final InstantSource clock;
  private final Settings settings;
  private final ScheduledThreadPoolExecutor timer;
  private final RequestConfig requestConfig;

  public Sender(Signer signer, EgressGuard egress, InstantSource clock, Settings settings) {
    this.signer = signer;
    this.egress = egress;
    this.clock = clock;
    this.settings = settings;
    PoolingHttpClientConnectionManager pool = PoolingHttpClientConnectionManagerBuilder.create()
        .setPoolConcurrencyPolicy(PoolConcurrencyPolicy.LAX)
        .setMaxConnPerRoute(settings.maxConnections())
        .setMaxConnTotal(settings.maxConnections())
        .setDefaultSocketConfig(SocketConfig.custom().setTcpNoDelay(true).build())
        .setDefaultConnectionConfig(ConnectionConfig.custom()
            .setConnectTimeout(Timeout.of(settings.connectTimeout()))
            // No socket (read) timeout: the attempt's alarm below ends it at its total timeout by closing
            // the connection, which also ends a read in progress. A socket timeout would make every read
            // of a virtual thread a timed park, each one scheduling and cancelling a task on the
            // scheduler's delay queue and waking its thread: about 8% of all CPU in a profile.
            .setSocketTimeout(Timeout.DISABLED)
            .setValidateAfterInactivity(TimeValue.ofSeconds(1))
            .build())
        .build();
    this.client = HttpClients.custom()
        .setConnectionManager(pool)
        .disableRedirectHandling()
        .disableAutomaticRetries()
        .disableCookieManagement()
        .disableContentCompression()
        .disableAuthCaching()
        .evictIdleConnections(TimeValue.ofSeconds(30))
        .setUserAgent("Upstash-QStash")
        .build();
    // One config for every request: only the wait for a pooled connection is bounded here (it does not
    // happen when maxConnections is the delivery concurrency); the alarm below bounds the whole attempt,
    // that wait included, at the message's own timeout.
    this.requestConfig = RequestConfig.custom()
        .setConnectionRequestTimeout(Timeout.of(settings.maxAttemptTimeout())).build();
    this.timer = new ScheduledThreadPoolExecutor(1, r -> Thread.ofPlatform().name("herald-attempt-timer").daemon(true).unstarted(r));
    timer.setRemoveOnCancelPolicy(true);
  }

  public Outcome send(Message stored) {
    Message m = WorkflowRuns.delivery(stored);
    URI uri;
    try {
      uri = URI.create(m.url());
      // non-ASCII characters are percent-encoded as UTF-8, everything else is sent as the URL spells it
      if (!ascii(m.url())) uri = URI.create(uri.toASCIIString());
    } catch (IllegalArgumentException e) {
      return new Outcome.NoResponse("invalid destination URL");
    }
    String refused = egress.check(uri);
    if (refused != null) return new Outcome.NoResponse(refused);
    Duration timeout = m.timeoutMillis() == null ? settings.maxAttemptTimeout()
        : Duration.ofMillis(Math.min(m.timeoutMillis(), settings.maxAttemptTimeout().toMillis()));
    HttpUriRequestBase request;
    try {
      request = new HttpUriRequestBase(m.method(), uri);
    } catch (IllegalArgumentException e) { // publish validates URLs; a message stored by an older version may slip through
      return new Outcome.NoResponse("invalid destination URL");
    }
    request.setConfig(requestConfig);
    for (Map.Entry<String, List<String>> h : m.headers().map().entrySet()) {
      String lower = h.getKey().toLowerCase(Locale.ROOT);
      if (HeaderParser.RESTRICTED.contains(lower) || HOP_BY_HOP.contains(lower)) continue;
      for (String v : h.getValue()) request.addHeader(h.getKey(), v);
    }
    request.setHeader("Upstash-Message-Id", m.id());
    request.setHeader("Upstash-Retried", Integer.toString(m.retried()));
    request.setHeader("User-Agent", "Upstash-QStash");
    request.setHeader("Upstash-Signature", signer.sign(m.url(), m.body(), clock.instant()));
    if (m.scheduleId() != null) request.setHeader("Upstash-Schedule-Id", m.scheduleId());
    if (m.topicName() != null) request.setHeader("Upstash-Topic-Name", m.topicName());
    if (m.callerIp() != null) request.setHeader("Upstash-Caller-Ip", m.callerIp());
    if (!m.labels().isEmpty()) request.setHeader("Upstash-Label", String.join(",", m.labels()));
    if (m.body().length > 0 || !(m.method().equals("GET") || m.method().equals("HEAD"))) {
      request.setEntity(new ByteArrayEntity(m.body(), null));
    }
    AtomicBoolean timedOut = new AtomicBoolean();
    ScheduledFuture<?> alarm = timer.schedule(() -> {
      timedOut.set(true);
      request.cancel();
    }, timeout.toMillis(), TimeUnit.MILLISECONDS);
    ClassicHttpResponse resp = null;
    try {
      resp = client.executeOpen(null, request, null);
      Map<String, List<String>> headers = new LinkedHashMap<>();
      for (Header h : resp.getHeaders()) headers.computeIfAbsent(h.getName(), k -> new ArrayList<>(1)).add(h.getValue());
      byte[] body = new byte[0];
      HttpEntity entity = resp.getEntity();
      if (entity != null) {
        InputStream in = entity.getContent();
        body = readUpTo(in, entity.getContentLength(), settings.maxResponseBytes());
        // More than the cap may follow: drop the connection instead of reading the rest to reuse it.
        if (body.length == settings.maxResponseBytes()) request.cancel();
        else in.close();
      }
      if (timedOut.get()) return timedOut(timeout);
      return new Outcome.Response(resp.getCode(), headers, body);
    } catch (IOException | RuntimeException e) {
      if (timedOut.get()) return timedOut(timeout);
      return failure(e, uri);
    } finally {
      alarm.cancel(false);
      closeQuietly(resp);
    }
  }

  private static boolean ascii(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) >= 0x80) return false;
    }
    return true;
  }

  /**
   * Reads at most {@code max} bytes. With a declared length the array is allocated once at its size:
   * {@code readNBytes(max)} alone allocates 16 KiB buffers per call, which was most of the garbage.
   */
  static byte[] readUpTo(InputStream in, long declared, int max) throws IOException {
    if (declared < 0 || declared > max) return in.readNBytes(max);
    byte[] b = new byte[(int) declared];
    int n = in.readNBytes(b, 0, b.length);
    return n == b.length ? b : java.util.Arrays.copyOf(b, n);
  }

  /** Releases the connection (back to the pool, or closed when the attempt was cancelled); the outcome is already known. */
  private static void closeQuietly(ClassicHttpResponse resp) {
    if (resp == null) return;
    try {
      resp.close();
    } catch (IOException | RuntimeException ignored) {
      // a cancelled attempt's connection is already closed
    }
  }

  private static Outcome timedOut(Duration timeout) {
    return new Outcome.NoResponse("timeout after " + timeout.toMillis() + "ms");
  }

  /** What went wrong, from the exception the client threw. */
  private static Outcome failure(Exception e, URI uri) {
    if (unresolved(e)) return new Outcome.NoResponse(whyUnresolved(dev.herald.core.message.HeaderParser.host(uri)));
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof org.apache.hc.client5.http.ConnectTimeoutException) return new Outcome.NoResponse("connect timeout");
      if (t instanceof java.net.SocketTimeoutException) return new Outcome.NoResponse("timeout");
      if (t instanceof java.net.ConnectException) {
        return new Outcome.NoResponse(String.valueOf(t.getMessage()).toLowerCase(Locale.ROOT).contains("timed out")
            ? "connect timeout" : "connection refused");
      }
    }
    if (e instanceof IllegalArgumentException || e instanceof IllegalStateException) {
      return new Outcome.NoResponse("request refused: " + e.getMessage());
    }
    return new Outcome.NoResponse(describe(e));
  }

  @Override
  public void close() {
    timer.shutdownNow();
    client.close(CloseMode.GRACEFUL);
  }

  /** The client reports a name it could not resolve as a ConnectException caused by UnresolvedAddressException. */
  private static boolean unresolved(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof java.net.UnknownHostException || t instanceof java.nio.channels.UnresolvedAddressException) return true;
    }
    return false;
  }

  /** Asks the resolver again (only after a failure) so the reason says whether the egress guard refused it. */
  private static String whyUnresolved(String host) {
    try {
      java.net.InetAddress.getAllByName(host);
      return "unknown host " + host;
    } catch (java.net.UnknownHostException u) {
      return u.getMessage() != null && u.getMessage().startsWith("egress") ? u.getMessage() : "unknown host " + host;
    }
  }

  private static String describe(Throwable e) {
    String msg = e.getMessage();
    return e.getClass().getSimpleName() + (msg == null ? "" : ": " + msg);
  }
}
