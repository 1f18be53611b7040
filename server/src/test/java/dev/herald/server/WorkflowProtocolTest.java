package dev.herald.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.herald.server.TestSink.Reply;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.JsonNode;

/**
 * The server side of the Upstash Workflow protocol (spec 13), driven over the wire the way the workflow
 * SDK drives it: the test plays the SDK (it publishes triggers and steps with the Upstash-Workflow-*
 * headers and reads what the sink, standing for the workflow endpoint, receives). compat/test/workflow
 * runs the real SDK against the same server.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class WorkflowProtocolTest {
  private static final Duration WAIT = Duration.ofSeconds(60);
  private final TestClock clock = new TestClock(Instant.now());
  private final TestSink sink = TestSink.start();
  private final TestServer herald = TestServer.start(store(), clock);

  /** Settings that choose the store: SQLite in the server's temp directory here, PostgreSQL in a subclass. */
  Map<String, String> store() {
    return Map.of();
  }

  void dropStore() {}

  @AfterEach
  void stop() {
    try {
      herald.close();
      sink.close();
    } finally {
      dropStore();
    }
  }

  @Test
  void a_trigger_creates_its_run_and_is_delivered_with_the_workflow_headers_and_an_empty_body() {
    JsonNode answer = trigger("wfr_a", "/wf", "{\"n\":1}");
    assertThat(answer.get(0).has("deduplicated")).isFalse();

    TestSink.Received r = sink.awaitRequests("/wf", 1, WAIT).get(0);
    assertThat(r.body()).as("LazyFetch: the SDK fetches the steps").isEmpty();
    assertThat(r.header("Upstash-Workflow-RunId")).isEqualTo("wfr_a");
    assertThat(r.header("Upstash-Workflow-Init")).isEqualTo("true");
    assertThat(r.header("Upstash-Workflow-CallType")).isEqualTo("step");
    assertThat(r.header("Upstash-Workflow-Url")).isEqualTo(sink.url("/wf"));
    assertThat(r.header("Upstash-Workflow-Sdk-Version")).isEqualTo("1");
    assertThat(Long.parseLong(r.header("Upstash-Workflow-CreatedAt"))).isEqualTo(clock.millis());

    JsonNode steps = TestServer.json(herald.get("/v2/workflows/runs/wfr_a"));
    assertThat(steps).hasSize(1);
    assertThat(steps.get(0).get("messageId").asString()).isEqualTo(r.header("Upstash-Message-Id"));
    assertThat(decode(steps.get(0).get("body"))).isEqualTo("{\"n\":1}");
    assertThat(steps.get(0).get("callType").asString()).isEqualTo("step");
  }

  @Test
  void a_second_trigger_of_the_same_run_is_a_duplicate_and_delivers_nothing_more() {
    String first = trigger("wfr_dup", "/wf", "a").get(0).get("messageId").asString();
    JsonNode again = trigger("wfr_dup", "/wf", "b");
    assertThat(again.get(0).get("deduplicated").asBoolean()).isTrue();
    assertThat(again.get(0).get("messageId").asString()).isEqualTo(first);
    sink.awaitRequests("/wf", 1, WAIT);
    herald.awaitWitness(sink, WAIT);
    assertThat(sink.requests("/wf")).hasSize(1);
  }

  @Test
  void a_batch_trigger_starts_each_run_once_in_order_and_one_bad_item_starts_none() {
    HttpResponse<String> bad = herald.post("/v2/batch/trigger",
        batch(restItem("/wf/1", "wfr_b1", "{\"n\":1}"), Map.of("destination", "not-a-url")));
    assertThat(bad.statusCode()).as(bad.body()).isEqualTo(400);
    assertThat(TestServer.json(bad).get("error").asString()).startsWith("item 1: ");
    assertThat(herald.get("/v2/workflows/runs/wfr_b1").statusCode()).as("the good item did not start either").isEqualTo(404);

    HttpResponse<String> r = herald.post("/v2/batch/trigger",
        batch(restItem("/wf/1", "wfr_b1", "{\"n\":1}"), restItem("/wf/2", "wfr_b2", "two")));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    JsonNode answer = TestServer.json(r);
    assertThat(answer).hasSize(2);
    for (int i = 0; i < 2; i++) {
      assertThat(answer.get(i).get("workflowRunId").asString()).isEqualTo("wfr_b" + (i + 1));
      assertThat(answer.get(i).get("workflowCreatedAt").asLong()).isEqualTo(clock.millis());
      assertThat(answer.get(i).get("deduplicated").asBoolean()).isFalse();
    }
    TestSink.Received first = sink.awaitRequests("/wf/1", 1, WAIT).get(0);
    assertThat(first.header("Upstash-Workflow-RunId")).isEqualTo("wfr_b1");
    assertThat(first.header("Upstash-Workflow-Init")).isEqualTo("true");
    assertThat(decode(TestServer.json(herald.get("/v2/workflows/runs/wfr_b1")).get(0).get("body"))).isEqualTo("{\"n\":1}");
    assertThat(sink.awaitRequests("/wf/2", 1, WAIT).get(0).header("Upstash-Workflow-RunId")).isEqualTo("wfr_b2");
    assertThat(decode(TestServer.json(herald.get("/v2/workflows/runs/wfr_b2")).get(0).get("body"))).isEqualTo("two");

    Map<String, Object> unnamed = new LinkedHashMap<>(Map.of("destination", sink.url("/wf/3"), "body", "{}"));
    JsonNode again = TestServer.json(herald.post("/v2/batch/trigger", batch(restItem("/wf/1", "wfr_b1", "other"), unnamed)));
    assertThat(again.get(0).get("deduplicated").asBoolean()).as("a run that exists").isTrue();
    assertThat(again.get(0).get("workflowCreatedAt").asLong()).isEqualTo(answer.get(0).get("workflowCreatedAt").asLong());
    assertThat(again.get(1).get("workflowRunId").asString()).as("an id is made up when none is given").startsWith("wfr_");
    assertThat(again.get(1).get("deduplicated").asBoolean()).isFalse();
    sink.awaitRequests("/wf/3", 1, WAIT);
    herald.awaitWitness(sink, WAIT);
    assertThat(sink.requests("/wf/1")).as("the existing run got nothing more").hasSize(1);

    // a message deduplication id does not make two runs one: the run id does
    Map<String, Object> a = restItem("/wf/4", "wfr_b4", "same");
    Map<String, Object> b = restItem("/wf/4", "wfr_b5", "same");
    a.put("headers", Map.of("Upstash-Workflow-RunId", "wfr_b4", "Upstash-Deduplication-Id", "d1"));
    b.put("headers", Map.of("Upstash-Workflow-RunId", "wfr_b5", "Upstash-Deduplication-Id", "d1",
        "Upstash-Content-Based-Deduplication", "true"));
    HttpResponse<String> both = herald.post("/v2/batch/trigger", batch(a, b));
    assertThat(both.statusCode()).as(both.body()).isEqualTo(201);
    assertThat(TestServer.json(both)).extracting(n -> n.get("workflowRunId").asString() + " " + n.get("deduplicated").asBoolean())
        .containsExactly("wfr_b4 false", "wfr_b5 false");
    sink.awaitRequests("/wf/4", 2, WAIT);
  }

  @Test
  void steps_join_the_list_in_order_and_a_finished_run_refuses_more_and_is_gone() {
    trigger("wfr_s", "/wf", "{}");
    String s1 = step("wfr_s", "/wf", "{\"stepId\":1,\"stepName\":\"one\",\"stepType\":\"Run\",\"out\":\"1\",\"concurrent\":1}");
    String s2 = step("wfr_s", "/wf", "{\"stepId\":2,\"stepName\":\"two\",\"stepType\":\"Run\",\"out\":\"2\",\"concurrent\":1}");
    sink.awaitRequests("/wf", 3, WAIT);

    JsonNode steps = TestServer.json(herald.get("/v2/workflows/runs/wfr_s"));
    assertThat(steps).hasSize(3);
    assertThat(steps.get(1).get("messageId").asString()).isEqualTo(s1);
    assertThat(steps.get(2).get("messageId").asString()).isEqualTo(s2);
    assertThat(decode(steps.get(2).get("body"))).contains("\"stepName\":\"two\"");

    HttpResponse<String> end = herald.call("DELETE", "/v2/workflows/runs/wfr_s?cancel=false", "{\"done\":true}");
    assertThat(end.statusCode()).isEqualTo(200);
    assertThat(herald.get("/v2/workflows/runs/wfr_s").statusCode()).as("an ended run has no steps to fetch").isEqualTo(404);
    HttpResponse<String> late = herald.post("/v2/batch", batch(stepItem("wfr_s", "/wf", "{\"stepId\":3}")));
    assertThat(late.statusCode()).as("the SDK reads 400 as 'the workflow was finished'").isEqualTo(400);
    assertThat(late.body()).contains("\"error\"");

    JsonNode run = TestServer.json(herald.get("/v2/workflows/logs?workflowRunId=wfr_s")).get("runs").get(0);
    assertThat(run.get("workflowState").asString()).isEqualTo("RUN_SUCCESS");
    assertThat(run.get("workflowRunResponse").asString()).isEqualTo("{\"done\":true}");
    List<String> names = new ArrayList<>();
    run.get("steps").forEach(g -> g.get("steps").forEach(s -> names.add(s.get("stepName").asString())));
    assertThat(names).containsExactly("init", "one", "two");
    herald.awaitWitness(sink, WAIT);
    assertThat(sink.requests("/wf")).as("the refused step was not stored").hasSize(3);
  }

  @Test
  void a_step_follows_the_triggers_retries_and_a_step_that_fails_for_good_fails_the_run_and_calls_the_failure_function() {
    sink.on("/wfx", n -> n == 0 ? Reply.of(200) : Reply.of(500).withBody("{\"message\":\"boom\"}"));
    Map<String, String> h = triggerHeaders("wfr_f", "/wfx");
    h.put("Upstash-Retries", "0");
    h.put("Upstash-Failure-Callback", sink.url("/wfx-failure"));
    h.put("Upstash-Failure-Callback-Workflow-Runid", "wfr_f");
    h.put("Upstash-Failure-Callback-Workflow-Calltype", "failureCall");
    h.put("Upstash-Failure-Callback-Forward-Upstash-Workflow-Failure-Callback", "true");
    assertThat(herald.post("/v2/batch", batch(item("/wfx", h, "{\"order\":7}"))).statusCode()).isEqualTo(200);
    sink.awaitRequests("/wfx", 1, WAIT); // the trigger is answered 200 before the step exists
    step("wfr_f", "/wfx", "{\"stepId\":1,\"stepName\":\"one\",\"stepType\":\"Run\",\"out\":\"1\",\"concurrent\":1}");

    TestSink.Received failure = sink.awaitRequests("/wfx-failure", 1, WAIT).get(0);
    assertThat(sink.requests("/wfx")).as("one attempt: the step has the trigger's 0 retries").hasSize(2);
    assertThat(failure.header("Upstash-Workflow-Failure-Callback")).isEqualTo("true");
    assertThat(failure.header("Upstash-Workflow-RunId")).isEqualTo("wfr_f");
    JsonNode payload = TestServer.JSON.readTree(failure.body());
    assertThat(payload.get("workflowRunId").asString()).isEqualTo("wfr_f");
    assertThat(payload.get("workflowCreatedAt").asLong()).isEqualTo(clock.millis());
    assertThat(payload.get("status").asInt()).isEqualTo(500);
    assertThat(decode(payload.get("sourceBody"))).as("the run's initial payload").isEqualTo("{\"order\":7}");

    JsonNode run = TestServer.json(herald.get("/v2/workflows/logs?workflowRunId=wfr_f")).get("runs").get(0);
    assertThat(run.get("workflowState").asString()).isEqualTo("RUN_FAILED");
    String dlqId = run.get("dlqId").asString();
    await().atMost(WAIT).untilAsserted(() -> assertThat(TestServer.json(herald.get("/v2/dlq/" + dlqId))
        .at("/failureCallbackInfo/state").asString()).isEqualTo("CALLBACK_SUCCESS"));
    assertThat(herald.post("/v2/workflows/dlq/callback/" + dlqId, "").statusCode())
        .as("a failure function that ran cannot be run again").isEqualTo(400);
  }

  @Test
  void a_failure_function_that_fails_is_recorded_on_the_runs_one_dlq_entry_and_can_be_called_again() {
    sink.on("/wff-failure", n -> n == 0 ? Reply.of(500).withBody("not now") : Reply.of(200));
    sink.on("/wff", n -> n == 1 ? Reply.of(500) : Reply.of(200));
    Map<String, String> h = triggerHeaders("wfr_ff", "/wff");
    h.put("Upstash-Retries", "0");
    h.put("Upstash-Failure-Callback", sink.url("/wff-failure"));
    h.put("Upstash-Failure-Callback-Workflow-Runid", "wfr_ff");
    h.put("Upstash-Failure-Callback-Workflow-Calltype", "failureCall");
    herald.post("/v2/batch", batch(item("/wff", h, "{}")));
    sink.awaitRequests("/wff", 1, WAIT);
    step("wfr_ff", "/wff", "{\"stepId\":1,\"stepName\":\"one\",\"stepType\":\"Run\",\"out\":\"1\",\"concurrent\":1}");

    sink.awaitRequests("/wff-failure", 1, WAIT);
    JsonNode entry = await().atMost(WAIT).until(() -> {
      JsonNode all = TestServer.json(herald.get("/v2/dlq?source=workflow&workflowRunId=wfr_ff")).get("messages");
      return all.size() == 1 && "CALLBACK_FAIL".equals(all.get(0).at("/failureCallbackInfo/state").asString("")) ? all.get(0) : null;
    }, java.util.Objects::nonNull);
    assertThat(entry.at("/failureCallbackInfo/responseStatus").asInt()).isEqualTo(500);
    assertThat(entry.at("/failureCallbackInfo/responseBody").asString()).isEqualTo("not now");
    assertThat(TestServer.json(herald.get("/v2/dlq")).get("messages")).as("the failing failure call is no entry of its own")
        .hasSize(1);
    // the SDK's workflow DLQ filters: the failure function's state and the run's creation time
    assertThat(dlqCount("failureFunctionState=CALLBACK_FAIL&failureFunctionState=CALLBACK_CANCELED")).isEqualTo(1);
    assertThat(dlqCount("failureFunctionState=CALLBACK_SUCCESS")).isZero();
    assertThat(dlqCount("workflowCreatedAt=" + clock.millis())).isEqualTo(1);
    assertThat(dlqCount("workflowCreatedAt=" + (clock.millis() - 1))).isZero();
    assertThat(herald.delete("/v2/workflows/dlq?failureFunctionState=CALLBACK_SUCCESS").statusCode())
        .as("a known filter on the bulk endpoints").isEqualTo(200);

    String dlqId = entry.get("dlqId").asString();
    assertThat(herald.post("/v2/workflows/dlq/callback/" + dlqId, "").statusCode()).isEqualTo(200);
    sink.awaitRequests("/wff-failure", 2, WAIT);
    await().atMost(WAIT).untilAsserted(() -> assertThat(TestServer.json(herald.get("/v2/dlq/" + dlqId))
        .at("/failureCallbackInfo/state").asString()).isEqualTo("CALLBACK_SUCCESS"));
  }

  @Test
  void a_failed_step_resumed_from_the_dlq_takes_its_place_in_its_run_and_the_run_runs_again() {
    String dlqId = failRun("wfr_r", "/wfr");
    JsonNode resumed = TestServer.json(herald.post("/v2/workflows/dlq/resume?dlqIds=" + dlqId, ""));
    assertThat(resumed.get("workflowRuns").get(0).get("workflowRunId").asString()).isEqualTo("wfr_r");

    TestSink.Received again = sink.awaitRequests("/wfr", 3, WAIT).get(2);
    JsonNode steps = TestServer.json(herald.get("/v2/workflows/runs/wfr_r"));
    assertThat(steps).as("the same list as the failed delivery had, with the new message in its place").hasSize(2);
    assertThat(steps.get(1).get("messageId").asString()).isEqualTo(again.header("Upstash-Message-Id"));
    JsonNode run = TestServer.json(herald.get("/v2/workflows/logs?workflowRunId=wfr_r")).get("runs").get(0);
    assertThat(run.get("workflowState").asString()).isEqualTo("RUN_STARTED");
    assertThat(herald.get("/v2/workflows/dlq/" + dlqId).statusCode()).isEqualTo(404);
  }

  @Test
  void a_run_restarted_from_the_dlq_is_a_new_run_with_the_same_payload() {
    String dlqId = failRun("wfr_rs", "/wfrs");

    HttpResponse<String> r = herald.post("/v2/workflows/dlq/restart?dlqIds=" + dlqId, "");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    JsonNode restarted = TestServer.json(r);
    assertThat(restarted.get("workflowRuns")).as(r.body()).hasSize(1);
    String newRun = restarted.get("workflowRuns").get(0).get("workflowRunId").asString();
    assertThat(newRun).startsWith("wfr_").isNotEqualTo("wfr_rs");
    TestSink.Received trigger = sink.awaitRequests("/wfrs", 3, WAIT).get(2);
    assertThat(trigger.header("Upstash-Workflow-RunId")).isEqualTo(newRun);
    assertThat(trigger.header("Upstash-Workflow-Init")).isEqualTo("true");
    JsonNode steps = TestServer.json(herald.get("/v2/workflows/runs/" + newRun));
    assertThat(steps).hasSize(1);
    assertThat(decode(steps.get(0).get("body"))).isEqualTo("{\"order\":7}");
    assertThat(TestServer.json(herald.get("/v2/dlq?source=workflow&workflowRunId=wfr_rs")).get("messages")).isEmpty();
  }

  /** A run whose first step fails for good (0 retries); returns the DLQ id. */
  private String failRun(String runId, String path) {
    sink.on(path, n -> n == 1 ? Reply.of(500) : Reply.of(200)); // the step's one attempt fails; a resume succeeds
    Map<String, String> h = triggerHeaders(runId, path);
    h.put("Upstash-Retries", "0");
    h.put("Upstash-Failure-Callback", sink.url(path + "-failure"));
    h.put("Upstash-Failure-Callback-Workflow-Runid", runId);
    h.put("Upstash-Failure-Callback-Workflow-Calltype", "failureCall");
    assertThat(herald.post("/v2/batch", batch(item(path, h, "{\"order\":7}"))).statusCode()).isEqualTo(200);
    sink.awaitRequests(path, 1, WAIT); // the trigger is answered 200 before the step exists
    step(runId, path, "{\"stepId\":1,\"stepName\":\"one\",\"stepType\":\"Run\",\"out\":\"1\",\"concurrent\":1}");
    sink.awaitRequests(path + "-failure", 1, WAIT);
    JsonNode entries = TestServer.json(herald.get("/v2/dlq?source=workflow&workflowRunId=" + runId)).get("messages");
    assertThat(entries).hasSize(1);
    assertThat(entries.get(0).get("workflowRunId").asString()).isEqualTo(runId);
    assertThat(entries.get(0).get("workflowUrl").asString()).isEqualTo(sink.url(path));
    return entries.get(0).get("dlqId").asString();
  }

  @Test
  void cancelling_a_run_cancels_its_pending_messages_and_bulk_cancel_counts_runs() {
    trigger("wfr_c", "/wf", "{}");
    sink.awaitRequests("/wf", 1, WAIT);
    Map<String, String> h = stepHeaders("wfr_c", "/wf");
    h.put("Upstash-Delay", "1h");
    String sleeping = TestServer.json(herald.post("/v2/batch", batch(item("/wf", h, "{\"stepId\":1}")))).get(0)
        .get("messageId").asString();
    assertThat(herald.get("/v2/messages/" + sleeping).statusCode()).isEqualTo(200);

    assertThat(herald.call("DELETE", "/v2/workflows/runs/wfr_c?cancel=true", "").statusCode()).isEqualTo(200);
    assertThat(herald.get("/v2/messages/" + sleeping).statusCode()).isEqualTo(404);
    JsonNode run = TestServer.json(herald.get("/v2/workflows/logs?workflowRunId=wfr_c")).get("runs").get(0);
    assertThat(run.get("workflowState").asString()).isEqualTo("RUN_CANCELED");

    trigger("wfr_c2", "/wf", "{}");
    trigger("wfr_c3", "/wf", "{}");
    JsonNode cancelled = TestServer.json(herald.delete("/v2/workflows/runs?workflowRunIds=wfr_c2&workflowRunIds=wfr_c3"));
    assertThat(cancelled.get("cancelled").asInt()).isEqualTo(2);
    assertThat(TestServer.json(herald.delete("/v2/workflows/runs?workflowRunIds=wfr_c2")).get("cancelled").asInt()).isZero();
    assertThat(herald.delete("/v2/workflows/runs?workflowRunIdz=x").statusCode()).as("a misspelt filter").isEqualTo(400);
  }

  @Test
  void a_legacy_json_body_selects_runs_and_a_body_naming_none_or_of_the_wrong_shape_cancels_nothing() {
    trigger("wfr_l1", "/wf", "{}");
    trigger("wfr_l2", "/wf", "{}");

    for (String body : List.of("{\"workflowRunIds\": [5]}", "{\"runIds\": [\"wfr_l1\"]}", "[\"wfr_l1\"]", "{",
        "{\"all\": \"yes\"}")) {
      HttpResponse<String> r = herald.call("DELETE", "/v2/workflows/runs", body, "Content-Type", "application/json");
      assertThat(r.statusCode()).as(body + " -> " + r.body()).isEqualTo(400);
    }
    HttpResponse<String> none = herald.call("DELETE", "/v2/workflows/runs", "{\"workflowRunIds\": []}",
        "Content-Type", "application/json");
    assertThat(TestServer.json(none).get("cancelled").asInt()).as(none.body()).isZero();
    HttpResponse<String> one = herald.call("DELETE", "/v2/workflows/runs", "{\"workflowRunIds\": [\"wfr_l1\"]}",
        "Content-Type", "application/json");
    assertThat(TestServer.json(one).get("cancelled").asInt()).as(one.body()).isEqualTo(1);
    JsonNode runs = TestServer.json(herald.get("/v2/workflows/logs?workflowRunId=wfr_l2")).get("runs");
    assertThat(runs.get(0).get("workflowState").asString()).isEqualTo("RUN_STARTED");
  }

  @Test
  void bulk_cancel_takes_every_filter_of_the_sdk_with_several_values_each() {
    trigger("wfr_f1", "/wf/a", "{}", Map.of("Upstash-Label", "blue", "Upstash-Flow-Control-Key", "fk1",
        "Upstash-Flow-Control-Value", "parallelism=5"));
    trigger("wfr_f2", "/wf/b", "{}", Map.of("Upstash-Label", "green"));
    trigger("wfr_f3", "/wf/b", "{}", Map.of("Upstash-Label", "red"));
    trigger("wfr_f4", "/wf/c", "{}", Map.of());

    assertThat(cancelled("flowControlKey=fk1&flowControlKey=other")).isEqualTo(1); // wfr_f1
    assertThat(cancelled("path=/wf/b&label=green&label=nope")).isEqualTo(1); // wfr_f2
    assertThat(cancelled("workflowUrl=" + sink.url("/wf/c") + "&workflowUrl=" + sink.url("/wf/b")
        + "&workflowUrlExactMatch=true&host=elsewhere.example")).as("no run on that host").isZero();
    assertThat(cancelled("host=127.0.0.1&callerIp=127.0.0.1&callerIp=10.0.0.1&count=1")).as("the oldest one").isEqualTo(1);
    assertThat(state("wfr_f3")).isEqualTo("RUN_CANCELED");
    assertThat(state("wfr_f4")).isEqualTo("RUN_STARTED");
    assertThat(state("wfr_f1")).isEqualTo("RUN_CANCELED");
  }

  @Test
  void the_run_log_filters_by_host_path_flow_control_key_and_message_and_pages_through_what_they_skip() {
    String m1 = trigger("wfr_l1", "/wf/a", "{}", Map.of("Upstash-Flow-Control-Key", "fk1",
        "Upstash-Flow-Control-Value", "parallelism=5")).get(0).get("messageId").asString();
    trigger("wfr_l2", "/wf/b", "{}", Map.of());
    trigger("wfr_l3", "/wf/b", "{}", Map.of());
    trigger("wfr_l4", "/wf/c", "{}", Map.of());

    assertThat(loggedRuns("flowControlKey=fk1&flowControlKey=other")).containsExactly("wfr_l1");
    assertThat(loggedRuns("messageId=" + m1 + "&messageId=msg_none")).containsExactly("wfr_l1");
    assertThat(loggedRuns("path=/wf/b&path=/wf/c")).containsExactly("wfr_l4", "wfr_l3", "wfr_l2");
    assertThat(loggedRuns("host=elsewhere.example")).isEmpty();
    assertThat(loggedRuns("host=127.0.0.1&callerIp=127.0.0.1")).hasSize(4);

    // a page of one run among those the filter keeps, then the next from its cursor
    JsonNode first = TestServer.json(herald.get("/v2/workflows/logs?path=/wf/b&count=1"));
    assertThat(first.get("runs").get(0).get("workflowRunId").asString()).isEqualTo("wfr_l3");
    String cursor = first.get("cursor").asString();
    assertThat(cursor).isNotEmpty();
    JsonNode second = TestServer.json(herald.get("/v2/workflows/logs?path=/wf/b&count=1&cursor=" + cursor));
    assertThat(second.get("runs").get(0).get("workflowRunId").asString()).isEqualTo("wfr_l2");
    assertThat(second.get("cursor").asString()).as("the last page: wfr_l1 is older but not on that path").isEmpty();
  }

  @Test
  void a_filtered_run_log_reads_at_most_5000_runs_per_request_and_its_cursor_goes_on_from_there() {
    List<Map<String, Object>> items = new ArrayList<>();
    items.add(restItem("/wf/old", "wfr_a_old", "{}"));
    for (int i = 0; i < 5000; i++) items.add(restItem("/wf/new", String.format("wfr_b_%04d", i), "{}"));
    for (int from = 0; from < items.size(); from += 1000) {
      HttpResponse<String> r = herald.post("/v2/batch/trigger",
          TestServer.JSON.writeValueAsString(items.subList(from, Math.min(items.size(), from + 1000))));
      assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    }
    // newest first: the 5,000 wfr_b_* runs (same creation time, higher ids), then wfr_a_old
    JsonNode first = TestServer.json(herald.get("/v2/workflows/logs?path=/wf/old"));
    assertThat(first.get("runs")).as("the bound ran out before the old run").isEmpty();
    assertThat(first.get("cursor").asString()).endsWith(":wfr_b_0000");
    JsonNode second = TestServer.json(herald.get("/v2/workflows/logs?path=/wf/old&cursor=" + first.get("cursor").asString()));
    assertThat(second.get("runs")).extracting(n -> n.get("workflowRunId").asString()).containsExactly("wfr_a_old");
    assertThat(second.get("cursor").asString()).isEmpty();
    assertThat(TestServer.json(herald.get("/v2/workflows/logs?count=3")).get("runs"))
        .extracting(n -> n.get("workflowRunId").asString()).containsExactly("wfr_b_4999", "wfr_b_4998", "wfr_b_4997");
  }

  private List<String> loggedRuns(String query) {
    HttpResponse<String> r = herald.get("/v2/workflows/logs?" + query);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    List<String> ids = new ArrayList<>();
    TestServer.json(r).get("runs").forEach(run -> ids.add(run.get("workflowRunId").asString()));
    return ids;
  }

  private int dlqCount(String query) {
    HttpResponse<String> r = herald.get("/v2/dlq?source=workflow&" + query);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return TestServer.json(r).get("messages").size();
  }

  private int cancelled(String query) {
    HttpResponse<String> r = herald.delete("/v2/workflows/runs?" + query);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return TestServer.json(r).get("cancelled").asInt();
  }

  private String state(String runId) {
    return TestServer.json(herald.get("/v2/workflows/logs?workflowRunId=" + runId)).get("runs").get(0).get("workflowState")
        .asString();
  }

  @Test
  void a_wait_longer_than_a_year_waits_a_year_instead_of_being_refused() { // a 400 would end the SDK's run silently
    trigger("wfr_long", "/wf", "{}");
    sink.awaitRequests("/wf", 1, WAIT);
    HttpResponse<String> waiting = herald.post("/v2/wait/evt-long", waitBody("/wf", "800d", 1),
        headerArray(stepHeaders("wfr_long", "/wf")));
    assertThat(waiting.statusCode()).as(waiting.body()).isEqualTo(200);
    JsonNode waiters = TestServer.json(herald.get("/v2/waiters/evt-long"));
    assertThat(waiters.get(0).get("deadline").asLong()).isEqualTo(clock.instant().plus(Duration.ofDays(365)).getEpochSecond());
    HttpResponse<String> zero = herald.post("/v2/wait/evt-zero", waitBody("/wf", "0s", 2), headerArray(stepHeaders("wfr_long", "/wf")));
    assertThat(zero.statusCode()).isEqualTo(400);
  }

  @Test
  void a_notified_wait_publishes_its_step_with_the_event_data_and_a_notify_for_a_run_waits_for_its_wait() {
    trigger("wfr_w", "/wf", "{}");
    sink.awaitRequests("/wf", 1, WAIT);
    HttpResponse<String> waiting = herald.post("/v2/wait/evt-1", waitBody("/wf", "30s", 1), headerArray(stepHeaders("wfr_w", "/wf")));
    assertThat(waiting.statusCode()).isEqualTo(200);
    JsonNode waiters = TestServer.json(herald.get("/v2/waiters/evt-1"));
    assertThat(waiters).hasSize(1);
    assertThat(waiters.get(0).get("url").asString()).isEqualTo(sink.url("/wf"));
    assertThat(waiters.get(0).get("deadline").asLong()).isEqualTo(clock.instant().plusSeconds(30).getEpochSecond());

    JsonNode told = TestServer.json(herald.post("/v2/notify/evt-1", "{\"paid\":true}"));
    assertThat(told).hasSize(1);
    String messageId = told.get(0).get("messageId").asString();
    TestSink.Received step = sink.awaitRequests("/wf", 2, WAIT).get(1);
    assertThat(step.header("Upstash-Message-Id")).isEqualTo(messageId);
    JsonNode steps = TestServer.json(herald.get("/v2/workflows/runs/wfr_w"));
    JsonNode published = TestServer.JSON.readTree(decode(steps.get(1).get("body")));
    assertThat(decode(published.get("out"))).isEqualTo("{\"paid\":true}");
    assertThat(published.get("waitTimeout").asBoolean()).isFalse();
    assertThat(published.get("stepName").asString()).isEqualTo("wait-1");
    assertThat(TestServer.json(herald.get("/v2/waiters/evt-1"))).isEmpty();
    assertThat(TestServer.json(herald.post("/v2/notify/evt-1", "again"))).as("nobody waits any more").isEmpty();

    // lookback: the event comes first, for this run; the wait is then satisfied at once
    assertThat(TestServer.json(herald.post("/v2/notify/wfr_w/evt-2", "early"))).isEmpty();
    herald.post("/v2/wait/evt-2", waitBody("/wf", "30s", 2), headerArray(stepHeaders("wfr_w", "/wf")));
    sink.awaitRequests("/wf", 3, WAIT);
    JsonNode third = TestServer.JSON.readTree(decode(TestServer.json(herald.get("/v2/workflows/runs/wfr_w")).get(2).get("body")));
    assertThat(decode(third.get("out"))).isEqualTo("early");
  }

  @Test
  void a_webhook_url_the_run_created_wakes_its_wait_without_a_token_and_any_other_is_404_and_writes_nothing() {
    trigger("wfr_h", "/wf", "{}");
    sink.awaitRequests("/wf", 1, WAIT);
    step("wfr_h", "/wf", "{\"stepId\":1,\"stepName\":\"hook\",\"stepType\":\"CreateWebhook\",\"concurrent\":1,"
        + "\"out\":\"{\\\"webhookUrl\\\":\\\"x\\\",\\\"eventId\\\":\\\"evt-hook\\\"}\"}");
    herald.post("/v2/wait/evt-hook", waitBody("/wf", "30s", 2), headerArray(stepHeaders("wfr_h", "/wf")));

    HttpResponse<String> forged = herald.send(herald.anonymous("/v2/workflows/hooks/u/wfr_h/evt-other")
        .POST(java.net.http.HttpRequest.BodyPublishers.ofString("x")));
    assertThat(forged.statusCode()).as("an event id the run did not create").isEqualTo(404);
    HttpResponse<String> hook = herald.send(herald.anonymous("/v2/workflows/hooks/u/wfr_h/evt-hook?a=1")
        .header("X-Sender", "shop").PUT(java.net.http.HttpRequest.BodyPublishers.ofString("paid")));
    assertThat(hook.statusCode()).isEqualTo(200);
    assertThat(hook.body()).as("the waiter's stored headers are not shown").doesNotContain("Upstash");

    sink.awaitRequests("/wf", 3, WAIT);
    JsonNode woken = TestServer.JSON.readTree(decode(TestServer.json(herald.get("/v2/workflows/runs/wfr_h")).get(2).get("body")));
    JsonNode request = TestServer.JSON.readTree(decode(woken.get("out")));
    assertThat(request.get("method").asString()).isEqualTo("PUT");
    assertThat(request.get("url").asString()).isEqualTo("/v2/workflows/hooks/u/wfr_h/evt-hook?a=1");
    assertThat(decode(request.get("body"))).isEqualTo("paid");
    assertThat(request.get("header").toString()).contains("shop");
  }

  @Test
  void a_wait_with_headers_that_will_not_parse_or_an_endless_timeout_is_refused_with_400() {
    trigger("wfr_bad", "/wf", "{}");
    sink.awaitRequests("/wf", 1, WAIT);
    Map<String, String> h = stepHeaders("wfr_bad", "/wf");
    h.put("Upstash-Delay", "soon");
    assertThat(herald.post("/v2/wait/evt-bad", waitBody("/wf", "30s", 1), headerArray(h)).statusCode()).isEqualTo(400);
    assertThat(herald.post("/v2/wait/evt-bad", waitBody("/wf", "99999d", 1), headerArray(stepHeaders("wfr_bad", "/wf")))
        .statusCode()).isEqualTo(400);
    assertThat(TestServer.json(herald.get("/v2/waiters/evt-bad"))).isEmpty();
    assertThat(herald.post("/v2/wait/evt-bad", waitBody("/wf", "30s", 1), headerArray(stepHeaders("wfr_none", "/wf")))
        .statusCode()).as("no such run").isEqualTo(400);
  }

  @Test
  void a_wait_past_its_deadline_publishes_its_step_with_wait_timeout() {
    trigger("wfr_t", "/wf", "{}");
    sink.awaitRequests("/wf", 1, WAIT);
    herald.post("/v2/wait/evt-t", waitBody("/wf", "10s", 1), headerArray(stepHeaders("wfr_t", "/wf")));
    clock.advance(Duration.ofSeconds(11));
    sink.awaitRequests("/wf", 2, WAIT);
    JsonNode steps = TestServer.json(herald.get("/v2/workflows/runs/wfr_t"));
    JsonNode timedOut = TestServer.JSON.readTree(decode(steps.get(1).get("body")));
    assertThat(timedOut.get("waitTimeout").asBoolean()).isTrue();
    assertThat(timedOut.has("out")).isFalse();
    assertThat(TestServer.json(herald.get("/v2/waiters/evt-t"))).isEmpty();
  }

  @Test
  void a_call_goes_to_the_third_party_without_workflow_headers_and_its_result_comes_back_as_a_one_step_list() {
    trigger("wfr_call", "/wf", "{}");
    sink.awaitRequests("/wf", 1, WAIT);
    sink.on("/third", n -> Reply.of(201).withBody("made"));
    Map<String, String> h = stepHeaders("wfr_call", "/wf");
    h.remove("Upstash-Forward-Upstash-Workflow-Sdk-Version"); // the SDK forwards nothing of its own to a call
    h.put("Upstash-Workflow-CallType", "toCallback");
    h.put("Upstash-Retries", "0");
    h.put("Upstash-Callback", sink.url("/wf"));
    h.put("Upstash-Callback-Workflow-RunId", "wfr_call");
    h.put("Upstash-Callback-Workflow-CallType", "fromCallback");
    h.put("Upstash-Callback-Workflow-Init", "false");
    h.put("Upstash-Callback-Workflow-Url", sink.url("/wf"));
    h.put("Upstash-Callback-Forward-Upstash-Workflow-Callback", "true");
    herald.post("/v2/batch", batch(item("/third", h, "{\"q\":1}")));

    TestSink.Received third = sink.awaitRequests("/third", 1, WAIT).get(0);
    assertThat(third.headers().keySet()).noneMatch(k -> k.startsWith("upstash-workflow-"));
    TestSink.Received result = sink.awaitRequests("/wf", 2, WAIT).get(1);
    assertThat(result.header("Upstash-Workflow-CallType")).isEqualTo("fromCallback");
    assertThat(result.header("Upstash-Workflow-Callback")).isEqualTo("true");
    JsonNode list = TestServer.JSON.readTree(result.body());
    assertThat(list).hasSize(1);
    assertThat(list.get(0).get("messageId").asString()).isEqualTo(result.header("Upstash-Message-Id"));
    assertThat(list.get(0).get("callType").asString()).isEqualTo("fromCallback");
    JsonNode callback = TestServer.JSON.readTree(decode(list.get(0).get("body")));
    assertThat(callback.get("status").asInt()).isEqualTo(201);
    assertThat(decode(callback.get("body"))).isEqualTo("made");
  }

  // ---- the SDK's side

  private JsonNode trigger(String runId, String path, String body) {
    return trigger(runId, path, body, Map.of());
  }

  /** The SDK's trigger of a run, with {@code extra} headers (labels, flow control, ...). */
  private JsonNode trigger(String runId, String path, String body, Map<String, String> extra) {
    Map<String, String> h = triggerHeaders(runId, path);
    h.putAll(extra);
    HttpResponse<String> r = herald.post("/v2/batch", batch(item(path, h, body)));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return TestServer.json(r);
  }

  /** Publishes a step (as the SDK's batch of one) and returns its message id. */
  private String step(String runId, String path, String stepJson) {
    HttpResponse<String> r = herald.post("/v2/batch", batch(stepItem(runId, path, stepJson)));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return TestServer.json(r).get(0).get("messageId").asString();
  }

  private Map<String, Object> stepItem(String runId, String path, String stepJson) {
    return item(path, stepHeaders(runId, path), stepJson);
  }

  private Map<String, String> triggerHeaders(String runId, String path) {
    Map<String, String> h = stepHeaders(runId, path);
    h.put("Upstash-Workflow-Init", "true");
    return h;
  }

  private Map<String, String> stepHeaders(String runId, String path) {
    Map<String, String> h = new LinkedHashMap<>();
    h.put("Upstash-Workflow-RunId", runId);
    h.put("Upstash-Workflow-Init", "false");
    h.put("Upstash-Workflow-Url", sink.url(path));
    h.put("Upstash-Feature-Set", "LazyFetch,InitialBody,WF_DetectTrigger,WF_TriggerOnConfig");
    h.put("Upstash-Workflow-Sdk-Version", "1");
    h.put("Upstash-Forward-Upstash-Workflow-Sdk-Version", "1");
    h.put("Content-Type", "application/json");
    return h;
  }

  private Map<String, Object> item(String path, Map<String, String> headers, String body) {
    Map<String, Object> item = new LinkedHashMap<>();
    item.put("destination", sink.url(path));
    item.put("headers", headers);
    item.put("body", body);
    return item;
  }

  /** An item of POST /v2/batch/trigger (no SDK: the server adds the workflow headers). */
  private Map<String, Object> restItem(String path, String runId, String body) {
    Map<String, Object> item = new LinkedHashMap<>();
    item.put("destination", sink.url(path));
    item.put("body", body);
    item.put("headers", Map.of("Upstash-Workflow-RunId", runId, "Content-Type", "application/json"));
    return item;
  }

  @SafeVarargs
  private static String batch(Map<String, Object>... items) {
    return TestServer.JSON.writeValueAsString(List.of(items));
  }

  private String waitBody(String path, String timeout, int stepId) {
    Map<String, Object> step = new LinkedHashMap<>();
    step.put("stepId", stepId);
    step.put("stepType", "Wait");
    step.put("stepName", "wait-" + stepId);
    step.put("concurrent", 1);
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("url", sink.url(path));
    body.put("timeout", timeout);
    body.put("timeoutUrl", sink.url(path));
    body.put("step", step);
    return TestServer.JSON.writeValueAsString(body);
  }

  private static String[] headerArray(Map<String, String> h) {
    List<String> out = new ArrayList<>();
    h.forEach((k, v) -> {
      out.add(k);
      out.add(v);
    });
    return out.toArray(String[]::new);
  }

  private static String decode(JsonNode base64) {
    return new String(Base64.getDecoder().decode(base64.asString()), StandardCharsets.UTF_8);
  }
}
