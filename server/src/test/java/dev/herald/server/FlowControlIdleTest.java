package dev.herald.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import tools.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Flow-control keys nothing happens to are forgotten (retention.flow-keys, spec UNSURE-46), end to end. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class FlowControlIdleTest {
  private static final Duration WAIT = Duration.ofSeconds(60);
  private final TestClock clock = new TestClock(Instant.now());
  private final TestSink sink = TestSink.start();
  private final TestServer herald = TestServer.start(Map.of(), clock);

  @AfterEach
  void stop() {
    herald.close();
    sink.close();
  }

  @Test
  void an_idle_key_is_forgotten_and_one_with_pending_messages_comes_back_with_their_limits() {
    herald.publish(sink.url("/now"), "done", "Upstash-Flow-Control-Key", "idle", "Upstash-Flow-Control-Value", "parallelism=3");
    herald.publish(sink.url("/later"), "pending", "Upstash-Flow-Control-Key", "later",
        "Upstash-Flow-Control-Value", "parallelism=2, rate=4, period=60s", "Upstash-Delay", "1d");
    sink.awaitRequests("/now", 1, WAIT);
    await().atMost(WAIT).until(() -> flow("idle").get("parallelismCount").asInt() == 0);

    clock.advance(Duration.ofMinutes(30));
    herald.app().dispatcher().flowControl().forgetIdle(Duration.ofHours(1));
    assertThat(herald.get("/v2/flowControl/idle").statusCode()).as("idle for half an hour only").isEqualTo(200);

    clock.advance(Duration.ofMinutes(31));
    herald.app().dispatcher().flowControl().forgetIdle(Duration.ofHours(1));
    assertThat(herald.get("/v2/flowControl/idle").statusCode()).as("forgotten").isEqualTo(404);
    assertThat(keys()).containsExactly("later"); // its message is pending: listed, from the store

    JsonNode later = flow("later");
    assertThat(later.get("parallelismMax").asInt()).isEqualTo(2);
    assertThat(later.get("rateMax").asInt()).isEqualTo(4);
    assertThat(later.get("ratePeriod").asInt()).isEqualTo(60);
    assertThat(herald.post("/v2/flowControl/later/pause", "").statusCode()).isEqualTo(200);
    assertThat(flow("later").get("isPaused").asBoolean()).isTrue();

    clock.advance(Duration.ofHours(2));
    herald.app().dispatcher().flowControl().forgetIdle(Duration.ofHours(1));
    assertThat(keys()).as("a paused key is never forgotten").containsExactly("later");
    assertThat(herald.post("/v2/flowControl/idle/pause", "").statusCode()).as("still unknown").isEqualTo(404);

    // its next message brings the key back, with that message's limits
    herald.publish(sink.url("/now"), "again", "Upstash-Flow-Control-Key", "idle", "Upstash-Flow-Control-Value", "parallelism=5");
    sink.awaitRequests("/now", 2, WAIT);
    assertThat(flow("idle").get("parallelismMax").asInt()).isEqualTo(5);
  }

  private List<String> keys() {
    HttpResponse<String> r = herald.get("/v2/flowControl");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    List<String> out = new ArrayList<>();
    TestServer.json(r).forEach(k -> out.add(k.get("flowControlKey").asString()));
    return out;
  }

  private JsonNode flow(String key) {
    HttpResponse<String> r = herald.get("/v2/flowControl/" + key);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return TestServer.json(r);
  }
}
