package dev.herald.core.retry;

import static org.assertj.core.api.Assertions.assertThat;

import dev.herald.core.ValidationException;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

class RetryDelayExpressionPropertiesTest {

  @Property
  void random_valid_expressions_parse_and_never_throw_when_evaluated(
      @ForAll("expressions") String source, @ForAll @IntRange(max = 10_000) int retried) {
    RetryDelayExpression e = RetryDelayExpression.parse(source);
    assertThat(e.delayMillis(retried)).isNotNegative();
    assertThat(Backoff.delay(e, retried)).isBetween(Duration.ZERO, Backoff.CAP);
  }

  @Property
  void evaluation_is_deterministic(@ForAll("expressions") String source, @ForAll @IntRange(max = 100) int retried) {
    assertThat(RetryDelayExpression.parse(source).delayMillis(retried))
        .isEqualTo(RetryDelayExpression.parse(source).delayMillis(retried));
  }

  @Property
  void garbage_made_of_expression_characters_parses_or_is_a_validation_error(@ForAll("nearlyExpressions") String source) {
    assertParsesOrRejectsPromptly(source);
  }

  @Property
  void arbitrary_unicode_parses_or_is_a_validation_error(@ForAll String source) {
    assertParsesOrRejectsPromptly(source);
  }

  @Property(tries = 200)
  void any_nesting_depth_is_either_accepted_or_rejected_as_too_deep(
      @ForAll @IntRange(min = 1, max = 60) int depth, @ForAll("openers") String opener) {
    String source = opener.repeat(depth) + "retried" + ")".repeat(opener.contains("(") ? depth : 0);
    try {
      RetryDelayExpression.parse(source);
      assertThat(depth).isLessThanOrEqualTo(32);
    } catch (ValidationException e) {
      assertThat(e).hasMessageContaining("nested too deeply");
      assertThat(depth).isGreaterThanOrEqualTo(16);
    }
  }

  private static void assertParsesOrRejectsPromptly(String source) {
    CompletableFuture<String> outcome = CompletableFuture.supplyAsync(() -> {
      try {
        RetryDelayExpression e = RetryDelayExpression.parse(source);
        e.delayMillis(0);
        e.delayMillis(Integer.MAX_VALUE);
        return "parsed";
      } catch (ValidationException e) {
        return "rejected";
      }
    });
    assertThat(outcome).succeedsWithin(Duration.ofSeconds(5)).isIn("parsed", "rejected");
  }

  @Provide
  Arbitrary<String> openers() {
    return Arbitraries.of("(", "-", "abs(", "- (", "sqrt(", "max(1, ");
  }

  @Provide
  Arbitrary<String> nearlyExpressions() {
    return Arbitraries.strings().withChars("0123456789.()+-*/, retriedpowexpsqrtabsfloorceilroundminmax").ofMaxLength(600);
  }

  @Provide
  Arbitrary<String> expressions() {
    return Arbitraries.recursive(RetryDelayExpressionPropertiesTest::atoms, RetryDelayExpressionPropertiesTest::compounds, 0, 5)
        .filter(s -> s.length() <= 512);
  }

  private static Arbitrary<String> atoms() {
    return Arbitraries.oneOf(
        Arbitraries.just("retried"),
        Arbitraries.integers().between(0, 1_000_000).map(String::valueOf),
        Arbitraries.bigDecimals().between(BigDecimal.ZERO, BigDecimal.valueOf(1000)).ofScale(3).map(BigDecimal::toPlainString));
  }

  private static Arbitrary<String> compounds(Arbitrary<String> inner) {
    return Arbitraries.oneOf(
        Combinators.combine(inner, Arbitraries.of("+", "-", "*", "/"), inner).as((a, op, b) -> a + " " + op + " " + b),
        inner.map(a -> "(" + a + ")"),
        inner.map(a -> "-" + a),
        Combinators.combine(Arbitraries.of("exp", "sqrt", "abs", "floor", "ceil", "round"), inner)
            .as((f, a) -> f + "(" + a + ")"),
        Combinators.combine(Arbitraries.of("pow", "min", "max"), inner, inner).as((f, a, b) -> f + "(" + a + ", " + b + ")"));
  }
}
