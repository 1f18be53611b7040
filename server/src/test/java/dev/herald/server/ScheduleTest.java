package dev.herald.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.herald.server.TestSink.Received;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.JsonNode;

/**
 * Schedules (spec 6) against a server whose every part reads a {@link TestClock}. The test moves the clock
 * and runs the schedule pass itself; the server's own schedule loop may fire the same slot first, which is
 * fine because firing is a compare-and-set: each test checks exactly one message per slot.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ScheduleTest {
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final Instant START = Instant.parse("2030-01-07T10:00:30Z");
  private final TestClock clock = new TestClock(START);
  private final TestSink sink = TestSink.start();
  private final TestServer herald = TestServer.start(Map.of(), clock);

  @AfterEach
  void stop() {
    herald.close();
    sink.close();
  }

  @Test
  void a_due_slot_fires_once_and_the_delivery_carries_the_schedule_id_body_and_headers() {
    String id = create("/tick", "tick body", "Upstash-Cron", "* * * * *", "Content-Type", "text/plain",
        "Upstash-Forward-X-A", "b");

    moveTo("2030-01-07T10:01:00Z");
    Received got = sink.awaitRequests("/tick", 1, WAIT).get(0);
    assertThat(got.header("Upstash-Schedule-Id")).isEqualTo(id);
    assertThat(new String(got.body())).isEqualTo("tick body");
    assertThat(got.header("Content-Type")).isEqualTo("text/plain");
    assertThat(got.header("X-A")).isEqualTo("b");
    assertThat(herald.app().schedules().runOnce()).isZero();
    assertThat(messagesCreatedBy(id)).isEqualTo(1);
    JsonNode s = schedule(id);
    assertThat(s.get("lastScheduleTime").asLong()).isEqualTo(at("2030-01-07T10:01:00Z"));
    assertThat(s.get("nextScheduleTime").asLong()).isEqualTo(at("2030-01-07T10:02:00Z"));
    assertThat(s.get("lastScheduleStates").propertyNames()).containsExactly(got.header("Upstash-Message-Id"));
  }

  @Test
  void the_last_states_follow_the_messages_of_the_last_trigger_to_success_or_fail() { // spec 6.2
    sink.on("/bad", n -> TestSink.Reply.of(500));
    String ok = create("/good", "", "Upstash-Cron", "* * * * *");
    String bad = create("/bad", "", "Upstash-Cron", "* * * * *", "Upstash-Retries", "0");
    String held = create("/held", "", "Upstash-Cron", "* * * * *", "Upstash-Delay", "1h");

    moveTo("2030-01-07T10:01:00Z");
    String okId = sink.awaitRequests("/good", 1, WAIT).get(0).header("Upstash-Message-Id");
    String badId = sink.awaitRequests("/bad", 1, WAIT).get(0).header("Upstash-Message-Id");
    await().atMost(WAIT).until(() -> schedule(ok).get("lastScheduleStates").path(okId).toString().equals("\"SUCCESS\""));
    await().atMost(WAIT).until(() -> schedule(bad).get("lastScheduleStates").path(badId).toString().equals("\"FAIL\""));
    JsonNode pending = schedule(held).get("lastScheduleStates");
    assertThat(pending.propertyNames()).hasSize(1);
    String heldId = pending.propertyNames().iterator().next();
    assertThat(pending.get(heldId).asString()).isEqualTo("IN_PROGRESS");

    assertThat(herald.delete("/v2/messages/" + heldId).statusCode()).isEqualTo(200);
    assertThat(schedule(held).get("lastScheduleStates").get(heldId).asString()).isEqualTo("FAIL");
  }

  @Test
  void a_paused_schedule_does_not_fire_and_resumes_without_catching_up() {
    String id = create("/paused", "p", "Upstash-Cron", "* * * * *");
    assertThat(herald.call("PATCH", "/v2/schedules/" + id + "/pause", "").statusCode()).isEqualTo(200);
    assertThat(schedule(id).get("isPaused").asBoolean()).isTrue();

    moveTo("2030-01-07T10:03:30Z");
    assertThat(messagesCreatedBy(id)).isZero();
    assertThat(schedule(id).get("nextScheduleTime").asLong()).as("paused: the slot a resume now would take, not a past one")
        .isEqualTo(at("2030-01-07T10:04:00Z"));
    assertThat(herald.post("/v2/schedules/" + id + "/resume", "").statusCode()).isEqualTo(200);
    JsonNode s = schedule(id);
    assertThat(s.get("isPaused").asBoolean()).isFalse();
    assertThat(s.get("nextScheduleTime").asLong()).isEqualTo(at("2030-01-07T10:04:00Z"));
    assertThat(herald.app().schedules().runOnce()).isZero();
    assertThat(messagesCreatedBy(id)).isZero();

    moveTo("2030-01-07T10:04:00Z");
    sink.awaitRequests("/paused", 1, WAIT);
    assertThat(messagesCreatedBy(id)).isEqualTo(1);
  }

  @Test
  void overwriting_with_the_same_schedule_id_replaces_the_configuration_but_keeps_created_at() {
    create("/v1", "first body", "Upstash-Cron", "* * * * *", "Upstash-Schedule-Id", "mine");
    long createdAt = schedule("mine").get("createdAt").asLong();
    clock.advance(Duration.ofMinutes(10));

    create("/v2", "", "Upstash-Cron", "0 * * * *", "Upstash-Schedule-Id", "mine");
    JsonNode s = schedule("mine");
    assertThat(s.get("createdAt").asLong()).isEqualTo(createdAt);
    assertThat(s.get("cron").asString()).isEqualTo("0 * * * *");
    assertThat(s.get("destination").asString()).isEqualTo(sink.url("/v2"));
    assertThat(s.has("body")).isFalse();
    assertThat(TestServer.json(herald.get("/v2/schedules"))).hasSize(1);
  }

  @Test
  void slots_missed_during_a_long_clock_jump_coalesce_into_one_run() {
    String id = create("/jump", "j", "Upstash-Cron", "* * * * *");

    moveTo("2030-01-07T11:00:30Z");
    sink.awaitRequests("/jump", 1, WAIT);
    assertThat(herald.app().schedules().runOnce()).isZero();
    assertThat(messagesCreatedBy(id)).isEqualTo(1);
    assertThat(schedule(id).get("nextScheduleTime").asLong()).isEqualTo(at("2030-01-07T11:01:00Z"));
  }

  @Test
  void a_cron_tz_schedule_next_time_is_computed_in_its_zone() {
    String winter = create("/tz", "", "Upstash-Cron", "CRON_TZ=America/New_York 0 9 * * *");
    assertThat(schedule(winter).get("nextScheduleTime").asLong()).isEqualTo(at("2030-01-07T14:00:00Z"));
    clock.set(Instant.parse("2030-07-01T00:00:00Z"));
    String summer = create("/tz", "", "Upstash-Cron", "CRON_TZ=America/New_York 0 9 * * *");
    assertThat(schedule(summer).get("nextScheduleTime").asLong()).isEqualTo(at("2030-07-01T13:00:00Z"));
  }

  @Test
  void an_invalid_cron_is_refused() {
    for (String cron : new String[] {"not a cron", "61 * * * *", "* * * *"}) {
      HttpResponse<String> r = herald.post("/v2/schedules/" + sink.url("/x"), "", "Upstash-Cron", cron);
      assertThat(r.statusCode()).as(cron + ": " + r.body()).isEqualTo(400);
    }
    assertThat(herald.post("/v2/schedules/" + sink.url("/x"), "").statusCode()).isEqualTo(400);
    assertThat(TestServer.json(herald.get("/v2/schedules"))).isEmpty();
  }

  @Test
  void a_schedule_reads_back_with_the_fields_of_the_spec() {
    String id = create("/fields", "{\"a\":1}", "Upstash-Cron", "*/10 * * * * ", "Content-Type", "application/json",
        "Upstash-Forward-Test-Header", "t", "Upstash-Retries", "2", "X-Not-Forwarded", "no");

    JsonNode s = schedule(id);
    assertThat(s.get("scheduleId").asString()).isEqualTo(id);
    assertThat(s.get("cron").asString()).isEqualTo("*/10 * * * *");
    assertThat(s.get("destination").asString()).isEqualTo(sink.url("/fields"));
    assertThat(s.get("method").asString()).isEqualTo("POST");
    assertThat(s.get("header").propertyNames()).containsExactlyInAnyOrder("Content-Type", "Test-Header");
    assertThat(s.get("body").asString()).isEqualTo("{\"a\":1}");
    assertThat(s.get("retries").asInt()).isEqualTo(2);
    assertThat(s.get("isPaused").asBoolean()).isFalse();
    assertThat(s.get("createdAt").asLong()).isEqualTo(START.toEpochMilli());
    assertThat(s.get("callerIP").asString()).isEqualTo("127.0.0.1");
    assertThat(s.get("nextScheduleTime").asLong()).isEqualTo(at("2030-01-07T10:10:00Z"));
    assertThat(s.has("lastScheduleTime")).isFalse();

    moveTo("2030-01-07T10:10:00Z");
    sink.awaitRequests("/fields", 1, WAIT);
    assertThat(schedule(id).get("lastScheduleTime").asLong()).isEqualTo(at("2030-01-07T10:10:00Z"));
  }

  @Test
  void upstash_cron_on_publish_creates_a_schedule() {
    HttpResponse<String> r = herald.publish(sink.url("/via-publish"), "p", "Upstash-Cron", "0 0 * * *");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    String id = TestServer.json(r).get("scheduleId").asString();

    JsonNode s = schedule(id);
    assertThat(s.get("destination").asString()).isEqualTo(sink.url("/via-publish"));
    assertThat(s.get("cron").asString()).isEqualTo("0 0 * * *");
    assertThat(herald.delete("/v2/schedules/" + id).statusCode()).isEqualTo(200);
    assertThat(herald.get("/v2/schedules/" + id).statusCode()).isEqualTo(404);
  }

  @Test
  void a_schedule_to_a_url_group_takes_the_groups_default_headers_as_they_are_at_each_firing() { // spec 7.5
    herald.post("/v2/topics/sg/endpoints", "{\"endpoints\":[{\"url\":\"" + sink.url("/sg") + "\"}]}");
    herald.call("PATCH", "/v2/topics/sg", "{\"headers\":{\"Upstash-Forward-X-V\":\"one\"}}");
    HttpResponse<String> r = herald.post("/v2/schedules/sg", "", "Upstash-Cron", "* * * * *");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);

    moveTo("2030-01-07T10:01:00Z");
    assertThat(sink.awaitRequests("/sg", 1, WAIT).get(0).header("X-V")).isEqualTo("one");
    herald.call("PATCH", "/v2/topics/sg", "{\"headers\":{\"Upstash-Forward-X-V\":\"two\"}}");
    moveTo("2030-01-07T10:02:00Z");
    assertThat(sink.awaitRequests("/sg", 2, WAIT).get(1).header("X-V")).isEqualTo("two");
  }

  private String create(String path, String body, String... headers) {
    HttpResponse<String> r = herald.post("/v2/schedules/" + sink.url(path), body, headers);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return TestServer.json(r).get("scheduleId").asString();
  }

  /** Moves the clock and runs the schedule pass (the server's loop may have run it first). */
  private void moveTo(String instant) {
    clock.set(Instant.parse(instant));
    herald.app().schedules().runOnce();
  }

  private JsonNode schedule(String id) {
    HttpResponse<String> r = herald.get("/v2/schedules/" + id);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return TestServer.json(r);
  }

  private int messagesCreatedBy(String scheduleId) {
    return TestServer.json(herald.get("/v2/events?state=CREATED&scheduleId=" + scheduleId)).get("events").size();
  }

  private static long at(String instant) {
    return Instant.parse(instant).toEpochMilli();
  }
}
