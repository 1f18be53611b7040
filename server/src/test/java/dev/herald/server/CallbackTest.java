package dev.herald.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.herald.server.TestSink.Received;
import dev.herald.server.TestSink.Reply;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.JsonNode;

/** Callbacks after every attempt and the failure callback once (spec 5.6, 5.7, 2.3), end to end. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class CallbackTest {
  private static final Duration WAIT = Duration.ofSeconds(60);
  private final TestSink sink = TestSink.start();
  private final TestServer herald = TestServer.start();

  @AfterEach
  void stop() {
    herald.close();
    sink.close();
  }

  @Test
  void a_callback_follows_every_attempt_with_the_attempt_response_and_the_source_message() {
    sink.failFirst("/dest", 1, Reply.of(500).with("X-Why", "broken").withBody("first failed"));
    String id = TestServer.idOf(herald.publish(sink.url("/dest"), "source body", "Content-Type", "text/plain",
        "Upstash-Forward-X-Src", "s", "Upstash-Retries", "1", "Upstash-Retry-Delay", "50",
        "Upstash-Callback", sink.url("/cb")));

    List<JsonNode> cbs = sink.awaitRequests("/cb", 2, WAIT).stream().map(CallbackTest::body)
        .sorted(Comparator.comparingInt(n -> n.get("retried").asInt())).toList();
    JsonNode failed = cbs.get(0);
    assertThat(failed.get("status").asInt()).isEqualTo(500);
    assertThat(failed.get("header").propertyNames()).anyMatch(k -> k.equalsIgnoreCase("X-Why"));
    assertThat(decode(failed.get("body"))).isEqualTo("first failed");
    assertThat(failed.get("retried").asInt()).isZero();
    assertThat(failed.get("maxRetries").asInt()).isEqualTo(1);
    assertThat(failed.get("sourceMessageId").asString()).isEqualTo(id);
    assertThat(failed.get("url").asString()).isEqualTo(sink.url("/dest"));
    assertThat(failed.get("method").asString()).isEqualTo("POST");
    assertThat(failed.get("sourceHeader").get("X-Src").get(0).asString()).isEqualTo("s");
    assertThat(decode(failed.get("sourceBody"))).isEqualTo("source body");
    assertThat(failed.get("notBefore").isNumber()).isTrue();
    assertThat(failed.get("createdAt").asLong()).isPositive();
    assertThat(failed.get("callerIP").asString()).isEqualTo("127.0.0.1");
    assertThat(failed.has("dlqId")).isFalse();
    JsonNode delivered = cbs.get(1);
    assertThat(delivered.get("status").asInt()).isEqualTo(200);
    assertThat(delivered.get("retried").asInt()).isEqualTo(1);
    assertThat(sink.requests("/cb")).extracting(r -> r.header("Content-Type")).containsOnly("application/json");
  }

  @Test
  void a_callback_is_signed_for_the_callback_url() throws Exception {
    herald.publish(sink.url("/ok"), "x", "Upstash-Callback", sink.url("/signed-cb"));

    Received cb = sink.awaitRequests("/signed-cb", 1, WAIT).get(0);
    String[] jwt = cb.header("Upstash-Signature").split("\\.");
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(TestServer.CURRENT_KEY.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
    assertThat(Base64.getUrlDecoder().decode(jwt[2]))
        .isEqualTo(mac.doFinal((jwt[0] + "." + jwt[1]).getBytes(StandardCharsets.US_ASCII)));
    JsonNode claims = TestServer.JSON.readTree(Base64.getUrlDecoder().decode(jwt[1]));
    assertThat(claims.get("sub").asString()).isEqualTo(sink.url("/signed-cb"));
  }

  @Test
  void the_failure_callback_is_published_once_with_the_dlq_id_of_an_existing_entry() {
    sink.on("/down", n -> Reply.of(500).withBody("still down"));
    String id = TestServer.idOf(herald.publish(sink.url("/down"), "doomed", "Upstash-Retries", "1",
        "Upstash-Retry-Delay", "50", "Upstash-Failure-Callback", sink.url("/fcb")));

    Received fcb = sink.awaitRequests("/fcb", 1, WAIT).get(0);
    awaitFinished(id);
    awaitFinished(fcb.header("Upstash-Message-Id"));
    JsonNode b = body(fcb);
    assertThat(b.get("sourceMessageId").asString()).isEqualTo(id);
    assertThat(b.get("status").asInt()).isEqualTo(500);
    assertThat(decode(b.get("body"))).isEqualTo("still down");
    assertThat(b.get("retried").asInt()).isEqualTo(1);
    assertThat(b.get("maxRetries").asInt()).isEqualTo(1);
    String dlqId = b.get("dlqId").asString();
    JsonNode entry = TestServer.json(herald.get("/v2/dlq/" + dlqId));
    assertThat(entry.get("messageId").asString()).isEqualTo(id);
    JsonNode created = TestServer.json(herald.get("/v2/events?state=CREATED&url=" + sink.url("/fcb")));
    assertThat(created.get("events").size()).as("failure callbacks created").isEqualTo(1);
    assertThat(sink.requests("/fcb")).hasSize(1);
  }

  @Test
  void callback_headers_are_rewritten_by_prefix_for_the_callback_message() {
    sink.on("/dead", n -> Reply.of(500));
    sink.on("/fcb-down", n -> Reply.of(500));
    String id = TestServer.idOf(herald.publish(sink.url("/dead"), "x", "Upstash-Retries", "0",
        "Upstash-Callback", sink.url("/cb-token"), "Upstash-Callback-Forward-X-Token", "abc",
        "Upstash-Failure-Callback", sink.url("/fcb-down"), "Upstash-Failure-Callback-Retries", "0",
        "Upstash-Failure-Callback-Retry-Delay", "50"));

    Received cb = sink.awaitRequests("/cb-token", 1, WAIT).get(0);
    assertThat(cb.header("X-Token")).isEqualTo("abc");
    assertThat(cb.headers()).doesNotContainKey("upstash-callback-forward-x-token");
    Received fcb = sink.awaitRequests("/fcb-down", 1, WAIT).get(0);
    awaitFinished(id);
    awaitFinished(fcb.header("Upstash-Message-Id"));
    assertThat(sink.requests("/fcb-down")).as("a single attempt of the failure callback").hasSize(1);
    assertThat(fcb.header("Upstash-Retried")).isEqualTo("0");
  }

  private void awaitFinished(String id) {
    await().atMost(WAIT).pollInterval(Duration.ofMillis(50)).until(() -> herald.get("/v2/messages/" + id).statusCode() == 404);
  }

  private static JsonNode body(Received r) {
    return TestServer.JSON.readTree(r.body());
  }

  private static String decode(JsonNode base64) {
    return new String(Base64.getDecoder().decode(base64.asString()), StandardCharsets.UTF_8);
  }
}
