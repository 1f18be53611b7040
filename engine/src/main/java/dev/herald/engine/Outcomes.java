package dev.herald.engine;

import dev.herald.core.delivery.Outcome;
import dev.herald.core.delivery.Transitions;
import dev.herald.core.id.Ids;
import dev.herald.core.message.Headers;
import dev.herald.core.message.Message;
import dev.herald.store.Dlq;
import dev.herald.store.Messages;
import dev.herald.store.Tx;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes the result of one attempt, as decided by {@link Transitions}, inside one transaction: the
 * message's new state (fenced by its lease), log entries, the DLQ entry and any callback messages.
 * Because it is one transaction, a crash can never leave a DLQ entry without its failure callback, nor
 * a queued message's slot free while its callback is pending.
 */
public final class Outcomes {
  /**
   * What was written; {@code followUps} are new messages (callbacks) and retries to index, {@code published}
   * other messages the result caused (a workflow run's result for the run that invoked it).
   */
  record Written(boolean applied, List<Message> followUps, Long retryAt, List<Message> published) {}

  private final Callbacks callbacks;
  private final WorkflowRuns workflows;
  private final Ids ids;
  private final int maxStoredResponseBytes;

  Outcomes(Callbacks callbacks, WorkflowRuns workflows, Ids ids, int maxStoredResponseBytes) {
    this.callbacks = callbacks;
    this.workflows = workflows;
    this.ids = ids;
    this.maxStoredResponseBytes = maxStoredResponseBytes;
  }

  Written write(Tx tx, Message m, String lease, Outcome outcome, Transitions.Decision decision, Instant now) {
    long nowMs = now.toEpochMilli();
    List<Message> followUps = new ArrayList<>(2);
    Long retryAt = null;
    List<Message> published = List.of();
    boolean applied;
    switch (decision) {
      case Transitions.Delivered d -> {
        applied = tx.messages().finish(m.id(), lease);
        if (applied) EventLog.append(tx, nowMs, m, "DELIVERED", responseDetail(outcome, false));
        if (applied && WorkflowRuns.isFailureCall(m)) WorkflowRuns.failureCallEnded(tx, m, "CALLBACK_SUCCESS", outcome);
      }
      case Transitions.Retry r -> {
        applied = tx.messages().retryLater(m.id(), lease, r.at().toEpochMilli(), r.retried(), r.crashes());
        if (applied) {
          if (!(outcome instanceof Outcome.Crashed)) EventLog.append(tx, nowMs, m, "ERROR", responseDetail(outcome, true));
          EventLog.append(tx, nowMs, m, "RETRY", Map.of("nextDeliveryTime", r.at().toEpochMilli()));
          retryAt = r.at().toEpochMilli();
        }
      }
      case Transitions.Failed f when WorkflowRuns.isFailureCall(m) -> {
        // a workflow's failure function that fails for good is recorded on the run's DLQ entry (spec 13.8)
        applied = tx.messages().finish(m.id(), lease);
        if (applied) {
          if (!(outcome instanceof Outcome.Crashed)) EventLog.append(tx, nowMs, m, "ERROR", responseDetail(outcome, true));
          EventLog.append(tx, nowMs, m, "FAILED", Map.of("error", f.reason()));
          WorkflowRuns.failureCallEnded(tx, m, "CALLBACK_FAIL", outcome);
        }
      }
      case Transitions.Failed f -> {
        applied = tx.messages().finish(m.id(), lease);
        // a step of a run that an earlier step already failed (parallel steps): the run's failure
        // function has been called once, for the run; this step only needs its entry to be resumed with it
        boolean runFailedBefore = applied && WorkflowRuns.hasFailed(tx, m);
        if (applied) {
          if (!(outcome instanceof Outcome.Crashed)) EventLog.append(tx, nowMs, m, "ERROR", responseDetail(outcome, true));
          String dlqId = ids.dlq(now);
          tx.dlq().insert(dlqId, m, nowMs, lastResponse(outcome, f.reason()));
          Map<String, Object> detail = new LinkedHashMap<>();
          detail.put("error", f.reason());
          detail.put("dlqId", dlqId);
          EventLog.append(tx, nowMs, m, "FAILED", detail);
          if (!runFailedBefore) {
            callbacks.failureCallback(m, outcome, dlqId, WorkflowRuns.failureDetail(tx, m), now).ifPresent(followUps::add);
          }
          if (m.workflow() != null) {
            published = workflows.failed(tx, m, dlqId, now);
            if (m.failureCallback() != null && !runFailedBefore) WorkflowRuns.failureCallStarted(tx, m.id());
          }
        }
      }
    }
    if (applied && !(outcome instanceof Outcome.Crashed)) callbacks.callback(m, outcome, now).ifPresent(followUps::add);
    // The callbacks of a queued message keep its slot until they end (spec 8.5); they are not queued themselves.
    Messages.QueueSlot slot = m.queueName() == null ? null : new Messages.QueueSlot(m.queueName(), m.id());
    for (int i = 0; i < followUps.size(); i++) {
      Message cb = followUps.get(i);
      if (cb.workflow() != null) followUps.set(i, cb = WorkflowRuns.attachCallback(tx, cb, nowMs));
      tx.messages().insert(cb, cb.notBefore().toEpochMilli(), slot);
    }
    return new Written(applied, followUps, retryAt, published);
  }

  private Dlq.LastResponse lastResponse(Outcome outcome, String reason) {
    return switch (outcome) {
      case Outcome.Response r -> new Dlq.LastResponse(r.status(), Headers.of(r.headers()).map(), cap(r.body()), null);
      case Outcome.NoResponse n -> new Dlq.LastResponse(0, Map.of(), new byte[0], n.error());
      case Outcome.Crashed c -> new Dlq.LastResponse(0, Map.of(), new byte[0], reason);
    };
  }

  private Map<String, Object> responseDetail(Outcome outcome, boolean withBody) {
    Map<String, Object> d = new LinkedHashMap<>();
    switch (outcome) {
      case Outcome.Response r -> {
        d.put("responseStatus", r.status());
        if (withBody) {
          Map<String, List<String>> h = Headers.of(r.headers()).map();
          d.put("responseHeaders", h);
          d.put("responseBody", Base64.getEncoder().encodeToString(cap(r.body())));
          if (!r.success()) d.put("error", "status " + r.status());
        }
      }
      case Outcome.NoResponse n -> d.put("error", n.error());
      case Outcome.Crashed c -> d.put("error", Transitions.CRASH_REASON);
    }
    return d;
  }

  private byte[] cap(byte[] body) {
    return body.length <= maxStoredResponseBytes ? body : Arrays.copyOf(body, maxStoredResponseBytes);
  }
}
