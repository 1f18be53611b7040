package dev.herald.store;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** A store URL shown at start-up or in an error never shows its password, in any form the store takes. */
class StoreUrlRedactionTest {
  @ParameterizedTest
  @ValueSource(strings = {"postgres://herald:hunter2@db:5432/herald", "postgresql://u:hunter2@h/db?password=hunter2",
      "jdbc:postgresql://127.0.0.1:5432/db?user=postgres&password=hunter2",
      "jdbc:postgresql://127.0.0.1:5432/db?PASSWORD=hunter2&sslmode=require"})
  void the_password_is_masked(String url) {
    String shown = Db.redact(url);
    assertThat(shown).doesNotContain("hunter2").contains("***");
  }

  @ParameterizedTest
  @ValueSource(strings = {"postgres://db:5432/herald", "jdbc:postgresql://127.0.0.1:5432/db?user=postgres"})
  void a_url_without_a_password_is_shown_as_it_is(String url) {
    assertThat(Db.redact(url)).isEqualTo(url);
  }
}
