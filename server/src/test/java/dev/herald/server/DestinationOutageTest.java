package dev.herald.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.herald.server.TestSink.Received;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.JsonNode;

/**
 * R12, a destination down for a long time and then back, at CI size: the destination's port refuses
 * connections from the first attempt on, and Herald is restarted once during the outage. Cohort A has a
 * retry budget longer than the outage and is delivered once the destination is back, none of it dead-lettered.
 * Cohort B runs out of retries during the outage: each message gets exactly retries + 1 attempts, one DLQ
 * entry that survives the restart, and its failure callback; none of B reaches the destination until the DLQ
 * is redriven, and then all of it does. Attempts against the returning destination never exceed
 * {@code delivery.concurrency} (no thundering herd). The 30-minute outage of the research note is not run
 * here: only the retry budget and the waits would grow.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class DestinationOutageTest {
  private static final int N = 50;
  private static final int CONCURRENCY = 16;
  private static final Duration WAIT = Duration.ofSeconds(90);
  private final TestSink callbacks = TestSink.start();
  private final TestServer herald = TestServer.start(Map.of("delivery.concurrency", Integer.toString(CONCURRENCY)));
  private TestSink destination;

  @AfterEach
  void stop() {
    herald.close();
    callbacks.close();
    if (destination != null) destination.close();
  }

  @Test
  void a_long_outage_delivers_the_patient_cohort_dead_letters_the_other_and_a_redrive_delivers_it() throws IOException {
    int port = freePort(); // nothing listens there: every attempt is refused
    String e = "http://127.0.0.1:" + port + "/e";

    Map<String, Integer> a = new java.util.HashMap<>(); // message id -> seq
    Map<String, Integer> b = new java.util.HashMap<>();
    for (int seq = 0; seq < N; seq++) {
      // 100, 200, 400, 800, 1600 ms, then 2 s: about 33 s of retries in all, longer than the outage below
      a.put(TestServer.idOf(herald.publish(e, "a-" + seq, "Upstash-Forward-X-Seq", "a-" + seq, "Upstash-Retries", "20",
          "Upstash-Retry-Delay", "min(2000, 100 * pow(2, retried))")), seq);
      b.put(TestServer.idOf(herald.publish(e, "b-" + seq, "Upstash-Forward-X-Seq", "b-" + seq, "Upstash-Retries", "2",
          "Upstash-Retry-Delay", "100", "Upstash-Failure-Callback", callbacks.url("/f"))), seq);
    }

    await().atMost(WAIT).pollInterval(Duration.ofMillis(100)).until(() -> dlqIds(e).equals(b.keySet()));
    for (String id : b.keySet()) {
      List<JsonNode> errors = events(id, "ERROR");
      assertThat(errors).as("attempts of %s", id).hasSize(3);
      assertThat(errors).allSatisfy(x -> assertThat(x.get("error").asString()).isNotBlank());
    }
    await().atMost(WAIT).pollInterval(Duration.ofMillis(100))
        .until(() -> sourcesOf(callbacks.requests("/f")).containsAll(b.keySet()));
    assertThat(sourcesOf(callbacks.requests("/f"))).as("failure callbacks only for cohort B").isEqualTo(b.keySet());

    herald.restart(); // during the outage: the DLQ entries and A's pending retries must come back from the store
    assertThat(dlqIds(e)).as("the DLQ after the restart").isEqualTo(b.keySet());

    destination = TestSink.startOn(port);
    await().atMost(WAIT).pollInterval(Duration.ofMillis(100))
        .until(() -> seqs(destination.requests("/e"), "a-").size() == N);
    assertThat(seqs(destination.requests("/e"), "b-")).as("B is only in the DLQ until the redrive").isEmpty();
    for (Received r : destination.requests("/e")) {
      assertThat(Integer.parseInt(r.header("Upstash-Retried"))).as("A was refused before it was delivered").isPositive();
      assertThat(a).containsKey(r.header("Upstash-Message-Id"));
    }
    for (String id : a.keySet()) awaitFinished(id);
    assertThat(dlqIds(e)).as("none of A reached the DLQ").isEqualTo(b.keySet());

    HttpResponse<String> redrive = herald.post("/v2/dlq/retry?url=" + e, "");
    assertThat(redrive.statusCode()).as(redrive.body()).isEqualTo(201);
    assertThat(TestServer.json(redrive).get("responses")).hasSize(N);
    await().atMost(WAIT).pollInterval(Duration.ofMillis(100))
        .until(() -> seqs(destination.requests("/e"), "b-").size() == N);
    await().atMost(WAIT).pollInterval(Duration.ofMillis(100)).until(() -> dlqIds(e).isEmpty());
    assertThat(destination.maxInFlight("/e")).as("attempts in flight at the returning destination")
        .isLessThanOrEqualTo(CONCURRENCY);
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  private Set<String> dlqIds(String url) {
    Set<String> out = new HashSet<>();
    TestServer.json(herald.get("/v2/dlq?count=100&url=" + url)).get("messages")
        .forEach(m -> out.add(m.get("messageId").asString()));
    return out;
  }

  private List<JsonNode> events(String messageId, String state) {
    List<JsonNode> out = new ArrayList<>();
    for (JsonNode x : TestServer.json(herald.get("/v2/logs?messageId=" + messageId)).get("events")) {
      if (x.get("state").asString().equals(state)) out.add(x);
    }
    return out;
  }

  private void awaitFinished(String id) {
    await().atMost(WAIT).pollInterval(Duration.ofMillis(50)).until(() -> herald.get("/v2/messages/" + id).statusCode() == 404);
  }

  private static Set<String> sourcesOf(List<Received> callbacks) {
    return callbacks.stream().map(r -> TestServer.JSON.readTree(r.body()).get("sourceMessageId").asString())
        .collect(Collectors.toSet());
  }

  private static Set<String> seqs(List<Received> got, String cohort) {
    return got.stream().map(r -> r.header("X-Seq")).filter(s -> s.startsWith(cohort)).collect(Collectors.toSet());
  }
}
