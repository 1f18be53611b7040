package dev.herald.core.message;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.herald.core.ValidationException;
import java.time.Duration;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class FlowControlTest {

  private static FlowControl parse(String value) {
    return FlowControl.parse("k", value);
  }

  @Test
  void all_three_items_are_read() {
    assertThat(parse("parallelism=3, rate=10, period=1m")).isEqualTo(new FlowControl("k", 3, 10, Duration.ofMinutes(1)));
  }

  @Test
  void any_non_empty_subset_is_enough_and_the_rest_means_no_limit() {
    assertThat(parse("rate=5")).isEqualTo(new FlowControl("k", 0, 5, Duration.ofSeconds(1)));
    assertThat(parse("parallelism=1")).isEqualTo(new FlowControl("k", 1, 0, Duration.ofSeconds(1)));
    assertThat(parse("period=10s").period()).isEqualTo(Duration.ofSeconds(10));
  }

  @Test
  void whitespace_and_empty_items_are_ignored() {
    assertThat(parse("  parallelism = 2 ,, rate=4,period = 30 ,")).isEqualTo(new FlowControl("k", 2, 4, Duration.ofSeconds(30)));
    assertThat(parse("parallelism=2,rate=4")).isEqualTo(new FlowControl("k", 2, 4, Duration.ofSeconds(1)));
  }

  @Test
  void a_bare_integer_period_is_seconds_and_a_week_is_the_maximum() {
    assertThat(parse("period=60").period()).isEqualTo(Duration.ofMinutes(1));
    assertThat(parse("period=7d").period()).isEqualTo(Duration.ofDays(7));
    assertThatThrownBy(() -> parse("period=7d1s")).isInstanceOf(ValidationException.class).hasMessageContaining("7d");
  }

  @Test
  void item_names_are_case_insensitive_whatever_the_default_locale() {
    Locale before = Locale.getDefault();
    Locale.setDefault(Locale.forLanguageTag("tr-TR"));
    try {
      assertThat(parse("PARALLELISM=3, RATE=2, PERIOD=1m")).isEqualTo(new FlowControl("k", 3, 2, Duration.ofMinutes(1)));
    } finally {
      Locale.setDefault(before);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"period=0", "period=0s", "period=500ms", "period=999ms"})
  void periods_shorter_than_a_second_are_rejected(String value) {
    // Periods are stored in whole seconds; a sub-second period would silently become zero.
    assertThatThrownBy(() -> parse(value)).isInstanceOf(ValidationException.class).hasMessageContaining("period");
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "  ", ",", " , ", "parallelism", "parallelism=", "parallelism=0", "parallelism=-1",
      "rate=1.5", "rate=ten", "burst=3", "rate=99999999999", "period=1.5s", "period=-1s", "=3"})
  void malformed_values_are_rejected(String value) {
    assertThatThrownBy(() -> parse(value)).isInstanceOf(ValidationException.class)
        .hasMessageStartingWith("Upstash-Flow-Control-Value");
  }

  @Test
  void a_missing_value_is_rejected() {
    assertThatThrownBy(() -> FlowControl.parse("k", null)).isInstanceOf(ValidationException.class);
  }

  @Test
  void the_record_refuses_negative_limits() {
    assertThatThrownBy(() -> new FlowControl("k", -1, 0, Duration.ofSeconds(1))).isInstanceOf(ValidationException.class);
    assertThatThrownBy(() -> new FlowControl("k", 0, -1, Duration.ofSeconds(1))).isInstanceOf(ValidationException.class);
  }
}
