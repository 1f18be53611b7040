package dev.herald.engine;

import dev.herald.core.id.Ids;
import dev.herald.core.message.FlowControl;
import dev.herald.core.message.Message;
import dev.herald.core.message.MessageOptions;
import java.time.Instant;

/** Builds stored messages from publications. Pure apart from id generation. */
final class MessageFactory {
  private final Ids ids;

  MessageFactory(Ids ids) {
    this.ids = ids;
  }

  Message create(Publication p, Instant now, String sourceMessageId) {
    MessageOptions o = p.options();
    FlowControl fc = o.flowControl();
    return new Message(ids.message(now), p.url(), p.topicName(), p.endpointName(), p.queueName(), p.scheduleId(),
        o.method(), o.headers(), p.body(), o.retries(), o.retryDelay() == null ? null : o.retryDelay().source(),
        o.timeout() == null ? null : o.timeout().toMillis(), o.callback(), o.callbackConfig(), o.failureCallback(),
        o.failureCallbackConfig(), o.labels(), o.redaction().any() ? o.redaction().spec() : null,
        fc == null ? null : fc.key(), fc == null ? 0 : fc.parallelism(), fc == null ? 0 : fc.rate(),
        fc == null ? 0 : fc.period().toSeconds(), o.firstDue(now), now, p.callerIp(), 0, 0, sourceMessageId, o.workflow());
  }
}
