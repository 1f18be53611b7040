package dev.herald.core.message;

import static org.assertj.core.api.Assertions.assertThat;

import dev.herald.core.ValidationException;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

class HeaderParserPropertiesTest {
  private static final List<String> NAMES = List.of(
      "Upstash-Method", "Upstash-Delay", "Upstash-Not-Before", "Upstash-Retries", "Upstash-Retry-Delay",
      "Upstash-Timeout", "Upstash-Callback", "Upstash-Failure-Callback", "Upstash-Callback-Retries",
      "Upstash-Callback-Method", "Upstash-Callback-Forward-X", "Upstash-Failure-Callback-Delay",
      "Upstash-Callback-Callback", "Upstash-Deduplication-Id", "Upstash-Content-Based-Deduplication",
      "Upstash-Label", "Upstash-Redact-Fields", "Upstash-Flow-Control-Key", "Upstash-Flow-Control-Value",
      "Upstash-Cron", "Upstash-Schedule-Id", "Upstash-Queue-Name", "Upstash-Forward-", "Upstash-Forward-X-Token",
      "Upstash-Header-Forward", "Content-Type", "Authorization", "Host", "X-Anything", "upstash-", "UPSTASH-RETRIES");

  private static final List<String> VALUES = List.of(
      "", " ", "true", "false", "True", "0", "1", "-1", "20", "99999999999", "1.5", "10s", "1d10h30m", "500ms", "7d",
      "8d", "GET", "head", "https://example.com/cb", "http://", "ftp://x", "pow(2, retried) * 1000", "pow(", "a,b",
      "a b", "body", "header[Authorization]", "headers[]", "parallelism=2, rate=10, period=1m", "rate=0", "period=8d",
      "period=500ms", "x".repeat(600), "*/5 * * * *", "µ", "日本");

  @Provide
  Arbitrary<Map<String, List<String>>> plausibleHeaders() {
    Arbitrary<String> name = Arbitraries.oneOf(Arbitraries.of(NAMES), Arbitraries.strings().ofMaxLength(30));
    Arbitrary<String> value = Arbitraries.oneOf(Arbitraries.of(VALUES), Arbitraries.strings().ofMaxLength(40));
    return Arbitraries.maps(name, value.list().ofMinSize(1).ofMaxSize(3)).ofMaxSize(8);
  }

  @Provide
  Arbitrary<Map<String, List<String>>> anyHeaders() {
    return Arbitraries.maps(Arbitraries.strings(), Arbitraries.strings().list().ofMaxSize(3)).ofMaxSize(10);
  }

  @Property(tries = 3000)
  void plausible_header_maps_give_options_or_a_validation_error(@ForAll("plausibleHeaders") Map<String, List<String>> h) {
    assertOptionsOrValidationError(h);
  }

  @Property
  void arbitrary_header_maps_give_options_or_a_validation_error(@ForAll("anyHeaders") Map<String, List<String>> h) {
    assertOptionsOrValidationError(h);
  }

  @Property
  void retries_never_exceed_the_maximum(@ForAll @IntRange(min = 0) int retries) {
    MessageOptions o = HeaderParserTest.PARSER.parse(Map.of("Upstash-Retries", List.of(Integer.toString(retries))));
    assertThat(o.retries()).isBetween(0, HeaderParserTest.LIMITS.maxRetries()).isLessThanOrEqualTo(retries);
  }

  private static void assertOptionsOrValidationError(Map<String, List<String>> h) {
    MessageOptions o;
    try {
      o = HeaderParserTest.PARSER.parse(h);
    } catch (ValidationException e) {
      assertThat(e.getMessage()).isNotBlank();
      return;
    }
    assertThat(o.method()).isIn(HeaderParser.METHODS);
    assertThat(o.retries()).isBetween(0, HeaderParserTest.LIMITS.maxRetries());
    if (o.timeout() != null) assertThat(o.timeout()).isPositive().isLessThanOrEqualTo(HeaderParserTest.LIMITS.maxTimeout());
    if (o.delay() != null) assertThat(o.delay()).isLessThanOrEqualTo(HeaderParserTest.LIMITS.maxDelay());
    for (String forwarded : o.headers().map().keySet()) {
      assertThat(HeaderParser.RESTRICTED).doesNotContain(forwarded.toLowerCase());
    }
  }
}
