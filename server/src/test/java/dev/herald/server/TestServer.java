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

  /** As {@link #start(Map)}, with the server reading time from {@code clock} (a test clock that jumps). */
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
    app.close();
    app = App.start(ConfigLoader.load(null, Map.of(), overrides), clock);
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
