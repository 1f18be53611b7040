package dev.herald.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.herald.server.TestSink.Received;
import dev.herald.server.TestSink.Reply;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.JsonNode;

/** Queues (spec 8): management, FIFO through retries, parallelism, pause and delete. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class QueueTest {
  private static final Duration WAIT = Duration.ofSeconds(60);
  private final TestSink sink = TestSink.start();
  private final TestServer herald = TestServer.start();

  @AfterEach
  void stop() {
    herald.close();
    sink.close();
  }

  @Test
  void a_queue_is_upserted_read_listed_and_deleted() {
    assertThat(upsert("q1", 2, false).statusCode()).isEqualTo(200);
    JsonNode q = TestServer.json(herald.get("/v2/queues/q1"));
    assertThat(q.get("name").asString()).isEqualTo("q1");
    assertThat(q.get("parallelism").asInt()).isEqualTo(2);
    assertThat(q.get("lag").asLong()).isZero();
    assertThat(q.get("paused").asBoolean()).isFalse();
    long createdAt = q.get("createdAt").asLong();

    upsert("q1", 3, true);
    JsonNode updated = TestServer.json(herald.get("/v2/queues/q1"));
    assertThat(updated.get("createdAt").asLong()).isEqualTo(createdAt);
    assertThat(updated.get("updatedAt").asLong()).isGreaterThanOrEqualTo(createdAt);
    assertThat(updated.get("parallelism").asInt()).isEqualTo(3);
    assertThat(updated.get("paused").asBoolean()).isTrue();
    assertThat(TestServer.json(herald.get("/v2/queues"))).extracting(n -> n.get("name").asString()).containsExactly("q1");

    assertThat(herald.delete("/v2/queues/q1").statusCode()).isEqualTo(200);
    assertThat(herald.get("/v2/queues/q1").statusCode()).isEqualTo(404);
    assertThat(herald.delete("/v2/queues/q1").statusCode()).isEqualTo(404);
    assertThat(TestServer.json(herald.get("/v2/queues"))).isEmpty();
  }

  @Test
  void enqueueing_creates_the_queue() {
    TestServer.idOf(enqueue("auto", "/auto", "x"));

    assertThat(herald.get("/v2/queues/auto").statusCode()).isEqualTo(200);
    sink.awaitRequests("/auto", 1, WAIT);
  }

  @Test
  void parallelism_one_keeps_fifo_order_through_the_retries_of_the_first_message() {
    upsert("fifo", 1, false);
    sink.failFirst("/first", 2, Reply.of(500));
    enqueue("fifo", "/first", "1", "Upstash-Retries", "3", "Upstash-Retry-Delay", "50");
    enqueue("fifo", "/second", "2", "Upstash-Retries", "3", "Upstash-Retry-Delay", "50");

    sink.awaitRequests("/second", 1, WAIT);
    List<String> order = sink.requests().stream().map(Received::path).toList();
    assertThat(order).startsWith("/first", "/first", "/first", "/second");
  }

  @Test
  void parallelism_three_reaches_three_in_flight_and_never_more() {
    upsert("par", 3, false);
    sink.throttle("/par");
    for (int i = 0; i < 8; i++) enqueue("par", "/par", "m" + i);

    for (int answered : new int[] {0, 2, 4}) {
      int expected = Math.min(3, 8 - answered);
      await().atMost(WAIT).pollInterval(Duration.ofMillis(20))
          .until(() -> sink.requests("/par").size() >= answered + expected && sink.inFlight("/par") == expected);
      assertThat(sink.maxInFlight("/par")).isEqualTo(3);
      sink.allow("/par", 2);
    }
    sink.allow("/par", 10);
    sink.awaitRequests("/par", 8, WAIT);
    assertThat(sink.requests("/par")).hasSize(8);
    assertThat(sink.maxInFlight("/par")).isEqualTo(3);
  }

  @Test
  void a_paused_queue_accepts_but_delivers_nothing_until_resumed() {
    upsert("pq", 1, false);
    assertThat(herald.post("/v2/queues/pq/pause", "").statusCode()).isEqualTo(200);
    TestServer.idOf(enqueue("pq", "/pq", "a"));
    TestServer.idOf(enqueue("pq", "/pq", "b"));

    herald.publish(sink.url("/sentinel"), "direct");
    sink.awaitRequests("/sentinel", 1, WAIT);
    assertThat(sink.requests("/pq")).isEmpty();
    JsonNode q = TestServer.json(herald.get("/v2/queues/pq"));
    assertThat(q.get("paused").asBoolean()).isTrue();
    assertThat(q.get("lag").asLong()).isEqualTo(2);

    assertThat(herald.post("/v2/queues/pq/resume", "").statusCode()).isEqualTo(200);
    assertThat(sink.awaitRequests("/pq", 2, WAIT)).extracting(r -> new String(r.body())).containsExactly("a", "b");
  }

  @Test
  void deleting_a_queue_cancels_its_messages() {
    upsert("gone", 1, true);
    List<String> ids = new ArrayList<>();
    for (String b : List.of("a", "b")) ids.add(TestServer.idOf(enqueue("gone", "/gone", b)));

    assertThat(herald.delete("/v2/queues/gone").statusCode()).isEqualTo(200);
    for (String id : ids) assertThat(herald.get("/v2/messages/" + id).statusCode()).isEqualTo(404);
    herald.publish(sink.url("/sentinel"), "direct");
    sink.awaitRequests("/sentinel", 1, WAIT);
    assertThat(sink.requests("/gone")).isEmpty();
    assertThat(TestServer.json(herald.get("/v2/events?queueName=gone&state=CANCELED")).get("events")).hasSize(2);
  }

  private HttpResponse<String> upsert(String name, int parallelism, boolean paused) {
    return herald.post("/v2/queues", "{\"queueName\":\"" + name + "\",\"parallelism\":" + parallelism + ",\"paused\":" + paused + "}");
  }

  private HttpResponse<String> enqueue(String queue, String path, String body, String... headers) {
    return herald.post("/v2/enqueue/" + queue + "/" + sink.url(path), body, headers);
  }
}
