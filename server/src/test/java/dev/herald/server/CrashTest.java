package dev.herald.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.herald.server.TestSink.Received;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Herald as a real process, killed with SIGKILL and restarted on the same data directory: every
 * message it acknowledged is delivered (D1), and a crash neither loses work nor uses up a retry.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class CrashTest {
  private static final int PUBLISHERS = 4;
  /** 500 in the fast tier; scripts/battery-long.sh raises it with -Dherald.crash.per-publisher. */
  private static final int PER_PUBLISHER = Integer.getInteger("herald.crash.per-publisher", 500);
  private static final Duration DELIVERY_BOUND = Duration.ofSeconds(60L * Math.max(1, PER_PUBLISHER / 500));

  @TempDir
  Path data;

  private final TestSink sink = TestSink.start();
  private HeraldProcess herald;

  @AfterEach
  void stop() {
    if (herald != null) herald.close();
    sink.close();
  }

  @Test
  void every_acknowledged_message_is_delivered_after_a_sigkill_in_the_middle_of_a_publish_burst() throws Exception {
    herald = HeraldProcess.start(data);
    Map<String, String> acked = new ConcurrentHashMap<>(); // message id -> body
    List<Thread> publishers = new ArrayList<>();
    for (int t = 0; t < PUBLISHERS; t++) {
      int thread = t;
      publishers.add(Thread.ofPlatform().name("publisher-" + t).start(() -> publishUntilRefused(thread, acked)));
    }

    await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(5))
        .until(() -> acked.size() >= PUBLISHERS * PER_PUBLISHER / 2);
    herald.kill();
    Instant dead = Instant.now();
    for (Thread p : publishers) assertThat(p.join(Duration.ofSeconds(30))).as("publisher stopped").isTrue();
    Map<String, String> acknowledged = Map.copyOf(acked);
    assertThat(acknowledged.size()).as("the kill came mid-burst").isLessThan(PUBLISHERS * PER_PUBLISHER);
    Instant restarted = Instant.now();
    herald = herald.restart();

    await().atMost(DELIVERY_BOUND).pollInterval(Duration.ofMillis(100))
        .until(() -> deliveredIds("/burst").containsAll(acknowledged.keySet()));
    Map<String, List<Received>> byId = sink.requests("/burst").stream()
        .collect(Collectors.groupingBy(r -> r.header("Upstash-Message-Id")));
    for (String id : acknowledged.keySet()) {
      assertThat(new String(byId.get(id).get(0).body())).as("body of %s", id).isEqualTo(acknowledged.get(id));
    }
    byId.forEach((id, deliveries) -> {
      if (deliveries.size() == 1) return;
      assertThat(deliveries).as("deliveries of %s", id).hasSize(2);
      assertThat(deliveries.get(0).at()).as("first delivery of duplicate %s was before the crash", id).isBefore(dead);
      assertThat(deliveries.get(1).at()).as("second delivery of duplicate %s was after the restart", id).isAfter(restarted);
    });
  }

  @Test
  void a_crash_during_deliveries_re_delivers_them_without_using_up_a_retry() throws Exception {
    herald = HeraldProcess.start(data);
    sink.hold("/slow");
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      HttpResponse<String> r = publish("/slow", "slow-" + i, "Upstash-Retries", "0");
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
      ids.add(TestServer.JSON.readTree(r.body()).get("messageId").asString());
    }
    sink.awaitRequests("/slow", ids.size(), Duration.ofSeconds(20)); // all attempts are in flight, none answered

    herald.kill();
    Instant dead = Instant.now();
    sink.release("/slow"); // the held answers now go to a dead process
    herald = herald.restart();

    await().atMost(DELIVERY_BOUND).pollInterval(Duration.ofMillis(50))
        .until(() -> deliveredIdsAfter("/slow", dead).containsAll(ids));
    for (Received r : sink.requests("/slow")) {
      assertThat(r.header("Upstash-Retried")).as("Upstash-Retried of %s", r.header("Upstash-Message-Id")).isEqualTo("0");
    }
    for (String id : ids) {
      await().atMost(Duration.ofSeconds(10)).until(() -> get("/v2/messages/" + id).statusCode() == 404);
    }
    assertThat(sink.requests("/slow")).hasSize(2 * ids.size());
  }

  @Test
  void a_graceful_stop_during_slow_deliveries_lets_them_finish_and_nothing_is_delivered_twice() throws Exception {
    herald = HeraldProcess.start(data);
    sink.slow("/slow", Duration.ofMillis(300));
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      HttpResponse<String> r = publish("/slow", "graceful-" + i, "Upstash-Retries", "0");
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
      ids.add(TestServer.JSON.readTree(r.body()).get("messageId").asString());
    }
    sink.awaitRequests("/slow", 1, Duration.ofSeconds(20));

    herald.stop(Duration.ofSeconds(20));
    herald = herald.restart();

    for (String id : ids) {
      await().atMost(DELIVERY_BOUND).until(() -> get("/v2/messages/" + id).statusCode() == 404);
    }
    assertThat(deliveredIds("/slow")).containsExactlyInAnyOrderElementsOf(ids);
    assertThat(sink.requests("/slow")).as("deliveries, one per message").hasSize(ids.size());
    assertThat(herald.output()).noneMatch(l -> l.contains("cut short by a crash"));
  }

  private void publishUntilRefused(int thread, Map<String, String> acked) {
    for (int i = 0; i < PER_PUBLISHER; i++) {
      String body = "burst-" + thread + "-" + i;
      try {
        HttpResponse<String> r = publish("/burst", body);
        if (r.statusCode() / 100 == 2) acked.put(TestServer.JSON.readTree(r.body()).get("messageId").asString(), body);
      } catch (IOException e) {
        return; // the server is gone: nothing more can be acknowledged
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  private HttpResponse<String> publish(String path, String body, String... headers) throws IOException, InterruptedException {
    return herald.call("POST", "/v2/publish/" + sink.url(path), body, headers);
  }

  private HttpResponse<String> get(String path) throws IOException, InterruptedException {
    return herald.call("GET", path, "");
  }

  private Set<String> deliveredIds(String path) {
    return sink.requests(path).stream().map(r -> r.header("Upstash-Message-Id")).collect(Collectors.toSet());
  }

  private Set<String> deliveredIdsAfter(String path, Instant t) {
    return sink.requests(path).stream().filter(r -> r.at().isAfter(t)).map(r -> r.header("Upstash-Message-Id"))
        .collect(Collectors.toSet());
  }
}
