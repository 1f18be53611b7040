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
 * a real Herald on loopback with a fresh temporary store publishes and delivers {@code messages}
 * messages to a local sink, then stops. The cache then holds the classes Herald loads and the profiles
 * of its hot paths, so a later start compiles them at once instead of interpreting them first
 * (docs/performance.md). Everything it creates is removed; it never touches a real data directory.
 */
final class Training {
  private static final Duration BOUND = Duration.ofSeconds(120);
  private static final int CONCURRENCY = 32;

  private Training() {}

  /** Runs the workload; returns how many messages were delivered (all of them, or fewer when the bound ran out). */
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
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        ExecutorService publishers = Executors.newVirtualThreadPerTaskExecutor()) {
      String target = "http://127.0.0.1:" + app.port() + "/v2/publish/http://127.0.0.1:" + sink.getAddress().getPort() + "/t";
      Semaphore inFlight = new Semaphore(CONCURRENCY);
      for (int i = 0; i < messages && System.nanoTime() < deadline; i++) {
        inFlight.acquire();
        String body = "{\"n\":" + i + ",\"payload\":\"training\"}";
        publishers.submit(() -> {
          try {
            client.send(HttpRequest.newBuilder(URI.create(target)).timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + Main.DEV_TOKEN).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.discarding());
          } catch (IOException | InterruptedException e) {
            // a lost publish only shortens the training
          } finally {
            inFlight.release();
          }
        });
      }
      inFlight.acquire(CONCURRENCY);
      while (delivered.get() < messages && System.nanoTime() < deadline) TimeUnit.MILLISECONDS.sleep(20);
      return delivered.get();
    } finally {
      sink.stop(0);
      try (Stream<Path> walk = Files.walk(dir)) {
        walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }
}
