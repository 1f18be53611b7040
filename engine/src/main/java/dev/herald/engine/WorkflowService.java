package dev.herald.engine;

import dev.herald.core.ValidationException;
import dev.herald.core.message.Message;
import dev.herald.core.message.Workflow;
import dev.herald.core.time.Durations;
import dev.herald.store.Db;
import dev.herald.store.Dlq;
import dev.herald.store.Json;
import dev.herald.store.Messages;
import dev.herald.store.Tx;
import dev.herald.store.Workflows;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The server side of Upstash Workflow (spec 13) that is not a message: a run's step list, ending and
 * cancelling runs, waiting for and notifying events, and the run log. Messages of runs are published,
 * delivered and retried like any other ({@link WorkflowRuns} keeps their runs' books). Thread-safe.
 */
public final class WorkflowService {
  /** How long a wait lasts when the step gives no timeout (the SDK's default). */
  static final Duration DEFAULT_WAIT = Duration.ofDays(7);
  /** The longest wait accepted (a year): every wait has a bound, and its deadline stays a sane number. */
  static final Duration MAX_WAIT = Duration.ofDays(365);
  public static final int SWEEP_BATCH = 100;

  private final Db db;
  private final InstantSource clock;
  private final WorkflowRuns runs;
  private final Callbacks callbacks;
  private final dev.herald.core.id.Ids ids;
  private final java.security.SecureRandom random = new java.security.SecureRandom();
  private final PublishService publisher;
  private volatile NewWork newWork = due -> {};

  public WorkflowService(Db db, InstantSource clock, dev.herald.core.message.HeaderParser parser, dev.herald.core.id.Ids ids,
      PublishService publisher) {
    this.db = db;
    this.clock = clock;
    this.runs = new WorkflowRuns(parser, ids);
    this.callbacks = new Callbacks(parser, ids);
    this.ids = ids;
    this.publisher = publisher;
  }

  public void onNewWork(NewWork listener) {
    this.newWork = listener;
  }

  /** What one write produced: messages stored (to index) and messages cancelled (to forget). */
  private static final class Changes {
    final List<Message> stored = new ArrayList<>();
    final List<Message> cancelled = new ArrayList<>();

    void clear() {
      stored.clear();
      cancelled.clear();
    }
  }

  private <T> T write(java.util.function.BiFunction<Tx, Changes, T> work) {
    Changes c = new Changes();
    T result = db.write(tx -> {
      c.clear(); // the writer may run this work again
      return work.apply(tx, c);
    }).join();
    for (Message m : c.cancelled) newWork.finished(m);
    for (Message m : c.stored) publisher.newWork().created(Messages.Due.of(m, m.notBefore().toEpochMilli(), false));
    return result;
  }

  /**
   * The step list of a running run (GET /v2/workflows/runs/{id}): the trigger's payload, then every step
   * and context.call result in publish order, as {@code {messageId, body (base64), callType}}. Empty
   * when the run has ended or never existed (404: the SDK then stops).
   */
  public Optional<List<Map<String, Object>>> steps(String runId) {
    return db.read(tx -> {
      Workflows.Run run = tx.workflows().find(runId).orElse(null);
      if (run == null || !run.active()) return Optional.empty();
      List<Map<String, Object>> out = new ArrayList<>();
      for (Workflows.RunMessage m : tx.workflows().messages(runId)) {
        if (WorkflowRuns.listed(m.callType())) out.add(WorkflowRuns.rawStep(m.messageId(), m.body(), m.callType()));
      }
      return Optional.of(out);
    });
  }

  /** How DELETE /v2/workflows/runs/{id} went. */
  public enum Ended { ENDED, ALREADY_ENDED, NOT_FOUND }

  /**
   * Ends a run: with its result (the route function returned) or cancelled. Cancelling also cancels its
   * pending messages and waits. A run that has ended already stays as it is.
   */
  public Ended end(String runId, boolean cancel, byte[] response) {
    Instant now = clock.instant();
    return write((tx, c) -> {
      Workflows.Run run = tx.workflows().lock(runId).orElse(null);
      if (run == null) return Ended.NOT_FOUND;
      String state = cancel ? Workflows.CANCELED : Workflows.SUCCESS;
      byte[] result = cancel ? null : response;
      if (!tx.workflows().end(runId, state, now.toEpochMilli(), result, null)) return Ended.ALREADY_ENDED;
      tx.workflows().removeWaitersOf(runId);
      // A finished run's messages are left alone: the one that finished it is still in its attempt, and a
      // context.call request keeps going (WF_NoDelete). A cancelled run's are cancelled, wherever they are.
      if (cancel) cancelMessages(tx, runId, now.toEpochMilli(), c);
      c.stored.addAll(runs.ended(tx, run, state, result, now));
      return Ended.ENDED;
    });
  }

  private static void cancelMessages(Tx tx, String runId, long now, Changes c) {
    for (Workflows.RunMessage rm : tx.workflows().messages(runId)) {
      tx.messages().cancel(rm.messageId()).ifPresent(m -> {
        EventLog.append(tx, now, m, "CANCEL_REQUESTED", null);
        EventLog.append(tx, now, m, "CANCELED", null);
        c.cancelled.add(m);
      });
    }
  }

  /**
   * What the store cannot filter runs by (spec 13.1): the workflow URL's host and path, and the run's
   * flow-control key (any of the values of each; empty lists do not filter). Checked on the runs the
   * store's filters selected.
   */
  public record RunMatch(List<String> hosts, List<String> paths, List<String> flowKeys) {
    public static final RunMatch ANY = new RunMatch(null, null, null);

    public RunMatch {
      hosts = hosts == null ? List.of() : List.copyOf(hosts);
      paths = paths == null ? List.of() : List.copyOf(paths);
      flowKeys = flowKeys == null ? List.of() : List.copyOf(flowKeys);
    }

    /** Whether this filters nothing. */
    public boolean isAny() {
      return hosts.isEmpty() && paths.isEmpty() && flowKeys.isEmpty();
    }

    boolean matches(Workflows.Run r) {
      if (isAny()) return true;
      java.net.URI u;
      try {
        u = java.net.URI.create(r.url());
      } catch (IllegalArgumentException e) {
        return false;
      }
      String path = u.getRawPath() == null || u.getRawPath().isEmpty() ? "/" : u.getRawPath();
      String flowKey = flowKeys.isEmpty() ? null : WorkflowRuns.RunSettings.read(r).flowKey();
      return (hosts.isEmpty() || hosts.stream().anyMatch(h -> h.equalsIgnoreCase(dev.herald.core.message.HeaderParser.host(u))))
          && (paths.isEmpty() || paths.contains(path))
          && (flowKeys.isEmpty() || (flowKey != null && flowKeys.contains(flowKey))); // List.copyOf: no contains(null)
    }
  }

  /**
   * Which running runs a bulk cancel ends (spec 13.1): by ids, else by the store's filters plus
   * {@code match}, at most {@code count}.
   */
  public record CancelFilter(List<String> runIds, Workflows.RunFilter runs, RunMatch match, int count) {
    public CancelFilter {
      runIds = runIds == null ? List.of() : List.copyOf(runIds);
      match = match == null ? RunMatch.ANY : match;
    }
  }

  private static final int CANCEL_PAGE = 500;

  /** Cancels running runs matching the filter; returns how many. */
  public int cancel(CancelFilter f) {
    int n = 0;
    for (String id : f.runIds().isEmpty() ? matching(f) : f.runIds()) {
      if (end(id, true, null) == Ended.ENDED) n++;
    }
    return n;
  }

  /** Running runs the filter selects, oldest first, at most its count. */
  private List<String> matching(CancelFilter f) {
    // Host, path and flow-control key are checked here, so read pages until count runs matched.
    List<String> ids = new ArrayList<>();
    Workflows.Run last = null;
    while (ids.size() < f.count()) {
      Workflows.Run after = last;
      List<Workflows.Run> page = db.read(tx -> tx.workflows().running(f.runs(), after == null ? null : after.createdAt(),
          after == null ? null : after.runId(), CANCEL_PAGE));
      for (Workflows.Run r : page) {
        if (ids.size() < f.count() && f.match().matches(r)) ids.add(r.runId());
      }
      if (page.size() < CANCEL_PAGE) break;
      last = page.get(page.size() - 1);
    }
    return ids;
  }

  /**
   * Registers a waiting step (POST /v2/wait/{eventId}). {@code headers} are the request's: the step
   * published on notify carries them. An event already notified for this run is delivered at once.
   */
  public void waitFor(String eventId, JsonNode body, Map<String, List<String>> headers, String callerIp) {
    if (body == null || !body.isObject()) throw new ValidationException("body: expected a JSON object");
    String runId = first(headers, "upstash-workflow-runid");
    if (runId == null) throw new ValidationException("Upstash-Workflow-RunId: required");
    String url = body.path("url").asString(null);
    if (url == null) throw new ValidationException("url: required");
    dev.herald.core.message.HeaderParser.url("url", url);
    JsonNode step = body.get("step");
    if (step == null || !step.isObject()) throw new ValidationException("step: expected an object");
    Duration timeout = timeout(body.get("timeout"));
    String timeoutUrl = body.path("timeoutUrl").asString(null);
    if (timeoutUrl != null) dev.herald.core.message.HeaderParser.url("timeoutUrl", timeoutUrl);
    JsonNode tb = body.get("timeoutBody");
    byte[] timeoutBody = tb == null || tb.isNull() ? null : tb.asString().getBytes(StandardCharsets.UTF_8);
    Map<String, List<String>> kept = new LinkedHashMap<>();
    headers.forEach((k, v) -> {
      if (WorkflowRuns.keptHeader(k)) kept.put(k, v);
    });
    Map<String, List<String>> timeoutHeaders = body.has("timeoutHeaders") ? kept(WorkflowRuns.headerMap(body.get("timeoutHeaders"))) : null;
    // the step is published later with these: a header that does not parse is the caller's error now
    runs.validate(kept);
    if (timeoutHeaders != null) runs.validate(timeoutHeaders);
    Instant now = clock.instant();
    write((tx, c) -> {
      Workflows.Run run = tx.workflows().lock(runId).orElse(null);
      if (run == null || !run.active()) throw new ValidationException("workflow run " + runId + " is not running");
      Workflows.Waiter w = new Workflows.Waiter(0, eventId, runId, url, now.plus(timeout).toEpochMilli(), now.toEpochMilli(),
          kept, timeoutUrl, timeoutHeaders, timeoutBody, Json.MAPPER.writeValueAsBytes(step));
      Optional<byte[]> early = tx.workflows().takeEvent(runId, eventId);
      if (early.isPresent()) {
        Message m = notified(tx, w, early.get(), callerIp, now);
        if (m != null) c.stored.add(m);
      } else {
        tx.workflows().addWaiter(w);
      }
      return null;
    });
  }

  private static Map<String, List<String>> kept(Map<String, List<String>> headers) {
    Map<String, List<String>> out = new LinkedHashMap<>();
    headers.forEach((k, v) -> {
      if (WorkflowRuns.keptHeader(k)) out.put(k, v);
    });
    return out;
  }

  /**
   * A wait's timeout; longer than {@link #MAX_WAIT} waits {@link #MAX_WAIT}, then times out like any wait.
   * Not a 400: the SDK reads a 400 from /v2/wait as "the run is over" and stops without a word, which
   * would leave the run hanging with nobody waiting.
   */
  private static Duration timeout(JsonNode t) {
    if (t == null || t.isNull()) return DEFAULT_WAIT;
    if (t.isNumber() && t.asDouble() <= 0) throw new ValidationException("timeout: must be positive");
    if (t.isNumber() && t.asDouble() > MAX_WAIT.toSeconds()) return MAX_WAIT;
    Duration d = t.isNumber() ? Duration.ofSeconds(t.asLong()) : Durations.parse("timeout", t.asString());
    if (d.isNegative() || d.isZero()) throw new ValidationException("timeout: must be positive");
    return d.compareTo(MAX_WAIT) > 0 ? MAX_WAIT : d;
  }

  /** One answer of notify: the waiter told and the message that tells it. */
  public record Notified(Workflows.Waiter waiter, String messageId) {}

  /**
   * Notifies the waiters of an event (POST /v2/notify/{eventId}, or only those of one run). With a run
   * and no waiter yet, the event is kept for that run (lookback).
   */
  public List<Notified> notify(String eventId, String runId, byte[] data, String callerIp) {
    Instant now = clock.instant();
    return write((tx, c) -> {
      List<Notified> out = new ArrayList<>();
      // a notify for one run is serialized with that run's waits (lookback must not fall between them)
      Workflows.Run locked = runId == null ? null : tx.workflows().lock(runId).orElse(null);
      for (Workflows.Waiter w : tx.workflows().waiters(eventId, runId)) {
        if (!tx.workflows().removeWaiter(w.id())) continue;
        Message m = notified(tx, w, data, callerIp, now);
        if (m == null) continue;
        c.stored.add(m);
        out.add(new Notified(w, m.id()));
      }
      if (out.isEmpty() && locked != null && locked.active()) {
        tx.workflows().putEvent(runId, eventId, now.toEpochMilli(), data);
      }
      return out;
    });
  }

  /** The step a notified waiter gets: its step with {@code out} = base64 of the event data. */
  private Message notified(Tx tx, Workflows.Waiter w, byte[] data, String callerIp, Instant now) {
    ObjectNode step = (ObjectNode) Json.MAPPER.readTree(w.step());
    step.put("out", Base64.getEncoder().encodeToString(data));
    step.put("waitTimeout", false);
    return runs.publish(tx, w.url(), w.headers(), Json.MAPPER.writeValueAsBytes(step), callerIp, now);
  }

  /**
   * A call to a webhook URL (context.createWebhook): notifies the run's wait for it, or keeps it for a
   * wait to come. Only a URL the run really created works: the event id must be one a CreateWebhook step
   * of this running run returned. False (nothing done) otherwise.
   */
  public boolean webhook(String runId, String eventId, byte[] request) {
    boolean known = db.read(tx -> {
      Workflows.Run run = tx.workflows().find(runId).orElse(null);
      if (run == null || !run.active()) return false;
      for (Workflows.RunMessage m : tx.workflows().messages(runId)) {
        if (Workflow.STEP.equals(m.callType()) && createdWebhook(m.body(), eventId)) return true;
      }
      return false;
    });
    if (known) notify(eventId, runId, request, null);
    return known;
  }

  /** Whether a step is a CreateWebhook step whose output names {@code eventId}. */
  private static boolean createdWebhook(byte[] stepJson, String eventId) {
    try {
      JsonNode step = Json.MAPPER.readTree(stepJson);
      if (step == null || !"CreateWebhook".equals(step.path("stepType").asString(null))) return false;
      JsonNode out = step.get("out");
      if (out == null || !out.isString()) return false;
      return eventId.equals(Json.MAPPER.readTree(out.asString()).path("eventId").asString(null));
    } catch (RuntimeException notJson) {
      return false;
    }
  }

  public List<Workflows.Waiter> waiters(String eventId) {
    return db.read(tx -> tx.workflows().waiters(eventId, null));
  }

  /**
   * Times out waits whose deadline has passed: each publishes its step with {@code waitTimeout: true}
   * (to its timeout URL and headers when it has them). Returns how many; the loop runs again on a full batch.
   */
  public int expireWaiters() {
    Instant now = clock.instant();
    // a read first: a pass with nothing due must not be a durable write (it would make its batch fsync)
    if (db.read(tx -> tx.workflows().expiredWaiters(now.toEpochMilli(), 1)).isEmpty()) return 0;
    return write((tx, c) -> {
      int n = 0;
      for (Workflows.Waiter w : tx.workflows().expiredWaiters(now.toEpochMilli(), SWEEP_BATCH)) {
        if (!tx.workflows().removeWaiter(w.id())) continue;
        n++;
        byte[] body = w.timeoutBody();
        if (body == null) {
          ObjectNode step = (ObjectNode) Json.MAPPER.readTree(w.step());
          step.put("waitTimeout", true);
          body = Json.MAPPER.writeValueAsBytes(step);
        }
        String url = w.timeoutUrl() != null ? w.timeoutUrl() : w.url();
        Map<String, List<String>> headers = w.timeoutHeaders() != null ? w.timeoutHeaders() : w.headers();
        Message m = runs.publish(tx, url, headers, body, null, now);
        if (m != null) c.stored.add(m);
      }
      return n;
    });
  }

  /** One page of the run log. */
  public record RunPage(List<RunLog> runs, String cursor) {}

  public record RunLog(Workflows.Run run, List<Workflows.RunMessage> messages) {}

  /** How many runs one log request reads at most to find a page that {@link RunMatch} filters (a bound per request). */
  private static final int LOG_SCAN = 5000;

  /**
   * Runs newest first; the cursor is {@code createdAt:runId} of the last one shown. What {@code match}
   * filters is checked here, on pages of the store's selection; when a request has read
   * {@link #LOG_SCAN} runs without filling its page, it answers what it found with a cursor after the
   * last run it read, so the next request goes on from there.
   */
  public RunPage logs(Workflows.Filter f, RunMatch match, String cursor, int count) {
    Long before = null;
    String beforeId = null;
    if (cursor != null && !cursor.isEmpty()) {
      int colon = cursor.indexOf(':');
      try {
        if (colon < 1) throw new NumberFormatException();
        before = Long.parseLong(cursor.substring(0, colon));
        beforeId = cursor.substring(colon + 1);
      } catch (NumberFormatException e) {
        throw new ValidationException("cursor: not a cursor this server gave");
      }
    }
    Long b = before;
    String bid = beforeId;
    RunMatch m = match == null ? RunMatch.ANY : match;
    return db.read(tx -> {
      List<Workflows.Run> found = new ArrayList<>();
      Workflows.Run last = null; // the last run read, matching or not
      int read = 0;
      boolean more = true;
      // Unfiltered: one page of full runs. Filtered here: pages of runs without their payloads (bodies
      // and results can be large), then the full rows of the ones shown.
      while (found.size() <= count && more && read < LOG_SCAN) {
        int page = m.isAny() ? count + 1 : Math.min(CANCEL_PAGE, LOG_SCAN - read);
        List<Workflows.Run> runs = tx.workflows().list(f, last == null ? b : Long.valueOf(last.createdAt()),
            last == null ? bid : last.runId(), page, m.isAny());
        for (Workflows.Run r : runs) {
          if (found.size() > count) break;
          last = r;
          read++;
          if (m.matches(r)) found.add(r);
        }
        more = runs.size() == page;
      }
      List<RunLog> out = new ArrayList<>();
      for (int i = 0; i < Math.min(count, found.size()); i++) {
        Workflows.Run r = m.isAny() ? found.get(i) : tx.workflows().find(found.get(i).runId()).orElse(null);
        if (r != null) out.add(new RunLog(r, tx.workflows().messages(r.runId())));
      }
      String next = null;
      if (found.size() > count) {
        Workflows.Run end = found.get(count - 1);
        next = end.createdAt() + ":" + end.runId();
      } else if (more && last != null) {
        next = last.createdAt() + ":" + last.runId(); // the scan bound: go on after the last run read
      }
      return new RunPage(out, next);
    });
  }

  /** A run a DLQ action started or continued. */
  public record RunRef(String workflowRunId, long workflowCreatedAt) {}

  /** The runs of DLQ entries (after they were resumed through {@link DlqService#retry}). */
  public static List<RunRef> runsOf(List<Dlq.Entry> entries) {
    List<RunRef> out = new ArrayList<>();
    for (Dlq.Entry e : entries) {
      Workflow w = e.message().workflow();
      if (w != null) out.add(new RunRef(w.runId(), w.createdAt()));
    }
    return out;
  }

  /**
   * Starts the run of each entry again from the beginning, as a new run with the same payload and
   * settings ({@code override}: headers of the request), and removes the entry.
   */
  public List<RunRef> restart(List<Dlq.Entry> entries, UnaryOperator<Message> override) {
    Instant now = clock.instant();
    long nowMs = now.toEpochMilli();
    return write((tx, c) -> {
      List<RunRef> out = new ArrayList<>();
      for (Dlq.Entry e : entries) {
        Message failed = e.message();
        Workflow w = failed.workflow();
        if (w == null) continue;
        Workflows.Run run = tx.workflows().find(w.runId()).orElse(null);
        if (run == null || !tx.dlq().delete(e.dlqId())) continue;
        // the run starts over as a new one: the entries of its other failed (parallel) steps go with it
        for (Dlq.Entry sibling : tx.dlq().list(Dlq.Filter.ofRun(w.runId()), null, 1000)) tx.dlq().delete(sibling.dlqId());
        String runId = newRunId();
        Message trigger = override.apply(DlqService.renew(failed, now, ids))
            .withHeadersAndBody(failed.headers(), run.initialBody())
            .withWorkflow(new Workflow(runId, run.url(), Workflow.STEP, true, false, 0));
        Message m = WorkflowRuns.attach(tx, trigger, nowMs).message();
        PublishService.insert(tx, m, nowMs);
        c.stored.add(m);
        out.add(new RunRef(runId, nowMs));
      }
      return out;
    });
  }

  /**
   * Calls the failure function of a dead-lettered workflow message again (its first failure callback
   * failed, or it had none delivered). Empty when there is no such entry or it has no failure callback.
   */
  public Optional<RunRef> retryFailureFunction(String dlqId) {
    Instant now = clock.instant();
    return write((tx, c) -> {
      Dlq.Entry e = tx.dlq().find(dlqId).orElse(null);
      if (e == null || e.message().workflow() == null) return Optional.<RunRef>empty();
      if (e.failureCallbackInfo() != null
          && "CALLBACK_SUCCESS".equals(Json.MAPPER.readTree(e.failureCallbackInfo()).path("state").asString(""))) {
        throw new ValidationException("the failure function of dlq entry " + dlqId + " has already run successfully");
      }
      Message m = e.message();
      Dlq.LastResponse r = e.response();
      dev.herald.core.delivery.Outcome outcome = r.error() != null && r.status() == 0
          ? new dev.herald.core.delivery.Outcome.NoResponse(r.error())
          : new dev.herald.core.delivery.Outcome.Response(r.status(), r.headers(), r.body());
      Optional<Message> cb = callbacks.failureCallback(m, outcome, dlqId, WorkflowRuns.failureDetail(tx, m), now);
      if (cb.isEmpty()) return Optional.<RunRef>empty();
      Message attached = WorkflowRuns.attachCallback(tx, cb.get(), now.toEpochMilli());
      PublishService.insert(tx, attached, now.toEpochMilli());
      WorkflowRuns.failureCallStarted(tx, m.id());
      c.stored.add(attached);
      return Optional.of(new RunRef(m.workflow().runId(), m.workflow().createdAt()));
    });
  }

  /** The creation time of a run, if it exists. */
  public Optional<Long> createdAt(String runId) {
    return db.read(tx -> tx.workflows().find(runId).map(Workflows.Run::createdAt));
  }

  /** A run id like the SDK's: {@code wfr_} and 21 URL-safe characters. */
  public String newRunId() {
    String chars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_";
    StringBuilder sb = new StringBuilder("wfr_");
    for (int i = 0; i < 21; i++) sb.append(chars.charAt(random.nextInt(chars.length())));
    return sb.toString();
  }

  private static String first(Map<String, List<String>> headers, String lowerName) {
    for (var e : headers.entrySet()) {
      if (e.getKey().equalsIgnoreCase(lowerName) && !e.getValue().isEmpty()) return e.getValue().get(0);
    }
    return null;
  }
}
