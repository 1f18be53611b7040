package dev.herald.engine;

import static org.assertj.core.api.Assertions.assertThat;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import tools.jackson.databind.json.JsonMapper;

/** The JWT claims are written by hand; a JSON parser must read back exactly the URL that went in. */
class SignerClaimsTest {
  private static final JsonMapper JSON = JsonMapper.builder().build();

  @Property(tries = 2000)
  void any_string_survives_the_hand_written_json_escaping(@ForAll String url) {
    StringBuilder out = new StringBuilder();
    Signer.jsonString(out, url);

    assertThat(JSON.readTree(out.toString()).asString()).isEqualTo(url);
  }

  @Property(tries = 200)
  void quotes_backslashes_and_control_characters_are_escaped(@ForAll("tricky") String url) {
    StringBuilder out = new StringBuilder();
    Signer.jsonString(out, url);

    assertThat(out.toString()).doesNotContainPattern("[\\x00-\\x1f]");
    assertThat(JSON.readTree(out.toString()).asString()).isEqualTo(url);
  }

  @net.jqwik.api.Provide
  net.jqwik.api.Arbitrary<String> tricky() {
    return net.jqwik.api.Arbitraries.strings().withChars("\"\\\n\r\t\u0000\u001f\u2028a/?&=").ofMaxLength(20);
  }
}
