package dev.herald.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * R22, deduplication under concurrency and a crash. Eight publishes with one {@code Upstash-Deduplication-Id}
 * racing each other make one message: one 200, seven 202s with its id, one delivery. Content-based
 * deduplication merges a publish with the same destination, body and forwarded headers, and not one with a
 * forwarded header changed. The dedup row commits with the message: after a SIGKILL right after the 200, the
 * same id still answers 202 with the same message id. After {@code retention.dedup-window} the id is new again.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class DedupFaultTest {
  private static final Duration WAIT = Duration.ofSeconds(60);

  @TempDir
  Path data;

  private final TestSink sink = TestSink.start();
  private TestServer server;
  private HeraldProcess process;

  @AfterEach
  void stop() {
    if (server != null) server.close();
    if (process != null) process.close();
    sink.close();
  }

  @Test
  void eight_racing_publishes_with_one_deduplication_id_make_one_message_until_the_window_ends() throws Exception {
    TestClock clock = new TestClock(Instant.now());
    server = TestServer.start(Map.of("retention.dedup-window", "10s"), clock);

    List<HttpResponse<String>> answers = race(8, () -> server.publish(sink.url("/once"), "same", "Upstash-Deduplication-Id", "order-42"));

    assertThat(answers).filteredOn(r -> r.statusCode() == 200).as("publishes that made a message").hasSize(1);
    assertThat(answers).filteredOn(r -> r.statusCode() == 202).hasSize(7);
    String id = TestServer.idOf(answers.stream().filter(r -> r.statusCode() == 200).findFirst().orElseThrow());
    assertThat(answers).allSatisfy(r -> assertThat(TestServer.json(r).get("messageId").asString()).isEqualTo(id));
    sink.awaitRequests("/once", 1, WAIT);
    server.awaitWitness(sink, WAIT);
    assertThat(sink.requests("/once")).hasSize(1);

    clock.advance(Duration.ofSeconds(11)); // past the window
    HttpResponse<String> later = server.publish(sink.url("/once"), "same", "Upstash-Deduplication-Id", "order-42");
    assertThat(later.statusCode()).as(later.body()).isEqualTo(200);
    assertThat(TestServer.idOf(later)).isNotEqualTo(id);
    sink.awaitRequests("/once", 2, WAIT);
  }

  @Test
  void content_based_deduplication_looks_at_destination_body_and_forwarded_headers() {
    server = TestServer.start();
    String[] h = {"Upstash-Content-Based-Deduplication", "true", "Upstash-Forward-X-Tenant", "t1"};

    String first = TestServer.idOf(server.publish(sink.url("/content"), "same", h));
    HttpResponse<String> again = server.publish(sink.url("/content"), "same", h);
    HttpResponse<String> otherHeader = server.publish(sink.url("/content"), "same",
        "Upstash-Content-Based-Deduplication", "true", "Upstash-Forward-X-Tenant", "t2");
    HttpResponse<String> otherDestination = server.publish(sink.url("/content-2"), "same", h);

    assertThat(again.statusCode()).isEqualTo(202);
    assertThat(TestServer.json(again).get("messageId").asString()).isEqualTo(first);
    assertThat(otherHeader.statusCode()).as("a forwarded header changed").isEqualTo(200);
    assertThat(otherDestination.statusCode()).isEqualTo(200);
    sink.awaitRequests("/content", 2, WAIT);
    sink.awaitRequests("/content-2", 1, WAIT);
    server.awaitWitness(sink, WAIT);
    assertThat(sink.requests("/content")).extracting(r -> r.header("X-Tenant")).containsExactlyInAnyOrder("t1", "t2");
  }

  @Test
  void a_deduplication_id_acknowledged_just_before_a_sigkill_still_deduplicates_after_the_restart() throws Exception {
    process = HeraldProcess.start(data);
    HttpResponse<String> first = publish("/crash", "Upstash-Deduplication-Id", "pay-7");
    assertThat(first.statusCode()).as(first.body()).isEqualTo(200);
    HttpResponse<String> content = publish("/crash-content", "Upstash-Content-Based-Deduplication", "true");
    assertThat(content.statusCode()).as(content.body()).isEqualTo(200);
    process.kill(); // at once: whatever was acknowledged must be on disk

    process = process.restart();
    HttpResponse<String> again = publish("/crash", "Upstash-Deduplication-Id", "pay-7");
    HttpResponse<String> contentAgain = publish("/crash-content", "Upstash-Content-Based-Deduplication", "true");

    assertThat(again.statusCode()).as(again.body()).isEqualTo(202);
    assertThat(idOf(again)).isEqualTo(idOf(first));
    assertThat(contentAgain.statusCode()).as(contentAgain.body()).isEqualTo(202);
    assertThat(idOf(contentAgain)).isEqualTo(idOf(content));
    for (String path : List.of("/crash", "/crash-content")) {
      sink.awaitRequests(path, 1, WAIT);
      await().atMost(WAIT).pollInterval(Duration.ofMillis(50)).until(() -> finished(path.equals("/crash") ? first : content));
      assertThat(sink.requests(path)).as("deliveries to %s: one, plus at most one from the crash", path).hasSizeBetween(1, 2);
      assertThat(sink.requests(path)).extracting(r -> r.header("Upstash-Message-Id")).containsOnly(idOf(path.equals("/crash") ? first : content));
    }
  }

  /** Runs {@code n} copies of {@code call} released at the same moment; returns their answers. */
  private static List<HttpResponse<String>> race(int n, java.util.concurrent.Callable<HttpResponse<String>> call) throws Exception {
    CountDownLatch go = new CountDownLatch(1);
    List<Future<HttpResponse<String>>> futures = new ArrayList<>();
    try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
      for (int i = 0; i < n; i++) {
        futures.add(pool.submit(() -> {
          go.await();
          return call.call();
        }));
      }
      go.countDown();
      List<HttpResponse<String>> out = new ArrayList<>();
      for (Future<HttpResponse<String>> f : futures) out.add(f.get(60, TimeUnit.SECONDS));
      return out;
    }
  }

  private HttpResponse<String> publish(String path, String... headers) throws IOException, InterruptedException {
    return process.call("POST", "/v2/publish/" + sink.url(path), "crash body", headers);
  }

  private boolean finished(HttpResponse<String> published) throws IOException, InterruptedException {
    return process.call("GET", "/v2/messages/" + idOf(published), "").statusCode() == 404;
  }

  private static String idOf(HttpResponse<String> r) {
    return TestServer.json(r).get("messageId").asString();
  }
}
