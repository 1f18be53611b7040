package dev.herald.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.JsonNode;

/** Deduplication, signing keys and the health endpoints, against a real server. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class KeysDedupAndHealthTest {
  private static final Duration WAIT = Duration.ofSeconds(10);
  private final TestSink sink = TestSink.start();
  private final TestServer herald = TestServer.start();

  @AfterEach
  void stop() {
    herald.close();
    sink.close();
  }

  @Test
  void a_repeated_deduplication_id_answers_202_with_the_first_message_id_and_delivers_once() {
    HttpResponse<String> first = herald.publish(sink.url("/dedup"), "one", "Upstash-Deduplication-Id", "order-17");
    HttpResponse<String> second = herald.publish(sink.url("/dedup"), "two", "Upstash-Deduplication-Id", "order-17");

    assertThat(first.statusCode()).isEqualTo(200);
    assertThat(TestServer.json(first).has("deduplicated")).isFalse();
    assertThat(second.statusCode()).isEqualTo(202);
    assertThat(TestServer.json(second).get("messageId").asString()).isEqualTo(TestServer.json(first).get("messageId").asString());
    assertThat(TestServer.json(second).get("deduplicated").asBoolean()).isTrue();
    awaitFinished(TestServer.json(first).get("messageId").asString());
    assertThat(sink.requests("/dedup")).extracting(r -> new String(r.body())).containsExactly("one");
  }

  @Test
  void content_based_deduplication_merges_identical_publishes_but_not_different_bodies() {
    HttpResponse<String> a = herald.publish(sink.url("/content"), "same", "Upstash-Content-Based-Deduplication", "true");
    HttpResponse<String> b = herald.publish(sink.url("/content"), "same", "Upstash-Content-Based-Deduplication", "true");
    HttpResponse<String> c = herald.publish(sink.url("/content"), "other", "Upstash-Content-Based-Deduplication", "true");

    assertThat(b.statusCode()).isEqualTo(202);
    assertThat(TestServer.json(b).get("messageId").asString()).isEqualTo(TestServer.json(a).get("messageId").asString());
    assertThat(c.statusCode()).isEqualTo(200);
    sink.awaitRequests("/content", 2, WAIT);
    awaitFinished(TestServer.json(a).get("messageId").asString());
    assertThat(sink.requests("/content")).extracting(r -> new String(r.body())).containsExactlyInAnyOrder("same", "other");
  }

  @Test
  void keys_are_listed_and_rotation_moves_next_to_current_and_survives_a_restart() {
    JsonNode keys = TestServer.json(herald.get("/v2/keys"));
    assertThat(keys.get("current").asString()).isEqualTo(TestServer.CURRENT_KEY);
    assertThat(keys.get("next").asString()).isEqualTo(TestServer.NEXT_KEY);

    HttpResponse<String> once = herald.send(herald.request("/v2/keys/rotate").POST(HttpRequest.BodyPublishers.noBody()));
    assertThat(once.statusCode()).isEqualTo(200);
    JsonNode rotated = TestServer.json(once);
    assertThat(rotated.get("current").asString()).isEqualTo(TestServer.NEXT_KEY);
    assertThat(rotated.get("next").asString()).matches("sig_[A-Za-z0-9]{28}");
    JsonNode twice = TestServer.json(herald.send(herald.request("/v2/rotate").POST(HttpRequest.BodyPublishers.noBody())));
    assertThat(twice.get("current").asString()).isEqualTo(rotated.get("next").asString());

    herald.restart();
    JsonNode after = TestServer.json(herald.get("/v2/keys"));
    assertThat(after.get("current").asString()).isEqualTo(twice.get("current").asString());
    assertThat(after.get("next").asString()).isEqualTo(twice.get("next").asString());
  }

  @Test
  void health_and_readiness_answer_200_without_a_token() {
    HttpResponse<String> health = herald.send(herald.anonymous("/healthz").GET());
    HttpResponse<String> ready = herald.send(herald.anonymous("/readyz").GET());

    assertThat(health.statusCode()).isEqualTo(200);
    assertThat(ready.statusCode()).isEqualTo(200);
    assertThat(TestServer.json(ready).get("status").asString()).isEqualTo("ready");
  }

  @Test
  void the_sdk_readiness_check_needs_the_token_and_says_ready() {
    assertThat(herald.send(herald.anonymous("/v2/readiness").GET()).statusCode()).isEqualTo(401);
    HttpResponse<String> r = herald.get("/v2/readiness"); // qstash-py: client.readiness.check()
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(TestServer.json(r).get("ready").asBoolean()).isTrue();
  }

  @Test
  void fixed_path_segments_match_in_any_case_and_with_a_trailing_slash() {
    assertThat(herald.get("/v2/Keys").statusCode()).isEqualTo(200);
    assertThat(herald.get("/v2/keys/").statusCode()).isEqualTo(200);
    assertThat(herald.get("/V2/KEYS").statusCode()).isEqualTo(200);
  }

  private void awaitFinished(String id) {
    await().atMost(WAIT).pollInterval(Duration.ofMillis(20)).until(() -> herald.get("/v2/messages/" + id).statusCode() == 404);
  }
}
