package dev.herald.core.retry;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Map;
import java.util.Optional;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RetryAfterTest {
  private static final Instant NOW = Instant.parse("2025-03-10T12:00:00Z");

  /** What a response with this Retry-After asks for. */
  private static Optional<Duration> parse(String raw) {
    return RetryAfter.from(Map.of("retry-after", raw)::get, NOW);
  }

  private static String httpDate(Instant t) {
    return DateTimeFormatter.RFC_1123_DATE_TIME.format(t.atOffset(ZoneOffset.UTC));
  }

  @Test
  void integer_seconds_are_read() {
    assertThat(parse("120")).contains(Duration.ofSeconds(120));
    assertThat(parse(" 30 ")).contains(Duration.ofSeconds(30));
  }

  @Test
  void zero_means_retry_immediately() {
    assertThat(parse("0")).contains(Duration.ZERO);
  }

  @Test
  void an_http_date_is_the_time_left_until_then() {
    assertThat(parse(httpDate(NOW.plusSeconds(90)))).contains(Duration.ofSeconds(90));
    assertThat(parse("Mon, 10 Mar 2025 12:05:00 GMT")).contains(Duration.ofMinutes(5));
  }

  @Test
  void an_http_date_with_an_offset_is_read_in_that_offset() {
    assertThat(parse("Mon, 10 Mar 2025 09:01:00 -0300")).contains(Duration.ofMinutes(1));
  }

  @Test
  void an_http_date_in_the_past_means_now() {
    assertThat(parse(httpDate(NOW.minusSeconds(3600)))).contains(Duration.ZERO);
  }

  @Test
  void large_integers_are_epoch_seconds_as_sent_in_x_ratelimit_reset() {
    assertThat(parse(Long.toString(NOW.getEpochSecond() + 45))).contains(Duration.ofSeconds(45));
  }

  @Test
  void an_epoch_timestamp_in_the_past_means_now() {
    assertThat(parse(Long.toString(NOW.getEpochSecond() - 45))).contains(Duration.ZERO);
  }

  @Test
  void go_durations_are_read() {
    assertThat(parse("6m5s")).contains(Duration.ofSeconds(365));
    assertThat(parse("1.5h")).contains(Duration.ofMinutes(90));
    assertThat(parse("300ms")).contains(Duration.ofMillis(300));
    assertThat(parse("1h2m3s4ms")).contains(Duration.ofHours(1).plusMinutes(2).plusSeconds(3).plusMillis(4));
    assertThat(parse("250us")).contains(Duration.ofNanos(250_000));
    assertThat(parse("250µs")).contains(Duration.ofNanos(250_000));
    assertThat(parse("250μs")).contains(Duration.ofNanos(250_000));
    assertThat(parse("42ns")).contains(Duration.ofNanos(42));
    assertThat(parse(".5s")).contains(Duration.ofMillis(500));
  }

  @Test
  void a_wait_longer_than_a_day_is_ignored() { // spec 5.3: the message's own back-off applies instead
    assertThat(parse("86401")).isEmpty();
    assertThat(parse("999999999")).isEmpty();
    assertThat(parse("9999999999999999")).isEmpty();
    assertThat(parse("25h")).isEmpty();
    assertThat(parse("24h0m0.001s")).isEmpty();
    assertThat(parse("99999999999999999999999h")).isEmpty();
    assertThat(parse(httpDate(NOW.plus(Duration.ofDays(3))))).isEmpty();
    assertThat(parse(Long.toString(NOW.getEpochSecond() + 10 * 86400))).isEmpty();
  }

  @Test
  void a_header_asking_for_too_long_gives_way_to_the_next_of_the_family() {
    Map<String, String> headers = Map.of("retry-after", "90000", "x-ratelimit-reset", "30");
    assertThat(RetryAfter.from(headers::get, NOW)).contains(Duration.ofSeconds(30));
  }

  @Test
  void exactly_a_day_is_kept() {
    assertThat(parse("86400")).contains(Duration.ofDays(1));
    assertThat(parse("24h")).contains(Duration.ofDays(1));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "   ", "soon", "1.5", "5 s", "5S", "5sec", "h", "1.2.3s", ".s", "-", "Infinity", "NaN",
      "1e3s", "Mon, 32 Mar 2025 12:00:00 GMT", "Tue, 10 Mar 2025 12:05:00 GMT", "2025-03-10T12:05:00Z", "0x10",
      "5m5", "١٢"})
  void garbage_is_ignored(String raw) {
    assertThat(parse(raw)).isEmpty();
  }

  @Test
  void values_longer_than_64_characters_are_ignored() {
    assertThat(parse("1" + "0".repeat(64))).isEmpty();
  }

  @Test
  void the_first_usable_header_of_the_family_wins() {
    Map<String, String> headers = Map.of("retry-after", "junk", "x-ratelimit-reset", "30", "x-ratelimit-reset-tokens", "5");
    assertThat(RetryAfter.from(headers::get, NOW)).contains(Duration.ofSeconds(30));
  }

  @Test
  void retry_after_is_preferred_over_the_rate_limit_headers() {
    Map<String, String> headers = Map.of("retry-after", "7", "x-ratelimit-reset", "30");
    assertThat(RetryAfter.from(headers::get, NOW)).contains(Duration.ofSeconds(7));
  }

  @Test
  void every_header_of_the_family_is_consulted() {
    for (String name : RetryAfter.HEADERS) {
      assertThat(RetryAfter.from(Map.of(name, "11")::get, NOW)).as(name).contains(Duration.ofSeconds(11));
    }
  }

  @Test
  void no_headers_means_no_answer() {
    assertThat(RetryAfter.from(name -> null, NOW)).isEmpty();
  }

  @Property
  void parsing_never_throws_and_stays_between_zero_and_a_day(@ForAll String raw) {
    parse(raw).ifPresent(RetryAfterTest::withinBounds);
  }

  @Property
  void duration_like_text_never_throws_and_stays_between_zero_and_a_day(@ForAll("durationLike") String raw) {
    parse(raw).ifPresent(RetryAfterTest::withinBounds);
  }

  @Provide
  Arbitrary<String> durationLike() {
    return Arbitraries.strings().withChars("0123456789..hmsunµμ -+,:GMT").ofMaxLength(70);
  }

  @Property
  void any_integer_number_of_seconds_up_to_a_day_is_read(@ForAll @LongRange(max = 999_999_999L) long seconds) {
    assertThat(parse(Long.toString(seconds))).isEqualTo(seconds > 86400 ? Optional.empty() : Optional.of(Duration.ofSeconds(seconds)));
  }

  @Property
  void any_http_date_up_to_a_day_ahead_is_read(@ForAll @LongRange(min = -10_000_000, max = 10_000_000) long offsetSeconds) {
    Optional<Duration> expected = offsetSeconds > 86400 ? Optional.empty() : Optional.of(Duration.ofSeconds(Math.max(0, offsetSeconds)));
    assertThat(parse(httpDate(NOW.plusSeconds(offsetSeconds)))).isEqualTo(expected);
  }

  private static void withinBounds(Duration d) {
    assertThat(d).isBetween(Duration.ZERO, Backoff.CAP);
  }
}
