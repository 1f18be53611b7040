package dev.herald.api;

import dev.herald.core.message.Message;
import dev.herald.core.message.Redaction;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

/** The message object of spec 4.1 (also the base of DLQ entries), with redaction applied. */
final class MessageView {
  private MessageView() {}

  static Map<String, Object> of(Message m) {
    Redaction r = m.redact() == null ? Redaction.NONE : Redaction.parse(m.redact());
    Map<String, Object> o = new LinkedHashMap<>();
    o.put("messageId", m.id());
    o.put("url", m.url());
    if (m.topicName() != null) o.put("topicName", m.topicName());
    if (m.endpointName() != null) o.put("endpointName", m.endpointName());
    o.put("method", m.method());
    o.put("header", r.apply(m.headers()));
    putBody(o, m.body(), r.body());
    o.put("maxRetries", m.maxRetries());
    o.put("notBefore", m.notBefore().toEpochMilli());
    o.put("createdAt", m.createdAt().toEpochMilli());
    if (m.callback() != null) o.put("callback", m.callback());
    if (m.failureCallback() != null) o.put("failureCallback", m.failureCallback());
    if (m.callback() != null && !m.callbackConfig().isEmpty()) o.put("callbackHeader", r.apply(m.callbackConfig()));
    if (m.failureCallback() != null && !m.failureCallbackConfig().isEmpty()) {
      o.put("failureCallbackHeader", r.apply(m.failureCallbackConfig()));
    }
    if (m.queueName() != null) o.put("queueName", m.queueName());
    if (m.scheduleId() != null) o.put("scheduleId", m.scheduleId());
    if (m.callerIp() != null) {
      o.put("callerIP", m.callerIp());
      o.put("callerIp", m.callerIp());
    }
    if (!m.labels().isEmpty()) {
      o.put("label", m.labels().get(0));
      o.put("labels", m.labels());
    }
    if (m.flowControlKey() != null) {
      o.put("flowControlKey", m.flowControlKey());
      if (m.flowParallelism() > 0) o.put("parallelism", m.flowParallelism());
      if (m.flowRate() > 0) o.put("rate", m.flowRate());
      o.put("period", m.flowPeriodSeconds());
    }
    if (m.retryDelayExpression() != null) o.put("retryDelayExpression", m.retryDelayExpression());
    if (m.timeoutMillis() != null) o.put("timeout", m.timeoutMillis() / 1000);
    return o;
  }

  /** {@code body} when the bytes are UTF-8, else {@code bodyBase64} (spec 4.1). */
  static void putBody(Map<String, Object> o, byte[] body, boolean redacted) {
    if (body.length == 0) return;
    if (redacted) {
      o.put("body", Redaction.redacted(body));
      return;
    }
    try {
      String s = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(body)).toString();
      o.put("body", s);
    } catch (CharacterCodingException e) {
      o.put("bodyBase64", Base64.getEncoder().encodeToString(body));
    }
  }
}
