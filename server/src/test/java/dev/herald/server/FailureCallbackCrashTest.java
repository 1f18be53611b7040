package dev.herald.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.herald.server.TestSink.Received;
import dev.herald.server.TestSink.Reply;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * A message with no retries and a failure callback, its destination always failing, and Herald killed
 * with SIGKILL before or after the failure was recorded. Either way, after a restart the message has
 * exactly one DLQ entry and the failure callback carrying that entry's id is delivered at least once.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class FailureCallbackCrashTest {
  private static final Duration WAIT = Duration.ofSeconds(60);

  @TempDir
  Path data;

  private final TestSink sink = TestSink.start();
  private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();
  private HeraldProcess herald;

  @AfterEach
  void stop() {
    if (herald != null) herald.close();
    sink.close();
  }

  @Test
  void a_kill_while_the_failing_attempt_is_unanswered_still_ends_in_one_dlq_entry_and_a_failure_callback() throws Exception {
    herald = HeraldProcess.start(data);
    sink.on("/boom", n -> Reply.of(500)).hold("/boom");
    String id = publishDoomed();
    sink.awaitRequests("/boom", 1, WAIT);

    herald.kill(); // the attempt has no answer yet: nothing about it was recorded
    sink.release("/boom");
    herald = herald.restart();

    assertOneDlqEntryAndItsFailureCallback(id);
    assertThat(sink.requests("/boom")).extracting(r -> r.header("Upstash-Retried")).containsOnly("0");
  }

  @Test
  void a_kill_after_the_failure_callback_was_created_neither_repeats_the_failure_nor_loses_the_callback() throws Exception {
    herald = HeraldProcess.start(data);
    sink.on("/boom", n -> Reply.of(500)).hold("/fcb");
    String id = publishDoomed();
    sink.awaitRequests("/fcb", 1, WAIT); // the failure, its DLQ entry and the callback message are committed

    herald.kill();
    sink.release("/fcb");
    herald = herald.restart();

    assertOneDlqEntryAndItsFailureCallback(id);
    assertThat(sink.requests("/boom")).as("the recorded failure is not attempted again").hasSize(1);
  }

  private String publishDoomed() throws IOException, InterruptedException {
    HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(herald.base() + "/v2/publish/" + sink.url("/boom")))
        .header("Upstash-Retries", "0").header("Upstash-Failure-Callback", sink.url("/fcb"))
        .header("Upstash-Failure-Callback-Retry-Delay", "50")
        .POST(HttpRequest.BodyPublishers.ofString("doomed")));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return TestServer.JSON.readTree(r.body()).get("messageId").asString();
  }

  private void assertOneDlqEntryAndItsFailureCallback(String id) throws Exception {
    List<Received> callbacks = sink.awaitRequests("/fcb", 1, WAIT);
    await().atMost(WAIT).pollInterval(Duration.ofMillis(100)).until(() -> get("/v2/messages/" + id).statusCode() == 404);
    await().atMost(WAIT).pollInterval(Duration.ofMillis(100)).until(() -> dlq(id).size() == 1);
    String dlqId = dlq(id).get(0).get("dlqId").asString();
    for (Received cb : sink.requests("/fcb")) {
      assertThat(TestServer.JSON.readTree(cb.body()).get("dlqId").asString()).isEqualTo(dlqId);
    }
    String callbackId = callbacks.get(0).header("Upstash-Message-Id");
    assertThat(sink.requests("/fcb")).extracting(r -> r.header("Upstash-Message-Id")).containsOnly(callbackId);
    await().atMost(WAIT).pollInterval(Duration.ofMillis(100)).until(() -> get("/v2/messages/" + callbackId).statusCode() == 404);
    assertThat(dlq(id)).hasSize(1);
    assertThat(TestServer.JSON.readTree(get("/v2/dlq").body()).get("messages")).as("nothing else failed").hasSize(1);
  }

  private List<JsonNode> dlq(String messageId) throws IOException, InterruptedException {
    JsonNode page = TestServer.JSON.readTree(get("/v2/dlq?messageId=" + messageId).body());
    List<JsonNode> out = new java.util.ArrayList<>();
    page.get("messages").forEach(out::add);
    return out;
  }

  private HttpResponse<String> get(String path) throws IOException, InterruptedException {
    return send(HttpRequest.newBuilder(URI.create(herald.base() + path)).GET());
  }

  private HttpResponse<String> send(HttpRequest.Builder b) throws IOException, InterruptedException {
    return client.send(b.timeout(Duration.ofSeconds(20)).header("Authorization", "Bearer " + Main.DEV_TOKEN).build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
