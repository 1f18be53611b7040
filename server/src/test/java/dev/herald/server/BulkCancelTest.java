package dev.herald.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.herald.server.TestSink.Received;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * DELETE /v2/messages (spec 4.4). Cancelled messages are delayed by {@link #DELAY}; a sentinel published
 * after the cancel with the same delay is due later than all of them, so once it has arrived a cancelled
 * message that was going to be delivered would have been.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class BulkCancelTest {
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final String DELAY = "4s";
  private final TestSink sink = TestSink.start();
  private final TestServer herald = TestServer.start();

  @AfterEach
  void stop() {
    herald.close();
    sink.close();
  }

  @Test
  void cancelling_by_message_ids_cancels_exactly_those() {
    String a = delayed("/ids", "a");
    String b = delayed("/ids", "b");
    String kept = delayed("/ids", "kept");

    HttpResponse<String> r = herald.delete("/v2/messages?messageIds=" + a + "&messageIds=" + b);
    assertThat(TestServer.json(r).get("cancelled").asInt()).isEqualTo(2);
    assertOnlyDeliveredBesidesTheSentinel("/ids", "kept");
  }

  @Test
  void message_ids_win_over_every_other_filter() {
    String a = delayed("/ids-win", "a");
    delayed("/ids-win", "kept");

    assertThat(cancelled("messageIds=" + a + "&host=elsewhere.example&label=none")).isEqualTo(1);
    assertOnlyDeliveredBesidesTheSentinel("/ids-win", "kept");
  }

  @Test
  void cancelling_by_label_url_and_queue_cancels_the_matching_messages() {
    delayed("/f", "red", "Upstash-Label", "red");
    delayed("/f", "plain");
    delayed("/other", "other-url");
    TestServer.idOf(herald.post("/v2/enqueue/cq/" + sink.url("/f"), "queued", "Upstash-Delay", DELAY));

    assertThat(cancelled("label=red")).isEqualTo(1);
    assertThat(cancelled("url=" + sink.url("/other"))).isEqualTo(1);
    assertThat(cancelled("queueName=cq")).isEqualTo(1);
    assertOnlyDeliveredBesidesTheSentinel("/f", "plain");
    assertThat(sink.requests("/other")).isEmpty();
  }

  @Test
  void cancelling_by_host_leaves_other_hosts_alone() {
    String viaName = sink.url("/h").replace("127.0.0.1", "localhost");
    TestServer.idOf(herald.publish(viaName, "by-name", "Upstash-Delay", DELAY));
    delayed("/h", "by-ip");

    assertThat(cancelled("host=localhost")).isEqualTo(1);
    assertOnlyDeliveredBesidesTheSentinel("/h", "by-ip");
  }

  @Test
  void the_legacy_json_body_with_message_ids_is_honoured() {
    String a = delayed("/legacy", "a");
    delayed("/legacy", "kept");

    HttpResponse<String> r = herald.call("DELETE", "/v2/messages", "{\"messageIds\": [\"" + a + "\"]}",
        "Content-Type", "application/json");
    assertThat(TestServer.json(r).get("cancelled").asInt()).isEqualTo(1);
    assertOnlyDeliveredBesidesTheSentinel("/legacy", "kept");
  }

  @Test
  void an_empty_list_of_ids_in_the_body_cancels_nothing() {
    delayed("/none", "kept");

    HttpResponse<String> r = herald.call("DELETE", "/v2/messages", "{\"messageIds\": []}", "Content-Type", "application/json");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(TestServer.json(r).get("cancelled").asInt()).isZero();
    assertOnlyDeliveredBesidesTheSentinel("/none", "kept");
  }

  @Test
  void a_body_of_the_wrong_shape_is_refused_and_cancels_nothing() {
    delayed("/shape", "kept");

    for (String body : List.of("{\"messageIds\": [5]}", "{\"messageIds\": {\"a\": 1}}", "{\"queueName\": [null]}",
        "{\"fromDate\": \"yesterday\"}", "{\"messageId\": [\"x\"]}", "[\"x\"]")) {
      HttpResponse<String> r = herald.call("DELETE", "/v2/messages", body, "Content-Type", "application/json");
      assertThat(r.statusCode()).as(body + " -> " + r.body()).isEqualTo(400);
      assertThat(TestServer.json(r).get("error").asString()).isNotBlank();
    }
    assertOnlyDeliveredBesidesTheSentinel("/shape", "kept");
  }

  @Test
  void no_ids_and_no_filter_cancels_every_pending_message() {
    delayed("/all", "a");
    delayed("/all", "b");
    TestServer.idOf(herald.post("/v2/enqueue/aq/" + sink.url("/all"), "c", "Upstash-Delay", DELAY));

    assertThat(TestServer.json(herald.delete("/v2/messages")).get("cancelled").asInt()).isEqualTo(3);
    assertOnlyDeliveredBesidesTheSentinel("/all");
  }

  @Test
  void an_unknown_parameter_is_refused_and_cancels_nothing() {
    String id = delayed("/typo", "kept");

    assertThat(herald.delete("/v2/messages?lable=red").statusCode()).isEqualTo(400);
    assertThat(herald.get("/v2/messages/" + id).statusCode()).isEqualTo(200);
  }

  private String delayed(String path, String body, String... headers) {
    List<String> h = new ArrayList<>(List.of("Upstash-Delay", DELAY));
    h.addAll(List.of(headers));
    return TestServer.idOf(herald.publish(sink.url(path), body, h.toArray(String[]::new)));
  }

  private int cancelled(String query) {
    HttpResponse<String> r = herald.delete("/v2/messages?" + query);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return TestServer.json(r).get("cancelled").asInt();
  }

  /** Publishes the sentinel, waits for it and for {@code expected}, then checks nothing else reached {@code path}. */
  private void assertOnlyDeliveredBesidesTheSentinel(String path, String... expected) {
    delayed(path, "sentinel");
    List<String> all = new ArrayList<>(List.of(expected));
    all.add("sentinel");
    await().atMost(WAIT).pollInterval(Duration.ofMillis(50)).until(() -> bodies(path).containsAll(all));
    assertThat(bodies(path)).containsExactlyInAnyOrderElementsOf(all);
  }

  private List<String> bodies(String path) {
    return sink.requests(path).stream().map(Received::body).map(String::new).toList();
  }
}
