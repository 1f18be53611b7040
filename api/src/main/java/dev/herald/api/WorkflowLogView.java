package dev.herald.api;

import dev.herald.core.message.Workflow;
import dev.herald.engine.WorkflowService;
import dev.herald.store.Json;
import dev.herald.store.Workflows;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.JsonNode;

/**
 * A run of the workflow log (spec 13.11): its state and result, and its finished steps in groups
 * ({@code sequential}: one step; {@code parallel}: the results of steps that ran side by side).
 * A step is listed once its result was published, so every listed step has {@code STEP_SUCCESS}.
 */
final class WorkflowLogView {
  private WorkflowLogView() {}

  static Map<String, Object> run(WorkflowService.RunLog log) {
    Workflows.Run r = log.run();
    Map<String, Object> o = new LinkedHashMap<>();
    o.put("workflowRunId", r.runId());
    o.put("workflowUrl", r.url());
    o.put("workflowState", r.state());
    o.put("workflowRunCreatedAt", r.createdAt());
    if (r.completedAt() != null) o.put("workflowRunCompletedAt", r.completedAt());
    if (r.response() != null) o.put("workflowRunResponse", new String(r.response(), StandardCharsets.UTF_8));
    if (r.dlqId() != null) o.put("dlqId", r.dlqId());
    if (!r.labels().isEmpty()) {
      o.put("label", String.join(",", r.labels()));
      o.put("labels", r.labels());
    }
    if (r.invoker() != null) {
      JsonNode inv = Json.MAPPER.readTree(r.invoker());
      Map<String, Object> invoker = new LinkedHashMap<>();
      invoker.put("workflowRunId", inv.path("workflowRunId").asString(null));
      invoker.put("workflowUrl", inv.path("workflowUrl").asString(null));
      invoker.put("workflowRunCreatedAt", inv.path("workflowRunCreatedAt").asLong(0));
      o.put("invoker", invoker);
    }
    o.put("steps", groups(r, log.messages()));
    return o;
  }

  private static List<Map<String, Object>> groups(Workflows.Run r, List<Workflows.RunMessage> messages) {
    List<Map<String, Object>> groups = new ArrayList<>();
    List<Map<String, Object>> parallel = new ArrayList<>();
    for (Workflows.RunMessage m : messages) {
      if (!Workflow.STEP.equals(m.callType())) continue;
      Map<String, Object> step;
      boolean concurrent;
      if (m.messageId().equals(r.triggerId())) {
        step = new LinkedHashMap<>();
        step.put("stepId", 0);
        step.put("stepName", "init");
        step.put("stepType", "Initial");
        step.put("out", new String(r.initialBody(), StandardCharsets.UTF_8));
        step.put("concurrent", 1);
        concurrent = false;
      } else {
        JsonNode s;
        try {
          s = Json.MAPPER.readTree(m.body());
        } catch (RuntimeException e) {
          continue; // not a step the SDK wrote
        }
        if (s == null || !s.isObject() || s.path("stepId").asInt(0) == 0) continue; // a plan step, not a result
        step = new LinkedHashMap<>();
        for (var e : s.properties()) step.put(e.getKey(), Json.MAPPER.convertValue(e.getValue(), Object.class));
        concurrent = s.path("concurrent").asInt(1) > 1;
      }
      step.put("callType", m.callType());
      step.put("messageId", m.messageId());
      step.put("state", "STEP_SUCCESS");
      step.put("createdAt", m.createdAt());
      if (concurrent) {
        parallel.add(step);
        continue;
      }
      flush(groups, parallel);
      groups.add(group("sequential", List.of(step)));
    }
    flush(groups, parallel);
    return groups;
  }

  private static void flush(List<Map<String, Object>> groups, List<Map<String, Object>> parallel) {
    if (parallel.isEmpty()) return;
    groups.add(group("parallel", List.copyOf(parallel)));
    parallel.clear();
  }

  private static Map<String, Object> group(String type, List<Map<String, Object>> steps) {
    Map<String, Object> g = new LinkedHashMap<>();
    g.put("type", type);
    g.put("steps", steps);
    return g;
  }
}
