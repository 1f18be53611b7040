package dev.herald.engine;

import dev.herald.core.delivery.Outcome;
import dev.herald.core.message.HeaderParser;
import dev.herald.core.message.Message;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;

/**
 * Makes one HTTP attempt for a message (spec 5.5): the body byte for byte, forwarded headers, the
 * Upstash-* delivery headers and a signature made now. HTTP/1.1 (no h2c upgrade on plain http),
 * redirects never followed, a per-attempt timeout, and at most {@code maxResponseBytes} of the
 * response body read. Never throws: every failure is an {@link Outcome}.
 */
public final class Sender {
  /** Settings of the sender. */
  public record Settings(Duration connectTimeout, Duration maxAttemptTimeout, int maxResponseBytes) {}

  private final HttpClient client;
  private final Signer signer;
  private final EgressGuard egress;
  private final InstantSource clock;
  private final Settings settings;

  public Sender(Signer signer, EgressGuard egress, InstantSource clock, Settings settings) {
    this.signer = signer;
    this.egress = egress;
    this.clock = clock;
    this.settings = settings;
    this.client = HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .followRedirects(HttpClient.Redirect.NEVER)
        .connectTimeout(settings.connectTimeout())
        // Response handling on virtual threads: the default cached pool grew to dozens of platform
        // threads under a burst (JFR, docs/performance.md).
        .executor(java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor())
        .build();
  }

  public Outcome send(Message m) {
    URI uri;
    try {
      uri = URI.create(m.url());
    } catch (IllegalArgumentException e) {
      return new Outcome.NoResponse("invalid destination URL");
    }
    String refused = egress.check(uri);
    if (refused != null) return new Outcome.NoResponse(refused);
    Duration timeout = m.timeoutMillis() == null ? settings.maxAttemptTimeout()
        : Duration.ofMillis(Math.min(m.timeoutMillis(), settings.maxAttemptTimeout().toMillis()));
    HttpRequest.Builder rb = HttpRequest.newBuilder(uri).timeout(timeout);
    for (Map.Entry<String, List<String>> h : m.headers().map().entrySet()) {
      if (HeaderParser.RESTRICTED.contains(h.getKey().toLowerCase())) continue;
      for (String v : h.getValue()) {
        try {
          rb.header(h.getKey(), v);
        } catch (IllegalArgumentException e) {
          // a header the JDK refuses (e.g. Date); skipping it beats failing every attempt
        }
      }
    }
    rb.setHeader("Upstash-Message-Id", m.id());
    rb.setHeader("Upstash-Retried", Integer.toString(m.retried()));
    rb.setHeader("User-Agent", "Upstash-QStash");
    rb.setHeader("Upstash-Signature", signer.sign(m.url(), m.body(), clock.instant()));
    if (m.scheduleId() != null) rb.setHeader("Upstash-Schedule-Id", m.scheduleId());
    if (m.topicName() != null) rb.setHeader("Upstash-Topic-Name", m.topicName());
    if (m.callerIp() != null) rb.setHeader("Upstash-Caller-Ip", m.callerIp());
    if (!m.labels().isEmpty()) rb.setHeader("Upstash-Label", String.join(",", m.labels()));
    rb.method(m.method(), m.body().length == 0 && m.method().equals("GET")
        ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(m.body()));
    try {
      HttpResponse<InputStream> resp = client.send(rb.build(), HttpResponse.BodyHandlers.ofInputStream());
      byte[] body;
      try (InputStream in = resp.body()) {
        body = in.readNBytes(settings.maxResponseBytes());
      }
      return new Outcome.Response(resp.statusCode(), resp.headers().map(), body);
    } catch (HttpConnectTimeoutException e) {
      return new Outcome.NoResponse("connect timeout");
    } catch (HttpTimeoutException e) {
      return new Outcome.NoResponse("timeout after " + timeout.toMillis() + "ms");
    } catch (IOException e) {
      if (unresolved(e)) return new Outcome.NoResponse(whyUnresolved(uri.getHost()));
      return new Outcome.NoResponse(describe(e));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Outcome.NoResponse("interrupted");
    } catch (IllegalArgumentException e) {
      return new Outcome.NoResponse("request refused: " + e.getMessage());
    }
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

  private static String describe(IOException e) {
    String msg = e.getMessage();
    if (e instanceof java.net.ConnectException) return "connection refused";
    return e.getClass().getSimpleName() + (msg == null ? "" : ": " + msg);
  }
}
