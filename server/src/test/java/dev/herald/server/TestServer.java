package dev.herald.server;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Herald started in-process on a random port with a fresh data directory, plus a client that calls
 * its API with the token. Closing stops the server and deletes the directory.
 */
final class TestServer implements AutoCloseable {
  static final String TOKEN = "test-token-e2e";
  static final String CURRENT_KEY = "sig_testCurrentKey000000000000000";
  static final String NEXT_KEY = "sig_testNextKey00000000000000000000";
  static final JsonMapper JSON = JsonMapper.builder().build();
  private final AtomicInteger witnesses = new AtomicInteger();

  private final Path dir;
  private final Map<String, String> overrides;
  private final InstantSource clock;
  private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();
  private App app;

  private TestServer(Path dir, Map<String, String> overrides, InstantSource clock) {
    this.dir = dir;
    this.overrides = overrides;
    this.clock = clock;
    this.app = App.start(ConfigLoader.load(null, Map.of(), overrides), clock);
  }

  static TestServer start() {
    return start(Map.of());
  }

  /** @param extra config overrides on top of the test defaults (e.g. "limits.max-body-bytes") */
  static TestServer start(Map<String, String> extra) {
    return start(extra, InstantSource.system());
  }

  /** @param clock the clock every part of Herald reads (a {@link TestClock} to move time by hand) */
  static TestServer start(Map<String, String> extra, InstantSource clock) {
    try {
      Path dir = Files.createTempDirectory("herald-e2e");
      Map<String, String> o = new HashMap<>();
      o.put("server.host", "127.0.0.1");
      o.put("server.port", "0");
      o.put("store.data", dir.toString());
      o.put("egress.allow-private", "true");
      o.put("auth.token", TOKEN);
      o.put("auth.current-signing-key", CURRENT_KEY);
      o.put("auth.next-signing-key", NEXT_KEY);
      o.putAll(extra);
      return new TestServer(dir, Map.copyOf(o), clock);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Stops the server and starts a new one on the same data directory (and a new port). */
  void restart() {
    restart(() -> {});
  }

  /** Like {@link #restart()}, running {@code whileStopped} (e.g. moving a {@link TestClock}) while no server runs. */
  void restart(Runnable whileStopped) {
    app.close();
    whileStopped.run();
    app = App.start(ConfigLoader.load(null, Map.of(), overrides), clock);
  }

  App app() {
    return app;
  }

  String base() {
    return "http://127.0.0.1:" + app.port();
  }

  /** A request to {@code pathAndQuery} carrying the token. */
  HttpRequest.Builder request(String pathAndQuery) {
    return anonymous(pathAndQuery).header("Authorization", "Bearer " + TOKEN);
  }

  HttpRequest.Builder anonymous(String pathAndQuery) {
    return HttpRequest.newBuilder(URI.create(base() + pathAndQuery)).timeout(Duration.ofSeconds(20));
  }

  HttpResponse<String> send(HttpRequest.Builder b) {
    try {
      return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** POSTs {@code body} to /v2/publish/{destination} with the given headers (name, value, ...). */
  HttpResponse<String> publish(String destination, String body, String... headers) {
    HttpRequest.Builder b = request("/v2/publish/" + destination).POST(HttpRequest.BodyPublishers.ofString(body));
    for (int i = 0; i < headers.length; i += 2) b.header(headers[i], headers[i + 1]);
    return send(b);
  }

  HttpResponse<String> get(String pathAndQuery) {
    return send(request(pathAndQuery).GET());
  }

  /** {@code method} with a string body (empty: none) and headers (name, value, ...). */
  HttpResponse<String> call(String method, String pathAndQuery, String body, String... headers) {
    HttpRequest.Builder b = request(pathAndQuery).method(method, body.isEmpty()
        ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    for (int i = 0; i < headers.length; i += 2) b.header(headers[i], headers[i + 1]);
    return send(b);
  }

  HttpResponse<String> post(String pathAndQuery, String body, String... headers) {
    return call("POST", pathAndQuery, body, headers);
  }

  HttpResponse<String> delete(String pathAndQuery) {
    return call("DELETE", pathAndQuery, "");
  }

  /**
   * Publishes a message due at once to {@code sink} and waits for it: the dispatcher handles due work in
   * passes, so once it has arrived a pass has run, and anything that pass could have started has started.
   */
  void awaitWitness(TestSink sink, Duration wait) {
    String path = "/witness-" + witnesses.incrementAndGet();
    idOf(publish(sink.url(path), "w"));
    sink.awaitRequests(path, 1, wait);
  }

  /** The messageId of a successful publish. */
  static String idOf(HttpResponse<String> published) {
    if (published.statusCode() != 200) throw new AssertionError("publish: " + published.statusCode() + " " + published.body());
    return json(published).get("messageId").asString();
  }

  static JsonNode json(HttpResponse<String> r) {
    return JSON.readTree(r.body());
  }

  @Override
  public void close() {
    try {
      app.close();
    } finally {
      deleteTree(dir);
    }
  }

  static void deleteTree(Path dir) {
    try (Stream<Path> s = Files.walk(dir)) {
      s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // best effort: a temp directory left behind is not a test failure
    }
  }
}
