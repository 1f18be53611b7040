package dev.herald.engine;

import dev.herald.core.message.Message;
import dev.herald.core.message.Redaction;
import java.util.Arrays;
import java.util.Base64;
import dev.herald.store.Events;
import dev.herald.store.Tx;
import java.util.LinkedHashMap;
import java.util.Map;

/** Writes log entries (spec 5.8 states) for a message inside the caller's transaction. */
final class EventLog {
  /** Bodies longer than this are cut in the log (the message itself keeps all of it). */
  private static final int MAX_LOGGED_BODY = 64 * 1024;

  private EventLog() {}


  static void append(Tx tx, long now, Message m, String state, Map<String, Object> extra) {
    Map<String, Object> detail = new LinkedHashMap<>();
    if (state.equals("CREATED")) {
      detail.put("method", m.method());
      detail.put("maxRetries", m.maxRetries());
      if (m.notBefore().toEpochMilli() > now) detail.put("nextDeliveryTime", m.notBefore().toEpochMilli());
      if (m.callerIp() != null) detail.put("callerIp", m.callerIp());
      if (m.callback() != null) detail.put("callback", m.callback());
      if (m.failureCallback() != null) detail.put("failureCallback", m.failureCallback());
      if (m.retryDelayExpression() != null) detail.put("retryDelayExpression", m.retryDelayExpression());
      if (m.timeoutMillis() != null) detail.put("timeout", m.timeoutMillis());
      if (m.flowControlKey() != null) detail.put("flowControlKey", m.flowControlKey());
      Redaction r = m.redact() == null ? Redaction.NONE : Redaction.parse(m.redact());
      if (!m.headers().isEmpty()) detail.put("header", r.apply(m.headers()));
      if (m.body().length > 0) {
        detail.put("body", r.body() ? Redaction.redacted(m.body())
            : Base64.getEncoder().encodeToString(m.body().length <= MAX_LOGGED_BODY ? m.body()
                : Arrays.copyOf(m.body(), MAX_LOGGED_BODY)));
      }
    }
    if (extra != null) detail.putAll(extra);
    tx.events().append(now, subject(m), state, detail);
  }

  static Events.Subject subject(Message m) {
    return new Events.Subject(m.id(), m.url(), m.topicName(), m.queueName(), m.scheduleId(),
        m.labels().isEmpty() ? null : "," + String.join(",", m.labels()) + ",", m.flowControlKey(), m.callerIp());
  }
}
