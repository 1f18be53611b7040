package dev.herald.engine;

import dev.herald.core.message.Message;
import dev.herald.store.CreatedDetail;
import dev.herald.store.Events;
import dev.herald.store.Tx;
import java.util.Map;

/**
 * Writes log entries (spec 5.8 states) for a message inside the caller's transaction. There is no
 * CREATED entry to write: the message row stands for it, and becomes it when the row is deleted (see
 * {@link Events}); its detail ({@link CreatedDetail}) is read from the row, then from the copy the
 * message's final entry (DELIVERED, FAILED, CANCELED) carries.
 */
final class EventLog {
  private EventLog() {}

  static void append(Tx tx, long now, Message m, String state, Map<String, Object> extra) {
    Message finished = switch (state) {
      // the log shows at most MAX_LOGGED_BODY bytes of a body: keep no more than that for it
      case "DELIVERED", "FAILED", "CANCELED" -> m.body().length <= CreatedDetail.MAX_LOGGED_BODY ? m
          : m.withBody(java.util.Arrays.copyOf(m.body(), CreatedDetail.MAX_LOGGED_BODY));
      default -> null;
    };
    if (m.endpointName() != null) { // a URL group's endpoint: every entry names it (spec 10), the CREATED one too
      Map<String, Object> named = new java.util.LinkedHashMap<>();
      named.put("endpointName", m.endpointName());
      if (extra != null) named.putAll(extra);
      extra = named;
    }
    tx.events().append(now, subject(m), state, extra, finished);
    // a message of a schedule's last trigger: its state there follows (spec 6.2: IN_PROGRESS, SUCCESS, FAIL)
    if (finished != null && m.scheduleId() != null) {
      tx.schedules().messageEnded(m.scheduleId(), m.id(), state.equals("DELIVERED") ? "SUCCESS" : "FAIL");
    }
  }

  static Events.Subject subject(Message m) {
    return new Events.Subject(m.id(), m.url(), m.topicName(), m.queueName(), m.scheduleId(),
        m.labels().isEmpty() ? null : "," + String.join(",", m.labels()) + ",", m.flowControlKey(), m.callerIp());
  }
}
