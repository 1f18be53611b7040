package dev.herald.api;

import dev.herald.core.ValidationException;
import dev.herald.core.message.HeaderParser;
import dev.herald.core.message.MessageOptions;
import dev.herald.engine.PublishOutcome;
import dev.herald.engine.PublishRequest;
import dev.herald.engine.PublishService;
import dev.herald.engine.WorkflowService;
import dev.herald.store.Json;
import dev.herald.store.Workflows;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import tools.jackson.databind.JsonNode;

/**
 * The endpoints the Upstash Workflow SDK calls (spec 13.1): a run's steps, ending and cancelling runs,
 * wait / notify / waiters, webhooks and the run log.
 */
final class WorkflowsResource {
  private static final int MAX_LOG_COUNT = 10; // runs carry their steps: pages stay small (spec 13.1)
  private static final Set<String> CANCEL_FILTERS = Set.of("workflowRunIds", "workflowRunId", "workflowUrl",
      "workflowUrlExactMatch", "fromDate", "toDate", "label", "callerIp", "callerIP", "flowControlKey", "host", "path", "count",
      "cursor", "qstash_token");
  private final WorkflowService workflows;
  private final HeaderParser parser;
  private final PublishService publisher;
  private final EgressCheck egress;
  private final int maxBatchItems;

  WorkflowsResource(WorkflowService workflows, HeaderParser parser, PublishService publisher, EgressCheck egress,
      int maxBatchItems) {
    this.workflows = workflows;
    this.parser = parser;
    this.publisher = publisher;
    this.egress = egress;
    this.maxBatchItems = maxBatchItems;
  }

  /**
   * POST /v2/trigger/{workflowUrl}: starts a run without the SDK (Upstash's REST trigger). The body is
   * the payload; publish headers apply to the run (retries, delay, flow control, labels...);
   * {@code Upstash-Workflow-RunId} names the run (one is made up otherwise). Like the SDK's trigger, the
   * run's failure function is the workflow's own unless {@code Upstash-Failure-Callback} says otherwise.
   * A run id that exists already answers that run and starts nothing.
   */
  ApiResponse trigger(ApiRequest req) {
    Destination dest = Destination.from(req, req.pathVar("destination"));
    if (!dest.isUrl()) throw ApiException.badRequest("destination: must be the workflow's URL");
    Trigger t = trigger(dest.value(), dest.headers(), req.body(), req.callerIp());
    PublishOutcome out = publisher.publish(List.of(t.request())).join().get(0);
    return ApiResponse.ok(started(t.runId(), out, false));
  }

  /**
   * POST /v2/batch/trigger: several runs in one request, each item {@code {destination, body?, headers?}}
   * read as {@link #trigger(ApiRequest)} reads a request. Every item is checked before anything is
   * stored: one bad item is a 400 naming it, and no run starts. The runs start in one commit; the
   * answer (201) has one {@code {workflowRunId, workflowCreatedAt, deduplicated}} per item, in order.
   */
  ApiResponse batchTrigger(ApiRequest req) {
    JsonNode items = BatchResource.items(req, maxBatchItems, "workflow runs");
    List<Trigger> triggers = new ArrayList<>();
    for (int i = 0; i < items.size(); i++) {
      JsonNode item = items.get(i);
      try {
        if (!item.isObject()) throw ApiException.badRequest("expected an object");
        JsonNode d = item.get("destination");
        if (d == null || !d.isString() || d.asString().isBlank()) throw ApiException.badRequest("destination: required");
        triggers.add(trigger(d.asString(), BatchResource.headers(item), BatchResource.body(item), req.callerIp()));
      } catch (ApiException | ValidationException e) {
        throw new ApiException(e instanceof ApiException a ? a.status() : 400, "item " + i + ": " + e.getMessage());
      }
    }
    List<PublishOutcome> outs = triggers.isEmpty() ? List.of()
        : publisher.publish(triggers.stream().map(Trigger::request).toList()).join();
    List<Object> answers = new ArrayList<>();
    for (int i = 0; i < outs.size(); i++) answers.add(started(triggers.get(i).runId(), outs.get(i), true));
    return ApiResponse.of(201, answers);
  }

  /** A run to start: its id, and the publish of its first step. */
  private record Trigger(String runId, PublishRequest request) {}

  private Trigger trigger(String url, Map<String, List<String>> given, byte[] body, String callerIp) {
    HeaderParser.url("destination", url);
    egress.url("destination", url);
    Map<String, List<String>> h = new LinkedHashMap<>();
    String runId = null;
    for (var e : given.entrySet()) {
      String lower = e.getKey().toLowerCase(java.util.Locale.ROOT);
      if (lower.equals("upstash-workflow-runid") && !e.getValue().isEmpty()) runId = e.getValue().get(0).trim();
      // The run id is what makes a trigger a duplicate: a message deduplication would answer an existing
      // message for a run that was never created.
      if (lower.equals("upstash-deduplication-id") || lower.equals("upstash-content-based-deduplication")) continue;
      if (!lower.startsWith("upstash-workflow-")) h.put(e.getKey(), e.getValue());
    }
    if (runId == null || runId.isEmpty()) runId = workflows.newRunId();
    h.put("Upstash-Workflow-RunId", List.of(runId));
    h.put("Upstash-Workflow-Init", List.of("true"));
    h.put("Upstash-Workflow-Url", List.of(url));
    h.put("Upstash-Feature-Set", List.of("LazyFetch,InitialBody,WF_DetectTrigger,WF_TriggerOnConfig"));
    h.put("Upstash-Forward-Upstash-Workflow-Sdk-Version", List.of("1"));
    if (h.keySet().stream().noneMatch(k -> k.equalsIgnoreCase("upstash-failure-callback"))) {
      h.put("Upstash-Failure-Callback", List.of(url));
      h.put("Upstash-Failure-Callback-Forward-Upstash-Workflow-Is-Failure", List.of("true"));
      h.put("Upstash-Failure-Callback-Forward-Upstash-Workflow-Failure-Callback", List.of("true"));
      h.put("Upstash-Failure-Callback-Workflow-Runid", List.of(runId));
      h.put("Upstash-Failure-Callback-Workflow-Init", List.of("false"));
      h.put("Upstash-Failure-Callback-Workflow-Url", List.of(url));
      h.put("Upstash-Failure-Callback-Workflow-Calltype", List.of("failureCall"));
    }
    MessageOptions options = parser.parse(h);
    egress.options(options);
    return new Trigger(runId, new PublishRequest(url, true, options, body, callerIp, null, null));
  }

  /** The answer for a started (or already existing) run. */
  private Map<String, Object> started(String runId, PublishOutcome out, boolean withDeduplicated) {
    if (out instanceof PublishOutcome.Rejected r) throw new ApiException(r.status(), r.error());
    Map<String, Object> o = new LinkedHashMap<>();
    o.put("workflowRunId", runId);
    o.put("workflowCreatedAt", workflows.createdAt(runId).orElseThrow(() -> new ApiException(500, "run " + runId + " not stored")));
    if (withDeduplicated) o.put("deduplicated", ((PublishOutcome.Accepted) out).results().get(0).deduplicated());
    return o;
  }

  /** GET /v2/workflows/runs/{runId}: the step list, or 404 once the run has ended. */
  ApiResponse steps(ApiRequest req) {
    String runId = req.pathVar("runId");
    return workflows.steps(runId).map(ApiResponse::ok)
        .orElseThrow(() -> new ApiException(404, "workflow run " + runId + " not found"));
  }

  /** DELETE /v2/workflows/runs/{runId}?cancel=true|false; the body is the run's result. */
  ApiResponse end(ApiRequest req) {
    String runId = req.pathVar("runId");
    boolean cancel = "true".equalsIgnoreCase(req.queryFirst("cancel"));
    return switch (workflows.end(runId, cancel, req.body())) {
      case NOT_FOUND -> throw new ApiException(404, "workflow run " + runId + " not found");
      case ENDED, ALREADY_ENDED -> ApiResponse.ok(Map.of());
    };
  }

  /** DELETE /v2/workflows/runs: by ids, or every running run matching the filters. */
  ApiResponse cancelMany(ApiRequest req) {
    Queries.onlyKnown(req, CANCEL_FILTERS);
    List<String> ids = new ArrayList<>(Queries.list(req, "workflowRunIds", "workflowRunId"));
    List<String> urls = new ArrayList<>(Queries.list(req, "workflowUrl"));
    // Older SDKs put the selection in a JSON body ({"workflowRunIds": [...], "workflowUrl": ..., "all": true}).
    // Read it rather than ignore it: ignored, a body naming runs would cancel every run.
    if (req.body().length > 0) {
      JsonNode body;
      body = req.json();
      if (body == null || !body.isObject()) throw ApiException.badRequest("body: expected a JSON object");
      for (var e : body.properties()) {
        JsonNode v = e.getValue();
        switch (e.getKey()) {
          case "workflowRunIds" -> {
            for (JsonNode x : v.isArray() ? v : List.of(v)) {
              if (!x.isString()) throw ApiException.badRequest("body: workflowRunIds must be strings");
              ids.add(x.asString());
            }
          }
          case "workflowUrl" -> {
            if (!v.isString()) throw ApiException.badRequest("body: workflowUrl must be a string");
            urls.add(v.asString());
          }
          case "all" -> {
            if (!v.isBoolean()) throw ApiException.badRequest("body: all must be true or false");
          }
          default -> throw ApiException.badRequest("unknown field '" + Queries.clip(e.getKey()) + "' in body");
        }
      }
      boolean all = body.path("all").asBoolean(false);
      if (body.has("workflowRunIds") && ids.isEmpty() && urls.isEmpty() && !all) return ApiResponse.ok(Map.of("cancelled", 0));
    }
    boolean exact = "true".equalsIgnoreCase(req.queryFirst("workflowUrlExactMatch"));
    int count = Queries.count(req, 100, 1000);
    var runs = new Workflows.RunFilter(urls, exact, Queries.millis(req, "fromDate"),
        Queries.millis(req, "toDate"), Queries.list(req, "label"), Queries.list(req, "callerIp", "callerIP"));
    int n = workflows.cancel(new WorkflowService.CancelFilter(ids, runs, runMatch(req), count));
    return ApiResponse.ok(Map.of("cancelled", n));
  }

  /** POST /v2/wait/{eventId}. */
  ApiResponse waitFor(ApiRequest req) {
    JsonNode body;
    body = req.json();
    workflows.waitFor(req.pathVar("eventId"), body, req.headers(), req.callerIp());
    return ApiResponse.ok(Map.of());
  }

  /** POST /v2/notify/{eventId} and /v2/notify/{runId}/{eventId}: the body is the event data. */
  ApiResponse notify(ApiRequest req) {
    return ApiResponse.ok(notified(workflows.notify(req.pathVar("eventId"), req.pathVar("runId"), req.body(), req.callerIp())));
  }

  /**
   * Any request to /v2/workflows/hooks/{user}/{runId}/{eventId} (context.createWebhook, spec 13.9): no
   * token, the run and event ids are the secret, and only an event id the run's CreateWebhook step made
   * is accepted (404 otherwise, and nothing is written). The waiting step gets the request as
   * {@code {method, proto, host, url, header, body (base64)}}.
   */
  ApiResponse webhook(ApiRequest req) {
    Map<String, Object> request = new LinkedHashMap<>();
    request.put("method", req.method());
    request.put("proto", "http");
    request.put("host", req.header("Host") == null ? "" : req.header("Host"));
    request.put("url", req.rawPath() + (req.rawQuery() == null || req.rawQuery().isEmpty() ? "" : "?" + req.rawQuery()));
    Map<String, List<String>> headers = new LinkedHashMap<>();
    req.headers().forEach((k, v) -> {
      if (!k.equalsIgnoreCase("authorization")) headers.put(k, v);
    });
    request.put("header", headers);
    request.put("body", Base64.getEncoder().encodeToString(req.body()));
    byte[] data = Json.MAPPER.writeValueAsBytes(request);
    if (!workflows.webhook(req.pathVar("runId"), req.pathVar("eventId"), data)) {
      throw new ApiException(404, "webhook not found");
    }
    return ApiResponse.ok(Map.of()); // never the waiters: their stored headers are not the caller's to see
  }

  private static List<Map<String, Object>> notified(List<WorkflowService.Notified> told) {
    List<Map<String, Object>> out = new ArrayList<>();
    for (WorkflowService.Notified n : told) {
      Map<String, Object> o = new LinkedHashMap<>();
      o.put("waiter", waiter(n.waiter()));
      o.put("messageId", n.messageId());
      o.put("error", "");
      out.add(o);
    }
    return out;
  }

  /** GET /v2/waiters/{eventId}. */
  ApiResponse waiters(ApiRequest req) {
    return ApiResponse.ok(workflows.waiters(req.pathVar("eventId")).stream().map(WorkflowsResource::waiter).toList());
  }

  private static Map<String, Object> waiter(Workflows.Waiter w) {
    Map<String, Object> o = new LinkedHashMap<>();
    o.put("url", w.url());
    o.put("deadline", w.deadline() / 1000);
    o.put("headers", w.headers());
    if (w.timeoutUrl() != null) o.put("timeoutUrl", w.timeoutUrl());
    if (w.timeoutBody() != null) o.put("timeoutBody", new String(w.timeoutBody(), StandardCharsets.UTF_8));
    if (w.timeoutHeaders() != null) o.put("timeoutHeaders", w.timeoutHeaders());
    return o;
  }

  /** GET /v2/workflows/logs and /v2/workflows/events: runs newest first (spec 13.11). */
  ApiResponse logs(ApiRequest req) {
    String state = req.queryFirst("state");
    Workflows.Filter f = new Workflows.Filter(req.queryFirst("workflowRunId"), Queries.list(req, "workflowUrl"),
        state == null || state.isBlank() ? null : state, Queries.millis(req, "fromDate"), Queries.millis(req, "toDate"),
        Queries.list(req, "label"), Queries.millis(req, "workflowCreatedAt"), Queries.list(req, "callerIp", "callerIP"),
        Queries.list(req, "messageId"));
    WorkflowService.RunPage page = workflows.logs(f, runMatch(req), req.queryFirst("cursor"),
        Queries.count(req, 10, MAX_LOG_COUNT));
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("cursor", page.cursor() == null ? "" : page.cursor());
    out.put("runs", page.runs().stream().map(WorkflowLogView::run).toList());
    return ApiResponse.ok(out);
  }

  /** The run filters checked after the store's: the workflow URL's host and path, the flow-control key. */
  private static WorkflowService.RunMatch runMatch(ApiRequest req) {
    return new WorkflowService.RunMatch(Queries.list(req, "host"), Queries.list(req, "path"), Queries.list(req, "flowControlKey"));
  }
}
