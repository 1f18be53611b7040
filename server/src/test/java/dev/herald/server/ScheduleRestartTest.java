package dev.herald.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * R21, cron across restarts and a crash (single node; one firing per slot across three nodes is
 * {@code ClusterSharedLimitsTest.a_cron_slot_fires_once_across_three_nodes}). With a {@link TestClock}, slots
 * that pass while Herald is stopped fire once, together, when it starts; a paused schedule stays paused across
 * a restart and does not catch up when resumed. The SIGKILL case runs in real time, since a child process
 * cannot share the test's clock: it waits up to a minute for a slot and a minute more while Herald is down, so
 * it is in the long tier ({@code -Dherald.battery=long}, {@code scripts/battery-long.sh}).
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class ScheduleRestartTest {
  private static final Duration WAIT = Duration.ofSeconds(60);
  private final TestSink sink = TestSink.start();
  private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();
  private TestServer herald;
  private HeraldProcess process;

  @TempDir
  Path data;

  @AfterEach
  void stop() {
    if (herald != null) herald.close();
    if (process != null) process.close();
    sink.close();
  }

  @Test
  void slots_missed_while_stopped_fire_once_at_start_and_a_pause_survives_a_restart() {
    TestClock clock = new TestClock(Instant.parse("2030-01-07T10:00:30Z"));
    herald = TestServer.start(Map.of(), clock);
    String id = create("/cron");

    clock.set(Instant.parse("2030-01-07T10:01:00Z"));
    sink.awaitRequests("/cron", 1, WAIT);

    herald.restart(() -> clock.set(Instant.parse("2030-01-07T10:03:30Z"))); // 10:02 and 10:03 pass while stopped
    sink.awaitRequests("/cron", 2, WAIT);
    herald.awaitWitness(sink, WAIT);
    assertThat(herald.app().schedules().runOnce()).isZero();
    assertThat(messagesCreatedBy(id)).as("one catch-up run for two missed slots").isEqualTo(2);
    assertThat(schedule(id).get("nextScheduleTime").asLong()).isEqualTo(at("2030-01-07T10:04:00Z"));

    assertThat(herald.call("PATCH", "/v2/schedules/" + id + "/pause", "").statusCode()).isEqualTo(200);
    herald.restart(() -> clock.set(Instant.parse("2030-01-07T10:05:30Z")));
    herald.awaitWitness(sink, WAIT);
    assertThat(schedule(id).get("isPaused").asBoolean()).as("paused after the restart").isTrue();
    assertThat(herald.app().schedules().runOnce()).isZero();
    assertThat(messagesCreatedBy(id)).isEqualTo(2);

    assertThat(herald.post("/v2/schedules/" + id + "/resume", "").statusCode()).isEqualTo(200);
    assertThat(herald.app().schedules().runOnce()).as("no catch-up after a resume").isZero();
    clock.set(Instant.parse("2030-01-07T10:06:00Z"));
    sink.awaitRequests("/cron", 3, WAIT);
    herald.awaitWitness(sink, WAIT);
    assertThat(messagesCreatedBy(id)).isEqualTo(3);
    assertThat(sink.requests("/cron")).hasSize(3);
  }

  @Test
  @EnabledIfSystemProperty(named = "herald.battery", matches = "long")
  void a_sigkill_after_a_slot_fired_never_fires_it_again_and_a_slot_missed_while_down_fires_once() throws Exception {
    process = HeraldProcess.start(data);
    HttpResponse<String> created = send("POST", "/v2/schedules/" + sink.url("/real"), "Upstash-Cron", "* * * * *");
    assertThat(created.statusCode()).as(created.body()).isEqualTo(200);
    String id = TestServer.JSON.readTree(created.body()).get("scheduleId").asString();

    sink.awaitRequests("/real", 1, Duration.ofSeconds(90));
    process.kill(); // right after the slot fired
    Instant missed = Instant.now().truncatedTo(ChronoUnit.MINUTES).plus(Duration.ofMinutes(1));
    await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200))
        .until(() -> Instant.now().isAfter(missed.plusSeconds(2))); // down across the next slot
    process = process.restart();

    await().atMost(WAIT).pollInterval(Duration.ofMillis(50))
        .until(() -> sink.requests("/real").stream().map(r -> r.header("Upstash-Message-Id")).distinct().count() >= 2);
    String witness = "/witness";
    assertThat(send("POST", "/v2/publish/" + sink.url(witness)).statusCode()).isEqualTo(200);
    sink.awaitRequests(witness, 1, WAIT);
    long fired = TestServer.JSON.readTree(send("GET", "/v2/events?state=CREATED&scheduleId=" + id).body()).get("events").size();
    if (Instant.now().isBefore(missed.plusSeconds(60))) { // the slot after the missed one has not come yet
      assertThat(fired).as("the fired slot once, the missed one once").isEqualTo(2);
      // the first slot's delivery may be repeated (its outcome may not have been written at the kill), but not re-fired
      assertThat(sink.requests("/real").stream().map(r -> r.header("Upstash-Message-Id")).distinct()).hasSize(2);
    }
    assertThat(sink.requests("/real")).extracting(r -> r.header("Upstash-Schedule-Id")).containsOnly(id);
  }

  private String create(String path) {
    HttpResponse<String> r = herald.post("/v2/schedules/" + sink.url(path), "tick", "Upstash-Cron", "* * * * *");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return TestServer.json(r).get("scheduleId").asString();
  }

  private JsonNode schedule(String id) {
    return TestServer.json(herald.get("/v2/schedules/" + id));
  }

  private int messagesCreatedBy(String scheduleId) {
    return TestServer.json(herald.get("/v2/events?state=CREATED&scheduleId=" + scheduleId)).get("events").size();
  }

  private static long at(String instant) {
    return Instant.parse(instant).toEpochMilli();
  }

  private HttpResponse<String> send(String method, String path, String... headers) throws IOException, InterruptedException {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(process.base() + path)).timeout(Duration.ofSeconds(20))
        .header("Authorization", "Bearer " + Main.DEV_TOKEN)
        .method(method, method.equals("GET") ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString("tick"));
    for (int i = 0; i < headers.length; i += 2) b.header(headers[i], headers[i + 1]);
    return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }
}
