package dev.herald.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.herald.server.TestSink.Reply;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.JsonNode;

/**
 * Destinations that misbehave (R13, R14, R15, S12): never answering, resetting the connection,
 * answering with a huge body, asking for a retry in 10 days, or hanging while others are healthy.
 * Each is a failed attempt with a bounded cost, and none of them holds up deliveries elsewhere.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class DestinationBehaviourTest {
  private static final Duration WAIT = Duration.ofSeconds(30);
  private final TestSink sink = TestSink.start();
  private final TestServer herald = TestServer.start(Map.of("limits.max-response-bytes", "4096"));
  private final List<AutoCloseable> extra = new ArrayList<>();

  @AfterEach
  void stop() throws Exception {
    herald.close();
    sink.close();
    for (AutoCloseable c : extra) c.close();
  }

  @Test
  void a_destination_that_never_answers_is_cut_off_by_upstash_timeout_and_retried_then_dead_lettered() {
    sink.hold("/silent");

    String id = idOf(herald.publish(sink.url("/silent"), "x", "Upstash-Timeout", "2s", "Upstash-Retries", "1",
        "Upstash-Retry-Delay", "10"));

    sink.awaitRequests("/silent", 2, WAIT); // the second attempt exists only because the first was cut off
    JsonNode dlq = awaitDlqEntry(id);
    assertThat(dlq.get("error").asString()).contains("timeout");
    assertThat(sink.requests("/silent")).hasSize(2);
  }

  @Test
  void the_request_target_is_sent_exactly_as_the_destination_url_spells_it() {
    String target = "/a//double//slash/;m=1/./x/../y%2Fz?a&b=%2F&c=d+e&=";

    herald.publish(sink.url(target), "x");

    sink.awaitRequests(1, WAIT);
    assertThat(sink.requests().get(0).pathAndQuery()).isEqualTo(target);
  }

  @Test
  void forwarded_hop_by_hop_headers_are_dropped_and_the_rest_arrive() {
    herald.publish(sink.url("/hop"), "x", "Upstash-Forward-Transfer-Encoding", "chunked",
        "Upstash-Forward-Keep-Alive", "timeout=5", "Upstash-Forward-Date", "Tue, 24 Nov 2026 08:00:00 GMT",
        "Upstash-Forward-X-Kept", "yes");

    TestSink.Received got = sink.awaitRequests("/hop", 1, WAIT).get(0);
    assertThat(got.header("X-Kept")).isEqualTo("yes");
    assertThat(got.header("Date")).isEqualTo("Tue, 24 Nov 2026 08:00:00 GMT");
    assertThat(got.header("Keep-Alive")).isNull();
    assertThat(got.header("Transfer-Encoding")).isNull();
    assertThat(new String(got.body())).isEqualTo("x");
  }

  @Test
  void a_destination_that_trickles_its_answer_is_cut_off_at_the_total_timeout() throws IOException {
    // Each byte arrives well inside the timeout, so only a total bound can end the attempt.
    ServerSocket trickle = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    extra.add(trickle);
    Thread.ofVirtual().start(() -> {
      while (!trickle.isClosed()) {
        try {
          Socket s = trickle.accept();
          Thread.ofVirtual().start(() -> {
            try (s) {
              s.getOutputStream().write("HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n".getBytes());
              for (int i = 0; i < 100_000; i++) {
                s.getOutputStream().write('x');
                s.getOutputStream().flush();
                Thread.sleep(200);
              }
            } catch (IOException | InterruptedException e) {
              // Herald hung up: expected
            }
          });
        } catch (IOException e) {
          return;
        }
      }
    });

    String id = idOf(herald.publish("http://127.0.0.1:" + trickle.getLocalPort() + "/trickle", "x",
        "Upstash-Timeout", "2s", "Upstash-Retries", "0"));

    JsonNode dlq = awaitDlqEntry(id);
    assertThat(dlq.get("error").asString()).contains("timeout");
  }

  @Test
  void a_destination_that_resets_the_connection_is_a_failed_attempt() throws IOException {
    ServerSocket rst = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    extra.add(rst);
    AtomicInteger accepted = new AtomicInteger();
    Thread.ofVirtual().start(() -> {
      while (!rst.isClosed()) {
        try (Socket s = rst.accept()) {
          accepted.incrementAndGet();
          s.setSoLinger(true, 0); // close() now sends RST
        } catch (IOException e) {
          return;
        }
      }
    });

    String id = idOf(herald.publish("http://127.0.0.1:" + rst.getLocalPort() + "/reset", "x", "Upstash-Retries", "2",
        "Upstash-Retry-Delay", "10"));

    JsonNode dlq = awaitDlqEntry(id);
    // 3 attempts, one connection each: the client never re-sends a request on its own
    assertThat(accepted.get()).isEqualTo(3);
    assertThat(events(id, "ERROR")).hasSize(3);
    assertThat(dlq.get("error").asString()).isNotBlank();
    assertThat(herald.get("/readyz").statusCode()).isEqualTo(200);
  }

  @Test
  void a_huge_response_body_is_read_only_up_to_the_limit() {
    sink.on("/huge", n -> Reply.of(500)).respondWith("/huge", new byte[5 * 1024 * 1024]);

    String id = idOf(herald.publish(sink.url("/huge"), "x", "Upstash-Retries", "0"));

    JsonNode dlq = awaitDlqEntry(id);
    String body = dlq.has("responseBody") ? dlq.get("responseBody").asString()
        : new String(Base64.getDecoder().decode(dlq.get("responseBodyBase64").asString()));
    assertThat(body.length()).isLessThanOrEqualTo(4096 * 4); // 4096 bytes kept; base64 or escapes may grow it
    assertThat(herald.get("/v2/logs?messageId=" + id).body().length()).isLessThan(64 * 1024);
  }

  @Test
  void a_retry_after_of_ten_days_is_ignored_and_the_back_off_applies() { // spec 5.3
    sink.on("/later", n -> Reply.of(429).with("Retry-After", Long.toString(Duration.ofDays(10).toSeconds())));

    String id = idOf(herald.publish(sink.url("/later"), "x", "Upstash-Retries", "3"));
    Instant published = Instant.now();

    sink.awaitRequests("/later", 1, WAIT);
    JsonNode retry = awaitEvent(id, "RETRY");
    Instant next = Instant.ofEpochMilli(retry.get("nextDeliveryTime").asLong());
    // the default back-off's first retry: about 12 s after the error, not 10 days (nor a day)
    assertThat(next).isAfter(published.plusSeconds(5));
    assertThat(next).isBefore(Instant.now().plus(Duration.ofMinutes(1)));
  }

  @Test
  void a_hanging_destination_does_not_delay_deliveries_to_a_healthy_one() {
    sink.hold("/hang");
    for (int i = 0; i < 50; i++) idOf(herald.publish(sink.url("/hang"), "slow-" + i, "Upstash-Retries", "0"));
    sink.awaitRequests("/hang", 50, WAIT);

    for (int i = 0; i < 50; i++) idOf(herald.publish(sink.url("/healthy"), "ok-" + i));

    sink.awaitRequests("/healthy", 50, WAIT);
    assertThat(sink.requests("/hang")).as("the slow ones are all still hanging").hasSize(50);
    sink.release("/hang");
  }

  private static String idOf(HttpResponse<String> r) {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return TestServer.json(r).get("messageId").asString();
  }

  private JsonNode awaitDlqEntry(String messageId) {
    JsonNode[] found = new JsonNode[1];
    await().atMost(WAIT).pollInterval(Duration.ofMillis(50)).until(() -> {
      for (JsonNode m : TestServer.json(herald.get("/v2/dlq?messageId=" + messageId)).get("messages")) {
        found[0] = m;
        return true;
      }
      return false;
    });
    return found[0];
  }

  private List<JsonNode> events(String messageId, String state) {
    List<JsonNode> out = new ArrayList<>();
    for (JsonNode e : TestServer.json(herald.get("/v2/logs?messageId=" + messageId)).get("events")) {
      if (e.get("state").asString().equals(state)) out.add(e);
    }
    return out;
  }

  private JsonNode awaitEvent(String messageId, String state) {
    JsonNode[] found = new JsonNode[1];
    await().atMost(WAIT).pollInterval(Duration.ofMillis(50)).until(() -> {
      for (JsonNode e : TestServer.json(herald.get("/v2/logs?messageId=" + messageId)).get("events")) {
        if (e.get("state").asString().equals(state)) {
          found[0] = e;
          return true;
        }
      }
      return false;
    });
    return found[0];
  }
}
