package dev.herald.core.message;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.herald.core.ValidationException;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class HeaderParserTest {
  static final HeaderParser.Limits LIMITS = new HeaderParser.Limits(3, 20, Duration.ofDays(7), Duration.ofHours(2));
  static final HeaderParser PARSER = new HeaderParser(LIMITS);
  private static final Instant NOW = Instant.parse("2025-03-10T12:00:00Z");

  static Map<String, List<String>> headers(String... pairs) {
    Map<String, List<String>> m = new LinkedHashMap<>();
    for (int i = 0; i < pairs.length; i += 2) m.put(pairs[i], List.of(pairs[i + 1]));
    return m;
  }

  static MessageOptions parse(String... pairs) {
    return PARSER.parse(headers(pairs));
  }

  static void rejected(String field, String... pairs) {
    assertThatThrownBy(() -> parse(pairs)).isInstanceOf(ValidationException.class).hasMessageContaining(field);
  }

  @Test
  void no_headers_give_the_defaults() {
    MessageOptions o = parse();
    assertThat(o.method()).isEqualTo("POST");
    assertThat(o.retries()).isEqualTo(3);
    assertThat(o.delay()).isNull();
    assertThat(o.notBefore()).isNull();
    assertThat(o.retryDelay()).isNull();
    assertThat(o.timeout()).isNull();
    assertThat(o.callback()).isNull();
    assertThat(o.failureCallback()).isNull();
    assertThat(o.deduplicationId()).isNull();
    assertThat(o.contentBasedDeduplication()).isFalse();
    assertThat(o.labels()).isEmpty();
    assertThat(o.redaction()).isEqualTo(Redaction.NONE);
    assertThat(o.flowControl()).isNull();
    assertThat(o.headers().isEmpty()).isTrue();
    assertThat(o.firstDue(NOW)).isEqualTo(NOW);
  }

  @ParameterizedTest
  @ValueSource(strings = {"GET", "post", " Put ", "PATCH", "delete"})
  void the_five_methods_are_accepted_in_any_case(String method) {
    assertThat(parse("Upstash-Method", method).method()).isEqualTo(method.trim().toUpperCase());
  }

  @ParameterizedTest
  @ValueSource(strings = {"HEAD", "OPTIONS", "CONNECT", "", "GETS"})
  void other_methods_are_rejected(String method) {
    rejected("Upstash-Method", "Upstash-Method", method);
  }

  @Test
  void header_names_are_case_insensitive() {
    MessageOptions o = parse("UPSTASH-METHOD", "PUT", "upstash-retries", "1", "uPsTaSh-DeLaY", "5s");
    assertThat(o.method()).isEqualTo("PUT");
    assertThat(o.retries()).isEqualTo(1);
    assertThat(o.delay()).isEqualTo(Duration.ofSeconds(5));
  }

  @Test
  void delay_moves_the_first_attempt() {
    MessageOptions o = parse("Upstash-Delay", "1d10h30m");
    assertThat(o.delay()).isEqualTo(Duration.ofHours(34).plusMinutes(30));
    assertThat(o.firstDue(NOW)).isEqualTo(NOW.plus(Duration.ofHours(34).plusMinutes(30)));
  }

  @Test
  void delay_above_the_maximum_is_rejected_and_bad_delays_name_the_header() {
    rejected("Upstash-Delay", "Upstash-Delay", "8d");
    rejected("Upstash-Delay", "Upstash-Delay", "1.5s");
    assertThat(parse("Upstash-Delay", "7d").delay()).isEqualTo(Duration.ofDays(7));
  }

  @Test
  void not_before_wins_over_delay() {
    Instant at = NOW.plusSeconds(600);
    MessageOptions o = parse("Upstash-Delay", "1h", "Upstash-Not-Before", Long.toString(at.getEpochSecond()));
    assertThat(o.notBefore()).isEqualTo(at);
    assertThat(o.firstDue(NOW)).isEqualTo(at);
  }

  @Test
  void a_not_before_in_the_past_means_now() {
    MessageOptions o = parse("Upstash-Not-Before", Long.toString(NOW.getEpochSecond() - 3600));
    assertThat(o.firstDue(NOW)).isEqualTo(NOW);
  }

  @ParameterizedTest
  @ValueSource(strings = {"soon", "-1", "1.5", "", "253402300800", "99999999999999999999"})
  void not_before_must_be_unix_seconds(String v) {
    rejected("Upstash-Not-Before", "Upstash-Not-Before", v);
  }

  @Test
  void retries_are_read_and_clamped_to_the_maximum() {
    assertThat(parse("Upstash-Retries", "0").retries()).isZero();
    assertThat(parse("Upstash-Retries", " 5 ").retries()).isEqualTo(5);
    assertThat(parse("Upstash-Retries", "20").retries()).isEqualTo(20);
    assertThat(parse("Upstash-Retries", "21").retries()).isEqualTo(20);
    assertThat(parse("Upstash-Retries", "2147483647").retries()).isEqualTo(20);
  }

  @Test
  void retries_too_large_for_an_int_are_clamped_too() {
    assertThat(parse("Upstash-Retries", "2147483648").retries()).isEqualTo(20);
    assertThat(parse("Upstash-Retries", "99999999999999999999999").retries()).isEqualTo(20);
    assertThat(parse("Upstash-Retries", "00000000000005").retries()).isEqualTo(5);
  }

  @ParameterizedTest
  @ValueSource(strings = {"-1", "three", "1.5", "", "1e3"})
  void negative_or_non_integer_retries_are_rejected(String v) {
    rejected("Upstash-Retries", "Upstash-Retries", v);
  }

  @Test
  void the_default_retries_can_be_inherited_but_still_clamped() {
    assertThat(PARSER.parse(headers(), 7).retries()).isEqualTo(7);
    assertThat(PARSER.parse(headers(), 99).retries()).isEqualTo(20);
  }

  @Test
  void the_retry_delay_expression_is_parsed_eagerly() {
    assertThat(parse("Upstash-Retry-Delay", "pow(2, retried) * 1000").retryDelay().delayMillis(2)).isEqualTo(4000);
    rejected("Upstash-Retry-Delay", "Upstash-Retry-Delay", "pow(2, retried");
  }

  @Test
  void timeout_accepts_durations_and_bare_seconds() {
    assertThat(parse("Upstash-Timeout", "10").timeout()).isEqualTo(Duration.ofSeconds(10));
    assertThat(parse("Upstash-Timeout", "30s").timeout()).isEqualTo(Duration.ofSeconds(30));
    assertThat(parse("Upstash-Timeout", "1m30s").timeout()).isEqualTo(Duration.ofSeconds(90));
  }

  @Test
  void timeout_may_only_shorten_the_maximum() {
    assertThat(parse("Upstash-Timeout", "3h").timeout()).isEqualTo(Duration.ofHours(2));
    assertThat(parse("Upstash-Timeout", "999999").timeout()).isEqualTo(Duration.ofHours(2));
  }

  @Test
  void zero_or_malformed_timeouts_are_rejected() {
    rejected("Upstash-Timeout", "Upstash-Timeout", "0");
    rejected("Upstash-Timeout", "Upstash-Timeout", "0s");
    rejected("Upstash-Timeout", "Upstash-Timeout", "ten");
  }

  @Test
  void deduplication_id_is_kept_and_bounded() {
    assertThat(parse("Upstash-Deduplication-Id", "order-42").deduplicationId()).isEqualTo("order-42");
    rejected("Upstash-Deduplication-Id", "Upstash-Deduplication-Id", "");
    rejected("Upstash-Deduplication-Id", "Upstash-Deduplication-Id", "x".repeat(513));
  }

  @ParameterizedTest
  @ValueSource(strings = {"true", "True", "TRUE", " true "})
  void content_based_deduplication_accepts_true_in_any_case(String v) {
    assertThat(parse("Upstash-Content-Based-Deduplication", v).contentBasedDeduplication()).isTrue();
  }

  @Test
  void content_based_deduplication_accepts_false_and_rejects_anything_else() {
    assertThat(parse("Upstash-Content-Based-Deduplication", "False").contentBasedDeduplication()).isFalse();
    rejected("Upstash-Content-Based-Deduplication", "Upstash-Content-Based-Deduplication", "yes");
  }

  @Test
  void labels_are_split_trimmed_and_deduplicated_in_order() {
    assertThat(parse("Upstash-Label", "b, a,,b , c").labels()).containsExactly("b", "a", "c");
    rejected("Upstash-Label", "Upstash-Label", "ok,not ok");
  }

  @Test
  void redact_fields_are_parsed() {
    Redaction r = parse("Upstash-Redact-Fields", "body, header[Authorization]").redaction();
    assertThat(r.body()).isTrue();
    assertThat(r.header("authorization")).isTrue();
    rejected("Upstash-Redact-Fields", "Upstash-Redact-Fields", "everything");
  }

  @Test
  void flow_control_needs_a_key_and_a_value() {
    FlowControl fc = parse("Upstash-Flow-Control-Key", " my-key ", "Upstash-Flow-Control-Value", "parallelism=2").flowControl();
    assertThat(fc).isEqualTo(new FlowControl("my-key", 2, 0, Duration.ofSeconds(1)));
    rejected("Upstash-Flow-Control-Value", "Upstash-Flow-Control-Key", "my-key");
    rejected("Upstash-Flow-Control-Key", "Upstash-Flow-Control-Value", "rate=1");
    rejected("Upstash-Flow-Control-Key", "Upstash-Flow-Control-Key", "bad key", "Upstash-Flow-Control-Value", "rate=1");
  }

  @Test
  void resource_names_are_validated() {
    MessageOptions o = parse("Upstash-Schedule-Id", "nightly.report_v2", "Upstash-Queue-Name", "q-1");
    assertThat(o.scheduleId()).isEqualTo("nightly.report_v2");
    assertThat(o.queueName()).isEqualTo("q-1");
    rejected("Upstash-Queue-Name", "Upstash-Queue-Name", "q/1");
    rejected("Upstash-Schedule-Id", "Upstash-Schedule-Id", "");
    rejected("Upstash-Queue-Name", "Upstash-Queue-Name", "q".repeat(201));
  }

  @Test
  void cron_is_kept_trimmed() {
    assertThat(parse("Upstash-Cron", " */5 * * * * ").cron()).isEqualTo("*/5 * * * *");
  }

  @Test
  void multiple_values_of_one_header_are_joined_with_a_comma() {
    Map<String, List<String>> h = Map.of("Upstash-Label", List.of("a", "b"), "Upstash-Forward-X", List.of("1", "2"));
    MessageOptions o = PARSER.parse(h);
    assertThat(o.labels()).containsExactly("a", "b");
    assertThat(o.headers().map()).containsEntry("X", List.of("1, 2"));
  }
}
