package dev.herald.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.herald.server.TestSink.Reply;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.JsonNode;

/** GET /v2/logs and /v2/events (spec 5.8, 10): states, filters, order and paging. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class LogsTest {
  private static final Duration WAIT = Duration.ofSeconds(60);
  private final TestSink sink = TestSink.start();
  private final TestServer herald = TestServer.start();

  @AfterEach
  void stop() {
    herald.close();
    sink.close();
  }

  @Test
  void a_delivered_message_is_logged_as_created_active_delivered_on_both_paths() {
    String id = TestServer.idOf(herald.publish(sink.url("/ok"), "x"));

    awaitState(id, "DELIVERED");
    assertThat(states("messageId=" + id + "&order=earliestFirst")).containsExactly("CREATED", "ACTIVE", "DELIVERED");
    assertThat(states("messageId=" + id)).containsExactly("DELIVERED", "ACTIVE", "CREATED");
    JsonNode logs = TestServer.json(herald.get("/v2/logs?messageId=" + id));
    assertThat(logs.get("logs")).isEqualTo(logs.get("events")).hasSize(3);
    JsonNode created = TestServer.json(herald.get("/v2/events?messageId=" + id + "&state=CREATED")).get("events").get(0);
    assertThat(created.get("url").asString()).isEqualTo(sink.url("/ok"));
    assertThat(created.get("time").asLong()).isPositive();
  }

  @Test
  void the_created_entry_shows_the_headers_and_body_before_and_after_the_message_is_finished() {
    String delivered = TestServer.idOf(herald.publish(sink.url("/ok"), "hello", "Upstash-Forward-X-Seq", "7"));
    awaitState(delivered, "DELIVERED");
    JsonNode created = createdEntry(delivered);
    assertThat(created.get("body").asString()).isEqualTo(java.util.Base64.getEncoder().encodeToString("hello".getBytes()));
    assertThat(created.get("header").get("X-Seq").get(0).asString()).isEqualTo("7");
    assertThat(created.get("method").asString()).isEqualTo("POST");
    assertThat(created.has("maxRetries")).isTrue();

    String delayed = TestServer.idOf(herald.publish(sink.url("/never"), "later", "Upstash-Delay", "1h",
        "Upstash-Forward-X-Seq", "8"));
    JsonNode pending = createdEntry(delayed);
    assertThat(pending.get("body").asString()).isEqualTo(java.util.Base64.getEncoder().encodeToString("later".getBytes()));
    assertThat(pending.get("header").get("X-Seq").get(0).asString()).isEqualTo("8");
    assertThat(pending.get("nextDeliveryTime").asLong()).isGreaterThan(pending.get("time").asLong());
    assertThat(herald.delete("/v2/messages/" + delayed).statusCode()).isEqualTo(200);
    awaitState(delayed, "CANCELED");
    assertThat(createdEntry(delayed)).as("the same entry after the message is gone").isEqualTo(pending);
  }

  @Test
  void the_created_entry_shows_flow_control_and_callback_headers_before_and_after_the_message_is_finished() { // spec 10
    String id = TestServer.idOf(herald.publish(sink.url("/never"), "x", "Upstash-Delay", "1h",
        "Upstash-Flow-Control-Key", "k1", "Upstash-Flow-Control-Value", "parallelism=2, rate=5, period=1d",
        "Upstash-Callback", sink.url("/cb"), "Upstash-Callback-Forward-Y", "z",
        "Upstash-Failure-Callback", sink.url("/fcb"), "Upstash-Failure-Callback-Forward-W", "v"));
    JsonNode pending = createdEntry(id);
    assertThat(pending.get("flowControlKey").asString()).isEqualTo("k1");
    assertThat(pending.get("parallelism").asInt()).isEqualTo(2);
    assertThat(pending.get("rate").asInt()).isEqualTo(5);
    assertThat(pending.get("period").asLong()).isEqualTo(86400);
    assertThat(pending.get("callbackHeaders").get("Upstash-Forward-Y").get(0).asString()).isEqualTo("z");
    assertThat(pending.get("failureCallbackHeaders").get("Upstash-Forward-W").get(0).asString()).isEqualTo("v");

    assertThat(herald.delete("/v2/messages/" + id).statusCode()).isEqualTo(200);
    awaitState(id, "CANCELED");
    assertThat(createdEntry(id)).as("the same entry after the message is gone").isEqualTo(pending);
  }

  @Test
  void every_entry_of_a_url_group_message_names_its_endpoint() { // spec 10: endpointName
    assertThat(herald.post("/v2/topics/grp/endpoints", "{\"endpoints\": [{\"name\": \"e1\", \"url\": \""
        + sink.url("/e1") + "\"}]}", "Content-Type", "application/json").statusCode()).isEqualTo(200);
    String id = TestServer.json(herald.publish("grp", "x")).get(0).get("messageId").asString();

    awaitState(id, "DELIVERED");
    JsonNode events = TestServer.json(herald.get("/v2/events?messageId=" + id)).get("events");
    assertThat(events).hasSize(3);
    events.forEach(e -> assertThat(e.get("endpointName").asString()).as(e.toString()).isEqualTo("e1"));
    events.forEach(e -> assertThat(e.get("topicName").asString()).isEqualTo("grp"));
  }

  @Test
  void a_large_body_is_logged_up_to_64_KiB_before_and_after_the_message_is_finished() {
    String big = "x".repeat(100 * 1024);
    String expected = java.util.Base64.getEncoder().encodeToString(big.substring(0, 64 * 1024).getBytes());
    String delayed = TestServer.idOf(herald.publish(sink.url("/never"), big, "Upstash-Delay", "1h"));
    assertThat(createdEntry(delayed).get("body").asString()).isEqualTo(expected);

    assertThat(herald.delete("/v2/messages/" + delayed).statusCode()).isEqualTo(200);
    awaitState(delayed, "CANCELED");

    assertThat(createdEntry(delayed).get("body").asString()).isEqualTo(expected);
  }

  private JsonNode createdEntry(String id) {
    JsonNode events = TestServer.json(herald.get("/v2/events?messageId=" + id + "&state=CREATED")).get("events");
    assertThat(events).hasSize(1);
    return events.get(0);
  }

  @Test
  void a_failing_message_is_logged_with_errors_retries_and_failed_and_in_progress_selects_the_middle() {
    sink.on("/bad", n -> Reply.of(500));
    String id = TestServer.idOf(herald.publish(sink.url("/bad"), "x", "Upstash-Retries", "1", "Upstash-Retry-Delay", "50"));

    awaitState(id, "FAILED");
    assertThat(states("messageId=" + id + "&order=earliestFirst"))
        .containsExactly("CREATED", "ACTIVE", "ERROR", "RETRY", "ACTIVE", "ERROR", "FAILED");
    assertThat(states("messageId=" + id + "&state=IN_PROGRESS")).containsOnly("ACTIVE", "ERROR", "RETRY").hasSize(5);
    JsonNode error = TestServer.json(herald.get("/v2/events?messageId=" + id + "&state=ERROR")).get("events").get(0);
    assertThat(error.get("responseStatus").asInt()).isEqualTo(500);
    JsonNode retry = TestServer.json(herald.get("/v2/events?messageId=" + id + "&state=RETRY")).get("events").get(0);
    assertThat(retry.get("nextDeliveryTime").asLong()).isPositive();
  }

  @Test
  void a_cancelled_message_is_logged_as_cancel_requested_and_canceled() {
    String id = TestServer.idOf(herald.publish(sink.url("/never"), "x", "Upstash-Delay", "1h"));
    assertThat(herald.delete("/v2/messages/" + id).statusCode()).isEqualTo(200);

    awaitState(id, "CANCELED");
    assertThat(states("messageId=" + id + "&order=earliestFirst")).containsExactly("CREATED", "CANCEL_REQUESTED", "CANCELED");
    assertThat(states("messageId=" + id + "&state=CANCELLED")).containsExactly("CANCELED");
  }

  @Test
  void logs_filter_by_url_label_queue_and_date() {
    long before = System.currentTimeMillis() - 1;
    String red = TestServer.idOf(herald.publish(sink.url("/red"), "r", "Upstash-Label", "red"));
    String blue = TestServer.idOf(herald.publish(sink.url("/blue"), "b", "Upstash-Label", "blue"));
    String queued = TestServer.idOf(herald.post("/v2/enqueue/lq/" + sink.url("/blue"), "q"));
    for (String id : List.of(red, blue, queued)) awaitState(id, "DELIVERED");

    assertThat(ids("url=" + sink.url("/red"))).containsOnly(red);
    assertThat(ids("url=" + sink.url("/blue"))).containsOnly(blue, queued);
    assertThat(ids("label=red")).containsOnly(red);
    assertThat(ids("queueName=lq")).containsOnly(queued);
    assertThat(ids("fromDate=" + before)).contains(red, blue, queued);
    assertThat(ids("toDate=" + before)).isEmpty();
    assertThat(ids("fromDate=" + (System.currentTimeMillis() + 3_600_000))).isEmpty();
  }

  @Test
  void logs_page_with_count_and_cursor_until_no_cursor_is_left() {
    String id = TestServer.idOf(herald.publish(sink.url("/paged"), "x", "Upstash-Label", "paged"));
    awaitState(id, "DELIVERED");
    List<String> all = states("label=paged&order=earliestFirst");

    List<String> seen = new ArrayList<>();
    String cursor = null;
    int pages = 0;
    do {
      JsonNode page = TestServer.json(herald.get("/v2/logs?label=paged&order=earliestFirst&count=2"
          + (cursor == null ? "" : "&cursor=" + cursor)));
      assertThat(page.get("events").size()).isLessThanOrEqualTo(2);
      page.get("events").forEach(e -> seen.add(e.get("state").asString()));
      cursor = page.has("cursor") ? page.get("cursor").asString() : null;
      pages++;
    } while (cursor != null && pages < 10);
    assertThat(all).containsExactly("CREATED", "ACTIVE", "DELIVERED");
    assertThat(seen).isEqualTo(all);
    assertThat(pages).isEqualTo(2);
  }

  private void awaitState(String id, String state) {
    await().atMost(WAIT).pollInterval(Duration.ofMillis(50)).until(() -> states("messageId=" + id).contains(state));
  }

  private List<String> states(String query) {
    List<String> out = new ArrayList<>();
    TestServer.json(herald.get("/v2/events?" + query)).get("events").forEach(e -> out.add(e.get("state").asString()));
    return out;
  }

  private List<String> ids(String query) {
    List<String> out = new ArrayList<>();
    TestServer.json(herald.get("/v2/events?" + query)).get("events").forEach(e -> out.add(e.get("messageId").asString()));
    return out;
  }
}
