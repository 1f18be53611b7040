package dev.herald.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.herald.server.TestSink.Reply;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.JsonNode;

/**
 * A queued message's callback and failure callback keep its queue slot until they end (spec 8.5, 5.6):
 * with parallelism 1 the next message starts only after them. The order is read from the sink's own
 * record of arrivals and answers, not from a clock. Herald reads a {@link TestClock} that stands still, so
 * a retry waits until the test moves it.
 *
 * <p>"Not started" is checked with a witness ({@link TestServer#awaitWitness}): once a message published after
 * the fact has arrived, the dispatcher has run a pass that would have started it.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class QueueCallbackTest {
  private static final Duration WAIT = Duration.ofSeconds(60);
  private final TestClock clock = new TestClock(Instant.now());
  private final TestSink sink = TestSink.start();
  private final TestServer herald = TestServer.start(Map.of(), clock);

  @AfterEach
  void stop() {
    herald.close();
    sink.close();
  }

  @Test
  void the_next_message_starts_only_after_the_callback_of_the_previous_one_was_answered() {
    upsert("q", 1);
    sink.throttle("/cb");
    enqueue("q", "/a", "a", "Upstash-Callback", sink.url("/cb"));
    enqueue("q", "/b", "b");

    sink.awaitRequests("/cb", 1, WAIT);
    herald.awaitWitness(sink, WAIT);
    assertThat(sink.requests("/b")).as("A is delivered, its callback is not").isEmpty();
    sink.allow("/cb", 1);
    sink.awaitRequests("/b", 1, WAIT);
    assertThat(sink.step("/a", 0, true)).isLessThan(sink.step("/cb", 0, false));
    assertThat(sink.step("/cb", 0, true)).as("callback answered before B arrived").isLessThan(sink.step("/b", 0, false));
  }

  @Test
  void the_next_message_starts_only_after_the_failure_callback_of_a_failed_one_was_answered() {
    upsert("q", 1);
    sink.on("/down", n -> Reply.of(500));
    sink.throttle("/fcb");
    String a = TestServer.idOf(enqueue("q", "/down", "a", "Upstash-Retries", "0",
        "Upstash-Failure-Callback", sink.url("/fcb")));
    enqueue("q", "/b", "b");

    sink.awaitRequests("/fcb", 1, WAIT);
    herald.awaitWitness(sink, WAIT);
    assertThat(sink.requests("/b")).as("A failed, its failure callback is not answered").isEmpty();
    sink.allow("/fcb", 1);
    sink.awaitRequests("/b", 1, WAIT);
    assertThat(sink.step("/fcb", 0, true)).isLessThan(sink.step("/b", 0, false));
    assertThat(TestServer.json(herald.get("/v2/dlq?messageId=" + a)).get("messages")).hasSize(1);
  }

  @Test
  void a_callback_that_fails_for_good_lets_the_next_message_go() {
    upsert("q", 1);
    sink.on("/cb-down", n -> Reply.of(500));
    enqueue("q", "/a", "a", "Upstash-Callback", sink.url("/cb-down"), "Upstash-Callback-Retries", "0");
    enqueue("q", "/b", "b");

    sink.awaitRequests("/b", 1, WAIT);
    assertThat(sink.step("/cb-down", 0, true)).isLessThan(sink.step("/b", 0, false));
    JsonNode dlq = TestServer.json(herald.get("/v2/dlq")).get("messages");
    assertThat(dlq).extracting(m -> m.get("url").asString()).containsExactly(sink.url("/cb-down"));
  }

  @Test
  void cancelling_the_pending_callback_lets_the_next_message_go() {
    upsert("q", 1);
    sink.on("/cb", n -> Reply.of(500));
    enqueue("q", "/a", "a", "Upstash-Callback", sink.url("/cb"), "Upstash-Callback-Retries", "1",
        "Upstash-Callback-Retry-Delay", "60000");
    enqueue("q", "/b", "b");
    String callback = sink.awaitRequests("/cb", 1, WAIT).get(0).header("Upstash-Message-Id");
    awaitRetryScheduled(callback); // due in a minute, on a clock that stands still

    herald.awaitWitness(sink, WAIT);
    assertThat(sink.requests("/b")).isEmpty();
    assertThat(herald.delete("/v2/messages/" + callback).statusCode()).isEqualTo(200);
    sink.awaitRequests("/b", 1, WAIT);
    assertThat(sink.requests("/cb")).hasSize(1);
  }

  @Test
  void a_message_and_its_callbacks_take_one_slot() {
    upsert("q", 2);
    sink.on("/down", n -> Reply.of(500));
    sink.throttle("/cb").throttle("/fcb");
    enqueue("q", "/down", "a", "Upstash-Retries", "0", "Upstash-Callback", sink.url("/cb"),
        "Upstash-Failure-Callback", sink.url("/fcb"));
    sink.awaitRequests("/cb", 1, WAIT);
    sink.awaitRequests("/fcb", 1, WAIT);
    enqueue("q", "/b", "b");
    enqueue("q", "/c", "c");

    sink.awaitRequests("/c", 1, WAIT); // B and C ran one after the other in the second slot
    assertThat(sink.step("/b", 0, true)).isLessThan(sink.step("/c", 0, false));
    assertThat(sink.step("/cb", 0, true)).as("still held").isEqualTo(-1);
    assertThat(sink.step("/fcb", 0, true)).as("still held").isEqualTo(-1);
    sink.allow("/cb", 1);
    sink.allow("/fcb", 1);
  }

  @Test
  void after_a_restart_the_pending_callback_still_keeps_the_slot() {
    upsert("q", 1);
    sink.failFirst("/cb", 1, Reply.of(500));
    enqueue("q", "/a", "a", "Upstash-Callback", sink.url("/cb"), "Upstash-Callback-Retries", "1",
        "Upstash-Callback-Retry-Delay", "60000");
    enqueue("q", "/b", "b");
    String callback = sink.awaitRequests("/cb", 1, WAIT).get(0).header("Upstash-Message-Id");
    awaitRetryScheduled(callback);

    herald.restart(); // the slot must come back from the store
    herald.awaitWitness(sink, WAIT);
    assertThat(sink.requests("/b")).isEmpty();
    clock.move(Duration.ofMinutes(2)); // the callback's retry is due
    sink.awaitRequests("/b", 1, WAIT);
    assertThat(sink.step("/cb", 1, true)).as("the retried callback answered before B arrived")
        .isGreaterThanOrEqualTo(0).isLessThan(sink.step("/b", 0, false));
  }

  private void awaitRetryScheduled(String messageId) {
    await().atMost(WAIT).pollInterval(Duration.ofMillis(20))
        .until(() -> herald.get("/v2/logs?messageId=" + messageId).body().contains("\"RETRY\""));
  }

  private void upsert(String name, int parallelism) {
    HttpResponse<String> r = herald.post("/v2/queues", "{\"queueName\":\"" + name + "\",\"parallelism\":" + parallelism + "}");
    assertThat(r.statusCode()).isEqualTo(200);
  }

  private HttpResponse<String> enqueue(String queue, String path, String body, String... headers) {
    HttpResponse<String> r = herald.post("/v2/enqueue/" + queue + "/" + sink.url(path), body, headers);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return r;
  }
}
