package dev.herald.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Loading settings: defaults, file, environment and flags, and the errors for bad ones. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ConfigLoaderTest {
  @TempDir
  Path dir;

  @Test
  void without_overrides_every_setting_has_its_documented_default() {
    Config c = ConfigLoader.load(null, Map.of(), Map.of());

    assertThat(c.server().host()).isEqualTo("0.0.0.0");
    assertThat(c.server().port()).isEqualTo(8080);
    assertThat(c.store().data()).isEqualTo("./herald-data");
    assertThat(c.auth().token()).isEmpty();
    assertThat(c.limits().maxBodyBytes()).isEqualTo(1_048_576);
    assertThat(c.limits().defaultRetries()).isEqualTo(3);
    assertThat(c.limits().maxDelay()).isEqualTo(Duration.ofDays(365));
    assertThat(c.delivery().concurrency()).isEqualTo(512);
    assertThat(c.retention().dedupWindow()).isEqualTo(Duration.ofMinutes(10));
    assertThat(c.server().shutdownGrace()).isEqualTo(Duration.ofSeconds(10));
    assertThat(c.egress().allowPrivate()).isFalse();
    assertThat(c.egress().allow()).isEmpty();
  }

  @Test
  void environment_variables_override_defaults_by_short_and_long_name() {
    Config c = ConfigLoader.load(null, Map.of("HERALD_PORT", "9999", "HERALD_LIMITS_MAX_BODY_BYTES", "4096",
        "HERALD_EGRESS_ALLOW", "10.0.0.0/8, hooks.internal", "HERALD_JAVA_OPTS", "-Xmx1g", "PATH", "/bin"), Map.of());

    assertThat(c.server().port()).isEqualTo(9999);
    assertThat(c.limits().maxBodyBytes()).isEqualTo(4096);
    assertThat(c.egress().allow()).containsExactly("10.0.0.0/8", "hooks.internal");
  }

  @Test
  void the_shutdown_grace_is_read_from_the_environment() {
    assertThat(ConfigLoader.load(null, Map.of("HERALD_SERVER_SHUTDOWN_GRACE", "45s"), Map.of()).server().shutdownGrace())
        .isEqualTo(Duration.ofSeconds(45));
  }

  @Test
  void flags_beat_the_environment_which_beats_the_file() throws IOException {
    Path file = Files.writeString(dir.resolve("herald.toml"), "[server]\nport = 1111\nhost = \"10.0.0.1\"\n");

    Config c = ConfigLoader.load(file, Map.of("HERALD_PORT", "2222"), Map.of("server.port", "3333"));
    Config noFlag = ConfigLoader.load(file, Map.of("HERALD_PORT", "2222"), Map.of());

    assertThat(c.server().port()).isEqualTo(3333);
    assertThat(noFlag.server().port()).isEqualTo(2222);
    assertThat(noFlag.server().host()).isEqualTo("10.0.0.1");
  }

  @Test
  void a_modes_defaults_yield_to_the_file_the_environment_and_the_flags() throws IOException {
    Map<String, String> mode = Map.of("auth.token", "mode-token", "server.port", "4444");
    Path file = Files.writeString(dir.resolve("mode.toml"), "[auth]\ntoken = \"file-token\"\n");

    assertThat(ConfigLoader.load(null, Map.of(), mode, Map.of()).auth().token()).isEqualTo("mode-token");
    assertThat(ConfigLoader.load(file, Map.of(), mode, Map.of()).auth().token()).isEqualTo("file-token");
    assertThat(ConfigLoader.load(file, Map.of("HERALD_TOKEN", "env-token"), mode, Map.of()).auth().token()).isEqualTo("env-token");
    assertThat(ConfigLoader.load(file, Map.of(), mode, Map.of("server.port", "5555")).server().port()).isEqualTo(5555);
    assertThat(ConfigLoader.load(file, Map.of(), mode, Map.of()).server().port()).isEqualTo(4444);
  }

  @Test
  void a_port_out_of_range_is_refused_naming_the_key_and_the_range() {
    assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("HERALD_PORT", "70000"), Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("server.port")
        .hasMessageContaining("0 to 65535");
  }

  @Test
  void a_value_of_the_wrong_kind_is_refused_naming_the_key() {
    assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(), Map.of("limits.max-body-bytes", "lots")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("limits.max-body-bytes");
    assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(), Map.of("egress.allow-private", "yes")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("egress.allow-private");
    assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(), Map.of("retention.dlq", "forever")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("retention.dlq");
  }

  @Test
  void an_unknown_key_in_the_file_is_an_error_naming_it() throws IOException {
    Path file = Files.writeString(dir.resolve("typo.toml"), "[server]\nprot = 8081\n");

    assertThatThrownBy(() -> ConfigLoader.load(file, Map.of(), Map.of()))
        .isInstanceOf(ConfigException.class).hasMessageContaining("server.prot");
  }

  @Test
  void a_file_value_of_the_wrong_type_is_an_error_naming_the_key() throws IOException {
    Path file = Files.writeString(dir.resolve("types.toml"), "[server]\nport = \"eighty\"\n");

    assertThatThrownBy(() -> ConfigLoader.load(file, Map.of(), Map.of()))
        .isInstanceOf(ConfigException.class).hasMessageContaining("server.port");
  }

  @Test
  void a_fraction_where_a_whole_number_belongs_is_refused_naming_the_key() throws IOException {
    Path file = Files.writeString(dir.resolve("fraction.toml"), "[server]\nport = 18080.9\n");

    assertThatThrownBy(() -> ConfigLoader.load(file, Map.of(), Map.of()))
        .isInstanceOf(ConfigException.class).hasMessageContaining("server.port").hasMessageContaining("whole number");
  }

  @Test
  void a_file_that_is_not_toml_is_an_error_that_never_quotes_the_file() throws IOException {
    Path file = Files.writeString(dir.resolve("broken.toml"),
        "[auth]\ntoken = \"tok_FILESECRET_abc\"\ncurrent-signing-key = \"sig_FILECUR\"\n[server]\nport = 8080 x\n");

    assertThatThrownBy(() -> ConfigLoader.load(file, Map.of(), Map.of()))
        .isInstanceOf(ConfigException.class).hasMessageContaining("broken.toml").hasMessageContaining("line 5")
        .hasMessageNotContaining("FILESECRET").hasMessageNotContaining("sig_FILECUR");
  }

  @Test
  void a_missing_config_file_is_an_error_naming_it() {
    Path missing = dir.resolve("nope.toml");

    assertThatThrownBy(() -> ConfigLoader.load(missing, Map.of(), Map.of()))
        .isInstanceOf(ConfigException.class).hasMessageContaining("nope.toml");
  }

  @Test
  void egress_allow_takes_ranges_addresses_and_host_names() {
    Config c = ConfigLoader.load(null, Map.of("HERALD_EGRESS_ALLOW", "10.1.2.0/24, fd00::/8, 192.168.1.7, ::1, hooks.internal, my_app"),
        Map.of());

    assertThat(c.egress().allow()).containsExactly("10.1.2.0/24", "fd00::/8", "192.168.1.7", "::1", "hooks.internal", "my_app");
  }

  @ParameterizedTest
  @ValueSource(strings = {"10.1.2.0/33", "fd00::/129", "10.1.2.0/", "10.1.2.0/x", "10.1/8", "hooks.internal/24", "999.1.2.3",
      "0177.0.0.1", "fd00::zz", "hooks..internal", "-hooks.internal", "http://hooks.internal", "hooks internal"})
  void a_bad_egress_allow_entry_is_refused_naming_the_key_and_the_entry(String entry) {
    assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("HERALD_EGRESS_ALLOW", "10.0.0.0/8," + entry), Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("egress.allow: '" + entry + "' ");
  }

  @Test
  void a_bad_egress_allow_entry_in_the_file_is_refused_too() throws IOException {
    Path file = Files.writeString(dir.resolve("egress.toml"), "[egress]\nallow = [\"10.1.2.0/24\", \"10.1.2.0/40\"]\n");

    assertThatThrownBy(() -> ConfigLoader.load(file, Map.of(), Map.of()))
        .isInstanceOf(ConfigException.class).hasMessageContaining("egress.allow: '10.1.2.0/40' has a bad prefix length");
  }

  @ParameterizedTest
  @ValueSource(strings = {"0.0.0.0", "127.0.0.1", "::", "::1", "[::1]", "localhost", "herald.internal", "my_app"})
  void server_host_takes_an_ip_address_or_a_host_name(String host) {
    assertThat(ConfigLoader.load(null, Map.of("HERALD_HOST", host), Map.of()).server().host()).isEqualTo(host);
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "0.0.0.0:8080", "http://localhost", "my host", "127.1", "256.0.0.1", "::zz", "local..host"})
  void a_server_host_that_is_neither_is_refused_naming_the_key(String host) {
    assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("HERALD_SERVER_HOST", host), Map.of()))
        .isInstanceOf(ConfigException.class).hasMessageStartingWith("server.host: '" + host + "' is not an IP address or a host name");
  }

  @ParameterizedTest(name = "{0}: {1} to {2}")
  @CsvSource({
      "server.idle-timeout, 1s, 1d, 999ms, 1d1ms",
      "server.read-timeout, 1s, 1d, 0s, 2d",
      "server.shutdown-grace, 1s, 1h, 0s, 61m",
      "limits.max-delay, 1s, 3650d, 999ms, 3651d",
      "limits.max-attempt-timeout, 1s, 1d, 0s, 25h",
      "delivery.connect-timeout, 100ms, 10m, 99ms, 601s",
      "delivery.lookahead, 1s, 1h, 500ms, 61m",
      "delivery.lease-margin, 1s, 1d, 0s, 2d",
      "retention.dedup-window, 1s, 90d, 0s, 91d",
      "retention.dlq, 1m, 3650d, 59s, 3651d",
      "retention.logs, 1m, 3650d, 59s, 3651d",
      "retention.flow-keys, 1m, 30d, 59s, 31d"})
  void a_duration_is_taken_within_its_documented_range_and_refused_outside_it(String key, String min, String max,
      String below, String above) throws IOException {
    assertThat(ConfigLoader.load(null, Map.of(), Map.of(key, min))).isNotNull();
    assertThat(ConfigLoader.load(null, Map.of(), Map.of(key, max))).isNotNull();
    for (String out : new String[] {below, above}) {
      assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(), Map.of(key, out)))
          .isInstanceOf(ConfigException.class)
          .hasMessage(key + ": " + out + " is out of range (allowed " + min + " to " + max + ")");
    }
    String defaults = new String(ConfigLoader.class.getResourceAsStream("/defaults.toml").readAllBytes(), StandardCharsets.UTF_8);
    assertThat(defaults).as("defaults.toml documents the range").contains(key.substring(key.indexOf('.') + 1) + " = ")
        .contains("(" + min + "-" + max);
  }

  @Test
  void a_duration_longer_than_herald_reads_or_not_a_duration_names_the_range() {
    for (String raw : new String[] {"36501d", "soon", "-5s"}) {
      assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("HERALD_RETENTION_LOGS", raw), Map.of()))
          .isInstanceOf(ConfigException.class)
          .hasMessage("retention.logs: '" + raw + "' is not a duration from 1m to 3650d (write e.g. 30s, 5m, 2h, 7d)");
    }
  }

  @Test
  void a_misspelt_environment_variable_is_named_with_the_setting_it_likely_meant_and_never_its_value() {
    var warnings = ConfigLoader.unknownEnvironment(Map.of("HERALD_SERVR_PORT", "9090", "HERALD_TOKN", "tok_SECRET",
        "HERALD_PROT", "1", "HERALD_COMPLETELY_DIFFERENT", "x"));

    assertThat(warnings).containsExactly(
        "HERALD_COMPLETELY_DIFFERENT is not a setting (ignored)",
        "HERALD_PROT is not a setting (ignored); did you mean HERALD_PORT?",
        "HERALD_SERVR_PORT is not a setting (ignored); did you mean HERALD_SERVER_PORT?",
        "HERALD_TOKN is not a setting (ignored); did you mean HERALD_TOKEN?");
    assertThat(String.join("\n", warnings)).doesNotContain("tok_SECRET").doesNotContain("9090");
  }

  @Test
  void settings_their_short_names_and_the_launchers_variables_draw_no_warning() {
    assertThat(ConfigLoader.unknownEnvironment(Map.of("HERALD_SERVER_PORT", "1", "HERALD_PORT", "1",
        "HERALD_LIMITS_MAX_BODY_BYTES", "1", "HERALD_STORE", "x", "HERALD_JAVA_OPTS", "-Xmx1g",
        "HERALD_JAVA_OPTS_EXTRA", "-Xlog:gc", "HERALD_AOT", "off", "HERALD_TEST_PG", "jdbc:x", "PATH", "/bin",
        "HERALDRY", "x"))).isEmpty();
    assertThat(ConfigLoader.unknownEnvironment(Map.of("HERALD_COMPAT_STORE", "postgresql"))).isEmpty();
  }

  @Test
  void the_auth_settings_never_show_in_the_config_string() {
    Config c = ConfigLoader.load(null, Map.of("HERALD_TOKEN", "secret-token"), Map.of());

    assertThat(c.toString()).doesNotContain("secret-token");
  }
}
