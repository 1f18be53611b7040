package dev.herald.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The `herald` command run as a real process, with no HERALD_* variables in its environment. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class CommandLineTest {
  private static final Duration EXIT = Duration.ofSeconds(30);

  @TempDir
  Path dir;

  @Test
  void serve_without_token_and_keys_refuses_to_start_and_names_what_is_missing() {
    HeraldProcess.Result r = HeraldProcess.run(EXIT, "serve", "--port", "0", "--data", dir.resolve("data").toString());

    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.output()).contains("auth.token", "HERALD_TOKEN", "auth.current-signing-key", "auth.next-signing-key");
    assertThat(r.output()).doesNotContain("running at");
  }

  @Test
  void a_bad_setting_stops_the_start_with_exit_code_2_and_the_key_in_the_message() {
    HeraldProcess.Result r = HeraldProcess.run(EXIT, "dev", "--port", "70000", "--data", dir.resolve("data").toString());

    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.output()).contains("server.port").contains("65535");
  }

  @Test
  void a_bad_egress_allow_entry_stops_the_start_with_one_line_and_exit_code_2() {
    HeraldProcess.Result r = HeraldProcess.run(EXIT, Map.of("HERALD_EGRESS_ALLOW", "10.0.0.0/8, 10.1.2.0/33"),
        "dev", "--port", "0", "--data", dir.resolve("data").toString());

    assertThat(r.exitCode()).as(r.output()).isEqualTo(2);
    assertThat(r.output()).contains("herald: egress.allow: '10.1.2.0/33' has a bad prefix length");
    assertNoStackTrace(r);
  }

  @Test
  void the_start_up_line_shows_a_url_that_can_be_opened() {
    assertThat(Main.Run.displayHost("0.0.0.0")).isEqualTo("127.0.0.1");
    assertThat(Main.Run.displayHost("::")).isEqualTo("[::1]");
    assertThat(Main.Run.displayHost("::1")).isEqualTo("[::1]");
    assertThat(Main.Run.displayHost("[fd00::1]")).isEqualTo("[fd00::1]");
    assertThat(Main.Run.displayHost("10.0.0.5")).isEqualTo("10.0.0.5");
    assertThat(Main.Run.displayHost("my_app")).isEqualTo("my_app");
  }

  @Test
  void every_command_answers_help_and_exits_0() {
    for (String command : new String[] {"serve", "dev", "migrate", "train"}) {
      HeraldProcess.Result r = HeraldProcess.run(EXIT, command, "--help");
      assertThat(r.exitCode()).as(command + ": " + r.output()).isZero();
      assertThat(r.output()).as(command).contains("Usage:").contains(command);
    }
  }

  @Test
  void a_port_in_use_stops_the_start_with_one_line_and_exit_code_1() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      int port = taken.getLocalPort();

      HeraldProcess.Result r = HeraldProcess.run(EXIT, "dev", "--port", String.valueOf(port), "--data", dir.resolve("data").toString());

      assertThat(r.exitCode()).as(r.output()).isEqualTo(1);
      assertThat(r.output()).contains("herald: cannot listen on 127.0.0.1:" + port + ": Address already in use");
      assertNoStackTrace(r);
    }
  }

  @Test
  void an_address_this_machine_does_not_have_stops_the_start_with_one_line_and_exit_code_1() {
    // 192.0.2.1 is TEST-NET-1 (RFC 5737): documentation only, never a local address
    HeraldProcess.Result r = HeraldProcess.run(EXIT, Map.of("HERALD_HOST", "192.0.2.1", "HERALD_TOKEN", "t",
        "HERALD_CURRENT_SIGNING_KEY", "sig_a", "HERALD_NEXT_SIGNING_KEY", "sig_b"),
        "serve", "--port", "0", "--data", dir.resolve("data").toString());

    assertThat(r.exitCode()).as(r.output()).isEqualTo(1);
    assertThat(r.output()).contains("herald: cannot listen on 192.0.2.1:0: ");
    assertNoStackTrace(r);
  }

  @Test
  void a_misspelt_environment_variable_is_one_warning_line_without_its_value() {
    HeraldProcess.Result r = HeraldProcess.run(EXIT, Map.of("HERALD_SERVR_PORT", "tok_VALUE_SECRET", "HERALD_JAVA_OPTS", "-Xmx1g",
        "HERALD_AOT", "off"), "dev", "--port", "70000", "--data", dir.resolve("data").toString());

    assertThat(r.output()).contains("herald: warning: HERALD_SERVR_PORT is not a setting (ignored); did you mean HERALD_SERVER_PORT?\n");
    assertThat(r.output()).doesNotContain("tok_VALUE_SECRET").doesNotContain("HERALD_JAVA_OPTS").doesNotContain("HERALD_AOT");
    assertThat(r.output().lines().filter(l -> l.contains("warning"))).hasSize(1);
  }

  @Test
  void sigterm_waits_server_shutdown_grace_for_an_attempt_in_flight_then_exits_0() throws Exception {
    try (ServerSocket silent = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"));
        HeraldProcess herald = HeraldProcess.start(dir.resolve("data"), Map.of("HERALD_SERVER_SHUTDOWN_GRACE", "1s"));
        HttpClient client = HttpClient.newHttpClient()) {
      HttpResponse<String> r = client.send(HttpRequest.newBuilder(
              URI.create(herald.base() + "/v2/publish/http://127.0.0.1:" + silent.getLocalPort() + "/never"))
          .header("Authorization", "Bearer " + Main.DEV_TOKEN).POST(HttpRequest.BodyPublishers.ofString("x")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
      try (Socket attempt = silent.accept()) { // the attempt is in flight, and its destination never answers
        assertThat(herald.stop(EXIT)).isZero();
      }
      await().atMost(EXIT).until(() -> herald.output().contains("herald stopped")); // its last line: all output is read
      assertThat(herald.output()).anyMatch(l -> l.contains("1 attempt(s) still in flight after server.shutdown-grace (1s)"));
    }
  }

  @Test
  void dev_takes_the_token_of_its_config_file_and_refuses_the_dev_token_then() throws Exception {
    Path config = java.nio.file.Files.writeString(dir.resolve("herald.toml"), "[auth]\ntoken = \"tok_from_the_file\"\n");
    try (HeraldProcess herald = HeraldProcess.dev(dir.resolve("data"), "--config", config.toString());
        HttpClient client = HttpClient.newHttpClient()) {
      for (var token : Map.of(Main.DEV_TOKEN, 401, "tok_from_the_file", 200).entrySet()) {
        HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create(herald.base() + "/v2/keys"))
            .header("Authorization", "Bearer " + token.getKey()).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(token.getValue());
      }
      // the signing keys the file does not set stay the dev ones
      HttpResponse<String> keys = client.send(HttpRequest.newBuilder(URI.create(herald.base() + "/v2/keys"))
          .header("Authorization", "Bearer tok_from_the_file").GET().build(), HttpResponse.BodyHandlers.ofString());
      assertThat(keys.body()).contains(Main.DEV_CURRENT_KEY);
    }
  }

  @Test
  void migrate_on_a_store_it_cannot_open_says_why_in_one_line_and_exits_1() throws Exception {
    Path file = java.nio.file.Files.writeString(dir.resolve("not-a-directory"), "x");

    HeraldProcess.Result r = HeraldProcess.run(EXIT, "migrate", "--data", file.resolve("data").toString());

    assertThat(r.exitCode()).as(r.output()).isEqualTo(1);
    assertThat(r.output()).contains("herald: opening the SQLite store " + file.resolve("data").resolve("herald.db") + ":");
    assertThat(r.output()).doesNotContain("Exception").doesNotContain("\tat ");
  }

  private static void assertNoStackTrace(HeraldProcess.Result r) {
    assertThat(r.output()).doesNotContain("Exception").doesNotContain("\tat ").doesNotContain("running at");
  }

  @Test
  void version_prints_the_version_and_exits_0() {
    HeraldProcess.Result r = HeraldProcess.run(EXIT, "version");

    assertThat(r.exitCode()).isZero();
    assertThat(r.output()).startsWith("herald ");
  }

  @Test
  void migrate_creates_the_store_and_exits_0() {
    HeraldProcess.Result r = HeraldProcess.run(EXIT, "migrate", "--data", dir.resolve("m").toString());

    assertThat(r.exitCode()).as(r.output()).isZero();
    assertThat(r.output()).contains("schema is up to date");
    assertThat(dir.resolve("m")).isDirectory();
  }
}
