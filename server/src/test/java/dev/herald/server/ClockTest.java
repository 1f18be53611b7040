package dev.herald.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.herald.server.TestSink.Reply;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Wall-clock jumps (R16, design rule D5) with an injected clock: the server reads time only from
 * {@link TestClock}. A step back never makes a delayed message early and does not stall retries
 * scheduled after the step; a step forward delivers what became due.
 *
 * <p>"Not delivered" is checked with a witness: after each move an immediate message is published and
 * awaited; the dispatcher handles due work in passes, so once the witness has arrived a pass has run
 * at the new time, and a message due by then would have been started in it or before.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ClockTest {
  private static final Duration WAIT = Duration.ofSeconds(20);
  private final Instant start = Instant.now();
  private final TestClock clock = new TestClock(start);
  private final TestSink sink = TestSink.start();
  private final TestServer herald = TestServer.start(Map.of(), clock);

  @AfterEach
  void stop() {
    herald.close();
    sink.close();
  }

  @Test
  void a_step_back_of_an_hour_never_delivers_a_delayed_message_early() {
    idOf(herald.publish(sink.url("/delayed"), "d", "Upstash-Delay", "10m"));

    clock.set(start.minus(Duration.ofHours(1)));
    herald.awaitWitness(sink, WAIT);
    clock.set(start.plus(Duration.ofMinutes(9)));
    herald.awaitWitness(sink, WAIT);
    assertThat(sink.requests("/delayed")).isEmpty();

    clock.set(start.plus(Duration.ofMinutes(10)).plusSeconds(1));
    sink.awaitRequests("/delayed", 1, WAIT);
  }

  @Test
  void retries_scheduled_after_a_step_back_run_on_the_new_time_and_older_ones_wait_at_most_the_step() {
    sink.failFirst("/before", 1, Reply.of(500));
    sink.failFirst("/after", 1, Reply.of(500));
    String before = idOf(herald.publish(sink.url("/before"), "b", "Upstash-Retries", "2", "Upstash-Retry-Delay", "1000"));
    org.awaitility.Awaitility.await().atMost(WAIT).pollInterval(Duration.ofMillis(20)) // its retry is due at start + 1 s
        .until(() -> herald.get("/v2/logs?messageId=" + before).body().contains("\"RETRY\""));

    clock.set(start.minus(Duration.ofHours(1)));
    idOf(herald.publish(sink.url("/after"), "a", "Upstash-Retries", "2", "Upstash-Retry-Delay", "1000"));
    sink.awaitRequests("/after", 1, WAIT);
    herald.awaitWitness(sink, WAIT);
    clock.move(Duration.ofSeconds(2));
    sink.awaitRequests("/after", 2, WAIT);
    assertThat(sink.requests("/before")).as("due an hour from now on the stepped-back clock").hasSize(1);

    clock.set(start.plusSeconds(2));
    sink.awaitRequests("/before", 2, WAIT);
  }

  @Test
  void a_step_forward_delivers_what_became_due() {
    idOf(herald.publish(sink.url("/soon"), "s", "Upstash-Delay", "30m"));
    idOf(herald.publish(sink.url("/much-later"), "l", "Upstash-Delay", "3h"));
    herald.awaitWitness(sink, WAIT);

    clock.set(start.plus(Duration.ofMinutes(31)));
    sink.awaitRequests("/soon", 1, WAIT);
    herald.awaitWitness(sink, WAIT);
    assertThat(sink.requests("/much-later")).isEmpty();

    clock.set(start.plus(Duration.ofHours(3)).plusSeconds(1));
    sink.awaitRequests("/much-later", 1, WAIT);
  }

  private static String idOf(HttpResponse<String> r) {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return TestServer.json(r).get("messageId").asString();
  }
}
