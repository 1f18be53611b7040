package dev.herald.core.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import dev.herald.core.delivery.Transitions.Attempt;
import dev.herald.core.delivery.Transitions.Decision;
import dev.herald.core.delivery.Transitions.Delivered;
import dev.herald.core.delivery.Transitions.Failed;
import dev.herald.core.delivery.Transitions.Retry;
import dev.herald.core.retry.Backoff;
import dev.herald.core.retry.RetryDelayExpression;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TransitionsTest {
  private static final Instant NOW = Instant.parse("2025-03-10T12:00:00Z");

  private static Attempt attempt(int retried, int maxRetries) {
    return new Attempt(retried, maxRetries, null, 0);
  }

  private static Outcome.Response status(int status, String... headerPairs) {
    Map<String, List<String>> headers = new java.util.LinkedHashMap<>();
    for (int i = 0; i < headerPairs.length; i += 2) headers.put(headerPairs[i], List.of(headerPairs[i + 1]));
    return new Outcome.Response(status, headers, new byte[0]);
  }

  private static Decision decide(Attempt a, Outcome o) {
    return Transitions.decide(a, o, NOW);
  }

  @ParameterizedTest
  @ValueSource(ints = {200, 201, 202, 204, 299})
  void any_2xx_delivers(int code) {
    assertThat(decide(attempt(0, 3), status(code))).isEqualTo(new Delivered());
  }

  @Test
  void a_2xx_delivers_even_on_the_last_attempt_and_with_a_retry_after_header() {
    assertThat(decide(attempt(3, 3), status(200, "Retry-After", "60"))).isInstanceOf(Delivered.class);
  }

  @ParameterizedTest
  @ValueSource(ints = {100, 199, 300, 302, 304, 400, 404, 429, 489, 500, 503, 599})
  void anything_else_is_a_failed_attempt_that_is_retried(int code) {
    assertThat(decide(attempt(0, 3), status(code))).isInstanceOf(Retry.class);
  }

  @Test
  void a_489_with_the_non_retryable_header_fails_at_once() {
    Decision d = decide(attempt(0, 3), status(489, "Upstash-NonRetryable-Error", "true"));
    assertThat(d).isInstanceOf(Failed.class);
    assertThat(((Failed) d).reason()).contains("489");
  }

  @Test
  void the_non_retryable_header_is_read_case_insensitively() {
    assertThat(decide(attempt(0, 3), status(489, "upstash-nonretryable-error", " TRUE ")))
        .isInstanceOf(Failed.class);
  }

  @Test
  void the_non_retryable_header_only_counts_with_status_489() {
    assertThat(decide(attempt(0, 3), status(500, "Upstash-NonRetryable-Error", "true"))).isInstanceOf(Retry.class);
    assertThat(decide(attempt(0, 3), status(489, "Upstash-NonRetryable-Error", "false"))).isInstanceOf(Retry.class);
    assertThat(decide(attempt(0, 3), status(489))).isInstanceOf(Retry.class);
  }

  @Test
  void the_first_retry_follows_the_default_back_off_and_counts_one_retry() {
    assertThat(decide(attempt(0, 3), status(500))).isEqualTo(new Retry(NOW.plus(Backoff.defaultDelay(1)), 1, 0));
    assertThat(decide(attempt(2, 3), status(500))).isEqualTo(new Retry(NOW.plus(Backoff.defaultDelay(3)), 3, 0));
  }

  @Test
  void a_connection_failure_is_retried_like_a_bad_status() {
    assertThat(decide(attempt(1, 3), new Outcome.NoResponse("connection refused")))
        .isEqualTo(new Retry(NOW.plus(Backoff.defaultDelay(2)), 2, 0));
  }

  @Test
  void the_retry_delay_expression_replaces_the_back_off() {
    Attempt a = new Attempt(2, 5, RetryDelayExpression.parse("1000 * (1 + retried)"), 0);
    assertThat(decide(a, status(503))).isEqualTo(new Retry(NOW.plusSeconds(3), 3, 0));
  }

  @Test
  void retry_after_wins_over_the_back_off_and_the_expression() {
    Attempt a = new Attempt(0, 3, RetryDelayExpression.parse("1000"), 0);
    assertThat(decide(a, status(429, "Retry-After", "42"))).isEqualTo(new Retry(NOW.plusSeconds(42), 1, 0));
    assertThat(decide(attempt(0, 3), status(503, "X-RateLimit-Reset", "6m5s")))
        .isEqualTo(new Retry(NOW.plusSeconds(365), 1, 0));
  }

  @Test
  void a_retry_after_longer_than_a_day_is_ignored_for_the_back_off() { // spec 5.3
    assertThat(decide(attempt(0, 3), status(429, "Retry-After", "999999")))
        .isEqualTo(decide(attempt(0, 3), status(429)));
  }

  @Test
  void unreadable_retry_after_falls_back_to_the_back_off() {
    assertThat(decide(attempt(0, 3), status(429, "Retry-After", "whenever")))
        .isEqualTo(new Retry(NOW.plus(Backoff.defaultDelay(1)), 1, 0));
  }

  @Test
  void when_retries_are_used_up_the_message_fails_with_the_last_error() {
    Decision d = decide(attempt(3, 3), status(500));
    assertThat(d).isInstanceOf(Failed.class);
    assertThat(((Failed) d).reason()).contains("status 500");
    assertThat(decide(attempt(3, 3), new Outcome.NoResponse("timed out"))).isInstanceOf(Failed.class)
        .extracting(x -> ((Failed) x).reason()).asString().contains("timed out");
  }

  @Test
  void zero_retries_means_the_first_failure_is_final() {
    assertThat(decide(attempt(0, 0), status(500))).isInstanceOf(Failed.class);
    assertThat(decide(attempt(0, 0), status(429, "Retry-After", "1"))).isInstanceOf(Failed.class);
  }

  @Test
  void a_crash_does_not_consume_a_retry_and_is_retried_at_once() {
    Attempt a = new Attempt(2, 3, null, 1);
    assertThat(decide(a, new Outcome.Crashed())).isEqualTo(new Retry(NOW, 2, 2));
  }

  @Test
  void a_crash_is_retried_even_when_no_retries_are_left() {
    assertThat(decide(new Attempt(3, 3, null, 0), new Outcome.Crashed())).isEqualTo(new Retry(NOW, 3, 1));
  }

  @Test
  void the_fifth_crash_fails_the_message() {
    assertThat(decide(new Attempt(0, 3, null, 3), new Outcome.Crashed())).isInstanceOf(Retry.class);
    assertThat(decide(new Attempt(0, 3, null, Transitions.MAX_CRASHES - 1), new Outcome.Crashed()))
        .isEqualTo(new Failed(Transitions.CRASH_REASON));
  }

  @Test
  void crashes_carry_over_through_ordinary_retries() {
    assertThat(decide(new Attempt(1, 3, null, 2), status(500))).isInstanceOf(Retry.class)
        .extracting(d -> ((Retry) d).crashes()).isEqualTo(2);
  }

  @Test
  void walking_a_message_through_its_retries_makes_one_plus_max_retries_attempts() {
    Attempt a = attempt(0, 3);
    int attempts = 0;
    Decision d;
    do {
      attempts++;
      d = decide(a, status(500));
      if (d instanceof Retry r) a = new Attempt(r.retried(), a.maxRetries(), null, r.crashes());
    } while (d instanceof Retry);
    assertThat(attempts).isEqualTo(4);
    assertThat(d).isInstanceOf(Failed.class);
  }

  @Property
  void a_failed_attempt_retries_exactly_while_retries_remain(
      @ForAll @IntRange(max = 50) int retried, @ForAll @IntRange(max = 50) int maxRetries,
      @ForAll @IntRange(min = 300, max = 599) int code) {
    Decision d = decide(attempt(retried, maxRetries), status(code));
    if (retried < maxRetries) {
      assertThat(d).isInstanceOf(Retry.class);
      Retry r = (Retry) d;
      assertThat(r.retried()).isEqualTo(retried + 1);
      assertThat(Duration.between(NOW, r.at())).isBetween(Duration.ZERO, Backoff.CAP);
    } else {
      assertThat(d).isInstanceOf(Failed.class);
    }
  }
}
