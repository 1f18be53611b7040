package dev.herald.core.cron;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.herald.core.ValidationException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

class CronScheduleValidationTest {

  private static void assertRejected(String expression) {
    assertThatThrownBy(() -> CronSchedule.parse(expression))
        .isInstanceOf(ValidationException.class)
        .hasMessageStartingWith("Upstash-Cron: ");
  }

  @ParameterizedTest
  @NullAndEmptySource
  @ValueSource(strings = {"   ", "\t\n"})
  void an_empty_expression_is_rejected(String expression) {
    assertRejected(expression);
  }

  @ParameterizedTest
  @ValueSource(strings = {"* * * *", "0 * * * * *", "0 0 * * * * 2024", "CRON_TZ=UTC", "CRON_TZ=UTC 0 0 * *"})
  void anything_but_five_fields_is_rejected(String expression) {
    assertRejected(expression);
  }

  @ParameterizedTest
  @ValueSource(strings = {"@daily", "@every 1h", "@reboot", "CRON_TZ=UTC @hourly"})
  void descriptors_are_rejected(String expression) {
    assertRejected(expression);
  }

  @ParameterizedTest
  @ValueSource(strings = {"0 0 ? * MON", "0 0 L * *", "0 0 15W * *", "0 0 LW * *", "0 0 * * 5#3", "0 0 * * 5L"})
  void quartz_extensions_are_rejected(String expression) {
    assertRejected(expression);
  }

  @ParameterizedTest
  @ValueSource(strings = {"60 * * * *", "* 24 * * *", "* * 0 * *", "* * 32 * *", "* * * 0 *", "* * * 13 *",
      "* * * * 8", "0-60 * * * *", "-1 * * * *", "99999 * * * *"})
  void values_out_of_range_are_rejected(String expression) {
    assertRejected(expression);
  }

  @ParameterizedTest
  @ValueSource(strings = {"*/0 * * * *", "5-1 * * * *", "1,,2 * * * *", "1, * * * *", "a * * * *", "*/ * * * *",
      "1-2-3 * * * *", "+5 * * * *", "* * * JANUARY *", "* * * * MONDAY", "* * * 1-DEC/x *", "MON * * * *",
      "* * * * JAN", "0 0 * * */2/2"})
  void malformed_fields_are_rejected(String expression) {
    assertRejected(expression);
  }

  @ParameterizedTest
  @ValueSource(strings = {"CRON_TZ=Mars/Olympus 0 0 * * *", "TZ=+05:00 0 0 * * *", "CRON_TZ=UTC+1 0 0 * * *",
      "CRON_TZ=america/new_york 0 0 * * *", "CRON_TZ= 0 0 * * *", "cron_tz=UTC 0 0 * * *", "CRON_TZ=PST 0 0 * * *",
      "CRON_TZ=est 0 0 * * *"})
  void unknown_or_non_iana_zones_are_rejected(String expression) {
    assertRejected(expression);
  }

  @ParameterizedTest
  @ValueSource(strings = {"0 0 31 2 *", "0 0 30 2 *", "0 0 30,31 FEB *", "0 0 31 4,6,9,11 *"})
  void an_expression_that_never_fires_is_rejected(String expression) {
    assertRejected(expression);
  }

  @Test
  void an_expression_of_256_characters_is_accepted_and_one_of_257_is_rejected() {
    String exactly256 = "00" + ",0".repeat(123) + " * * * *";
    String just257 = "000" + ",0".repeat(123) + " * * * *";
    assertThat(CronSchedule.parse(exactly256).expression()).hasSize(256);
    assertThat(just257).hasSize(257);
    assertRejected(just257);
  }

  @Test
  void surrounding_whitespace_does_not_count_towards_the_length() {
    String exactly256 = "00" + ",0".repeat(123) + " * * * *";
    assertThat(CronSchedule.parse("   " + exactly256 + "   ").expression()).isEqualTo(exactly256);
  }
}
