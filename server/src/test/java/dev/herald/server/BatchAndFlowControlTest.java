package dev.herald.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.herald.server.TestSink.Received;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.JsonNode;

/** POST /v2/batch (spec 3.3) and flow control (spec 11), end to end. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class BatchAndFlowControlTest {
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final int MAX_BATCH = 6;
  private final TestSink sink = TestSink.start();
  private final TestServer herald = TestServer.start(Map.of("limits.max-batch-items", String.valueOf(MAX_BATCH)));

  @AfterEach
  void stop() {
    herald.close();
    sink.close();
  }

  @Test
  void a_batch_answers_per_item_in_order_and_a_bad_item_does_not_stop_the_others() {
    herald.post("/v2/topics/bg/endpoints", "{\"endpoints\":[{\"url\":\"" + sink.url("/g1") + "\"},{\"url\":\""
        + sink.url("/g2") + "\"}]}");
    String batch = "[" + item(sink.url("/b1"), "one", "\"headers\":{\"Upstash-Forward-X-Y\":\"z\"}") + ","
        + "{\"destination\":\"not a destination!\"}," + item("bg", "group", null) + ","
        + item(sink.url("/b3"), "queued", "\"queue\":\"bq\"") + ","
        + item(sink.url("/b4"), "numbered", "\"queue\":5") + "]";

    HttpResponse<String> r = herald.post("/v2/batch", batch, "Content-Type", "application/json");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    JsonNode answers = TestServer.json(r);
    assertThat(answers).hasSize(5);
    assertThat(answers.get(0).get("messageId").asString()).isNotBlank();
    assertThat(answers.get(1).get("error").asString()).isNotBlank();
    assertThat(answers.get(2).isArray()).isTrue();
    assertThat(answers.get(2)).hasSize(2);
    assertThat(answers.get(3).get("messageId").asString()).isNotBlank();
    assertThat(sink.awaitRequests("/b1", 1, WAIT).get(0).header("X-Y")).isEqualTo("z");
    sink.awaitRequests("/g1", 1, WAIT);
    sink.awaitRequests("/g2", 1, WAIT);
    assertThat(new String(sink.awaitRequests("/b3", 1, WAIT).get(0).body())).isEqualTo("queued");
    assertThat(herald.get("/v2/queues/bq").statusCode()).isEqualTo(200);
    assertThat(answers.get(4).get("error").asString()).contains("queue: expected a string");
    assertThat(herald.get("/v2/queues/5").statusCode()).isEqualTo(404);
  }

  @Test
  void a_batch_that_is_not_an_array_or_over_the_item_limit_is_refused() {
    assertThat(herald.post("/v2/batch", "{\"destination\":\"" + sink.url("/x") + "\"}").statusCode()).isEqualTo(400);
    assertThat(herald.post("/v2/batch", "not json").statusCode()).isEqualTo(400);
    List<String> items = new ArrayList<>();
    for (int i = 0; i <= MAX_BATCH; i++) items.add(item(sink.url("/over"), "o" + i, null));
    assertThat(herald.post("/v2/batch", "[" + String.join(",", items) + "]").statusCode()).isEqualTo(400);
    assertThat(herald.post("/v2/batch", "[" + String.join(",", items.subList(0, MAX_BATCH)) + "]").statusCode())
        .isEqualTo(200);
  }

  @Test
  void parallelism_one_never_has_more_than_one_attempt_of_the_key_in_flight() {
    sink.throttle("/p1");
    for (int i = 0; i < 4; i++) {
      TestServer.idOf(herald.publish(sink.url("/p1"), "m" + i, "Upstash-Flow-Control-Key", "p1",
          "Upstash-Flow-Control-Value", "parallelism=1"));
    }

    await().atMost(WAIT).until(() -> flow("p1").get("waitListSize").asInt() == 3 && sink.inFlight("/p1") == 1);
    JsonNode k = flow("p1");
    assertThat(k.get("flowControlKey").asString()).isEqualTo("p1");
    assertThat(k.get("parallelismMax").asInt()).isEqualTo(1);
    assertThat(k.get("parallelismCount").asInt()).isEqualTo(1);
    assertThat(k.get("rateMax").asInt()).isZero();
    assertThat(k.get("isPaused").asBoolean()).isFalse();
    assertThat(k.get("isPinnedParallelism").asBoolean()).isFalse();
    JsonNode global = TestServer.json(herald.get("/v2/globalParallelism"));
    assertThat(global.get("parallelismMax").asInt()).isEqualTo(512);
    assertThat(global.get("parallelismCount").asInt()).isEqualTo(1);
    for (int n = 2; n <= 4; n++) {
      sink.allow("/p1", 1);
      int arrived = n;
      await().atMost(WAIT).until(() -> sink.requests("/p1").size() >= arrived && sink.inFlight("/p1") == 1);
    }
    sink.allow("/p1", 1);
    await().atMost(WAIT).until(() -> flow("p1").get("parallelismCount").asInt() == 0);
    assertThat(sink.maxInFlight("/p1")).isEqualTo(1);
  }

  @Test
  void a_rate_limited_key_starts_at_most_rate_attempts_per_period() {
    List<String> items = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      items.add(item(sink.url("/rate"), "r" + i, "\"headers\":{\"Upstash-Flow-Control-Key\":\"r2\","
          + "\"Upstash-Flow-Control-Value\":\"rate=2, period=2s\"}"));
    }
    assertThat(herald.post("/v2/batch", "[" + String.join(",", items) + "]").statusCode()).isEqualTo(200);

    List<Received> got = sink.awaitRequests("/rate", 6, WAIT);
    JsonNode k = flow("r2");
    assertThat(k.get("rateMax").asInt()).isEqualTo(2);
    assertThat(k.get("ratePeriod").asInt()).isEqualTo(2);
    // All six wait from the start, so starts come in bursts of two at window openings 2 s apart: the third
    // arrival after any arrival is at least a period later, less a generous allowance for scheduling slack.
    for (int i = 0; i + 2 < got.size(); i++) {
      assertThat(Duration.between(got.get(i).at(), got.get(i + 2).at())).as("arrivals %d and %d", i, i + 2)
          .isGreaterThanOrEqualTo(Duration.ofMillis(1000));
    }
  }

  @Test
  void a_rate_window_that_has_not_begun_shows_as_starting_now_with_nothing_started() { // spec 11.2, 11.4
    long before = java.time.Instant.now().getEpochSecond();
    assertThat(herald.publish(sink.url("/later"), "x", "Upstash-Delay", "1h", "Upstash-Flow-Control-Key", "w1",
        "Upstash-Flow-Control-Value", "rate=5, period=1m").statusCode()).isEqualTo(200);

    JsonNode k = flow("w1");
    assertThat(k.get("rateCount").asInt()).isZero();
    assertThat(k.get("ratePeriodStart").asLong()).isBetween(before, java.time.Instant.now().getEpochSecond());
    assertThat(herald.post("/v2/flowControl/w1/resetRate", "").statusCode()).isEqualTo(200);
    assertThat(flow("w1").get("ratePeriodStart").asLong()).isBetween(before, java.time.Instant.now().getEpochSecond());
  }

  @Test
  void a_paused_key_holds_its_messages_until_resumed() {
    herald.publish(sink.url("/pz"), "first", "Upstash-Flow-Control-Key", "pz", "Upstash-Flow-Control-Value", "parallelism=5");
    sink.awaitRequests("/pz", 1, WAIT);
    assertThat(herald.post("/v2/flowControl/nope/pause", "").statusCode()).isEqualTo(404);
    assertThat(herald.post("/v2/flowControl/pz/pause", "").statusCode()).isEqualTo(200);

    herald.publish(sink.url("/pz"), "second", "Upstash-Flow-Control-Key", "pz", "Upstash-Flow-Control-Value", "parallelism=5");
    herald.publish(sink.url("/sentinel"), "s");
    sink.awaitRequests("/sentinel", 1, WAIT);
    await().atMost(WAIT).until(() -> flow("pz").get("waitListSize").asInt() == 1);
    assertThat(flow("pz").get("isPaused").asBoolean()).isTrue();
    assertThat(sink.requests("/pz")).hasSize(1);

    assertThat(herald.post("/v2/flowControl/pz/resume", "").statusCode()).isEqualTo(200);
    assertThat(new String(sink.awaitRequests("/pz", 2, WAIT).get(1).body())).isEqualTo("second");
    assertThat(flow("pz").get("isPaused").asBoolean()).isFalse();
  }

  @Test
  void a_cancelled_message_leaves_its_keys_wait_list_and_takes_no_start() {
    String[] key = {"Upstash-Flow-Control-Key", "wl", "Upstash-Flow-Control-Value", "rate=1, period=1h"};
    herald.publish(sink.url("/wl"), "first", key);
    sink.awaitRequests("/wl", 1, WAIT);
    String second = TestServer.idOf(herald.publish(sink.url("/wl"), "second", key));
    herald.publish(sink.url("/wl"), "third", key);
    await().atMost(WAIT).until(() -> flow("wl").get("waitListSize").asInt() == 2);

    assertThat(herald.delete("/v2/messages/" + second).statusCode()).isEqualTo(200);
    await().atMost(WAIT).until(() -> flow("wl").get("waitListSize").asInt() == 1);
    // the next window goes to the third, not to the cancelled second
    assertThat(herald.post("/v2/flowControl/wl/resetRate", "").statusCode()).isEqualTo(200);
    assertThat(new String(sink.awaitRequests("/wl", 2, WAIT).get(1).body())).isEqualTo("third");
  }

  @Test
  void a_paused_and_pinned_key_stays_so_across_a_restart() {
    herald.publish(sink.url("/kept"), "first", "Upstash-Flow-Control-Key", "kept", "Upstash-Flow-Control-Value", "parallelism=5");
    sink.awaitRequests("/kept", 1, WAIT);
    assertThat(herald.post("/v2/flowControl/kept/pin?parallelism=2", "").statusCode()).isEqualTo(200);
    assertThat(herald.post("/v2/flowControl/kept/pause", "").statusCode()).isEqualTo(200);

    herald.restart();
    JsonNode k = flow("kept");
    assertThat(k.get("isPaused").asBoolean()).isTrue();
    assertThat(k.get("isPinnedParallelism").asBoolean()).isTrue();
    assertThat(k.get("parallelismMax").asInt()).isEqualTo(2);
    herald.publish(sink.url("/kept"), "second", "Upstash-Flow-Control-Key", "kept", "Upstash-Flow-Control-Value", "parallelism=5");
    herald.publish(sink.url("/sentinel"), "s");
    sink.awaitRequests("/sentinel", 1, WAIT);
    await().atMost(WAIT).until(() -> flow("kept").get("waitListSize").asInt() == 1);
    assertThat(sink.requests("/kept")).hasSize(1);

    assertThat(herald.post("/v2/flowControl/kept/resume", "").statusCode()).isEqualTo(200);
    assertThat(new String(sink.awaitRequests("/kept", 2, WAIT).get(1).body())).isEqualTo("second");
  }

  private JsonNode flow(String key) {
    HttpResponse<String> r = herald.get("/v2/flowControl/" + key);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return TestServer.json(r);
  }

  private static String item(String destination, String body, String extra) {
    return "{\"destination\":\"" + destination + "\",\"body\":\"" + body + "\"" + (extra == null ? "" : "," + extra) + "}";
  }
}
