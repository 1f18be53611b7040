package dev.herald.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Bad requests get a 4xx with the QStash error body, never a 500, and store nothing. "Stored
 * nothing" is checked by publishing a good message after the bad one: once the good one has been
 * delivered, a stored bad one (due at once) would have been delivered to its own path too.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class BadInputTest {
  private static final Duration WAIT = Duration.ofSeconds(10);
  private final TestSink sink = TestSink.start();
  private final TestServer herald = TestServer.start(Map.of("limits.max-body-bytes", "2048"));

  @AfterEach
  void stop() {
    herald.close();
    sink.close();
  }

  static Stream<Arguments> malformedHeaders() {
    return Stream.of(
        Arguments.of((Object) new String[] {"Upstash-Delay", "10x"}),
        Arguments.of((Object) new String[] {"Upstash-Delay", "-5s"}),
        Arguments.of((Object) new String[] {"Upstash-Retries", "-1"}),
        Arguments.of((Object) new String[] {"Upstash-Retries", "three"}),
        Arguments.of((Object) new String[] {"Upstash-Method", "FETCH"}),
        Arguments.of((Object) new String[] {"Upstash-Retry-Delay", "pow(retried"}),
        Arguments.of((Object) new String[] {"Upstash-Retry-Delay", "1000 + nope"}),
        Arguments.of((Object) new String[] {"Upstash-Callback", "not-a-url"}),
        Arguments.of((Object) new String[] {"Upstash-Callback", "ftp://x/y"}),
        Arguments.of((Object) new String[] {"Upstash-Not-Before", "tomorrow"}),
        Arguments.of((Object) new String[] {"Upstash-Not-Before", "-5"}),
        Arguments.of((Object) new String[] {"Upstash-Not-Before", "32503680000"}), // the year 3000: over limits.max-delay
        Arguments.of((Object) new String[] {"Upstash-Flow-Control-Key", "k", "Upstash-Flow-Control-Value", "parallelism=x"}),
        Arguments.of((Object) new String[] {"Upstash-Flow-Control-Value", "parallelism=2"}),
        Arguments.of((Object) new String[] {"Upstash-Label", "no spaces allowed"}));
  }

  @ParameterizedTest
  @MethodSource("malformedHeaders")
  void a_malformed_upstash_header_is_a_400_and_stores_nothing(String[] headers) {
    HttpResponse<String> r = herald.publish(sink.url("/bad"), "bad", headers);

    assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
    assertThat(TestServer.json(r).get("error").asString()).isNotBlank();
    assertNothingWasStoredFor("/bad");
  }

  @Test
  void a_body_over_the_limit_is_a_413_and_stores_nothing() {
    HttpResponse<String> declared = herald.send(herald.request("/v2/publish/" + sink.url("/big"))
        .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[4096])));
    HttpResponse<String> chunked = herald.send(herald.request("/v2/publish/" + sink.url("/big"))
        .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(new byte[4096]))));

    assertThat(declared.statusCode()).isEqualTo(413);
    assertThat(TestServer.json(declared).get("error").asString()).contains("2048");
    assertThat(chunked.statusCode()).isEqualTo(413);
    assertThat(herald.publish(sink.url("/small"), "x".repeat(2048)).statusCode()).isEqualTo(200);
    assertNothingWasStoredFor("/big");
  }

  @Test
  void a_client_that_ends_its_connection_inside_its_body_gets_a_400() throws IOException {
    String answer;
    try (Socket s = new Socket(InetAddress.getLoopbackAddress(), herald.app().port())) {
      s.setSoTimeout(30_000);
      s.getOutputStream().write(("POST /v2/publish/" + sink.url("/cut") + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
          + TestServer.TOKEN + "\r\nContent-Length: 100\r\n\r\nonly part of it").getBytes(StandardCharsets.US_ASCII));
      s.shutdownOutput();
      answer = new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
    }

    assertThat(answer).startsWith("HTTP/1.1 400 ").contains("could not read request body");
    assertNothingWasStoredFor("/cut");
  }

  @ParameterizedTest
  @ValueSource(strings = {"http://", "https://", "ftp://x", "http://a%20b.example", "http://%20example.com/x",
      "no/such/thing", "http:/one-slash.example", "http://example.com:99999/", "http://127.0.0.1:65536/x",
      "http://example.com:0/"})
  void an_invalid_destination_is_a_400(String destination) {
    HttpResponse<String> r = herald.publish(destination, "x");

    assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
    assertThat(TestServer.json(r).get("error").asString()).isNotBlank();
  }

  @Test
  void an_unknown_route_is_a_404_with_the_error_body() {
    HttpResponse<String> r = herald.get("/v2/no-such-endpoint");

    assertThat(r.statusCode()).isEqualTo(404);
    assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("application/json"));
    assertThat(TestServer.json(r).get("error").asString()).isNotBlank();
  }

  @Test
  void a_wrong_method_on_a_known_endpoint_is_a_405() {
    HttpResponse<String> put = herald.send(herald.request("/v2/keys").PUT(HttpRequest.BodyPublishers.noBody()));
    HttpResponse<String> get = herald.get("/v2/keys/rotate");

    assertThat(put.statusCode()).isEqualTo(405);
    assertThat(get.statusCode()).isEqualTo(405);
    assertThat(TestServer.json(put).get("error").asString()).isNotBlank();
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "Bearer wrong-token", "Bearer", "Basic dGVzdDp0ZXN0", "bearer  ", "Token " + TestServer.TOKEN})
  void a_missing_wrong_or_malformed_token_is_a_401(String authorization) {
    HttpRequest.Builder b = herald.anonymous("/v2/keys").GET();
    if (!authorization.isEmpty()) b.header("Authorization", authorization);
    HttpResponse<String> r = herald.send(b);

    assertThat(r.statusCode()).isEqualTo(401);
    assertThat(r.headers().firstValue("WWW-Authenticate")).hasValue("Bearer");
    assertThat(TestServer.json(r).get("error").asString()).isNotBlank();
  }

  @Test
  void two_authorization_headers_are_a_401_whichever_one_holds_the_token() { // S3
    for (String[] pair : List.of(new String[] {"Bearer " + TestServer.TOKEN, "Bearer wrong"},
        new String[] {"Bearer wrong", "Bearer " + TestServer.TOKEN},
        new String[] {"Bearer " + TestServer.TOKEN, "Bearer " + TestServer.TOKEN})) {
      HttpResponse<String> r = herald.send(herald.anonymous("/v2/keys").header("Authorization", pair[0])
          .header("Authorization", pair[1]).GET());
      assertThat(r.statusCode()).as(String.join(" / ", pair)).isEqualTo(401);
    }
    HttpResponse<String> big = herald.send(herald.anonymous("/v2/keys").header("Authorization", "Bearer " + "a".repeat(10_240)).GET());
    assertThat(big.statusCode()).isEqualTo(401);
  }

  @Test
  void the_right_token_works_as_bearer_and_as_qstash_token_query() {
    assertThat(herald.send(herald.request("/v2/keys").GET()).statusCode()).isEqualTo(200);
    assertThat(herald.send(herald.anonymous("/v2/keys?qstash_token=" + TestServer.TOKEN).GET()).statusCode()).isEqualTo(200);
    assertThat(herald.send(herald.anonymous("/v2/keys?qstash_token=nope").GET()).statusCode()).isEqualTo(401);
  }

  @Test
  void a_publish_without_a_token_stores_nothing() {
    HttpResponse<String> r = herald.send(herald.anonymous("/v2/publish/" + sink.url("/anon"))
        .POST(HttpRequest.BodyPublishers.ofString("x")));

    assertThat(r.statusCode()).isEqualTo(401);
    assertNothingWasStoredFor("/anon");
  }

  @ParameterizedTest
  @ValueSource(strings = {"Upstash-Forward-Host:evil.example", "Upstash-Forward-X Y", "Upstash-Forward-A\\r\\nB"})
  void a_batch_item_whose_header_name_http_cannot_carry_is_refused_and_not_stored(String name) {
    String batch = "[{\"destination\": \"" + sink.url("/ok-item") + "\", \"body\": \"a\"},"
        + " {\"destination\": \"" + sink.url("/bad-item") + "\", \"headers\": {\"" + name + "\": \"x\"}, \"body\": \"b\"}]";
    HttpResponse<String> r = herald.post("/v2/batch", batch, "Content-Type", "application/json");

    // a batch answers each item (spec 3.3): the good one is published, the bad one refused
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(TestServer.json(r).get(0).get("messageId").asString()).startsWith("msg_");
    assertThat(TestServer.json(r).get(1).get("error").asString()).contains("not a valid HTTP header name");
    sink.awaitRequests("/ok-item", 1, WAIT);
    assertNothingWasStoredFor("/bad-item");
  }

  @Test
  void a_batch_item_header_value_with_a_line_break_is_refused_and_not_stored() {
    String batch = "[{\"destination\": \"" + sink.url("/crlf") + "\", \"headers\": {\"Upstash-Forward-X\": \"a\\r\\nHost: evil\"}}]";
    HttpResponse<String> r = herald.post("/v2/batch", batch, "Content-Type", "application/json");

    assertThat(TestServer.json(r).get(0).get("error").asString()).as(r.body()).contains("must not contain CR, LF or NUL");
    assertNothingWasStoredFor("/crlf");
  }

  @ParameterizedTest
  @ValueSource(strings = {"zz", "ffffffffffffffffff", "-1"})
  void a_body_with_a_malformed_chunk_size_is_a_400_and_stores_nothing(String size) throws IOException {
    String answer;
    try (Socket s = new Socket(InetAddress.getLoopbackAddress(), herald.app().port())) {
      s.setSoTimeout(30_000);
      s.getOutputStream().write(("POST /v2/publish/" + sink.url("/chunk") + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
          + TestServer.TOKEN + "\r\nTransfer-Encoding: chunked\r\n\r\n" + size + "\r\nabc\r\n0\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      s.shutdownOutput();
      answer = new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
    }

    assertThat(answer).startsWith("HTTP/1.1 400 ").contains("\"error\"");
    assertNothingWasStoredFor("/chunk");
  }

  @Test
  void a_value_of_the_wrong_json_type_is_a_400_and_changes_nothing() {
    String json = "application/json";
    assertThat(herald.post("/v2/queues", "{\"queueName\": \"qb\", \"parallelism\": 1, \"paused\": false}",
        "Content-Type", json).statusCode()).isEqualTo(200);
    for (String paused : List.of("\"true\"", "1", "\"yes\"", "{}")) {
      HttpResponse<String> r = herald.post("/v2/queues", "{\"queueName\": \"qb\", \"paused\": " + paused + "}",
          "Content-Type", json);
      assertThat(r.statusCode()).as(paused + ": " + r.body()).isEqualTo(400);
      assertThat(TestServer.json(r).get("error").asString()).isEqualTo("paused: must be true or false");
    }
    assertThat(TestServer.json(herald.get("/v2/queues/qb")).get("paused").asBoolean()).isFalse();

    for (String endpoint : List.of("{\"url\": \"" + sink.url("/e") + "\", \"name\": true}",
        "{\"url\": \"" + sink.url("/e") + "\", \"name\": 12}", "{\"url\": 5}")) {
      HttpResponse<String> r = herald.post("/v2/topics/g3/endpoints", "{\"endpoints\": [" + endpoint + "]}",
          "Content-Type", json);
      assertThat(r.statusCode()).as(endpoint + ": " + r.body()).isEqualTo(400);
      assertThat(TestServer.json(r).get("error").asString()).endsWith("must be a string");
    }
    HttpResponse<String> empty = herald.post("/v2/topics/g3/endpoints", "{\"endpoints\": []}", "Content-Type", json);
    assertThat(empty.statusCode()).as(empty.body()).isEqualTo(400);
    assertThat(herald.get("/v2/topics/g3").statusCode()).isEqualTo(404);

    HttpResponse<String> noKey = herald.post("/v2/flowControl//pause", "");
    assertThat(noKey.statusCode()).as(noKey.body()).isEqualTo(400);
    assertThat(TestServer.json(noKey).get("error").asString()).contains("flow control key");
    assertThat(herald.publish(sink.url("/fk"), "x", "Upstash-Flow-Control-Key", "fk1", "Upstash-Delay", "1h",
        "Upstash-Flow-Control-Value", "parallelism=1").statusCode()).isEqualTo(200);
    HttpResponse<String> maybe = herald.post("/v2/flowControl/fk1/unpin?rate=maybe", "");
    assertThat(maybe.statusCode()).as(maybe.body()).isEqualTo(400);
    assertThat(herald.post("/v2/flowControl/fk1/unpin?rate=true&parallelism=false", "").statusCode()).isEqualTo(200);
  }

  @Test
  void headers_or_a_request_line_over_their_limits_are_a_431_or_a_414_naming_the_limit() throws IOException {
    // 64 KiB by default (limits.max-headers-bytes), 16 KiB for the request line; RFC 6585 and RFC 9110
    String headers = rawAnswer("POST /v2/publish/http://x/y HTTP/1.1\r\nHost: x\r\nX-Big: " + "a".repeat(40_000)
        + "\r\nX-Bigger: " + "b".repeat(30_000) + "\r\nContent-Length: 1\r\n\r\nx");
    assertThat(headers).startsWith("HTTP/1.1 431 ").containsIgnoringCase("connection: close")
        .containsIgnoringCase("content-type: application/json")
        .endsWith("{\"error\":\"request headers larger than limits.max-headers-bytes\"}");
    assertThat(rawAnswer("GET /v2/keys?" + "a".repeat(20_000) + " HTTP/1.1\r\nHost: x\r\n\r\n"))
        .startsWith("HTTP/1.1 414 ").containsIgnoringCase("connection: close")
        .endsWith("{\"error\":\"request line too long (limits.max-request-line-bytes)\"}");
    // beyond twice the limit Helidon's reader stops first, and cannot tell that from a malformed header
    assertThat(rawAnswer("GET /v2/keys HTTP/1.1\r\nHost: x\r\nX-Huge: " + "a".repeat(140_000) + "\r\n\r\n"))
        .startsWith("HTTP/1.1 400 ").contains("limits.max-headers-bytes");
    // just under the limit is served
    assertThat(rawAnswer("GET /v2/keys HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer "
        + TestServer.TOKEN + "\r\nX-Big: " + "a".repeat(60_000) + "\r\n\r\n")).startsWith("HTTP/1.1 200 ");
  }

  private String rawAnswer(String request) throws IOException {
    try (Socket s = new Socket(InetAddress.getLoopbackAddress(), herald.app().port())) {
      s.setSoTimeout(30_000);
      s.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
      s.shutdownOutput();
      return new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
    }
  }

  @Test
  void filtering_by_too_many_values_is_a_400_not_a_database_error() {
    String labels = java.util.stream.IntStream.range(0, 501).mapToObj(i -> "label=l" + i)
        .collect(java.util.stream.Collectors.joining("&"));
    for (String path : List.of("/v2/logs?" + labels, "/v2/dlq?" + labels, "/v2/events?" + labels.replace("label=", "url=http://x/"))) {
      HttpResponse<String> r = herald.get(path);
      assertThat(r.statusCode()).as(path.substring(0, 20) + ": " + r.body()).isEqualTo(400);
      assertThat(TestServer.json(r).get("error").asString()).contains("at most 500");
    }
    HttpResponse<String> del = herald.delete("/v2/dlq?" + labels);
    assertThat(del.statusCode()).as(del.body()).isEqualTo(400);
    String ids = java.util.stream.IntStream.range(0, 501).mapToObj(i -> "messageIds=msg_" + i)
        .collect(java.util.stream.Collectors.joining("&"));
    HttpResponse<String> cancel = herald.delete("/v2/messages?" + ids);
    assertThat(cancel.statusCode()).as(cancel.body()).isEqualTo(400);
  }

  private void assertNothingWasStoredFor(String badPath) {
    HttpResponse<String> good = herald.publish(sink.url("/good"), "good");
    assertThat(good.statusCode()).isEqualTo(200);
    sink.awaitRequests("/good", 1, WAIT);
    assertThat(sink.requests(badPath)).isEmpty();
  }
}
