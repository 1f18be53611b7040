package dev.herald.core.retry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.herald.core.ValidationException;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class RetryDelayExpressionTest {

  private static long eval(String source, int retried) {
    return RetryDelayExpression.parse(source).delayMillis(retried);
  }

  private static long[] firstThree(String source) {
    RetryDelayExpression e = RetryDelayExpression.parse(source);
    return IntStream.range(0, 3).mapToLong(e::delayMillis).toArray();
  }

  @Test
  void the_linear_example_from_the_docs_gives_one_two_three_seconds() {
    assertThat(firstThree("1000 * (1 + retried)")).containsExactly(1000, 2000, 3000);
  }

  @Test
  void the_exponential_example_from_the_docs_gives_one_two_four_seconds() {
    assertThat(firstThree("pow(2, retried) * 1000")).containsExactly(1000, 2000, 4000);
  }

  @Test
  void tabs_count_as_spaces() {
    assertThat(firstThree("1000\t*\t(1 + retried)")).containsExactly(1000, 2000, 3000);
  }

  @Test
  void the_source_is_kept_verbatim() {
    assertThat(RetryDelayExpression.parse(" 1000*retried ").source()).isEqualTo(" 1000*retried ");
  }

  @ParameterizedTest(name = "{0} = {1}")
  @CsvSource(delimiter = ';', value = {
      "1 + 2 * 3; 7",
      "(1 + 2) * 3; 9",
      "10 - 4 - 3; 3",
      "100 / 10 / 5; 2",
      "-5 + 10; 5",
      "--7; 7",
      "2 * -3 + 10; 4",
      "pow(3, 4); 81",
      "exp(0) * 1000; 1000",
      "sqrt(144); 12",
      "abs(-42); 42",
      "floor(2.9); 2",
      "ceil(2.1); 3",
      "round(2.4); 2",
      "min(3, 9); 3",
      "max(3, 9); 9",
      ".5 * 10; 5",
      "1.25 * 4; 5",
      "  max( 1 ,  min(5, 4) ) ; 4",
      "1000*retried+500; 500"})
  void operators_and_functions_follow_ordinary_arithmetic(String source, long expected) {
    assertThat(eval(source, 0)).isEqualTo(expected);
  }

  @Test
  void round_takes_halves_away_from_zero_like_go_and_javascript() {
    assertThat(eval("round(0.5)", 0)).isEqualTo(1);
    assertThat(eval("round(1.5)", 0)).isEqualTo(2);
    assertThat(eval("round(2.5)", 0)).isEqualTo(3);
    assertThat(eval("abs(round(-2.5))", 0)).isEqualTo(3);
    assertThat(eval("round(0.49999999999999994) + 7", 0)).isEqualTo(7);
    assertThat(eval("round(retried * 0.5) * 1000", 1)).isEqualTo(1000);
  }

  @Test
  void the_variable_retried_is_the_number_of_retries_already_made() {
    RetryDelayExpression e = RetryDelayExpression.parse("retried");
    assertThat(e.delayMillis(0)).isZero();
    assertThat(e.delayMillis(7)).isEqualTo(7);
  }

  @Test
  void negative_and_nan_results_become_zero() {
    assertThat(eval("-1000", 0)).isZero();
    assertThat(eval("sqrt(-1)", 0)).isZero();
    assertThat(eval("0 / 0", 0)).isZero();
    assertThat(eval("1000 - 1000 * retried", 5)).isZero();
  }

  @Test
  void infinite_and_huge_results_saturate_instead_of_wrapping() {
    assertThat(eval("1 / 0", 0)).isEqualTo(Long.MAX_VALUE);
    assertThat(eval("pow(10, 400)", 0)).isEqualTo(Long.MAX_VALUE);
    assertThat(eval("exp(1000)", 0)).isEqualTo(Long.MAX_VALUE);
  }

  @Test
  void huge_results_are_capped_at_a_day_by_the_back_off() {
    assertThat(Backoff.delay(RetryDelayExpression.parse("pow(10, retried)"), 30)).isEqualTo(Backoff.CAP);
  }

  @ParameterizedTest
  @ValueSource(strings = {"retried +", "1 2", "(1", "1)", "()", "foo(1)", "pow(1)", "exp(1, 2)", "min(1, 2, 3)",
      "1..2", ".", "Retried", "RETRIED", "1e3", "2(3)", "retried(1)", "pow 2", "max(,1)", "1 % 2", "1 ^ 2",
      "$", "abs()", "sqrt(4", "1 * * 2", "retried retried", "١"})
  void malformed_expressions_are_rejected_as_validation_errors(String source) {
    assertThatThrownBy(() -> RetryDelayExpression.parse(source))
        .isInstanceOf(ValidationException.class)
        .hasMessageStartingWith("Upstash-Retry-Delay:");
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "   "})
  void empty_expressions_are_rejected(String source) {
    assertThatThrownBy(() -> RetryDelayExpression.parse(source)).isInstanceOf(ValidationException.class);
  }

  @Test
  void a_missing_expression_is_rejected() {
    assertThatThrownBy(() -> RetryDelayExpression.parse(null)).isInstanceOf(ValidationException.class);
  }

  @Test
  void expressions_longer_than_the_limit_are_rejected() {
    String ok = "1" + "+1".repeat(255);
    assertThat(ok).hasSize(511);
    assertThat(eval(ok, 0)).isEqualTo(256);
    assertThatThrownBy(() -> RetryDelayExpression.parse(ok + "+1")).isInstanceOf(ValidationException.class)
        .hasMessageContaining("longer than");
  }

  @Test
  void moderate_nesting_is_fine() {
    assertThat(eval("(".repeat(20) + "42" + ")".repeat(20), 0)).isEqualTo(42);
    assertThat(eval("abs(".repeat(20) + "42" + ")".repeat(20), 0)).isEqualTo(42);
  }

  @Test
  void deep_nesting_is_rejected_before_it_can_exhaust_the_stack() {
    for (String deep : new String[] {
        "(".repeat(40) + "1" + ")".repeat(40),
        "(".repeat(250) + "1" + ")".repeat(250),
        "-".repeat(500) + "1",
        "abs(".repeat(100) + "1" + ")".repeat(100),
        "(".repeat(511)}) {
      assertThatThrownBy(() -> RetryDelayExpression.parse(deep))
          .isInstanceOf(ValidationException.class)
          .hasMessageContaining("nested too deeply");
    }
  }
}
