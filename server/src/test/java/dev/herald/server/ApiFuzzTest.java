package dev.herald.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import tools.jackson.databind.JsonNode;

/**
 * S1 and S13 as properties: random methods, paths (junk, {@code //}, %-escapes, very long), Upstash-*
 * headers with random values, random bodies and JSON for the JSON endpoints, random cron strings and
 * random queries on the list endpoints, all against one server (serve mode) started once for the
 * class. Every answer is a 2xx, or a 4xx/503 with a JSON {@code {"error": ...}} body; never a 5xx
 * otherwise, never a hang (10 s per request). Afterwards the server is still ready.
 */
class ApiFuzzTest {
  private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();
  private static final Set<String> SEEN = ConcurrentHashMap.newKeySet();
  private static TestServer herald;

  @BeforeContainer
  static void startServer() {
    herald = TestServer.start(Map.of("egress.allow-private", "false", "limits.max-body-bytes", "65536"));
  }

  @AfterContainer
  static void stopServer() {
    try {
      assertThat(herald.get("/readyz").statusCode()).as("still ready after the fuzzing").isEqualTo(200);
      assertThat(herald.publish("https://example.com/after-fuzz", "x").statusCode()).isEqualTo(200);
    } finally {
      herald.close();
    }
  }

  /** One random request. */
  record Call(String method, String pathAndQuery, Map<String, String> headers, String body) {}

  @Property(tries = 200, shrinking = ShrinkingMode.OFF)
  void every_answer_is_a_2xx_or_a_json_4xx_or_503_and_never_a_hang(@ForAll("calls") Call call) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(herald.base() + call.pathAndQuery()))
        .timeout(Duration.ofSeconds(10))
        .header("Authorization", "Bearer " + TestServer.TOKEN)
        .method(call.method(), call.body() == null ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(call.body(), StandardCharsets.UTF_8));
    call.headers().forEach(b::header);
    HttpResponse<String> r;
    try {
      r = CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new AssertionError("no answer to " + call + ": " + e, e);
    }
    int s = r.statusCode();
    SEEN.add(call.method() + " " + s);
    String what = call + " -> " + s + " " + r.body();
    assertThat(s).as(what).isBetween(200, 503).isNotIn(500, 501, 502);
    if (s < 300 || call.method().equals("HEAD")) return;
    assertThat(s).as(what).satisfiesAnyOf(x -> assertThat(x).isBetween(400, 499), x -> assertThat(x).isEqualTo(503));
    JsonNode json = TestServer.JSON.readTree(r.body());
    assertThat(json.get("error")).as(what).isNotNull();
    assertThat(json.get("error").asString()).as(what).isNotBlank();
  }

  @Provide
  Arbitrary<Call> calls() {
    Arbitrary<String> method = Arbitraries.of("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "FETCH");
    return Arbitraries.oneOf(
        Combinators.combine(method, publishPath(), upstashHeaders(), bodies()).as(Call::new),
        Combinators.combine(Arbitraries.of("POST"), Arbitraries.of("/v2/batch"), upstashHeaders(), batchJson()).as(Call::new),
        Combinators.combine(Arbitraries.of("POST", "PUT"), Arbitraries.of("/v2/queues"), noHeaders(),
            queueJson()).as(Call::new),
        Combinators.combine(Arbitraries.of("POST", "DELETE"), junk(1, 30).map(j -> "/v2/topics/" + j + "/endpoints"),
            noHeaders(), endpointsJson()).as(Call::new),
        Combinators.combine(Arbitraries.of("POST"), destination().map(d -> "/v2/schedules/" + d), cronHeaders(),
            bodies()).as(Call::new),
        Combinators.combine(Arbitraries.of("GET", "DELETE"), listQuery(), noHeaders(),
            Arbitraries.just((String) null)).as(Call::new),
        Combinators.combine(method, anyPath(), upstashHeaders(), bodies()).as(Call::new));
  }

  private static Arbitrary<Map<String, String>> noHeaders() {
    return Arbitraries.just(Map.<String, String>of());
  }

  private static Arbitrary<String> junk(int min, int max) {
    Arbitrary<String> plain = Arbitraries.strings().withChars("abcXYZ019-._~!$&'()*+,;=:@").ofMinLength(1).ofMaxLength(8);
    Arbitrary<String> escape = Arbitraries.strings().withChars("0123456789abcdefABCDEF").ofLength(2).map(h -> "%" + h);
    Arbitrary<String> slash = Arbitraries.of("/", "//", "%2F", "%2f", "..", "%00", "%0d%0a", "%25");
    return Arbitraries.frequencyOf(net.jqwik.api.Tuple.of(6, plain), net.jqwik.api.Tuple.of(2, escape),
            net.jqwik.api.Tuple.of(2, slash))
        .list().ofMinSize(min).ofMaxSize(max).map(parts -> String.join("", parts));
  }

  private static Arbitrary<String> destination() {
    return Arbitraries.oneOf(
        Arbitraries.of("https://example.com/a", "http://example.com", "https://example.com/p?x=1", "http://127.0.0.1:1/x",
            "http://169.254.169.254/latest", "https%3A%2F%2Fexample.com%2Fenc", "ftp://x/y", "javascript:alert(1)",
            "http:/one", "http://", "http://%5B::1%5D/", "group-1", "", "http://2130706433/", "http://a@b/"),
        junk(1, 40).map(j -> "https://example.com/" + j),
        junk(1, 40),
        junk(500, 1500).map(j -> "https://example.com/" + j));
  }

  private static Arbitrary<String> publishPath() {
    return Combinators.combine(Arbitraries.of("/v2/publish/", "/v2/enqueue/q1/", "/v2/enqueue/", "/v2/publish//"),
        destination()).as((p, d) -> p + d);
  }

  private static Arbitrary<String> anyPath() {
    return Arbitraries.oneOf(
        junk(0, 20).map(j -> "/" + j),
        junk(0, 10).map(j -> "/v2/" + j),
        Arbitraries.of("//", "/v2", "/v2/", "/v2//publish/https://example.com", "/v2/messages/", "/v2/messages/msg_x",
            "/v2/dlq/", "/v2/dlq/retry", "/v2/keys", "/v2/keys/rotate", "/v2/schedules/x/pause", "/v2/queues/q/resume",
            "/v2/flowControl/k/pin", "/v2/globalParallelism", "/v2/topics/x", "/healthz", "/readyz"),
        junk(0, 20).map(j -> "/v2/messages/" + j),
        junk(0, 20).map(j -> "/v2/dlq/" + j),
        junk(0, 20).map(j -> "/v2/queues/" + j),
        junk(0, 20).map(j -> "/v2/flowControl/" + j),
        junk(2000, 4000).map(j -> "/v2/publish/https://example.com/" + j));
  }

  private static Arbitrary<String> listQuery() {
    Arbitrary<String> key = Arbitraries.of("count", "cursor", "messageId", "messageIds", "url", "topicName", "queueName",
        "scheduleId", "label", "state", "fromDate", "toDate", "order", "responseStatus", "callerIp", "flowControlKey",
        "dlqIds", "x");
    Arbitrary<String> value = Arbitraries.oneOf(junk(0, 6), Arbitraries.of("-1", "0", "99999999999999999999",
        "1.5", "latestFirst", "DELIVERED", "IN_PROGRESS", "", "%00", "null"));
    Arbitrary<String> pair = Combinators.combine(key, value).as((k, v) -> k + "=" + v);
    return Combinators.combine(Arbitraries.of("/v2/dlq", "/v2/logs", "/v2/events", "/v2/messages"),
        pair.list().ofMaxSize(5)).as((p, q) -> p + (q.isEmpty() ? "" : "?" + String.join("&", q)));
  }

  private static Arbitrary<Map<String, String>> upstashHeaders() {
    Arbitrary<String> name = Arbitraries.of("Upstash-Delay", "Upstash-Not-Before", "Upstash-Retries", "Upstash-Retry-Delay",
        "Upstash-Timeout", "Upstash-Callback", "Upstash-Failure-Callback", "Upstash-Method", "Upstash-Cron",
        "Upstash-Deduplication-Id", "Upstash-Content-Based-Deduplication", "Upstash-Forward-X-Thing",
        "Upstash-Forward-Authorization", "Upstash-Queue-Name", "Upstash-Label", "Upstash-Flow-Control-Key",
        "Upstash-Flow-Control-Value", "Upstash-Callback-Retries", "Upstash-Failure-Callback-Timeout", "Content-Type",
        "Upstash-Schedule-Id", "Upstash-Forward-Upstash-Signature", "Upstash-Callback-Forward-X");
    Arbitrary<String> value = Arbitraries.oneOf(
        Arbitraries.strings().withCharRange(' ', '~').ofMaxLength(40),
        Arbitraries.of("10s", "-1s", "1.5s", "99999999999999999999d", "0", "-5", "abc", "3", "100000", "1e9",
            "pow(2, retried)", "((((((((((1))))))))))", "pow(10, 400)", "1/0", "* * * * *", "60 * * * *",
            "CRON_TZ=../../etc/passwd * * * * *", "https://example.com/cb", "http://10.0.0.1/cb", "GET", "TRACE",
            "true", "parallelism=2, rate=10, period=1m", "rate=-1", "application/json", "a,b,c",
            "9".repeat(5000), "(".repeat(3000) + "1" + ")".repeat(3000)));
    return Arbitraries.maps(name, value).ofMaxSize(4);
  }

  private static Arbitrary<Map<String, String>> cronHeaders() {
    Arbitrary<String> field = Arbitraries.oneOf(Arbitraries.of("*", "*/5", "0", "59", "60", "1-5", "5-1", "1,2,3", "MON",
        "JAN", "?", "L", "#", "-1", "*/0", "1/0", "99999999999"), Arbitraries.strings().withChars("0123456789*/,-").ofMaxLength(6));
    Arbitrary<String> cron = Arbitraries.oneOf(
        field.list().ofMinSize(0).ofMaxSize(7).map(f -> String.join(" ", f)),
        field.list().ofSize(5).map(f -> "CRON_TZ=America/Sao_Paulo " + String.join(" ", f)),
        Arbitraries.of("CRON_TZ=Nowhere/City * * * * *", "0 0 31 2 *", "@daily", "@every 1s", "*/1".repeat(4000)));
    return Combinators.combine(cron, upstashHeaders()).as((c, h) -> {
      Map<String, String> out = new java.util.HashMap<>(h);
      out.put("Upstash-Cron", c);
      return out;
    });
  }

  private static Arbitrary<String> bodies() {
    return Arbitraries.oneOf(Arbitraries.just((String) null), Arbitraries.strings().ofMaxLength(200),
        Arbitraries.just("x".repeat(70_000)));
  }

  private static Arbitrary<String> jsonValue() {
    return Arbitraries.oneOf(Arbitraries.of("null", "true", "1", "-1", "1e999", "\"\"", "\"x\"", "[]", "{}", "\"\\u0000\"",
            "\"https://example.com/j\"", "\"http://127.0.0.1/\"", "99999999999999999999", "\"\\ud800\""),
        Arbitraries.strings().alpha().ofMaxLength(10).map(s -> "\"" + s + "\""),
        Arbitraries.integers().between(1, 20000).map(n -> "[".repeat(n) + "]".repeat(n)));
  }

  private static Arbitrary<String> jsonObject(List<String> keys) {
    Arbitrary<String> member = Combinators.combine(Arbitraries.of(keys), jsonValue()).as((k, v) -> "\"" + k + "\":" + v);
    return member.list().ofMaxSize(5).map(ms -> "{" + String.join(",", ms) + "}");
  }

  private static Arbitrary<String> broken() {
    return Arbitraries.oneOf(Arbitraries.of("", "{", "[", "[{]", "nul", "{\"a\":}", "[1,]", "\u00ff\u00fe"),
        Arbitraries.strings().ofMaxLength(50));
  }

  private static Arbitrary<String> batchJson() {
    Arbitrary<String> item = Arbitraries.oneOf(
        jsonObject(List.of("destination", "body", "headers", "queue", "x")),
        Combinators.combine(destination(), upstashHeaders()).as((d, h) -> "{\"destination\":\"" + d.replace("\"", "")
            + "\",\"body\":\"b\",\"headers\":" + TestServer.JSON.writeValueAsString(h) + "}"),
        jsonValue());
    return Arbitraries.oneOf(item.list().ofMaxSize(5).map(is -> "[" + String.join(",", is) + "]"), broken(), jsonValue());
  }

  private static Arbitrary<String> queueJson() {
    return Arbitraries.oneOf(jsonObject(List.of("queueName", "parallelism", "paused", "lag")), broken(), jsonValue());
  }

  private static Arbitrary<String> endpointsJson() {
    Arbitrary<String> endpoint = jsonObject(List.of("url", "name"));
    return Arbitraries.oneOf(endpoint.list().ofMaxSize(3).map(es -> "{\"endpoints\":[" + String.join(",", es) + "]}"),
        jsonObject(List.of("endpoints")), broken(), jsonValue());
  }
}
