package dev.herald.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.herald.server.TestSink.Received;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.TimeUnit;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.JsonNode;

/** What a destination receives for a publish, checked end to end against a real server and sink. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PublishDeliveryTest {
  private static final Duration WAIT = Duration.ofSeconds(10);
  private final TestSink sink = TestSink.start();
  private final TestServer herald = TestServer.start();

  @AfterEach
  void stop() {
    herald.close();
    sink.close();
  }

  @Test
  void a_published_body_arrives_byte_for_byte_with_forwarded_headers_and_delivery_headers() throws Exception {
    byte[] body = new byte[] {0, (byte) 0xff, (byte) 0xc3, 'h', 'i', '\n', (byte) 0x80, 0x7f};
    HttpResponse<String> r = herald.send(herald.request("/v2/publish/" + sink.url("/hook"))
        .header("Content-Type", "application/octet-stream")
        .header("Upstash-Forward-X-Custom", "custom value")
        .header("Upstash-Forward-Authorization", "Bearer downstream")
        .POST(HttpRequest.BodyPublishers.ofByteArray(body)));

    assertThat(r.statusCode()).isEqualTo(200);
    String id = TestServer.json(r).get("messageId").asString();
    assertThat(TestServer.json(r).get("url").asString()).isEqualTo(sink.url("/hook"));
    Received got = sink.awaitRequests("/hook", 1, WAIT).get(0);
    assertThat(got.method()).isEqualTo("POST");
    assertThat(got.body()).isEqualTo(body);
    assertThat(got.header("Content-Type")).isEqualTo("application/octet-stream");
    assertThat(got.header("X-Custom")).isEqualTo("custom value");
    assertThat(got.header("Authorization")).isEqualTo("Bearer downstream");
    assertThat(got.header("Upstash-Message-Id")).isEqualTo(id);
    assertThat(got.header("Upstash-Retried")).isEqualTo("0");
    assertThat(got.header("User-Agent")).isEqualTo("Upstash-QStash");
    assertThat(got.headers()).doesNotContainKeys("upstash-forward-x-custom", "upstash-method");
  }

  @Test
  void the_signature_is_an_hs256_jwt_over_the_url_and_body_made_with_the_current_key() throws Exception {
    String body = "{\"hello\":\"world\"}";
    herald.publish(sink.url("/signed"), body);

    Received got = sink.awaitRequests("/signed", 1, WAIT).get(0);
    String[] jwt = got.header("Upstash-Signature").split("\\.");
    assertThat(jwt).hasSize(3);
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(TestServer.CURRENT_KEY.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
    byte[] expected = mac.doFinal((jwt[0] + "." + jwt[1]).getBytes(StandardCharsets.US_ASCII));
    assertThat(Base64.getUrlDecoder().decode(jwt[2])).isEqualTo(expected);
    JsonNode header = TestServer.JSON.readTree(Base64.getUrlDecoder().decode(jwt[0]));
    assertThat(header.get("alg").asString()).isEqualTo("HS256");
    JsonNode claims = TestServer.JSON.readTree(Base64.getUrlDecoder().decode(jwt[1]));
    assertThat(claims.get("iss").asString()).isEqualTo("Upstash");
    assertThat(claims.get("sub").asString()).isEqualTo(sink.url("/signed"));
    assertThat(claims.get("exp").asLong()).isEqualTo(claims.get("iat").asLong() + 300);
    byte[] digest = MessageDigest.getInstance("SHA-256").digest(body.getBytes(StandardCharsets.UTF_8));
    assertThat(claims.get("body").asString()).isEqualTo(Base64.getUrlEncoder().encodeToString(digest));
  }

  @Test
  void the_destination_keeps_its_own_query_but_loses_the_token_and_upstash_keys() {
    String dest = sink.url("/a/b") + "?x=1&y=2&qstash_token=" + TestServer.TOKEN + "&upstash-retries=0&Upstash-Method=PUT";
    HttpResponse<String> r = herald.send(herald.anonymous("/v2/publish/" + dest).POST(HttpRequest.BodyPublishers.ofString("q")));

    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    Received got = sink.awaitRequests("/a/b", 1, WAIT).get(0);
    assertThat(got.pathAndQuery()).isEqualTo("/a/b?x=1&y=2");
    assertThat(got.method()).isEqualTo("PUT");
    String id = TestServer.json(r).get("messageId").asString();
    assertThat(got.header("Upstash-Message-Id")).isEqualTo(id);
  }

  @Test
  void upstash_retries_given_in_the_query_limits_the_attempts() {
    sink.on("/flaky", n -> TestSink.Reply.of(500));
    HttpResponse<String> r = herald.publish(sink.url("/flaky") + "?upstash-retries=1&upstash-retry-delay=50", "x");
    String id = TestServer.json(r).get("messageId").asString();

    sink.awaitRequests("/flaky", 2, WAIT);
    await().atMost(WAIT).until(() -> herald.get("/v2/messages/" + id).statusCode() == 404); // finished: no more attempts
    assertThat(sink.requests("/flaky")).extracting(x -> x.header("Upstash-Retried")).containsExactly("0", "1");
  }

  @Test
  void a_delayed_message_can_be_read_and_cancelled_and_is_never_delivered() {
    HttpResponse<String> r = herald.publish(sink.url("/later"), "later body", "Upstash-Delay", "1h",
        "Content-Type", "text/plain", "Upstash-Forward-X-A", "b", "Upstash-Retries", "2");
    String id = TestServer.json(r).get("messageId").asString();

    HttpResponse<String> got = herald.get("/v2/messages/" + id);
    assertThat(got.statusCode()).isEqualTo(200);
    JsonNode m = TestServer.json(got);
    assertThat(m.get("messageId").asString()).isEqualTo(id);
    assertThat(m.get("url").asString()).isEqualTo(sink.url("/later"));
    assertThat(m.get("method").asString()).isEqualTo("POST");
    assertThat(m.get("body").asString()).isEqualTo("later body");
    assertThat(m.get("header").get("X-A").get(0).asString()).isEqualTo("b");
    assertThat(m.get("header").get("Content-Type").get(0).asString()).isEqualTo("text/plain");
    assertThat(m.get("maxRetries").asInt()).isEqualTo(2);
    assertThat(m.get("notBefore").asLong() - m.get("createdAt").asLong()).isEqualTo(3_600_000L);
    assertThat(m.get("callerIP").asString()).isEqualTo("127.0.0.1");
    assertThat(m.get("callerIp").asString()).isEqualTo("127.0.0.1");

    HttpResponse<String> cancel = herald.send(herald.request("/v2/messages/" + id).DELETE());
    assertThat(cancel.statusCode()).isEqualTo(200);
    assertThat(TestServer.json(cancel).get("cancelled").asInt()).isEqualTo(1);
    assertThat(herald.get("/v2/messages/" + id).statusCode()).isEqualTo(404);
    assertThat(herald.send(herald.request("/v2/messages/" + id).DELETE()).statusCode()).isEqualTo(404);
    assertThat(sink.requests("/later")).isEmpty();
  }

  @Test
  void a_destination_sent_fully_percent_encoded_is_decoded_once() {
    String encoded = java.net.URLEncoder.encode(sink.url("/enc/x"), StandardCharsets.UTF_8);
    HttpResponse<String> r = herald.publish(encoded, "e");

    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(sink.awaitRequests("/enc/x", 1, WAIT)).extracting(Received::pathAndQuery).containsExactly("/enc/x");
  }

  @Test
  void a_body_that_is_not_utf8_is_shown_as_base64_when_the_message_is_read() {
    byte[] body = {(byte) 0xff, (byte) 0xfe, 0};
    HttpResponse<String> r = herald.send(herald.request("/v2/publish/" + sink.url("/bin"))
        .header("Upstash-Delay", "1d").POST(HttpRequest.BodyPublishers.ofByteArray(body)));

    JsonNode m = TestServer.json(herald.get("/v2/messages/" + TestServer.json(r).get("messageId").asString()));
    assertThat(m.has("body")).isFalse();
    assertThat(Base64.getDecoder().decode(m.get("bodyBase64").asString())).isEqualTo(body);
  }
}
