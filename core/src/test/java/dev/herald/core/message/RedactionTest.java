package dev.herald.core.message;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.herald.core.ValidationException;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RedactionTest {

  @Test
  void nothing_given_means_nothing_redacted() {
    assertThat(Redaction.parse(null)).isEqualTo(Redaction.NONE);
    assertThat(Redaction.parse("  ")).isEqualTo(Redaction.NONE);
    assertThat(Redaction.NONE.any()).isFalse();
    assertThat(Redaction.NONE.spec()).isEmpty();
  }

  @Test
  void body_redacts_only_the_body() {
    Redaction r = Redaction.parse("body");
    assertThat(r.body()).isTrue();
    assertThat(r.header("Authorization")).isFalse();
    assertThat(r.any()).isTrue();
  }

  @ParameterizedTest
  @ValueSource(strings = {"header", "headers", "HEADERS", " header "})
  void header_and_headers_redact_every_header(String raw) {
    Redaction r = Redaction.parse(raw);
    assertThat(r.allHeaders()).isTrue();
    assertThat(r.header("anything")).isTrue();
    assertThat(r.body()).isFalse();
  }

  @ParameterizedTest
  @ValueSource(strings = {"header[Authorization]", "headers[authorization]", "HEADER[ AUTHORIZATION ]"})
  void one_header_can_be_named_in_either_spelling_and_any_case(String raw) {
    Redaction r = Redaction.parse(raw);
    assertThat(r.header("Authorization")).isTrue();
    assertThat(r.header("AUTHORIZATION")).isTrue();
    assertThat(r.header("X-Other")).isFalse();
  }

  @Test
  void header_names_match_whatever_the_default_locale() {
    Locale before = Locale.getDefault();
    Locale.setDefault(Locale.forLanguageTag("tr-TR"));
    try {
      Redaction r = Redaction.parse("header[X-API-KEY-ID]");
      assertThat(r.headers()).containsExactly("x-api-key-id");
      assertThat(r.header("x-api-key-id")).isTrue();
    } finally {
      Locale.setDefault(before);
    }
  }

  @Test
  void a_comma_list_combines_and_round_trips_through_its_spec() {
    Redaction r = Redaction.parse("body, header[Authorization], headers[X-Token]");
    assertThat(r.body()).isTrue();
    assertThat(r.headers()).containsExactlyInAnyOrder("authorization", "x-token");
    assertThat(Redaction.parse(r.spec())).isEqualTo(r);
    assertThat(Redaction.parse("body,header").spec()).isEqualTo("body,header");
  }

  @ParameterizedTest
  @ValueSource(strings = {"bodies", "header[]", "headers[ ]", "header[x", "cookies", "body;header", "[x]"})
  void malformed_lists_are_rejected(String raw) {
    assertThatThrownBy(() -> Redaction.parse(raw)).isInstanceOf(ValidationException.class)
        .hasMessageStartingWith("Upstash-Redact-Fields");
  }

  @Test
  void redacted_values_are_the_lowercase_hex_sha256_of_the_original() {
    assertThat(Redaction.redacted("abc"))
        .isEqualTo("REDACTED:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assertThat(Redaction.redacted(new byte[0]))
        .isEqualTo("REDACTED:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  }
}
