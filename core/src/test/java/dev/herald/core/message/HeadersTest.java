package dev.herald.core.message;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class HeadersTest {

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
      "content-type, Content-Type",
      "CONTENT-TYPE, Content-Type",
      "bypass-tunnel-reminder, Bypass-Tunnel-Reminder",
      "x-github-event, X-Github-Event",
      "Upstash-Workflow-RunId, Upstash-Workflow-Runid",
      "etag, Etag",
      "www-authenticate, Www-Authenticate",
      "x--double, X--Double",
      "-leading, -Leading",
      "trailing-, Trailing-",
      "x_under_score, X_under_score",
      "x-1abc, X-1abc",
      "a.b-c, A.b-C"})
  void names_are_canonicalised_like_go_textproto(String in, String expected) {
    assertThat(Headers.canonical(in)).isEqualTo(expected);
  }

  @Test
  void names_go_would_not_touch_are_left_as_is() {
    assertThat(Headers.canonical("has space")).isEqualTo("has space");
    assertThat(Headers.canonical("caf\u00e9-name")).isEqualTo("caf\u00e9-name");
    assertThat(Headers.canonical("x-foo:bar")).isEqualTo("x-foo:bar");
    assertThat(Headers.canonical("x-foo\tbar")).isEqualTo("x-foo\tbar");
    assertThat(Headers.canonical("x(y)")).isEqualTo("x(y)");
    assertThat(Headers.canonical("")).isEmpty();
  }

  @Test
  void keys_that_canonicalise_alike_are_merged_in_order() {
    Map<String, List<String>> raw = new LinkedHashMap<>();
    raw.put("x-a", List.of("1"));
    raw.put("X-B", List.of("2"));
    raw.put("X-A", List.of("3", "4"));
    Headers h = Headers.of(raw);
    assertThat(h.map()).containsExactly(Map.entry("X-A", List.of("1", "3", "4")), Map.entry("X-B", List.of("2")));
  }

  @Test
  void first_looks_names_up_case_insensitively() {
    Headers h = Headers.of(Map.of("content-type", List.of("text/plain", "ignored")));
    assertThat(h.first("CONTENT-TYPE")).isEqualTo("text/plain");
    assertThat(h.first("x-missing")).isNull();
    assertThat(Headers.of(Map.of("x-empty", List.of())).first("X-Empty")).isNull();
  }

  @Test
  void the_map_cannot_be_changed_from_outside() {
    Map<String, List<String>> raw = new LinkedHashMap<>();
    raw.put("a", List.of("1"));
    Headers h = Headers.of(raw);
    raw.put("b", List.of("2"));
    assertThat(h.map()).containsOnlyKeys("A");
    assertThat(Headers.EMPTY.isEmpty()).isTrue();
    assertThat(Headers.of(Map.of())).isSameAs(Headers.EMPTY);
  }

  @Property
  void canonicalising_twice_changes_nothing(@ForAll String name) {
    String once = Headers.canonical(name);
    assertThat(Headers.canonical(once)).isEqualTo(once);
  }

  @Property
  void canonicalising_only_changes_letter_case(@ForAll String name) {
    assertThat(Headers.canonical(name)).isEqualToIgnoringCase(name).hasSameSizeAs(name);
  }
}
