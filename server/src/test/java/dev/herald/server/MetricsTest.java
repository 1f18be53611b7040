package dev.herald.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.herald.server.TestSink.Reply;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** GET /metrics: Prometheus text without a token, counting what really happened; off when disabled. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class MetricsTest {
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final Pattern SAMPLE = Pattern.compile("^([a-z_]+(?:\\{[^}]*\\})?) (\\S+)$", Pattern.MULTILINE);
  private final TestClock clock = new TestClock(Instant.now());
  private final TestSink sink = TestSink.start();
  private TestServer herald;

  @AfterEach
  void stop() {
    if (herald != null) herald.close();
    sink.close();
  }

  @Test
  void the_metrics_count_publishes_attempts_the_dlq_and_queue_lag_and_need_no_token() {
    herald = TestServer.start(Map.of(), clock);
    sink.on("/down", n -> Reply.of(500));
    herald.publish(sink.url("/ok"), "a");
    herald.publish(sink.url("/ok"), "b", "Upstash-Deduplication-Id", "d1");
    herald.publish(sink.url("/ok"), "b again", "Upstash-Deduplication-Id", "d1"); // a duplicate: nothing stored
    herald.publish(sink.url("/down"), "c", "Upstash-Retries", "0");
    assertThat(herald.post("/v2/queues", "{\"queueName\":\"orders\",\"parallelism\":1,\"paused\":true}").statusCode()).isEqualTo(200);
    for (String body : new String[] {"q1", "q2"}) {
      HttpResponse<String> r = herald.post("/v2/enqueue/orders/" + sink.url("/queued"), body);
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    }
    sink.awaitRequests("/ok", 2, WAIT);
    await().atMost(WAIT).until(() -> TestServer.json(herald.get("/v2/dlq")).get("messages").size() == 1);

    HttpResponse<String> r = herald.send(herald.anonymous("/metrics").GET());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("text/plain");
    Map<String, Double> m = samples(r.body());
    assertThat(m).containsEntry("herald_messages_published_total", 5.0) // a, b, c and two queued
        .containsEntry("herald_messages_deduplicated_total", 1.0)
        .containsEntry("herald_attempts_total{outcome=\"delivered\"}", 2.0)
        .containsEntry("herald_attempts_total{outcome=\"failed\"}", 1.0)
        .containsEntry("herald_attempts_total{outcome=\"retry\"}", 0.0)
        .containsEntry("herald_attempt_duration_seconds_count{result=\"success\"}", 2.0)
        .containsEntry("herald_attempt_duration_seconds_count{result=\"error\"}", 1.0)
        .containsEntry("herald_attempt_wait_seconds_count{gated=\"none\"}", 3.0) // a, b and c; the queued ones have not started
        .containsEntry("herald_attempt_wait_seconds_count{gated=\"queue\"}", 0.0)
        .containsEntry("herald_dlq_messages", 1.0)
        .containsEntry("herald_queue_lag{queue=\"orders\"}", 2.0)
        .containsEntry("herald_messages{state=\"pending\"}", 2.0)
        .containsEntry("herald_messages{state=\"active\"}", 0.0);
    assertThat(m.get("herald_store_commits_total")).isPositive();
    assertThat(m.keySet()).as("the JVM's own").anyMatch(k -> k.startsWith("jvm_memory_used_bytes{area=\"heap\""));
    assertThat(r.body()).as("no destination URL in any label").doesNotContain(sink.url("/ok"));
  }

  @Test
  void the_store_counts_are_read_again_only_after_five_seconds() {
    herald = TestServer.start(Map.of(), clock);
    assertThat(herald.post("/v2/queues", "{\"queueName\":\"q\",\"paused\":true}").statusCode()).isEqualTo(200);
    herald.post("/v2/enqueue/q/" + sink.url("/x"), "1");
    assertThat(scrape()).containsEntry("herald_queue_lag{queue=\"q\"}", 1.0);
    herald.post("/v2/enqueue/q/" + sink.url("/x"), "2");
    assertThat(scrape()).as("within 5 s: the counts of the last read").containsEntry("herald_queue_lag{queue=\"q\"}", 1.0)
        .containsEntry("herald_messages_published_total", 2.0);
    clock.advance(Duration.ofSeconds(5));
    assertThat(scrape()).containsEntry("herald_queue_lag{queue=\"q\"}", 2.0);
  }

  @Test
  void the_attempt_wait_is_the_time_from_when_a_message_was_due_to_its_start() {
    herald = TestServer.start(Map.of(), clock);
    herald.publish(sink.url("/late"), "x", "Upstash-Delay", "10s");
    clock.advance(Duration.ofSeconds(12)); // due 10 s after its publish; started 2 s late on this clock
    herald.awaitWitness(sink, WAIT); // a pass at the new time
    sink.awaitRequests("/late", 1, WAIT);
    await().atMost(WAIT).until(() -> scrape().get("herald_attempts_total{outcome=\"delivered\"}") == 2.0);
    Map<String, Double> m = scrape();
    assertThat(m).containsEntry("herald_attempt_wait_seconds_count{gated=\"none\"}", 2.0) // it and the witness
        .containsEntry("herald_attempt_wait_seconds_sum{gated=\"none\"}", 2.0);
  }

  @Test
  void metrics_can_be_turned_off() {
    herald = TestServer.start(Map.of("metrics.enabled", "false"), clock);
    assertThat(herald.send(herald.anonymous("/metrics").GET()).statusCode()).isEqualTo(404);
    assertThat(herald.get("/metrics").statusCode()).as("with a token too").isEqualTo(404);
  }

  private Map<String, Double> scrape() {
    HttpResponse<String> r = herald.send(herald.anonymous("/metrics").GET());
    assertThat(r.statusCode()).isEqualTo(200);
    return samples(r.body());
  }

  private static Map<String, Double> samples(String text) {
    Map<String, Double> out = new HashMap<>();
    Matcher m = SAMPLE.matcher(text);
    while (m.find()) out.put(m.group(1), Double.parseDouble(m.group(2)));
    return out;
  }
}
