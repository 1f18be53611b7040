package dev.herald.server;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Comparator;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * A short synthetic workload for the JVM's ahead-of-time cache (JDK 25+, {@code -XX:AOTCacheOutput}):
 * a real Herald on loopback with a fresh temporary store, delivering to a local sink. First it
 * publishes {@code messages} messages ({@code /v2/publish}, each delivered at once); then it enqueues
 * half as many into a paused queue ({@code /v2/enqueue}) and resumes the queue, so the queue's ingest
 * and drain paths are trained too. The cache then holds the classes Herald loads and the profiles of
 * these hot paths, so a later start compiles them at once instead of interpreting them first
 * (docs/performance.md). Everything it creates is removed; it never touches a real data directory.
 */
final class Training {
  private static final Duration BOUND = Duration.ofSeconds(120);
  private static final int CONCURRENCY = 32;
  private static final String QUEUE = "herald-training";

  private Training() {}

  /** How many messages the queue phase enqueues after {@code messages} publishes. */
  static int queued(int messages) {
    return messages / 2;
  }

  /**
   * Runs the workload; returns how many messages were delivered over both phases (all of them,
   * {@code messages + queued(messages)}, or fewer when the bound ran out).
   */
  static int run(int messages) throws IOException, InterruptedException {
    Path dir = Files.createTempDirectory("herald-train");
    AtomicInteger delivered = new AtomicInteger();
    HttpServer sink = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 256);
    sink.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
    sink.createContext("/", ex -> {
      try (InputStream in = ex.getRequestBody()) {
        in.readAllBytes();
      }
      ex.sendResponseHeaders(200, -1);
      ex.close();
      delivered.incrementAndGet();
    });
    sink.start();
    Config c = ConfigLoader.load(null, Map.of(), Map.of("server.host", "127.0.0.1", "server.port", "0",
        "store.data", dir.toString(), "egress.allow-private", "true", "auth.token", Main.DEV_TOKEN,
        "auth.current-signing-key", Main.DEV_CURRENT_KEY, "auth.next-signing-key", Main.DEV_NEXT_KEY));
    long deadline = System.nanoTime() + BOUND.toNanos();
    try (App app = App.start(c, InstantSource.system());
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()) {
      String herald = "http://127.0.0.1:" + app.port();
      String dest = "http://127.0.0.1:" + sink.getAddress().getPort() + "/t";
      send(client, herald + "/v2/publish/" + dest, messages, deadline);
      awaitDelivered(delivered, messages, deadline);

      ok(send(client, herald + "/v2/queues", "{\"queueName\":\"" + QUEUE + "\",\"parallelism\":200,\"paused\":true}"));
      send(client, herald + "/v2/enqueue/" + QUEUE + "/" + dest, queued(messages), deadline);
      if (delivered.get() > messages) throw new IllegalStateException("the training queue was not paused");
      ok(send(client, herald + "/v2/queues/" + QUEUE + "/resume", ""));
      awaitDelivered(delivered, messages + queued(messages), deadline);
      return delivered.get();
    } finally {
      sink.stop(0);
      try (Stream<Path> walk = Files.walk(dir)) {
        walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  /** Posts {@code count} small JSON messages to {@code target}, {@link #CONCURRENCY} at a time. */
  private static void send(HttpClient client, String target, int count, long deadline) throws InterruptedException {
    Semaphore inFlight = new Semaphore(CONCURRENCY);
    try (ExecutorService publishers = Executors.newVirtualThreadPerTaskExecutor()) {
      for (int i = 0; i < count && System.nanoTime() < deadline; i++) {
        inFlight.acquire();
        String body = "{\"n\":" + i + ",\"payload\":\"training\"}";
        publishers.submit(() -> {
          try {
            send(client, target, body);
          } catch (IOException | InterruptedException e) {
            // a lost publish only shortens the training
          } finally {
            inFlight.release();
          }
        });
      }
    }
  }

  private static int send(HttpClient client, String target, String body) throws IOException, InterruptedException {
    return client.send(HttpRequest.newBuilder(URI.create(target)).timeout(Duration.ofSeconds(30))
        .header("Authorization", "Bearer " + Main.DEV_TOKEN).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
  }

  private static void ok(int status) throws IOException {
    if (status / 100 != 2) throw new IOException("training: Herald answered " + status);
  }

  private static void awaitDelivered(AtomicInteger delivered, int total, long deadline) throws InterruptedException {
    while (delivered.get() < total && System.nanoTime() < deadline) TimeUnit.MILLISECONDS.sleep(20);
  }
}
