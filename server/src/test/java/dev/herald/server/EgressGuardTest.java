package dev.herald.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.herald.server.TestSink.Reply;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.JsonNode;

/**
 * The egress guard (S6, S7, design rule D7). In serve mode ({@code egress.allow-private=false})
 * loopback, private, link-local, metadata and unspecified addresses are never called: a literal IP
 * is refused at publish with a 400 on every surface that takes a URL, and a name that resolves to
 * one is refused when the attempt connects (the message fails, the sink sees nothing). An
 * {@code egress.allow} range opens them again; dev mode allows them; redirects are never followed.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class EgressGuardTest {
  private static final Duration WAIT = Duration.ofSeconds(20);
  private final TestSink sink = TestSink.start();
  private TestServer herald;

  @AfterEach
  void stop() {
    if (herald != null) herald.close();
    sink.close();
  }

  private TestServer serve(Map<String, String> extra) {
    Map<String, String> o = new java.util.HashMap<>(extra);
    o.put("egress.allow-private", "false");
    return TestServer.start(o);
  }

  /** Literal hosts (as they appear in a URL) that serve mode must refuse; {@code %d} is the sink's port. */
  static Stream<String> forbiddenLiterals() {
    return Stream.of("127.0.0.1:%d", "localhost:%d", "LocalHost:%d", "127.0.0.2:%d", "[::1]:%d", "169.254.169.254", "10.0.0.1", "172.16.0.1",
        "192.168.1.1", "100.64.0.1", "0.0.0.0:%d", "0:%d", "[::]:%d", "[::ffff:127.0.0.1]:%d", "[::ffff:7f00:1]:%d",
        "[0:0:0:0:0:ffff:127.0.0.1]:%d", "[::ffff:a9fe:a9fe]", "2130706433:%d",
        "[fd00::1]", "[fe80::1]", "[fec0::1]", "224.0.0.1", "255.255.255.255", "4294967295",
        "[::127.0.0.1]:%d", "[64:ff9b::7f00:1]:%d", "[2002:7f00:1::]:%d");
  }

  private String url(String literal, String path) {
    return "http://" + literal.formatted(sink.port()) + path;
  }

  /** The destination as a client puts it in a request path: brackets are not allowed raw, so encode it all. */
  private static String inPath(String url) {
    return url.contains("[") ? java.net.URLEncoder.encode(url, java.nio.charset.StandardCharsets.UTF_8) : url;
  }

  @ParameterizedTest
  @MethodSource("forbiddenLiterals")
  void a_forbidden_literal_address_is_refused_at_publish_on_every_surface_that_takes_a_url(String literal) {
    herald = serve(Map.of());
    String bad = url(literal, "/secret");
    String good = sink.url("/never"); // also loopback, so nothing here can be delivered anyway

    assertRefused(herald.publish(inPath(bad), "x"));
    assertRefused(herald.send(herald.request("/v2/enqueue/q1/" + inPath(bad)).POST(HttpRequest.BodyPublishers.ofString("x"))));
    assertRefused(herald.publish("https://example.com/hook", "x", "Upstash-Callback", bad));
    assertRefused(herald.publish("https://example.com/hook", "x", "Upstash-Failure-Callback", bad));
    assertItemRefused(herald.send(herald.request("/v2/batch").header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("[{\"destination\":\"" + bad + "\",\"body\":\"x\"}]"))));
    assertItemRefused(herald.send(herald.request("/v2/batch").header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("[{\"destination\":\"https://example.com/h\",\"body\":\"x\","
            + "\"headers\":{\"Upstash-Callback\":\"" + bad + "\"}}]"))));
    assertRefused(herald.send(herald.request("/v2/topics/g1/endpoints").header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"endpoints\":[{\"url\":\"" + bad + "\"}]}"))));
    assertRefused(herald.send(herald.request("/v2/schedules/" + inPath(bad)).header("Upstash-Cron", "* * * * *")
        .POST(HttpRequest.BodyPublishers.ofString("x"))));
    assertRefused(herald.send(herald.request("/v2/schedules/https://example.com/h").header("Upstash-Cron", "* * * * *")
        .header("Upstash-Callback", bad).POST(HttpRequest.BodyPublishers.ofString("x"))));
    assertThat(herald.get("/v2/schedules").body()).isEqualTo("[]");
    assertThat(good).isNotNull();
    assertThat(sink.requests()).isEmpty();
  }

  @ParameterizedTest
  // a leading zero (0127.0.0.1, 127.0.0.01): octal to curl and the C library, decimal to Java; refused in every mode
  @ValueSource(strings = {"http://0x7f.1/", "http://127.1/", "http://[127.0.0.1]/", "http://127.0.0.1./",
      "http://127.0.0.01/", "http://0127.0.0.1/"})
  void an_address_java_cannot_read_as_a_host_is_an_invalid_destination(String destination) {
    herald = serve(Map.of());

    HttpResponse<String> r = herald.publish(inPath(destination), "x");

    assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
  }

  @ParameterizedTest
  @ValueSource(strings = {"localhost.:%d", "0x7f000001:%d", "017700000001:%d", "0x7f.0.0.1:%d"})
  void a_name_that_would_reach_loopback_is_accepted_but_never_delivered(String host) {
    herald = serve(Map.of());

    HttpResponse<String> r = herald.publish("http://" + host.formatted(sink.port()) + "/by-name", "x",
        "Upstash-Retries", "0");
    if (r.statusCode() == 400) return; // refusing it outright at publish is fine too
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    String id = TestServer.json(r).get("messageId").asString();

    JsonNode dlq = awaitDlqEntry(id);
    assertThat(sink.requests()).isEmpty();
    assertThat(dlq.get("error").asString()).satisfiesAnyOf(
        e -> assertThat(e).contains("egress to 127.0.0.1 is not allowed"),
        e -> assertThat(e).startsWith("unknown host"));
  }

  @Test
  void a_host_name_that_resolves_to_loopback_is_refused_when_the_attempt_connects() throws Exception {
    String name = java.net.InetAddress.getLocalHost().getHostName();
    org.junit.jupiter.api.Assumptions.assumeTrue(java.net.InetAddress.getByName(name).isLoopbackAddress(),
        "this machine's host name does not resolve to loopback");
    herald = serve(Map.of());

    String id = idOf(herald.publish("http://" + name + ":" + sink.port() + "/by-name", "x", "Upstash-Retries", "0"));

    assertThat(awaitDlqEntry(id).get("error").asString()).contains("egress").contains("not allowed");
    assertThat(sink.requests()).isEmpty();
  }

  @Test
  void an_allow_rule_for_loopback_lets_the_same_deliveries_through() {
    herald = serve(Map.of("egress.allow", "127.0.0.0/8"));

    idOf(herald.publish(sink.url("/literal"), "a"));
    idOf(herald.publish("http://localhost:" + sink.port() + "/name", "b"));
    idOf(herald.publish(sink.url("/with-cb"), "c", "Upstash-Callback", sink.url("/cb")));

    sink.awaitRequests("/literal", 1, WAIT);
    sink.awaitRequests("/name", 1, WAIT);
    sink.awaitRequests("/with-cb", 1, WAIT);
    sink.awaitRequests("/cb", 1, WAIT);
    assertThat(herald.publish("http://169.254.169.254/latest/meta-data/", "x").statusCode()).isEqualTo(400);
  }

  @Test
  void dev_mode_delivers_to_loopback() {
    herald = TestServer.start(); // egress.allow-private=true, as `herald dev`

    idOf(herald.publish(sink.url("/dev"), "a"));
    idOf(herald.publish("http://localhost:" + sink.port() + "/dev", "b"));

    assertThat(sink.awaitRequests("/dev", 2, WAIT)).hasSize(2);
  }

  @ParameterizedTest
  @ValueSource(booleans = {true, false})
  void a_host_name_with_an_underscore_is_accepted_and_looked_up_when_the_attempt_connects(boolean devMode) {
    herald = devMode ? TestServer.start() : serve(Map.of()); // Docker Compose names services this way

    HttpResponse<String> r = herald.publish("http://no_such_service.invalid:8080/hook", "x", "Upstash-Retries", "0");

    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    JsonNode dlq = awaitDlqEntry(TestServer.json(r).get("messageId").asString());
    assertThat(dlq.get("error").asString()).isEqualTo("unknown host no_such_service.invalid");
  }

  @Test
  void a_redirect_is_never_followed_even_to_an_allowed_address() {
    herald = serve(Map.of("egress.allow", "127.0.0.0/8"));
    sink.on("/moved", n -> Reply.of(307).with("Location", sink.url("/target")));

    String id = idOf(herald.publish(sink.url("/moved"), "r", "Upstash-Retries", "1", "Upstash-Retry-Delay", "10"));

    sink.awaitRequests("/moved", 2, WAIT);
    assertThat(awaitDlqEntry(id).get("responseStatus").asInt()).isEqualTo(307);
    assertThat(sink.requests("/target")).isEmpty();
  }

  private static void assertRefused(HttpResponse<String> r) {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
    assertThat(TestServer.json(r).get("error").asString()).isNotBlank();
  }

  /** A batch answers 200 with one entry per item; a refused item is an entry with an error. */
  private static void assertItemRefused(HttpResponse<String> r) {
    if (r.statusCode() == 400) return;
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(TestServer.json(r).get(0).get("error").asString()).as(r.body()).contains("not allowed");
  }

  private static String idOf(HttpResponse<String> r) {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return TestServer.json(r).get("messageId").asString();
  }

  private JsonNode awaitDlqEntry(String messageId) {
    JsonNode[] found = new JsonNode[1];
    await().conditionEvaluationListener(c -> {
      if (c.getRemainingTimeInMS() < 100) System.err.println("LOGS " + herald.get("/v2/logs?messageId=" + messageId).body());
    }).atMost(WAIT).pollInterval(Duration.ofMillis(50)).until(() -> {
      for (JsonNode m : TestServer.json(herald.get("/v2/dlq?messageId=" + messageId)).get("messages")) {
        found[0] = m;
        return true;
      }
      return false;
    });
    return found[0];
  }
}
