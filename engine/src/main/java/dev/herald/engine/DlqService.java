package dev.herald.engine;

import dev.herald.core.id.Ids;
import dev.herald.core.message.FlowControl;
import dev.herald.core.message.Headers;
import dev.herald.core.message.Message;
import dev.herald.core.message.MessageOptions;
import dev.herald.store.Db;
import dev.herald.store.Dlq;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * The dead-letter queue (spec 9): list, read, delete and retry. A retry re-creates the message with a
 * new id, fresh retries and the original body, headers and configuration, and removes the DLQ entry,
 * in one transaction.
 */
public final class DlqService {
  /** One page of a bulk action: how many were touched, and where to continue (null when done). */
  public record Page<T>(List<T> items, String cursor) {}

  private final Db db;
  private final InstantSource clock;
  private final Ids ids;
  private volatile NewWork newWork = due -> {};

  public DlqService(Db db, InstantSource clock, Ids ids) {
    this.db = db;
    this.clock = clock;
    this.ids = ids;
  }

  public void onNewWork(NewWork listener) {
    this.newWork = listener;
  }

  public Page<Dlq.Entry> list(Dlq.Filter f, String cursor, int count) {
    List<Dlq.Entry> rows = db.read(tx -> tx.dlq().list(f, cursor, count + 1));
    return page(rows, count);
  }

  public Optional<Dlq.Entry> find(String dlqId) {
    return db.read(tx -> tx.dlq().find(dlqId));
  }

  public boolean delete(String dlqId) {
    return db.write(tx -> tx.dlq().delete(dlqId)).join();
  }

  public Page<String> deleteMatching(Dlq.Filter f, String cursor, int count) {
    Page<Dlq.Entry> p = list(f, cursor, count);
    List<String> gone = db.write(tx -> {
      List<String> out = new ArrayList<>();
      for (Dlq.Entry e : p.items()) if (tx.dlq().delete(e.dlqId())) out.add(e.dlqId());
      return out;
    }).join();
    return new Page<>(gone, p.cursor());
  }

  /** Re-publishes one entry; {@code override} may change the configuration (headers on the retry request). */
  public Optional<String> retry(String dlqId, UnaryOperator<Message> override) {
    Page<String> p = retryEntries(find(dlqId).map(List::of).orElse(List.of()), null, override);
    return p.items().stream().findFirst();
  }

  /** Re-publishes the given entries (workflow resume goes through here too). */
  public Page<String> retry(List<Dlq.Entry> entries, String cursor, UnaryOperator<Message> override) {
    return retryEntries(entries, cursor, override);
  }

  public Page<String> retryMatching(Dlq.Filter f, String cursor, int count, UnaryOperator<Message> override) {
    Page<Dlq.Entry> p = list(f, cursor, count);
    return retryEntries(p.items(), p.cursor(), override);
  }

  private Page<String> retryEntries(List<Dlq.Entry> entries, String cursor, UnaryOperator<Message> override) {
    Instant now = clock.instant();
    long nowMs = now.toEpochMilli();
    List<Message> fresh = new ArrayList<>();
    List<String> created = db.write(tx -> {
      fresh.clear(); // the writer may run this work again
      List<String> out = new ArrayList<>();
      for (Dlq.Entry e : entries) {
        if (!tx.dlq().delete(e.dlqId())) continue; // retried or deleted by someone else meanwhile
        Message m = resume(tx, e, override, now, nowMs);
        fresh.add(m);
        out.add(m.id());
        if (m.workflow() == null) continue;
        // Parallel steps that failed in the same run come back with it: the run waits for all of them.
        for (Dlq.Entry sibling : tx.dlq().list(Dlq.Filter.ofRun(m.workflow().runId()), null, 1000)) {
          if (tx.dlq().delete(sibling.dlqId())) fresh.add(resume(tx, sibling, override, now, nowMs));
        }
      }
      return out;
    }).join();
    for (Message m : fresh) newWork.created(dev.herald.store.Messages.Due.of(m, m.notBefore().toEpochMilli(), false));
    return new Page<>(created, cursor);
  }

  private Message renew(Message m, Instant now) {
    return renew(m, now, ids);
  }

  /** The entry's message again, stored as new; a workflow step comes back in its place in its run (spec 13). */
  private Message resume(dev.herald.store.Tx tx, Dlq.Entry e, UnaryOperator<Message> override, Instant now, long nowMs) {
    Message m = override.apply(renew(e.message(), now));
    if (m.workflow() != null) WorkflowRuns.resumed(tx, e.message().id(), m);
    PublishService.insert(tx, m, nowMs);
    return m;
  }

  /** The message again, as new: a new id, no attempts made, due now. */
  static Message renew(Message m, Instant now, Ids ids) {
    return new Message(ids.message(now), m.url(), m.topicName(), m.endpointName(), m.queueName(), m.scheduleId(),
        m.method(), m.headers(), m.body(), m.maxRetries(), m.retryDelayExpression(), m.timeoutMillis(), m.callback(),
        m.callbackConfig(), m.failureCallback(), m.failureCallbackConfig(), m.labels(), m.redact(), m.flowControlKey(),
        m.flowParallelism(), m.flowRate(), m.flowPeriodSeconds(), now, now, m.callerIp(), 0, 0, m.sourceMessageId(),
        m.workflow());
  }

  /** Applies the headers given on a retry request to a message being re-created (spec 9.6). */
  public static Message override(Message m, MessageOptions o, java.util.Set<String> given, Instant now) {
    int retries = given.contains("upstash-retries") ? o.retries() : m.maxRetries();
    String method = given.contains("upstash-method") ? o.method() : m.method();
    String retryDelay = given.contains("upstash-retry-delay") ? o.retryDelay().source() : m.retryDelayExpression();
    Long timeout = given.contains("upstash-timeout") ? Long.valueOf(o.timeout().toMillis()) : m.timeoutMillis();
    Instant notBefore = given.contains("upstash-delay") || given.contains("upstash-not-before") ? o.firstDue(now) : m.notBefore();
    // Forwarded headers: each one given replaces the stored one of that name, the others stay. Only
    // Upstash-Forward-* counts: the retry request's own Content-Type is the SDK's, not the message's.
    java.util.Set<String> forwarded = new java.util.HashSet<>();
    for (String k : given) if (k.startsWith("upstash-forward-")) forwarded.add(k.substring("upstash-forward-".length()));
    Headers headers = m.headers();
    if (!forwarded.isEmpty()) {
      Map<String, List<String>> merged = new LinkedHashMap<>(m.headers().map());
      o.headers().map().forEach((k, v) -> {
        if (forwarded.contains(k.toLowerCase(java.util.Locale.ROOT))) merged.put(k, v);
      });
      headers = Headers.of(merged);
    }
    boolean callbackConfigGiven = given.stream().anyMatch(k -> k.startsWith("upstash-callback-"));
    boolean failureConfigGiven = given.stream().anyMatch(k -> k.startsWith("upstash-failure-callback-"));
    String callback = given.contains("upstash-callback") ? o.callback() : m.callback();
    Headers callbackConfig = callbackConfigGiven ? o.callbackConfig() : m.callbackConfig();
    String failureCallback = given.contains("upstash-failure-callback") ? o.failureCallback() : m.failureCallback();
    Headers failureConfig = failureConfigGiven ? o.failureCallbackConfig() : m.failureCallbackConfig();
    List<String> labels = given.contains("upstash-label") ? o.labels() : m.labels();
    String redact = !given.contains("upstash-redact-fields") ? m.redact() : o.redaction().any() ? o.redaction().spec() : null;
    String flowKey = m.flowControlKey();
    int parallelism = m.flowParallelism(), rate = m.flowRate();
    long period = m.flowPeriodSeconds();
    if (given.contains("upstash-flow-control-key")) {
      FlowControl fc = o.flowControl();
      flowKey = fc.key();
      parallelism = fc.parallelism();
      rate = fc.rate();
      period = fc.period().toSeconds();
    }
    return new Message(m.id(), m.url(), m.topicName(), m.endpointName(), m.queueName(), m.scheduleId(), method,
        headers, m.body(), retries, retryDelay, timeout, callback, callbackConfig, failureCallback,
        failureConfig, labels, redact, flowKey, parallelism, rate,
        period, notBefore, m.createdAt(), m.callerIp(), 0, 0, m.sourceMessageId(), m.workflow());
  }

  private static <T> Page<T> page(List<T> rows, int count) {
    if (rows.size() <= count) return new Page<>(rows, null);
    List<T> items = rows.subList(0, count);
    T last = items.get(items.size() - 1);
    String cursor = last instanceof Dlq.Entry e ? e.dlqId() : String.valueOf(last);
    return new Page<>(List.copyOf(items), cursor);
  }
}
