package dev.herald.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a client sees when SIGTERM reaches a real Herald process (R3): a request Herald had begun to read
 * is served to the end, one that arrives during the stop (also on a kept-alive connection) gets a 503
 * with the QStash error body, {@code Retry-After} and {@code Connection: close}, never a silent reset,
 * and every message acknowledged with a 200 is delivered after the restart. A delivery held in flight
 * keeps the stop going while the test talks to the stopping process; nothing here is timed.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class GracefulStopTest {
  private static final String AUTHORIZED = "Authorization: Bearer " + Main.DEV_TOKEN + "\r\n";

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
  void a_publish_whose_body_is_still_arriving_at_sigterm_gets_a_503_once_it_is_in_and_nothing_is_stored() throws Exception {
    herald = HeraldProcess.start(data);
    sink.hold("/held"); // in flight at the signal: the stop waits for it
    try (Socket s = connect()) {
      assertThat(publish(s, "/held", "keeps the stop going").status()).isEqualTo(200);
    }
    sink.awaitRequests("/held", 1, Duration.ofSeconds(20));
    byte[] body = "first half|second half".getBytes(StandardCharsets.US_ASCII);
    try (Socket s = connect()) {
      s.getOutputStream().write((publishHead("/late-body", body.length)).getBytes(StandardCharsets.US_ASCII));
      s.getOutputStream().write(body, 0, 11);
      s.getOutputStream().flush();
      herald.terminate();
      awaitStopping();

      s.getOutputStream().write(body, 11, body.length - 11);
      s.getOutputStream().flush();
      Answer a = Answer.read(s.getInputStream());

      assertRefusedForTheStop(a);
    }
    sink.release("/held");
    assertThat(herald.awaitExit(Duration.ofSeconds(30))).isZero();
    herald = herald.restart();
    awaitWitness();
    assertThat(sink.requests("/late-body")).as("a refused publish is not stored").isEmpty();
    assertThat(sink.requests("/held")).as("the held attempt finished during the stop, once").hasSize(1);
  }

  @Test
  void a_request_on_a_kept_alive_connection_during_the_stop_gets_a_503_and_the_connection_is_closed() throws Exception {
    herald = HeraldProcess.start(data);
    sink.hold("/held"); // in flight at the signal: the stop waits for it
    try (Socket s = connect()) {
      Answer first = publish(s, "/held", "before");
      assertThat(first.status()).as(first.toString()).isEqualTo(200);
      assertThat(first.header("Connection")).isNotEqualToIgnoringCase("close");
      sink.awaitRequests("/held", 1, Duration.ofSeconds(20));
      herald.terminate();
      awaitStopping();

      Answer during = publish(s, "/during", "refused");

      assertRefusedForTheStop(during);
      assertThat(s.getInputStream().read()).as("the connection ends after the 503").isEqualTo(-1);
    }
    sink.release("/held");
    assertThat(herald.awaitExit(Duration.ofSeconds(30))).isZero();
    herald = herald.restart();
    awaitWitness();
    assertThat(sink.requests("/held")).as("the held attempt finished during the stop, once").hasSize(1);
    assertThat(sink.requests("/during")).as("a refused publish is not stored").isEmpty();
  }

  @Test
  void publishes_racing_a_sigterm_get_a_200_or_a_503_and_every_200_is_delivered_after_the_restart() throws Exception {
    herald = HeraldProcess.start(data);
    sink.hold("/held");
    try (Socket s = connect()) {
      assertThat(publish(s, "/held", "keeps the stop going").status()).isEqualTo(200);
    }
    sink.awaitRequests("/held", 1, Duration.ofSeconds(20));
    Map<String, String> acked = new ConcurrentHashMap<>();
    List<String> problems = new CopyOnWriteArrayList<>();
    List<Answer> last = new CopyOnWriteArrayList<>();
    List<Thread> publishers = new ArrayList<>();
    for (int t = 0; t < 4; t++) {
      int thread = t;
      publishers.add(Thread.ofPlatform().name("publisher-" + t).start(() -> publishUntilTheStop(thread, acked, last, problems)));
    }
    await().atMost(Duration.ofSeconds(60)).until(() -> acked.size() >= 200);
    herald.terminate();
    for (Thread p : publishers) assertThat(p.join(Duration.ofSeconds(60))).as("publisher ended").isTrue();
    sink.release("/held");
    assertThat(herald.awaitExit(Duration.ofSeconds(30))).isZero();

    assertThat(problems).as("connections reset or answers other than 200/503").isEmpty();
    assertThat(last).hasSize(4).allSatisfy(a -> assertThat(a.header("Connection")).isEqualToIgnoringCase("close"));
    for (Answer a : last) if (a.status() != 200) assertRefusedForTheStop(a);
    herald = herald.restart();
    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).until(() -> sink.requests("/burst").stream()
        .map(r -> r.header("Upstash-Message-Id")).collect(Collectors.toSet()).containsAll(acked.keySet()));
    Map<String, String> bodies = sink.requests("/burst").stream().collect(Collectors.toMap(
        r -> r.header("Upstash-Message-Id"), r -> new String(r.body(), StandardCharsets.US_ASCII), (x, y) -> x));
    acked.forEach((id, body) -> assertThat(bodies.get(id)).as("body of %s", id).isEqualTo(body));
  }

  /** Publishes on one kept-alive connection until an answer says the connection ends (the stop). */
  private void publishUntilTheStop(int thread, Map<String, String> acked, List<Answer> last, List<String> problems) {
    try (Socket s = connect()) {
      for (int i = 0; ; i++) {
        String body = "burst-" + thread + "-" + i;
        Answer a = publish(s, "/burst", body);
        if (a.status() == 200) acked.put(TestServer.JSON.readTree(a.body()).get("messageId").asString(), body);
        else if (a.status() != 503) problems.add(a.toString());
        if ("close".equalsIgnoreCase(a.header("Connection"))) {
          last.add(a);
          return;
        }
      }
    } catch (IOException e) {
      problems.add("publisher " + thread + ": " + e);
    }
  }

  private static void assertRefusedForTheStop(Answer a) {
    assertThat(a.status()).as(a.toString()).isEqualTo(503);
    assertThat(a.header("Connection")).isEqualToIgnoringCase("close");
    assertThat(a.header("Retry-After")).isNotBlank();
    assertThat(a.header("Content-Type")).startsWith("application/json");
    assertThat(TestServer.JSON.readTree(a.body()).get("error").asString()).contains("stopping");
  }

  /** Publishes a message to the sink and waits for it: a dispatcher pass has run since the restart. */
  private void awaitWitness() throws IOException {
    try (Socket s = connect()) {
      assertThat(publish(s, "/witness", "w").status()).isEqualTo(200);
    }
    sink.awaitRequests("/witness", 1, Duration.ofSeconds(60));
  }

  /** Waits until a new request is refused: Herald has begun its stop. */
  private void awaitStopping() {
    await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(20)).until(() -> {
      try (Socket s = connect()) {
        s.getOutputStream().write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        return Answer.read(s.getInputStream()).status() == 503;
      }
    });
  }

  private Answer publish(Socket s, String path, String body) throws IOException {
    byte[] b = body.getBytes(StandardCharsets.US_ASCII);
    s.getOutputStream().write(publishHead(path, b.length).getBytes(StandardCharsets.US_ASCII));
    s.getOutputStream().write(b);
    s.getOutputStream().flush();
    return Answer.read(s.getInputStream());
  }

  private String publishHead(String path, int length) {
    return "POST /v2/publish/" + sink.url(path) + " HTTP/1.1\r\nHost: x\r\n" + AUTHORIZED + "Content-Length: " + length
        + "\r\n\r\n";
  }

  private Socket connect() throws IOException {
    Socket s = new Socket(InetAddress.getLoopbackAddress(), herald.port());
    s.setSoTimeout(30_000);
    return s;
  }

  /** One HTTP/1.1 answer with a Content-Length body, read off a raw socket. */
  record Answer(int status, Map<String, String> headers, String body) {
    String header(String name) {
      return headers.get(name.toLowerCase(Locale.ROOT));
    }

    static Answer read(InputStream in) throws IOException {
      ByteArrayOutputStream head = new ByteArrayOutputStream();
      int matched = 0;
      while (matched < 4) {
        int b = in.read();
        if (b < 0) throw new IOException("connection closed after " + head.size() + " bytes of an answer");
        head.write(b);
        matched = b == "\r\n\r\n".charAt(matched) ? matched + 1 : (b == '\r' ? 1 : 0);
      }
      String[] lines = head.toString(StandardCharsets.US_ASCII).split("\r\n");
      Map<String, String> headers = new java.util.HashMap<>();
      for (int i = 1; i < lines.length; i++) {
        int colon = lines[i].indexOf(':');
        if (colon > 0) headers.put(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).trim());
      }
      int length = Integer.parseInt(headers.getOrDefault("content-length", "0"));
      byte[] body = in.readNBytes(length);
      if (body.length < length) throw new IOException("connection closed in the middle of an answer's body");
      return new Answer(Integer.parseInt(lines[0].substring(9, 12)), Map.copyOf(headers),
          new String(body, StandardCharsets.UTF_8));
    }
  }
}
