package dev.herald.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.herald.server.TestSink.Received;
import dev.herald.server.TestSink.Reply;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.JsonNode;

/**
 * R20, fan-out with one endpoint failing: a URL group of three endpoints whose second one answers 503. Each
 * publish answers one message id per endpoint; the healthy endpoints get every message while the second is
 * still failing (they are not held up by it), and the failing one gets every message once it recovers, or,
 * out of retries, each of its messages is dead-lettered on its own while the others are delivered. Nothing
 * is lost or repeated per endpoint.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class UrlGroupFaultTest {
  private static final Duration WAIT = Duration.ofSeconds(60);
  private final TestSink sink = TestSink.start();
  private final TestServer herald = TestServer.start();
  private final AtomicBoolean down = new AtomicBoolean(true);

  @AfterEach
  void stop() {
    herald.close();
    sink.close();
  }

  @Test
  void the_healthy_endpoints_get_everything_during_the_outage_and_the_failing_one_everything_after_it() {
    int n = 100;
    group("fan");
    sink.on("/e2", i -> Reply.of(down.get() ? 503 : 200));

    Map<String, Set<String>> ids = publishAll("fan", n, "Upstash-Retries", "20",
        "Upstash-Retry-Delay", "min(1000, 100 * pow(2, retried))");

    await().atMost(WAIT).pollInterval(Duration.ofMillis(50))
        .until(() -> delivered("/e1").size() == n && delivered("/e3").size() == n);
    assertThat(sink.requests("/e2")).as("the failing endpoint was tried meanwhile").isNotEmpty();
    down.set(false);
    await().atMost(WAIT).pollInterval(Duration.ofMillis(50)).until(() -> delivered("/e2").size() == n);

    for (String e : List.of("/e1", "/e2", "/e3")) {
      assertThat(delivered(e)).as("messages delivered to %s", e).isEqualTo(ids.get(sink.url(e)));
    }
    for (String e : List.of("/e1", "/e2", "/e3")) {
      assertThat(sink.succeeded(e)).as("one 2xx per message at %s", e).hasSize(n);
    }
    assertThat(TestServer.json(herald.get("/v2/dlq")).get("messages")).isEmpty();
  }

  @Test
  void out_of_retries_only_the_failing_endpoints_messages_are_dead_lettered() {
    int n = 30;
    group("fan0");
    sink.on("/e2", i -> Reply.of(503));

    Map<String, Set<String>> ids = publishAll("fan0", n, "Upstash-Retries", "0");

    await().atMost(WAIT).pollInterval(Duration.ofMillis(50))
        .until(() -> delivered("/e1").size() == n && delivered("/e3").size() == n);
    await().atMost(WAIT).pollInterval(Duration.ofMillis(100)).until(() -> dlq().size() == n);
    assertThat(new HashSet<>(dlq().keySet())).isEqualTo(ids.get(sink.url("/e2")));
    assertThat(dlq().values()).allSatisfy(url -> assertThat(url).isEqualTo(sink.url("/e2")));
    assertThat(delivered("/e1")).isEqualTo(ids.get(sink.url("/e1")));
    assertThat(delivered("/e3")).isEqualTo(ids.get(sink.url("/e3")));
  }

  private void group(String name) {
    String endpoints = String.join(",", List.of("/e1", "/e2", "/e3").stream()
        .map(p -> "{\"name\":\"" + p.substring(1) + "\",\"url\":\"" + sink.url(p) + "\"}").toList());
    HttpResponse<String> r = herald.post("/v2/topics/" + name + "/endpoints", "{\"endpoints\":[" + endpoints + "]}");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
  }

  /** Publishes n messages to the group; returns the message ids each endpoint URL was given. */
  private Map<String, Set<String>> publishAll(String group, int n, String... headers) {
    Map<String, Set<String>> ids = new HashMap<>();
    for (int i = 0; i < n; i++) {
      HttpResponse<String> r = herald.publish(group, "m" + i, headers);
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
      JsonNode results = TestServer.json(r);
      assertThat(results).as("one message id per endpoint").hasSize(3);
      for (JsonNode x : results) ids.computeIfAbsent(x.get("url").asString(), u -> new HashSet<>()).add(x.get("messageId").asString());
    }
    assertThat(ids.values()).allSatisfy(s -> assertThat(s).hasSize(n));
    return ids;
  }

  /** Ids of the messages an endpoint answered 2xx to. */
  private Set<String> delivered(String path) {
    Set<String> out = new HashSet<>();
    for (Received r : sink.succeeded(path)) out.add(r.header("Upstash-Message-Id"));
    return out;
  }

  /** DLQ entries: message id -> url. */
  private Map<String, String> dlq() {
    Map<String, String> out = new HashMap<>();
    TestServer.json(herald.get("/v2/dlq?count=100")).get("messages")
        .forEach(m -> out.put(m.get("messageId").asString(), m.get("url").asString()));
    return out;
  }
}
