package dev.herald.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.herald.server.TestSink.Received;
import dev.herald.server.TestSink.Reply;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * R23, callbacks and failure callbacks across a SIGKILL. Herald runs as a real process; half the messages go
 * to a destination that always fails (one retry), all of them carry a callback and a failure callback, and
 * Herald is killed while callbacks are in flight (the sink holds them). After the restart every delivered
 * message has a callback with its 200, every dead-lettered one a failure callback naming its DLQ entry, and
 * every callback is signed for its own URL over the bytes sent: none is lost, because a callback is written in
 * the transaction that records the attempt. A callback's own retries follow {@code Upstash-Callback-Retries}.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class CallbackFaultTest {
  private static final int N = 40;
  private static final Duration WAIT = Duration.ofSeconds(90);

  @TempDir
  Path data;

  private final TestSink sink = TestSink.start();
  private HeraldProcess herald;

  @AfterEach
  void stop() {
    if (herald != null) herald.close();
    sink.close();
  }

  @Test
  void no_callback_or_failure_callback_is_lost_across_a_sigkill_and_each_is_signed() throws Exception {
    herald = HeraldProcess.start(data);
    sink.on("/bad", n -> Reply.of(500).withBody("broken"));
    sink.hold("/c");
    Set<String> good = new HashSet<>();
    Set<String> bad = new HashSet<>();
    for (int i = 0; i < N; i++) {
      boolean fails = i % 2 == 1;
      HttpResponse<String> r = send("POST", "/v2/publish/" + sink.url(fails ? "/bad" : "/ok"), "m" + i,
          "Upstash-Retries", "1", "Upstash-Retry-Delay", "50", "Upstash-Callback", sink.url("/c"),
          "Upstash-Failure-Callback", sink.url("/f"), "Upstash-Failure-Callback-Retry-Delay", "50");
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
      (fails ? bad : good).add(TestServer.JSON.readTree(r.body()).get("messageId").asString());
    }

    sink.awaitRequests("/c", N / 4, WAIT);
    herald.kill(); // callbacks in flight, others committed but not started, some attempts still to come
    Instant dead = Instant.now();
    sink.release("/c"); // the held callbacks are answered to a dead process: they must be sent again
    herald = herald.restart();

    await().atMost(WAIT).pollInterval(Duration.ofMillis(100)).until(() ->
        sources(after(sink.succeeded("/c"), dead), 200).containsAll(good) && sources(sink.succeeded("/f"), 500).containsAll(bad));
    for (String id : bad) {
      await().atMost(WAIT).pollInterval(Duration.ofMillis(100)).until(() -> dlqId(id) != null);
      String dlqId = dlqId(id);
      assertThat(sink.requests("/f")).filteredOn(r -> id.equals(field(r, "sourceMessageId")))
          .allSatisfy(r -> assertThat(field(r, "dlqId")).isEqualTo(dlqId));
    }
    assertThat(sources(sink.requests("/f"), 500)).as("failure callbacks only for failed messages").isEqualTo(bad);
    String key = TestServer.JSON.readTree(send("GET", "/v2/keys", "").body()).get("current").asString();
    for (Received r : sink.requests()) {
      if (r.path().equals("/c") || r.path().equals("/f")) assertSigned(r, key, sink.url(r.path()));
    }
  }

  @Test
  void a_callbacks_retries_follow_upstash_callback_retries_not_the_messages() throws Exception {
    herald = HeraldProcess.start(data);
    sink.on("/c0", n -> Reply.of(500)).on("/c2", n -> Reply.of(500));
    String none = publishWithCallback("/c0", "0");
    String two = publishWithCallback("/c2", "2");

    sink.awaitRequests("/c0", 1, WAIT);
    sink.awaitRequests("/c2", 3, WAIT);
    for (String cb : List.of("/c0", "/c2")) {
      String callbackId = sink.requests(cb).get(0).header("Upstash-Message-Id");
      await().atMost(WAIT).pollInterval(Duration.ofMillis(50))
          .until(() -> send("GET", "/v2/messages/" + callbackId, "").statusCode() == 404);
    }
    assertThat(sink.requests("/c0")).extracting(r -> r.header("Upstash-Retried")).containsExactly("0");
    assertThat(sink.requests("/c2")).extracting(r -> r.header("Upstash-Retried")).containsExactly("0", "1", "2");
    assertThat(sink.requests("/c0")).allSatisfy(r -> assertThat(field(r, "sourceMessageId")).isEqualTo(none));
    assertThat(sink.requests("/c2")).allSatisfy(r -> assertThat(field(r, "sourceMessageId")).isEqualTo(two));
  }

  private String publishWithCallback(String callback, String callbackRetries) throws Exception {
    HttpResponse<String> r = send("POST", "/v2/publish/" + sink.url("/fine"), "x", "Upstash-Retries", "5",
        "Upstash-Callback", sink.url(callback), "Upstash-Callback-Retries", callbackRetries,
        "Upstash-Callback-Retry-Delay", "50");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return TestServer.JSON.readTree(r.body()).get("messageId").asString();
  }

  /** HS256 over the current key, {@code sub} the URL dialled, {@code body} the SHA-256 of the bytes sent. */
  private static void assertSigned(Received r, String key, String url) throws Exception {
    String[] jwt = r.header("Upstash-Signature").split("\\.");
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(key.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
    assertThat(Base64.getUrlDecoder().decode(jwt[2])).as("signature of a request to %s", url)
        .isEqualTo(mac.doFinal((jwt[0] + "." + jwt[1]).getBytes(StandardCharsets.US_ASCII)));
    JsonNode claims = TestServer.JSON.readTree(Base64.getUrlDecoder().decode(jwt[1]));
    assertThat(claims.get("sub").asString()).isEqualTo(url);
    String digest = Base64.getUrlEncoder().withoutPadding().encodeToString(MessageDigest.getInstance("SHA-256").digest(r.body()));
    assertThat(claims.get("body").asString().replace("=", "")).isEqualTo(digest);
  }

  private static List<Received> after(List<Received> got, Instant t) {
    return got.stream().filter(r -> r.at().isAfter(t)).toList();
  }

  /** Source message ids of the callbacks that report {@code status}. */
  private static Set<String> sources(List<Received> callbacks, int status) {
    return callbacks.stream().filter(r -> TestServer.JSON.readTree(r.body()).get("status").asInt() == status)
        .map(r -> field(r, "sourceMessageId")).collect(Collectors.toSet());
  }

  private static String field(Received r, String name) {
    JsonNode v = TestServer.JSON.readTree(r.body()).get(name);
    return v == null ? null : v.asString();
  }

  private String dlqId(String messageId) throws IOException, InterruptedException {
    JsonNode m = TestServer.JSON.readTree(send("GET", "/v2/dlq?messageId=" + messageId, "").body()).get("messages");
    return m.isEmpty() ? null : m.get(0).get("dlqId").asString();
  }

  private HttpResponse<String> send(String method, String path, String body, String... headers)
      throws IOException, InterruptedException {
    return herald.call(method, path, body, headers);
  }
}
