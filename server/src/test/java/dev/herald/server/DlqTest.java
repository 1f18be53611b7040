package dev.herald.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.herald.server.TestSink.Reply;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.JsonNode;

/** The dead-letter queue (spec 9): what lands there, how to find, page, delete and retry it. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class DlqTest {
  private static final Duration WAIT = Duration.ofSeconds(60);
  private final TestSink sink = TestSink.start();
  private final TestServer herald = TestServer.start();
  private final AtomicBoolean healthy = new AtomicBoolean(false);

  @AfterEach
  void stop() {
    herald.close();
    sink.close();
  }

  @Test
  void a_message_that_exhausts_its_retries_lands_in_the_dlq_with_the_last_response() {
    sink.on("/down", n -> Reply.of(500).with("X-Why", "maintenance").withBody("down for maintenance"));
    String id = TestServer.idOf(herald.publish(sink.url("/down"), "payload", "Upstash-Retries", "1", "Upstash-Retry-Delay", "50"));

    JsonNode entry = awaitEntry(id);
    assertThat(entry.get("url").asString()).isEqualTo(sink.url("/down"));
    assertThat(entry.get("body").asString()).isEqualTo("payload");
    assertThat(entry.get("maxRetries").asInt()).isEqualTo(1);
    assertThat(entry.get("responseStatus").asInt()).isEqualTo(500);
    assertThat(entry.get("responseHeader").propertyNames()).anyMatch(k -> k.equalsIgnoreCase("X-Why"));
    assertThat(entry.get("responseBody").asString()).isEqualTo("down for maintenance");
    String dlqId = entry.get("dlqId").asString();
    assertThat(TestServer.json(herald.get("/v2/dlq/" + dlqId)).get("messageId").asString()).isEqualTo(id);
    assertThat(herald.delete("/v2/dlq/" + dlqId).statusCode()).isEqualTo(200);
    assertThat(herald.get("/v2/dlq/" + dlqId).statusCode()).isEqualTo(404);
    assertThat(herald.delete("/v2/dlq/" + dlqId).statusCode()).isEqualTo(404);
  }

  @Test
  void the_dlq_list_filters_by_url_label_status_queue_and_date() {
    long before = System.currentTimeMillis() - 1;
    sink.on("/a", n -> Reply.of(500));
    sink.on("/b", n -> Reply.of(503));
    String a1 = deadLetter("/a", "Upstash-Label", "red");
    String a2 = deadLetter("/a", "Upstash-Label", "red");
    String b = deadLetter("/b", "Upstash-Label", "blue");
    String q = TestServer.idOf(herald.post("/v2/enqueue/dq/" + sink.url("/a"), "q", "Upstash-Retries", "0"));
    awaitEntry(q);

    assertThat(ids("url=" + sink.url("/a"))).containsExactlyInAnyOrder(a1, a2, q);
    assertThat(ids("label=red")).containsExactlyInAnyOrder(a1, a2);
    assertThat(ids("responseStatus=503")).containsExactly(b);
    assertThat(ids("queueName=dq")).containsExactly(q);
    assertThat(ids("fromDate=" + before)).containsExactlyInAnyOrder(a1, a2, b, q);
    assertThat(ids("fromDate=" + (System.currentTimeMillis() + 3_600_000))).isEmpty();
    assertThat(ids("toDate=" + before)).isEmpty();
  }

  @Test
  void the_dlq_list_pages_with_a_cursor_and_the_last_page_has_none() {
    sink.on("/p", n -> Reply.of(500));
    Set<String> all = new HashSet<>();
    for (int i = 0; i < 5; i++) all.add(deadLetter("/p"));

    List<String> seen = new ArrayList<>();
    String cursor = null;
    int pages = 0;
    do {
      JsonNode page = TestServer.json(herald.get("/v2/dlq?count=2" + (cursor == null ? "" : "&cursor=" + cursor)));
      page.get("messages").forEach(e -> seen.add(e.get("messageId").asString()));
      assertThat(page.get("messages").size()).isLessThanOrEqualTo(2);
      cursor = page.has("cursor") ? page.get("cursor").asString() : null;
      pages++;
    } while (cursor != null && pages < 10);
    assertThat(pages).isEqualTo(3);
    assertThat(seen).hasSize(5).containsExactlyInAnyOrderElementsOf(all);
  }

  @Test
  void bulk_delete_takes_ids_or_a_filter_or_nothing_for_all_and_refuses_unknown_filters() {
    sink.on("/x", n -> Reply.of(500));
    sink.on("/y", n -> Reply.of(500));
    List<String> dlqIds = new ArrayList<>();
    for (String id : List.of(deadLetter("/x"), deadLetter("/x"), deadLetter("/x"))) dlqIds.add(dlqIdOf(id));
    deadLetter("/y");
    deadLetter("/y");

    assertThat(herald.delete("/v2/dlq?nope=1").statusCode()).isEqualTo(400);
    JsonNode byIds = TestServer.json(herald.delete("/v2/dlq?dlqIds=" + dlqIds.get(0) + "&dlqIds=" + dlqIds.get(1)));
    assertThat(byIds.get("deleted").asInt()).isEqualTo(2);
    JsonNode byFilter = TestServer.json(herald.delete("/v2/dlq?url=" + sink.url("/y")));
    assertThat(byFilter.get("deleted").asInt()).isEqualTo(2);
    assertThat(byFilter.has("cursor")).isFalse();
    assertThat(TestServer.json(herald.delete("/v2/dlq?url=" + sink.url("/none"))).get("deleted").asInt()).isZero();
    assertThat(TestServer.json(herald.delete("/v2/dlq")).get("deleted").asInt()).isEqualTo(1);
    assertThat(TestServer.json(herald.get("/v2/dlq")).get("messages")).isEmpty();
  }

  @Test
  void a_legacy_body_of_the_wrong_shape_deletes_and_retries_nothing() {
    sink.on("/keep", n -> Reply.of(500));
    deadLetter("/keep");
    deadLetter("/keep");

    for (String body : List.of("{\"dlqIds\": \"nope\"}", "{\"dlqId\": [\"nope\"]}", "{\"dlqIds\": [1]}", "[]", "{")) {
      HttpResponse<String> del = herald.call("DELETE", "/v2/dlq", body, "Content-Type", "application/json");
      assertThat(del.statusCode()).as(body + " -> " + del.body()).isEqualTo(400);
      HttpResponse<String> retry = herald.call("POST", "/v2/dlq/retry", body, "Content-Type", "application/json");
      assertThat(retry.statusCode()).as(body + " -> " + retry.body()).isEqualTo(400);
    }
    HttpResponse<String> none = herald.call("DELETE", "/v2/dlq", "{\"dlqIds\": []}", "Content-Type", "application/json");
    assertThat(TestServer.json(none).get("deleted").asInt()).as(none.body()).isZero();
    HttpResponse<String> noRetry = herald.call("POST", "/v2/dlq/retry", "{\"dlqIds\": []}", "Content-Type", "application/json");
    assertThat(TestServer.json(noRetry).get("responses")).as(noRetry.body()).isEmpty();
    assertThat(TestServer.json(herald.get("/v2/dlq")).get("messages")).hasSize(2);
  }

  @Test
  void retrying_one_entry_delivers_it_again_as_a_new_message_and_removes_the_entry() {
    sink.on("/r", n -> Reply.of(healthy.get() ? 200 : 500));
    String id = deadLetter("/r", "Upstash-Forward-X-Kept", "yes");
    String dlqId = dlqIdOf(id);
    healthy.set(true);

    HttpResponse<String> r = herald.post("/v2/dlq/retry/" + dlqId, "");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    String fresh = TestServer.json(r).get("messageId").asString();
    assertThat(fresh).isNotEqualTo(id);
    await().atMost(WAIT).until(() -> sink.requests("/r").stream().anyMatch(x -> fresh.equals(x.header("Upstash-Message-Id"))));
    assertThat(sink.requests("/r").getLast().header("X-Kept")).isEqualTo("yes");
    assertThat(herald.get("/v2/dlq/" + dlqId).statusCode()).isEqualTo(404);
    assertThat(herald.post("/v2/dlq/retry/" + dlqId, "").statusCode()).isEqualTo(404);
  }

  @Test
  void bulk_retry_re_creates_every_selected_entry() {
    sink.on("/br", n -> Reply.of(healthy.get() ? 200 : 500));
    String d1 = dlqIdOf(deadLetter("/br"));
    String d2 = dlqIdOf(deadLetter("/br"));
    healthy.set(true);

    HttpResponse<String> r = herald.post("/v2/dlq/retry?dlqIds=" + d1 + "&dlqIds=" + d2, "");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    List<String> fresh = new ArrayList<>();
    TestServer.json(r).get("responses").forEach(x -> fresh.add(x.get("messageId").asString()));
    assertThat(fresh).hasSize(2);
    await().atMost(WAIT).until(() -> sink.requests("/br").stream().map(x -> x.header("Upstash-Message-Id")).toList()
        .containsAll(fresh));
    assertThat(TestServer.json(herald.get("/v2/dlq")).get("messages")).isEmpty();
  }

  @Test
  void a_header_on_the_retry_request_overrides_the_stored_configuration() {
    sink.on("/o", n -> Reply.of(500));
    String dlqId = dlqIdOf(deadLetter("/o", "Upstash-Retries", "2", "Upstash-Retry-Delay", "50"));
    int attemptsBefore = sink.requests("/o").size();
    assertThat(attemptsBefore).isEqualTo(3);

    HttpResponse<String> r = herald.post("/v2/dlq/retry/" + dlqId, "", "Upstash-Retries", "0");
    String fresh = TestServer.json(r).get("messageId").asString();
    JsonNode again = awaitEntry(fresh);
    assertThat(again.get("maxRetries").asInt()).isZero();
    assertThat(sink.requests("/o").stream().filter(x -> fresh.equals(x.header("Upstash-Message-Id")))).hasSize(1);
  }

  @Test
  void callbacks_forwarded_headers_and_labels_on_the_retry_request_override_the_stored_ones() { // spec 9.6
    sink.on("/ov", n -> Reply.of(healthy.get() ? 200 : 500));
    String dlqId = dlqIdOf(deadLetter("/ov", "Upstash-Forward-X-Kept", "old", "Upstash-Forward-X-Replaced", "old",
        "Upstash-Label", "before"));
    healthy.set(true);

    HttpResponse<String> r = herald.post("/v2/dlq/retry/" + dlqId, "", "Upstash-Callback", sink.url("/ov-cb"),
        "Upstash-Forward-X-Replaced", "new", "Upstash-Forward-X-Added", "1", "Upstash-Label", "after",
        "Content-Type", "application/json");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    String fresh = TestServer.json(r).get("messageId").asString();

    await().atMost(WAIT).until(() -> sink.requests("/ov").stream().anyMatch(x -> fresh.equals(x.header("Upstash-Message-Id"))));
    TestSink.Received delivery = sink.requests("/ov").stream().filter(x -> fresh.equals(x.header("Upstash-Message-Id")))
        .findFirst().orElseThrow();
    assertThat(delivery.header("X-Kept")).isEqualTo("old");
    assertThat(delivery.header("X-Replaced")).isEqualTo("new");
    assertThat(delivery.header("X-Added")).isEqualTo("1");
    assertThat(delivery.header("Upstash-Label")).isEqualTo("after");
    assertThat(delivery.header("Content-Type")).as("the retry request's own Content-Type is not the message's")
        .isNotEqualTo("application/json");
    sink.awaitRequests("/ov-cb", 1, WAIT);
  }

  /** Publishes to a sink path scripted to fail (default retries 0 unless given) and waits for its DLQ entry. */
  private String deadLetter(String path, String... headers) {
    List<String> h = new ArrayList<>(List.of(headers));
    if (!h.contains("Upstash-Retries")) h.addAll(List.of("Upstash-Retries", "0"));
    String id = TestServer.idOf(herald.publish(sink.url(path), "body of " + path, h.toArray(String[]::new)));
    awaitEntry(id);
    return id;
  }

  private JsonNode awaitEntry(String messageId) {
    JsonNode[] found = new JsonNode[1];
    await().atMost(WAIT).pollInterval(Duration.ofMillis(50)).until(() -> {
      JsonNode m = TestServer.json(herald.get("/v2/dlq?messageId=" + messageId)).get("messages");
      if (m.isEmpty()) return false;
      found[0] = m.get(0);
      return true;
    });
    return found[0];
  }

  private String dlqIdOf(String messageId) {
    return awaitEntry(messageId).get("dlqId").asString();
  }

  private List<String> ids(String query) {
    List<String> out = new ArrayList<>();
    TestServer.json(herald.get("/v2/dlq?" + query)).get("messages").forEach(e -> out.add(e.get("messageId").asString()));
    return out;
  }
}
