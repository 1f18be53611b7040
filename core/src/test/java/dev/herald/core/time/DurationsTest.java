package dev.herald.core.time;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.herald.core.ValidationException;
import java.time.Duration;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DurationsTest {

  private static Duration parse(String raw) {
    return Durations.parse("Upstash-Delay", raw);
  }

  @Test
  void durations_are_written_in_their_shortest_form() {
    assertThat(Durations.format(Duration.ofDays(365))).isEqualTo("365d");
    assertThat(Durations.format(Duration.ofMinutes(90))).isEqualTo("1h30m");
    assertThat(Durations.format(Duration.ofMillis(100))).isEqualTo("100ms");
    assertThat(Durations.format(Duration.ofMillis(86_400_001))).isEqualTo("1d1ms");
    assertThat(Durations.format(Duration.ZERO)).isEqualTo("0s");
  }

  @Property
  void a_written_duration_reads_back_as_itself(@ForAll @LongRange(min = 0, max = 3_153_600_000_000L) long millis) {
    assertThat(parse(Durations.format(Duration.ofMillis(millis)))).isEqualTo(Duration.ofMillis(millis));
  }

  @Test
  void single_unit_durations_are_read() {
    assertThat(parse("10s")).isEqualTo(Duration.ofSeconds(10));
    assertThat(parse("1m")).isEqualTo(Duration.ofMinutes(1));
    assertThat(parse("2h")).isEqualTo(Duration.ofHours(2));
    assertThat(parse("7d")).isEqualTo(Duration.ofDays(7));
    assertThat(parse("500ms")).isEqualTo(Duration.ofMillis(500));
  }

  @Test
  void several_groups_add_up() {
    assertThat(parse("1d10h30m")).isEqualTo(Duration.ofDays(1).plusHours(10).plusMinutes(30));
    assertThat(parse("3d5h12m")).isEqualTo(Duration.ofDays(3).plusHours(5).plusMinutes(12));
    assertThat(parse("1m30s250ms")).isEqualTo(Duration.ofSeconds(90).plusMillis(250));
  }

  @Test
  void a_bare_integer_means_seconds() {
    assertThat(parse("10")).isEqualTo(Duration.ofSeconds(10));
    assertThat(parse("0")).isZero();
  }

  @Test
  void surrounding_whitespace_is_ignored() {
    assertThat(parse("  15s ")).isEqualTo(Duration.ofSeconds(15));
  }

  @Test
  void zero_durations_are_allowed() {
    assertThat(parse("0s")).isZero();
  }

  @ParameterizedTest
  @ValueSource(strings = {"1.5s", "1.5", "0.5h", "-5s", "-5", "+5s", "5x", "10S", "1H", "5 s", "s", "h5", "1h30",
      "10sec", "1w", "1y", "ms", "abc", "1d-2h", "½s", "١٢s"})
  void fractions_negatives_and_unknown_units_are_rejected(String raw) {
    assertThatThrownBy(() -> parse(raw)).isInstanceOf(ValidationException.class);
  }

  @ParameterizedTest
  @ValueSource(strings = {"", " ", "\t"})
  void empty_durations_are_rejected(String raw) {
    assertThatThrownBy(() -> parse(raw)).isInstanceOf(ValidationException.class).hasMessageContaining("Upstash-Delay");
  }

  @Test
  void a_missing_duration_is_rejected() {
    assertThatThrownBy(() -> parse(null)).isInstanceOf(ValidationException.class);
  }

  @ParameterizedTest
  @ValueSource(strings = {"99999999999999999999", "9999999999999999s", "999999999999999d", "36600000d",
      "100000000000000000000000000000ms", "36500d36500d"})
  void durations_that_would_overflow_are_rejected(String raw) {
    assertThatThrownBy(() -> parse(raw)).isInstanceOf(ValidationException.class).hasMessageContaining("too large");
  }

  @Test
  void the_error_names_the_field_and_clips_long_input() {
    String longJunk = "x".repeat(500);
    assertThatThrownBy(() -> Durations.parse("Upstash-Timeout", longJunk))
        .isInstanceOf(ValidationException.class)
        .hasMessageStartingWith("Upstash-Timeout:")
        .satisfies(e -> assertThat(e.getMessage().length()).isLessThan(200));
  }

  @Property
  void any_combination_of_groups_equals_the_sum_of_its_parts(
      @ForAll @IntRange(max = 1000) int d, @ForAll @IntRange(max = 1000) int h,
      @ForAll @IntRange(max = 100_000) int m, @ForAll @IntRange(max = 100_000) int s,
      @ForAll @IntRange(max = 100_000) int ms) {
    Duration expected = Duration.ofDays(d).plusHours(h).plusMinutes(m).plusSeconds(s).plusMillis(ms);
    assertThat(parse(d + "d" + h + "h" + m + "m" + s + "s" + ms + "ms")).isEqualTo(expected);
  }

  @Property
  void bare_integers_and_seconds_agree(@ForAll @LongRange(max = 3_000_000_000L) long n) {
    assertThat(parse(Long.toString(n))).isEqualTo(parse(n + "s")).isEqualTo(Duration.ofSeconds(n));
  }

  @Property
  void arbitrary_text_either_parses_to_a_non_negative_duration_or_is_rejected(@ForAll String raw) {
    try {
      assertThat(parse(raw).isNegative()).isFalse();
    } catch (ValidationException expected) {
      // the only acceptable failure
    }
  }
}
