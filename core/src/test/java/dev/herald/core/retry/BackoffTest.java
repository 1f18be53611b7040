package dev.herald.core.retry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class BackoffTest {

  private static Duration d(String iso) {
    return Duration.parse(iso);
  }

  @ParameterizedTest(name = "retry {0} waits {1}")
  @CsvSource({"1, PT12S", "2, PT2M28S", "3, PT30M8S", "4, PT6H7M6S", "5, PT24H", "6, PT24H", "100, PT24H"})
  void the_default_back_off_follows_the_table_in_the_spec(int retry, String expected) {
    // The table is in whole seconds; the formula gives fractions of a second on top.
    assertThat(Backoff.defaultDelay(retry).truncatedTo(java.time.temporal.ChronoUnit.SECONDS)).isEqualTo(d(expected));
  }

  @Test
  void the_first_retry_is_e_to_the_two_and_a_half_seconds() {
    assertThat(Backoff.defaultDelay(1)).isEqualTo(Duration.ofMillis((long) (Math.exp(2.5) * 1000)));
  }

  @Test
  void retry_numbers_start_at_one() {
    assertThatThrownBy(() -> Backoff.defaultDelay(0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Backoff.defaultDelay(-1)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void without_an_expression_the_delay_after_n_retries_is_the_default_for_retry_n_plus_one() {
    assertThat(Backoff.delay(null, 0)).isEqualTo(Backoff.defaultDelay(1));
    assertThat(Backoff.delay(null, 3)).isEqualTo(Backoff.defaultDelay(4));
  }

  @Test
  void an_expression_replaces_the_default_and_is_read_as_milliseconds() {
    RetryDelayExpression e = RetryDelayExpression.parse("1000 * (1 + retried)");
    assertThat(Backoff.delay(e, 0)).isEqualTo(Duration.ofSeconds(1));
    assertThat(Backoff.delay(e, 4)).isEqualTo(Duration.ofSeconds(5));
  }

  @Test
  void an_expression_longer_than_a_day_is_capped_at_a_day() {
    assertThat(Backoff.delay(RetryDelayExpression.parse("86400001"), 0)).isEqualTo(Backoff.CAP);
    assertThat(Backoff.delay(RetryDelayExpression.parse("86400000"), 0)).isEqualTo(Backoff.CAP);
    assertThat(Backoff.delay(RetryDelayExpression.parse("86399999"), 0)).isEqualTo(Duration.ofMillis(86_399_999));
  }

  @Test
  void the_cap_is_one_day() {
    assertThat(Backoff.CAP).isEqualTo(Duration.ofDays(1));
  }

  @Property
  void the_default_back_off_never_shrinks_from_one_retry_to_the_next(
      @ForAll @IntRange(min = 1, max = 100_000) int n) {
    assertThat(Backoff.defaultDelay(n + 1)).isGreaterThanOrEqualTo(Backoff.defaultDelay(n));
  }

  @Property
  void the_default_back_off_is_positive_and_never_above_a_day(@ForAll @IntRange(min = 1) int n) {
    assertThat(Backoff.defaultDelay(n)).isPositive().isLessThanOrEqualTo(Backoff.CAP);
  }

  @Property
  void any_expression_delay_lies_between_zero_and_a_day(
      @ForAll @IntRange(min = -1_000_000_000) int constant, @ForAll @IntRange(max = 1000) int retried) {
    Duration delay = Backoff.delay(RetryDelayExpression.parse(constant + " * retried"), retried);
    assertThat(delay).isBetween(Duration.ZERO, Backoff.CAP);
  }
}
