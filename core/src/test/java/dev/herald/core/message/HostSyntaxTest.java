package dev.herald.core.message;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class HostSyntaxTest {

  @ParameterizedTest
  @ValueSource(strings = {"0.0.0.0", "10.1.2.3", "255.255.255.255", "::", "::1", "fd00::", "[::1]", "2001:db8::1:2"})
  void ip_literals_are_read_as_addresses(String literal) {
    assertThat(HostSyntax.ipLiteral(literal)).isNotNull();
  }

  @ParameterizedTest
  @ValueSource(strings = {"127.1", "256.0.0.1", "0177.0.0.1", "1.2.3.4.5", "1.2.3.", "fd00::gg", "fe80::1%eth0", "::1]",
      "example.com", ""})
  void anything_else_is_not_an_ip_literal(String text) {
    assertThat(HostSyntax.ipLiteral(text)).isNull();
  }

  @ParameterizedTest
  @ValueSource(strings = {"localhost", "hooks.internal", "my_app", "a-b.example.com", "x1"})
  void host_names_are_labels_separated_by_dots_and_may_have_underscores(String name) {
    assertThat(HostSyntax.isHostName(name)).isTrue();
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "-lead.example", "trail-.example", "a..b", "example.com.", "has space", "a/b", "127.1",
      "10.0.0.1", "host:80", "caf\u00e9.example"})
  void other_spellings_are_not_host_names(String text) {
    assertThat(HostSyntax.isHostName(text)).isFalse();
  }

  @Test
  void a_label_longer_than_63_characters_is_not_a_host_name() {
    assertThat(HostSyntax.isHostName("a".repeat(63) + ".example")).isTrue();
    assertThat(HostSyntax.isHostName("a".repeat(64) + ".example")).isFalse();
  }
}
