package dev.herald.api;

import dev.herald.core.message.HeaderParser;
import dev.herald.core.message.Message;
import dev.herald.core.message.MessageOptions;
import dev.herald.core.message.Workflow;
import dev.herald.engine.DlqService;
import dev.herald.engine.WorkflowService;
import dev.herald.store.Dlq;
import dev.herald.store.Json;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import tools.jackson.databind.JsonNode;

/** The dead-letter queue endpoints (spec 9). */
final class DlqResource {
  private static final Set<String> FILTERS = Set.of("dlqIds", "messageId", "messageIds", "url", "topicName", "scheduleId",
      "queueName", "label", "flowControlKey", "callerIp", "callerIP", "responseStatus", "fromDate", "toDate", "api", "source",
      "workflowRunId", "workflowUrl", "workflowCreatedAt", "failureFunctionState");
  private static final Set<String> BULK = union(FILTERS, Set.of("count", "cursor", "qstash_token"));
  private static final Set<String> LIST = union(BULK, Set.of("order"));

  private final DlqService dlq;
  private final WorkflowService workflows;
  private final HeaderParser parser;
  private final InstantSource clock;
  private final EgressCheck egress;

  DlqResource(DlqService dlq, WorkflowService workflows, HeaderParser parser, InstantSource clock, EgressCheck egress) {
    this.dlq = dlq;
    this.workflows = workflows;
    this.parser = parser;
    this.clock = clock;
    this.egress = egress;
  }

  ApiResponse list(ApiRequest req) {
    var page = dlq.list(filter(req, false), req.queryFirst("cursor"), Queries.count(req, 100, 100));
    Map<String, Object> o = new LinkedHashMap<>();
    o.put("messages", page.items().stream().map(DlqResource::view).toList());
    if (page.cursor() != null) o.put("cursor", page.cursor());
    return ApiResponse.ok(o);
  }

  ApiResponse get(ApiRequest req) {
    String id = req.pathVar("dlqId");
    return dlq.find(id).map(e -> ApiResponse.ok(view(e))).orElseThrow(() -> ApiException.notFound("dlq entry " + id));
  }

  ApiResponse delete(ApiRequest req) {
    String id = req.pathVar("dlqId");
    if (!dlq.delete(id)) throw ApiException.notFound("dlq entry " + id);
    return ApiResponse.ok(Map.of("deleted", 1));
  }

  ApiResponse deleteMany(ApiRequest req) {
    Queries.onlyKnown(req, BULK);
    if (selectsNothing(req)) return ApiResponse.ok(Map.of("deleted", 0));
    var page = dlq.deleteMatching(filter(req, true), req.queryFirst("cursor"), Queries.count(req, 100, 100));
    Map<String, Object> o = new LinkedHashMap<>();
    o.put("deleted", page.items().size());
    if (page.cursor() != null) o.put("cursor", page.cursor());
    return ApiResponse.ok(o);
  }

  ApiResponse retry(ApiRequest req) {
    String id = req.pathVar("dlqId");
    String messageId = dlq.retry(id, overrides(req)).orElseThrow(() -> ApiException.notFound("dlq entry " + id));
    return ApiResponse.of(201, Map.of("messageId", messageId));
  }

  ApiResponse retryMany(ApiRequest req) {
    Queries.onlyKnown(req, BULK);
    if (selectsNothing(req)) return ApiResponse.of(201, Map.of("responses", List.of()));
    var page = dlq.retryMatching(filter(req, true), req.queryFirst("cursor"), Queries.count(req, 100, 100), overrides(req));
    Map<String, Object> o = new LinkedHashMap<>();
    o.put("responses", page.items().stream().map(mid -> Map.of("messageId", mid)).toList());
    if (page.cursor() != null) o.put("cursor", page.cursor());
    return ApiResponse.of(201, o);
  }

  // ---- the workflow DLQ (spec 13.1): entries of workflow messages only

  /** GET /v2/workflows/dlq/{dlqId}. */
  ApiResponse workflowGet(ApiRequest req) {
    String id = req.pathVar("dlqId");
    return dlq.find(id).filter(e -> e.message().workflow() != null).map(e -> ApiResponse.ok(view(e)))
        .orElseThrow(() -> ApiException.notFound("workflow dlq entry " + id));
  }

  /** DELETE /v2/workflows/dlq/{dlqId}. */
  ApiResponse workflowDelete(ApiRequest req) {
    workflowGet(req);
    return delete(req);
  }

  /** DELETE /v2/workflows/dlq: by dlqIds or filters, a page of {@code count} at a time. */
  ApiResponse workflowDeleteMany(ApiRequest req) {
    Queries.onlyKnown(req, BULK);
    var page = dlq.deleteMatching(workflowFilter(req), req.queryFirst("cursor"), Queries.count(req, 100, 100));
    Map<String, Object> o = new LinkedHashMap<>();
    o.put("deleted", page.items().size());
    if (page.cursor() != null) o.put("cursor", page.cursor());
    return ApiResponse.ok(o);
  }

  /** POST /v2/workflows/dlq/resume: each failed step runs again in its run. */
  ApiResponse resume(ApiRequest req) {
    Queries.onlyKnown(req, BULK);
    var page = dlq.list(workflowFilter(req), req.queryFirst("cursor"), Queries.count(req, 100, 100));
    dlq.retry(page.items(), page.cursor(), overrides(req));
    return runs(WorkflowService.runsOf(page.items()), page.cursor());
  }

  /** POST /v2/workflows/dlq/resume/{dlqId}. */
  ApiResponse resumeOne(ApiRequest req) {
    Dlq.Entry e = workflowEntry(req);
    dlq.retry(List.of(e), null, overrides(req));
    return ApiResponse.ok(run(WorkflowService.runsOf(List.of(e)).get(0)));
  }

  /** POST /v2/workflows/dlq/restart: each entry's run starts again from the beginning, as a new run. */
  ApiResponse restart(ApiRequest req) {
    Queries.onlyKnown(req, BULK);
    var page = dlq.list(workflowFilter(req), req.queryFirst("cursor"), Queries.count(req, 100, 100));
    return runs(workflows.restart(page.items(), overrides(req)), page.cursor());
  }

  /** POST /v2/workflows/dlq/restart/{dlqId}. */
  ApiResponse restartOne(ApiRequest req) {
    List<WorkflowService.RunRef> started = workflows.restart(List.of(workflowEntry(req)), overrides(req));
    if (started.isEmpty()) throw ApiException.notFound("workflow run of dlq entry " + req.pathVar("dlqId"));
    return ApiResponse.ok(run(started.get(0)));
  }

  /** POST /v2/workflows/dlq/callback/{dlqId}: calls the failure function again. */
  ApiResponse retryFailureFunction(ApiRequest req) {
    String id = req.pathVar("dlqId");
    return workflows.retryFailureFunction(id).map(r -> ApiResponse.ok(run(r)))
        .orElseThrow(() -> ApiException.notFound("workflow dlq entry " + id + " with a failure function"));
  }

  private Dlq.Entry workflowEntry(ApiRequest req) {
    String id = req.pathVar("dlqId");
    return dlq.find(id).filter(e -> e.message().workflow() != null)
        .orElseThrow(() -> ApiException.notFound("workflow dlq entry " + id));
  }

  private static Dlq.Filter workflowFilter(ApiRequest req) {
    Dlq.Filter f = filter(req, false);
    return new Dlq.Filter(f.dlqIds(), f.messageIds(), f.urls(), f.topicNames(), f.queueNames(), f.scheduleIds(), f.labels(),
        f.flowControlKeys(), f.responseStatuses(), f.callerIps(), f.fromDate(), f.toDate(), f.latestFirst(),
        f.workflowRunIds(), true, f.workflowCreatedAt(), f.failureStates());
  }

  private static ApiResponse runs(List<WorkflowService.RunRef> refs, String cursor) {
    Map<String, Object> o = new LinkedHashMap<>();
    o.put("workflowRuns", refs.stream().map(DlqResource::run).toList());
    if (cursor != null) o.put("cursor", cursor);
    return ApiResponse.ok(o);
  }

  private static Map<String, Object> run(WorkflowService.RunRef r) {
    Map<String, Object> o = new LinkedHashMap<>();
    o.put("workflowRunId", r.workflowRunId());
    o.put("workflowCreatedAt", r.workflowCreatedAt());
    return o;
  }

  /** Headers on a retry request override the stored configuration (spec 9.6). */
  private UnaryOperator<Message> overrides(ApiRequest req) {
    Set<String> given = req.headers().keySet().stream().map(k -> k.toLowerCase(Locale.ROOT))
        .filter(k -> k.startsWith("upstash-")).collect(Collectors.toSet());
    if (given.isEmpty()) return m -> m;
    MessageOptions o = parser.parse(req.headers());
    egress.options(o); // a callback given here is checked like one given at publish
    Instant now = clock.instant();
    return m -> DlqService.override(m, o, given, now);
  }

  private static Dlq.Filter filter(ApiRequest req, boolean allowLegacyBody) {
    List<String> dlqIds = new ArrayList<>(req.queryList("dlqIds"));
    List<String> legacy = allowLegacyBody && req.body().length > 0 ? legacyIds(req.body()) : null;
    if (legacy != null) dlqIds.addAll(legacy);
    boolean latestFirst = "latestFirst".equals(req.queryFirst("order"));
    List<String> urls = new ArrayList<>(req.queryList("url"));
    urls.addAll(req.queryList("workflowUrl")); // a workflow's steps are messages to its URL
    return new Dlq.Filter(dlqIds, Queries.list(req, "messageId", "messageIds"), urls,
        req.queryList("topicName"), req.queryList("queueName"), req.queryList("scheduleId"), req.queryList("label"),
        req.queryList("flowControlKey"), Queries.ints(req, "responseStatus"), Queries.list(req, "callerIp", "callerIP"),
        Queries.millis(req, "fromDate"), Queries.millis(req, "toDate"), latestFirst, req.queryList("workflowRunId"),
        "workflow".equalsIgnoreCase(req.queryFirst("source")), Queries.millis(req, "workflowCreatedAt"),
        req.queryList("failureFunctionState"));
  }

  /**
   * A legacy body that names no entry ({@code {"dlqIds": []}}) selects nothing. Without this, an empty
   * list would read as "no selection", which means every entry.
   */
  private static boolean selectsNothing(ApiRequest req) {
    if (req.body().length == 0 || !req.queryList("dlqIds").isEmpty()) return false;
    List<String> ids = legacyIds(req.body());
    return ids != null && ids.isEmpty();
  }

  /**
   * The legacy body {@code {"dlqIds": ["...", ...]}} (py, Go); null when it names none ({@code {}}).
   * Anything else in it is refused, changing nothing.
   */
  private static List<String> legacyIds(byte[] body) {
    JsonNode n;
    n = ApiRequest.json(body);
    String expected = "body: expected {\"dlqIds\": [\"...\"]}";
    if (n == null || !n.isObject()) throw ApiException.badRequest(expected);
    for (String k : n.propertyNames()) {
      if (!k.equals("dlqIds")) throw ApiException.badRequest("unknown field '" + Queries.clip(k) + "' in body");
    }
    JsonNode ids = n.get("dlqIds");
    if (ids == null) return null;
    if (!ids.isArray()) throw ApiException.badRequest(expected);
    List<String> out = new ArrayList<>();
    for (JsonNode x : ids) {
      if (!x.isString()) throw ApiException.badRequest(expected);
      out.add(x.asString());
    }
    return out;
  }

  static Map<String, Object> view(Dlq.Entry e) {
    Map<String, Object> o = MessageView.of(e.message());
    o.put("dlqId", e.dlqId());
    o.put("responseStatus", e.response().status());
    o.put("responseHeader", e.response().headers());
    byte[] body = e.response().body() == null ? new byte[0] : e.response().body();
    Map<String, Object> b = new LinkedHashMap<>();
    MessageView.putBody(b, body, false);
    if (b.containsKey("body")) o.put("responseBody", b.get("body"));
    if (b.containsKey("bodyBase64")) o.put("responseBodyBase64", b.get("bodyBase64"));
    if (e.response().error() != null) o.put("error", e.response().error());
    Workflow w = e.message().workflow();
    if (w != null) { // spec 13.8
      o.put("workflowRunId", w.runId());
      o.put("workflowCreatedAt", w.createdAt());
      o.put("workflowUrl", w.url() != null ? w.url() : e.message().url());
      if (e.failureCallbackInfo() != null) o.put("failureCallbackInfo", Json.MAPPER.readTree(e.failureCallbackInfo()));
    }
    return o;
  }

  private static Set<String> union(Set<String> a, Set<String> b) {
    java.util.HashSet<String> s = new java.util.HashSet<>(a);
    s.addAll(b);
    return Set.copyOf(s);
  }
}
