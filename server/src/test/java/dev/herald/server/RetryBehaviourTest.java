package dev.herald.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.herald.server.TestSink.Received;
import dev.herald.server.TestSink.Reply;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Retries, non-retryable failures, redirects and Retry-After, end to end. "No more attempts" is
 * checked by waiting until the message is finished (GET /v2/messages/{id} answers 404: delivered,
 * failed or cancelled messages are removed), after which no attempt can start.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RetryBehaviourTest {
  private static final Duration WAIT = Duration.ofSeconds(10);
  private final TestSink sink = TestSink.start();
  private final TestServer herald = TestServer.start();

  @AfterEach
  void stop() {
    herald.close();
    sink.close();
  }

  @Test
  void failed_attempts_are_retried_after_the_retry_delay_until_one_succeeds() {
    sink.failFirst("/flaky", 2, Reply.of(500));
    String id = idOf(herald.publish(sink.url("/flaky"), "again", "Upstash-Retries", "3", "Upstash-Retry-Delay", "50"));

    List<Received> got = sink.awaitRequests("/flaky", 3, WAIT);
    assertThat(got).extracting(r -> r.header("Upstash-Retried")).containsExactly("0", "1", "2");
    assertThat(got).extracting(r -> r.header("Upstash-Message-Id")).containsOnly(got.get(0).header("Upstash-Message-Id"));
    assertThat(got).extracting(r -> new String(r.body())).containsOnly("again");
    awaitFinished(id);
    assertThat(sink.requests("/flaky")).hasSize(3);
  }

  @Test
  void a_489_with_the_non_retryable_header_fails_at_once() {
    sink.on("/refuse", n -> Reply.of(489).with("Upstash-NonRetryable-Error", "true"));
    String id = idOf(herald.publish(sink.url("/refuse"), "no", "Upstash-Retries", "5", "Upstash-Retry-Delay", "10"));

    sink.awaitRequests("/refuse", 1, WAIT);
    awaitFinished(id);
    assertThat(sink.requests("/refuse")).hasSize(1);
  }

  @Test
  void a_489_without_the_header_is_an_ordinary_failure_and_retried() {
    sink.failFirst("/plain489", 1, Reply.of(489));
    herald.publish(sink.url("/plain489"), "x", "Upstash-Retries", "2", "Upstash-Retry-Delay", "10");

    assertThat(sink.awaitRequests("/plain489", 2, WAIT)).extracting(r -> r.header("Upstash-Retried"))
        .containsExactly("0", "1");
  }

  @Test
  void a_redirect_is_not_followed_and_counts_as_a_failed_attempt() {
    sink.on("/moved", n -> Reply.of(302).with("Location", sink.url("/target")));
    String id = idOf(herald.publish(sink.url("/moved"), "r", "Upstash-Retries", "1", "Upstash-Retry-Delay", "10"));

    assertThat(sink.awaitRequests("/moved", 2, WAIT)).extracting(r -> r.header("Upstash-Retried"))
        .containsExactly("0", "1");
    awaitFinished(id);
    assertThat(sink.requests("/moved")).hasSize(2);
    assertThat(sink.requests("/target")).isEmpty();
  }

  @Test
  void retry_after_on_a_failure_replaces_the_retry_delay() {
    sink.failFirst("/busy", 1, Reply.of(503).with("Retry-After", "1"));
    // an hour's retry delay: the second attempt arrives within the wait only if Retry-After replaced it
    herald.publish(sink.url("/busy"), "b", "Upstash-Retries", "1", "Upstash-Retry-Delay", "3600000");

    List<Received> got = sink.awaitRequests("/busy", 2, WAIT);
    Duration gap = Duration.between(got.get(0).at(), got.get(1).at());
    assertThat(gap).isGreaterThanOrEqualTo(Duration.ofMillis(900)); // and not sooner than it said
  }

  @Test
  void a_retry_after_of_zero_retries_immediately() {
    sink.failFirst("/now", 1, Reply.of(429).with("Retry-After", "0"));
    herald.publish(sink.url("/now"), "n", "Upstash-Retries", "1", "Upstash-Retry-Delay", "60000");

    assertThat(sink.awaitRequests("/now", 2, WAIT)).extracting(r -> r.header("Upstash-Retried")).containsExactly("0", "1");
  }

  @Test
  void a_destination_that_refuses_connections_ends_the_message_once_its_retries_are_used() {
    String id = idOf(herald.publish("http://127.0.0.1:1/nothing-listens", "x", "Upstash-Retries", "1",
        "Upstash-Retry-Delay", "10"));
    awaitFinished(id);
  }

  private static String idOf(HttpResponse<String> published) {
    assertThat(published.statusCode()).as(published.body()).isEqualTo(200);
    return TestServer.json(published).get("messageId").asString();
  }

  /** Delivered, failed and cancelled messages are removed; after that no attempt can start. */
  private void awaitFinished(String id) {
    await().atMost(WAIT).pollInterval(Duration.ofMillis(20)).until(() -> herald.get("/v2/messages/" + id).statusCode() == 404);
  }
}
