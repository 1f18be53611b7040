package dev.herald.engine;

import dev.herald.core.ValidationException;
import dev.herald.core.id.Ids;
import dev.herald.core.message.HeaderParser;
import dev.herald.core.message.Message;
import dev.herald.core.message.MessageOptions;
import dev.herald.core.message.Workflow;
import dev.herald.store.Json;
import dev.herald.store.Tx;
import dev.herald.store.Workflows;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The run bookkeeping of Upstash Workflow messages (spec 13), done inside the transaction that stores
 * the message: a trigger creates its run (or is a duplicate of it), a step is appended to its run's
 * step list (or refused with 400 when the run has ended), and a step that fails for good fails its run.
 * Also what a workflow message looks like on the wire ({@link #delivery}).
 */
final class WorkflowRuns {
  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(WorkflowRuns.class);
  static final byte[] EMPTY = new byte[0];

  private final HeaderParser parser;
  private final MessageFactory factory;

  WorkflowRuns(HeaderParser parser, Ids ids) {
    this.parser = parser;
    this.factory = new MessageFactory(ids);
  }

  /** Checks headers that will be used to publish a step later (a wait's), so a bad one is a 400 now. */
  void validate(Map<String, List<String>> headers) {
    parser.parse(headers);
  }

  /** A message to store, or the trigger message of the run it duplicates. */
  record Attached(Message message, String duplicateOf) {}

  /**
   * Attaches a published workflow message to its run. A trigger creates the run; a trigger of an
   * existing run is a duplicate (spec 13.3). Anything else needs a running run.
   *
   * @throws ValidationException (400) when the run does not exist or has ended: the SDK reads that as
   *     "the workflow was finished" and stops
   */
  static Attached attach(Tx tx, Message m, long nowMs) {
    Workflow w = m.workflow();
    Workflows runs = tx.workflows();
    if (w.init()) {
      byte[] initial = m.body();
      byte[] invoker = null;
      if (w.invoke()) {
        JsonNode req = invokeRequest(m.body());
        JsonNode body = req.get("body");
        initial = body == null || body.isNull() ? EMPTY : text(body).getBytes(StandardCharsets.UTF_8);
        invoker = Json.MAPPER.writeValueAsBytes(invoker(req));
      }
      String url = w.url() != null ? w.url() : m.url();
      boolean created = runs.create(new Workflows.Run(w.runId(), url, Workflows.STARTED, nowMs, null, m.id(), m.callerIp(),
          m.labels(), null, initial, null, invoker, Json.MAPPER.writeValueAsBytes(RunSettings.of(m))));
      if (!created) return new Attached(null, runs.find(w.runId()).map(Workflows.Run::triggerId).orElse(m.id()));
      runs.addMessage(w.runId(), m.id(), Workflow.STEP, nowMs, initial);
      return new Attached(m.withWorkflow(w.withCreatedAt(nowMs)), null);
    }
    Workflows.Run run = runs.lock(w.runId()).orElse(null); // serialized with the run's end on a cluster
    if (run == null) throw new ValidationException("workflow run " + w.runId() + " does not exist");
    if (!run.active()) throw new ValidationException("workflow run " + w.runId() + " has ended (" + run.state() + ")");
    runs.addMessage(w.runId(), m.id(), w.callType(), nowMs, listed(w.callType()) ? m.body() : EMPTY);
    Message attached = m.withWorkflow(w.withCreatedAt(run.createdAt()));
    // The SDK sends retries, failure callback and flow control with the trigger only: the run's steps follow
    // them. A context.call request has its own (the call's options).
    return new Attached(Workflow.STEP.equals(w.callType()) ? RunSettings.read(run).applyTo(attached, run.labels()) : attached,
        null);
  }

  /** What every step of a run inherits from its trigger. */
  record RunSettings(int retries, String retryDelay, Long timeoutMillis, String failureCallback,
      Map<String, List<String>> failureCallbackConfig, String flowKey, int flowParallelism, int flowRate, long flowPeriod) {
    static RunSettings of(Message trigger) {
      return new RunSettings(trigger.maxRetries(), trigger.retryDelayExpression(), trigger.timeoutMillis(),
          trigger.failureCallback(), trigger.failureCallbackConfig().map(), trigger.flowControlKey(),
          trigger.flowParallelism(), trigger.flowRate(), trigger.flowPeriodSeconds());
    }

    static RunSettings read(Workflows.Run run) {
      return Json.MAPPER.readValue(run.settings(), RunSettings.class);
    }

    Message applyTo(Message m, List<String> labels) {
      return m.withRunSettings(retries, retryDelay, timeoutMillis, failureCallback,
          dev.herald.core.message.Headers.of(failureCallbackConfig == null ? Map.of() : failureCallbackConfig), flowKey,
          flowParallelism, flowRate, flowPeriod, labels.isEmpty() ? m.labels() : labels);
    }
  }

  /**
   * Attaches a callback of a workflow message (a context.call result, a failure call) to its run. Never
   * refuses: a failure callback must reach the failure function of a run that has just failed.
   */
  static Message attachCallback(Tx tx, Message cb, long nowMs) {
    Workflow w = cb.workflow();
    if (w == null) return cb;
    Workflows.Run run = tx.workflows().find(w.runId()).orElse(null);
    if (run == null) return cb;
    if (run.active() || Workflow.FAILURE_CALL.equals(w.callType())) {
      tx.workflows().addMessage(w.runId(), cb.id(), w.callType(), nowMs, listed(w.callType()) ? cb.body() : EMPTY);
    }
    Message attached = cb.withWorkflow(w.withCreatedAt(run.createdAt()));
    // a context.call result is a step of the run: it follows the run's retries and failure callback
    return Workflow.FROM_CALLBACK.equals(w.callType()) ? RunSettings.read(run).applyTo(attached, run.labels()) : attached;
  }

  /**
   * A workflow message re-created from the DLQ ({@code fresh}, new id) takes the place of the one that
   * failed in its run's list, and a run that failed because of it runs again. Lazy fetch then gives the
   * SDK the same steps as the failed delivery had (appending it instead would look like a replayed step).
   */
  static void resumed(Tx tx, String failedId, Message fresh) {
    Workflow w = fresh.workflow();
    tx.workflows().replaceMessage(w.runId(), failedId, fresh.id());
    tx.workflows().reopen(w.runId());
  }

  /**
   * Retention: removes runs that ended before {@code cutoff}, and running runs abandoned since then
   * (nothing added, no wait, none of their messages pending: a step cancelled on its own, or an SDK
   * that stopped without ending the run). Returns how many went.
   */
  static int purge(Tx tx, long cutoff, int limit) {
    int n = 0;
    for (String id : tx.workflows().endedBefore(cutoff, limit)) {
      tx.workflows().delete(id);
      n++;
    }
    for (String id : tx.workflows().quietSince(cutoff, Math.min(limit, 100))) {
      boolean pending = tx.workflows().messageIds(id).stream().anyMatch(m -> tx.messages().find(m).isPresent());
      if (pending) continue; // a long sleep
      tx.workflows().delete(id);
      n++;
    }
    tx.workflows().deleteEventsBefore(cutoff, limit);
    return n;
  }

  /** Whether {@code m} is a message of a workflow run that has already failed (another step failed first). */
  static boolean hasFailed(Tx tx, Message m) {
    if (m.workflow() == null) return false;
    return tx.workflows().find(m.workflow().runId()).map(r -> Workflows.FAILED.equals(r.state())).orElse(false);
  }

  /** Whether this is the failure-function call of a workflow run (a failure callback of a step). */
  static boolean isFailureCall(Message m) {
    return m.workflow() != null && Workflow.FAILURE_CALL.equals(m.workflow().callType()) && m.sourceMessageId() != null;
  }

  /** The failure function of the dead-lettered {@code stepId} is being called. */
  static void failureCallStarted(Tx tx, String stepId) {
    tx.dlq().setFailureCallback(stepId, Json.MAPPER.writeValueAsBytes(Map.of("state", "CALLBACK_INPROGRESS")));
  }

  /**
   * The failure function call ended: its state and answer go on the DLQ entry of the step that failed
   * ({@code failureCallbackInfo}), which is the run's one entry; a failing call is not an entry of its own.
   */
  static void failureCallEnded(Tx tx, Message call, String state, dev.herald.core.delivery.Outcome outcome) {
    Map<String, Object> info = new LinkedHashMap<>();
    info.put("state", state);
    switch (outcome) {
      case dev.herald.core.delivery.Outcome.Response r -> {
        info.put("responseStatus", r.status());
        info.put("responseHeaders", dev.herald.core.message.Headers.of(r.headers()).map());
        byte[] body = r.body().length <= 4096 ? r.body() : java.util.Arrays.copyOf(r.body(), 4096);
        info.put("responseBody", new String(body, StandardCharsets.UTF_8));
      }
      case dev.herald.core.delivery.Outcome.NoResponse n -> info.put("error", n.error());
      case dev.herald.core.delivery.Outcome.Crashed c -> info.put("error", "attempt cut short by a crash");
    }
    tx.dlq().setFailureCallback(call.sourceMessageId(), Json.MAPPER.writeValueAsBytes(info));
  }

  /** Steps and context.call results are what the SDK fetches; their bodies are kept. */
  static boolean listed(String callType) {
    return Workflow.STEP.equals(callType) || Workflow.FROM_CALLBACK.equals(callType);
  }

  /** What the failure callback of a workflow message adds to its payload (spec 13.6). */
  static Map<String, Object> failureDetail(Tx tx, Message m) {
    Workflow w = m.workflow();
    if (w == null) return Map.of();
    Map<String, Object> extra = new LinkedHashMap<>();
    extra.put("workflowRunId", w.runId());
    extra.put("workflowCreatedAt", w.createdAt());
    tx.workflows().find(w.runId()).ifPresent(run -> extra.put("sourceBody", Base64.getEncoder().encodeToString(run.initialBody())));
    return extra;
  }

  /**
   * A workflow message failed for good: its run fails (a context.call request does not fail the run:
   * the workflow gets the failing response through its callback). Returns the messages published
   * because of it (the result for an invoking run).
   */
  List<Message> failed(Tx tx, Message m, String dlqId, Instant now) {
    Workflow w = m.workflow();
    if (w == null || !(Workflow.STEP.equals(w.callType()) || Workflow.FROM_CALLBACK.equals(w.callType()))) return List.of();
    Workflows.Run run = tx.workflows().find(w.runId()).orElse(null);
    if (run == null || !tx.workflows().end(w.runId(), Workflows.FAILED, now.toEpochMilli(), null, dlqId)) return List.of();
    tx.workflows().removeWaitersOf(w.runId());
    return ended(tx, run, Workflows.FAILED, null, now);
  }

  /**
   * A run ended: when another run invoked it (context.invoke), that run gets its result as the invoke
   * step's output {@code {"body", "isFailed", "isCanceled"}} (spec 13.10). Returns the stored messages.
   */
  List<Message> ended(Tx tx, Workflows.Run run, String state, byte[] response, Instant now) {
    if (run.invoker() == null) return List.of();
    JsonNode invoker = Json.MAPPER.readTree(run.invoker());
    JsonNode step = invoker.get("step");
    String url = invoker.path("workflowUrl").asString(null);
    if (step == null || !step.isObject() || url == null) return List.of();
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("body", response == null ? null : new String(response, StandardCharsets.UTF_8));
    out.put("isFailed", Workflows.FAILED.equals(state));
    out.put("isCanceled", Workflows.CANCELED.equals(state));
    ObjectNode result = ((ObjectNode) step).deepCopy();
    result.put("out", Json.MAPPER.writeValueAsString(out));
    Map<String, List<String>> headers = headerMap(invoker.get("headers"));
    Message m = publish(tx, url, headers, Json.MAPPER.writeValueAsBytes(result), run.callerIp(), now);
    return m == null ? List.of() : List.of(m);
  }

  /**
   * Stores a message the server publishes for a run (a notified or timed-out wait, an invoke result) in
   * the caller's transaction. Returns null when the run has ended meanwhile (nothing is stored).
   */
  Message publish(Tx tx, String url, Map<String, List<String>> headers, byte[] body, String callerIp, Instant now) {
    MessageOptions options;
    try {
      options = parser.parse(headers);
    } catch (ValidationException e) {
      // stored headers that no longer parse (limits changed): this one step is lost, not every other one
      log.warn("a workflow step was not published, its stored headers are invalid: {}", e.getMessage());
      return null;
    }
    Message m = factory.create(new Publication(url, null, null, null, null, options, body, callerIp), now, null);
    if (m.workflow() != null) {
      try {
        m = attach(tx, m, now.toEpochMilli()).message();
      } catch (ValidationException ended) {
        return null;
      }
      if (m == null) return null;
    }
    PublishService.insert(tx, m, now.toEpochMilli());
    return m;
  }

  /**
   * The request a workflow message makes (spec 13.4): the workflow headers the SDK reads, and the
   * body it expects. A step (the trigger included) goes with an empty body: the SDK fetches the run's
   * steps (LazyFetch) and keeps those up to this message's id. A context.call result goes as the
   * one-element step list whose body is the callback payload. A context.call request to a third
   * party goes as published, without workflow headers.
   */
  static Message delivery(Message m) {
    Workflow w = m.workflow();
    if (w == null || !w.toWorkflow()) return m;
    Map<String, List<String>> h = new LinkedHashMap<>(m.headers().map());
    h.put("Upstash-Workflow-Runid", List.of(w.runId()));
    h.put("Upstash-Workflow-Url", List.of(w.url() != null ? w.url() : m.url()));
    h.put("Upstash-Workflow-Init", List.of(Boolean.toString(w.init())));
    h.put("Upstash-Workflow-Calltype", List.of(w.callType()));
    h.put("Upstash-Workflow-Createdat", List.of(Long.toString(w.createdAt())));
    h.put("Upstash-Workflow-Sdk-Version", List.of("1"));
    byte[] body = switch (w.callType()) {
      case Workflow.STEP -> EMPTY;
      case Workflow.FROM_CALLBACK -> Json.MAPPER.writeValueAsBytes(List.of(rawStep(m.id(), m.body(), Workflow.FROM_CALLBACK)));
      default -> m.body();
    };
    return m.withHeadersAndBody(dev.herald.core.message.Headers.of(h), body);
  }

  /** An element of the step list the SDK reads: {@code {messageId, body (base64), callType}}. */
  static Map<String, Object> rawStep(String messageId, byte[] body, String callType) {
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("messageId", messageId);
    s.put("body", Base64.getEncoder().encodeToString(body));
    s.put("callType", callType);
    return s;
  }

  /** The body of a context.invoke trigger: {@code {body, headers, workflowRunId, workflowRunCreatedAt, workflowUrl, step}}. */
  private static JsonNode invokeRequest(byte[] body) {
    try {
      JsonNode req = Json.MAPPER.readTree(body);
      if (req != null && req.isObject()) return req;
    } catch (RuntimeException ignored) {
      // answered below
    }
    throw new ValidationException("body: an invoke trigger (Upstash-Workflow-Invoke: true) needs the invoking run as JSON");
  }

  /** What is kept of the invoking run: where and how to publish its result (its token is not kept). */
  private static Map<String, Object> invoker(JsonNode req) {
    Map<String, Object> inv = new LinkedHashMap<>();
    inv.put("workflowRunId", req.path("workflowRunId").asString(null));
    inv.put("workflowRunCreatedAt", req.path("workflowRunCreatedAt").asLong(0));
    inv.put("workflowUrl", req.path("workflowUrl").asString(null));
    inv.put("step", req.get("step"));
    Map<String, List<String>> kept = new LinkedHashMap<>();
    headerMap(req.get("headers")).forEach((k, v) -> {
      if (keptHeader(k)) kept.put(k, v);
    });
    inv.put("headers", kept);
    return inv;
  }

  /**
   * Headers worth keeping to publish a step later: the Upstash-* configuration and the content type.
   * Never Authorization: the SDK sends its token along, and it must not sit in the store.
   */
  static boolean keptHeader(String name) {
    String n = name.toLowerCase(Locale.ROOT);
    return n.startsWith("upstash-") || n.equals("content-type");
  }

  /** {@code {name: value | [values]}} as a header map. */
  static Map<String, List<String>> headerMap(JsonNode node) {
    Map<String, List<String>> out = new LinkedHashMap<>();
    if (node == null || !node.isObject()) return out;
    for (var e : node.properties()) {
      List<String> values = new ArrayList<>();
      if (e.getValue().isArray()) e.getValue().forEach(v -> values.add(text(v)));
      else values.add(text(e.getValue()));
      out.put(e.getKey(), values);
    }
    return out;
  }

  private static String text(JsonNode n) {
    return n.isString() ? n.asString() : n.toString();
  }
}
