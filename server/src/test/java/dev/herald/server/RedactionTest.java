package dev.herald.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.herald.server.TestSink.Received;
import dev.herald.server.TestSink.Reply;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.LoggerFactory;

/**
 * Upstash-Redact-Fields (spec 2.6): the destination gets the real values, while nothing Herald shows
 * through its API or writes to its own log output contains them.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RedactionTest {
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final String HEADER_SECRET = "s3cret-value";
  private static final String BODY_SECRET = "card-4111-1111-body-secret";
  private static final String[] REDACTED = {"Upstash-Redact-Fields", "body, header[Authorization]",
      "Upstash-Forward-Authorization", "Bearer " + HEADER_SECRET};

  private final PrintStream out = System.out;
  private final PrintStream err = System.err;
  private final ByteArrayOutputStream console = new ByteArrayOutputStream();
  private final ListAppender<ILoggingEvent> logged = new ListAppender<>();
  private final Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
  private final TestSink sink;
  private final TestServer herald;

  RedactionTest() {
    logged.start();
    root.addAppender(logged);
    System.setOut(new PrintStream(tee(out), true, StandardCharsets.UTF_8));
    System.setErr(new PrintStream(tee(err), true, StandardCharsets.UTF_8));
    sink = TestSink.start();
    herald = TestServer.start();
  }

  @AfterEach
  void stop() {
    try {
      herald.close();
      sink.close();
    } finally {
      System.setOut(out);
      System.setErr(err);
      root.detachAppender(logged);
    }
  }

  @Test
  void the_destination_gets_the_real_values_but_a_pending_message_shows_neither_secret() {
    String id = TestServer.idOf(herald.publish(sink.url("/later"), body(), with("Upstash-Delay", "1h")));

    String shown = herald.get("/v2/messages/" + id).body();
    assertThat(shown).contains("REDACTED").doesNotContain(HEADER_SECRET).doesNotContain(BODY_SECRET);
    assertNoSecretInHeraldOutput();
  }

  @Test
  void a_failed_message_shows_neither_secret_in_logs_or_the_dlq_and_its_retry_gets_the_real_values() {
    sink.on("/down", n -> Reply.of(500).withBody("nope"));
    String id = TestServer.idOf(herald.publish(sink.url("/down"), body(), with("Upstash-Retries", "1",
        "Upstash-Retry-Delay", "50")));

    Received got = sink.awaitRequests("/down", 1, WAIT).get(0);
    assertThat(got.header("Authorization")).isEqualTo("Bearer " + HEADER_SECRET);
    assertThat(new String(got.body(), StandardCharsets.UTF_8)).isEqualTo(body());
    await().atMost(WAIT).pollInterval(Duration.ofMillis(50))
        .until(() -> !herald.get("/v2/dlq?messageId=" + id).body().contains("\"messages\":[]"));
    for (String path : new String[] {"/v2/dlq", "/v2/logs", "/v2/events", "/v2/logs?messageId=" + id}) {
      assertThat(herald.get(path).body()).as(path).doesNotContain(HEADER_SECRET).doesNotContain(BODY_SECRET);
    }
    String dlqId = TestServer.json(herald.get("/v2/dlq?messageId=" + id)).get("messages").get(0).get("dlqId").asString();
    assertThat(herald.get("/v2/dlq/" + dlqId).body()).doesNotContain(HEADER_SECRET).doesNotContain(BODY_SECRET);

    sink.on("/down", n -> Reply.of(200));
    herald.post("/v2/dlq/retry/" + dlqId, "");
    Received retried = sink.awaitRequests("/down", 3, WAIT).get(2);
    assertThat(retried.header("Authorization")).isEqualTo("Bearer " + HEADER_SECRET);
    assertThat(new String(retried.body(), StandardCharsets.UTF_8)).isEqualTo(body());
    assertNoSecretInHeraldOutput();
  }

  @Test
  void the_callbacks_of_a_redacted_message_show_neither_secret_when_they_are_stored() {
    sink.on("/cb-down", n -> Reply.of(500));
    sink.on("/fcb-down", n -> Reply.of(500));
    sink.on("/src-down", n -> Reply.of(500));
    String id = TestServer.idOf(herald.publish(sink.url("/src-down"), body(), with("Upstash-Retries", "0",
        "Upstash-Callback", sink.url("/cb-down"), "Upstash-Callback-Retries", "0",
        "Upstash-Failure-Callback", sink.url("/fcb-down"), "Upstash-Failure-Callback-Retries", "0")));

    Received cb = sink.awaitRequests("/cb-down", 1, WAIT).get(0);
    assertThat(new String(cb.body(), StandardCharsets.UTF_8)).as("the callback receiver gets the real values")
        .contains(HEADER_SECRET);
    await().atMost(WAIT).pollInterval(Duration.ofMillis(50))
        .until(() -> TestServer.json(herald.get("/v2/dlq")).get("messages").size() == 3); // source and both callbacks
    assertThat(herald.get("/v2/dlq").body()).doesNotContain(HEADER_SECRET).doesNotContain(BODY_SECRET);
    assertThat(herald.get("/v2/dlq?messageId=" + id).body()).doesNotContain(HEADER_SECRET);
    assertNoSecretInHeraldOutput();
  }

  private void assertNoSecretInHeraldOutput() {
    String text = console.toString(StandardCharsets.UTF_8);
    assertThat(text).doesNotContain(HEADER_SECRET).doesNotContain(BODY_SECRET);
    for (ILoggingEvent e : logged.list) {
      String line = e.getFormattedMessage() + (e.getThrowableProxy() == null ? "" : e.getThrowableProxy().getMessage());
      assertThat(line).doesNotContain(HEADER_SECRET).doesNotContain(BODY_SECRET);
    }
  }

  private static String body() {
    return "{\"card\":\"" + BODY_SECRET + "\"}";
  }

  private static String[] with(String... more) {
    String[] all = new String[REDACTED.length + more.length];
    System.arraycopy(REDACTED, 0, all, 0, REDACTED.length);
    System.arraycopy(more, 0, all, REDACTED.length, more.length);
    return all;
  }

  /** Writes to the original stream and keeps a copy for the assertions. */
  private OutputStream tee(PrintStream original) {
    return new OutputStream() {
      @Override
      public void write(int b) {
        original.write(b);
        synchronized (console) {
          console.write(b);
        }
      }

      @Override
      public void write(byte[] b, int off, int len) {
        original.write(b, off, len);
        synchronized (console) {
          console.write(b, off, len);
        }
      }
    };
  }
}
