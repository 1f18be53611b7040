package dev.herald.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.JsonNode;

/**
 * Two Herald nodes on one PostgreSQL database run one workflow: whatever node the SDK talks to for a
 * step, a wait, a notify or the run's end, the run is the same, and a wait times out once although both
 * nodes sweep for expired waits.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class WorkflowClusterTest {
  private static final Duration WAIT = Duration.ofSeconds(60);
  private final String database = "herald_wfc_" + Long.toHexString(System.nanoTime());
  private final TestClock clock = new TestClock(Instant.now());
  private final TestSink sink = TestSink.start();
  private final TestServer a;
  private final TestServer b;

  WorkflowClusterTest() {
    ClusterSharedLimitsTest.admin("CREATE DATABASE " + database);
    Map<String, String> store = Map.of("store.url", "postgresql://postgres@127.0.0.1:5432/" + database);
    a = TestServer.start(store, clock);
    b = TestServer.start(store, clock);
  }

  @AfterEach
  void stop() {
    try {
      a.close();
      b.close();
      sink.close();
    } finally {
      ClusterSharedLimitsTest.admin("DROP DATABASE IF EXISTS " + database + " WITH (FORCE)");
    }
  }

  @Test
  void a_run_is_one_run_whatever_node_each_call_reaches() {
    assertThat(a.post("/v2/batch", item("wfr_c1", true, "{\"n\":1}")).statusCode()).isEqualTo(200);
    JsonNode dup = TestServer.json(b.post("/v2/batch", item("wfr_c1", true, "{\"n\":2}")));
    assertThat(dup.get(0).get("deduplicated").asBoolean()).as("the trigger through the other node").isTrue();
    HttpResponse<String> s = b.post("/v2/batch", item("wfr_c1", false, "{\"stepId\":1}"));
    assertThat(s.statusCode()).isEqualTo(200);
    sink.awaitRequests("/wf", 2, WAIT);
    assertThat(TestServer.json(a.get("/v2/workflows/runs/wfr_c1"))).hasSize(2);

    b.post("/v2/wait/evt-c", waitBody(), headers("wfr_c1"));
    JsonNode told = TestServer.json(a.post("/v2/notify/evt-c", "go"));
    assertThat(told).hasSize(1);
    sink.awaitRequests("/wf", 3, WAIT);

    assertThat(a.call("DELETE", "/v2/workflows/runs/wfr_c1?cancel=false", "\"done\"").statusCode()).isEqualTo(200);
    assertThat(b.get("/v2/workflows/runs/wfr_c1").statusCode()).isEqualTo(404);
    assertThat(b.post("/v2/batch", item("wfr_c1", false, "{\"stepId\":9}")).statusCode()).isEqualTo(400);
  }

  @Test
  void a_wait_times_out_once_although_both_nodes_sweep() {
    a.post("/v2/batch", item("wfr_c2", true, "{}"));
    sink.awaitRequests("/wf", 1, WAIT);
    for (int i = 0; i < 20; i++) {
      HttpResponse<String> w = (i % 2 == 0 ? a : b).post("/v2/wait/evt-t" + i, waitBody(), headers("wfr_c2"));
      assertThat(w.statusCode()).isEqualTo(200);
    }
    clock.advance(Duration.ofSeconds(31));
    sink.awaitRequests("/wf", 21, WAIT);
    a.awaitWitness(sink, WAIT);
    b.awaitWitness(sink, WAIT);
    assertThat(sink.requests("/wf")).as("the trigger and one timeout step per wait").hasSize(21);
    JsonNode steps = TestServer.json(b.get("/v2/workflows/runs/wfr_c2"));
    assertThat(steps).hasSize(21);
    for (int i = 1; i < steps.size(); i++) {
      String step = new String(Base64.getDecoder().decode(steps.get(i).get("body").asString()), StandardCharsets.UTF_8);
      assertThat(step).contains("\"waitTimeout\":true");
    }
  }

  private String item(String runId, boolean init, String body) {
    Map<String, Object> headers = Map.of("Upstash-Workflow-RunId", runId, "Upstash-Workflow-Init", Boolean.toString(init),
        "Upstash-Workflow-Url", sink.url("/wf"), "Upstash-Forward-Upstash-Workflow-Sdk-Version", "1",
        "Content-Type", "application/json");
    return TestServer.JSON.writeValueAsString(List.of(Map.of("destination", sink.url("/wf"), "headers", headers, "body", body)));
  }

  private String waitBody() {
    return "{\"url\":\"" + sink.url("/wf") + "\",\"timeout\":\"30s\",\"timeoutUrl\":\"" + sink.url("/wf")
        + "\",\"step\":{\"stepId\":2,\"stepType\":\"Wait\",\"stepName\":\"w\",\"concurrent\":1}}";
  }

  private String[] headers(String runId) {
    return new String[] {"Upstash-Workflow-RunId", runId, "Upstash-Workflow-Init", "false", "Upstash-Workflow-Url",
        sink.url("/wf"), "Upstash-Forward-Upstash-Workflow-Sdk-Version", "1", "Content-Type", "application/json"};
  }
}
