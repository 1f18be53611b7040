package dev.herald.store;

import dev.herald.core.message.Message;
import dev.herald.core.message.Redaction;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The detail of a message's CREATED log entry (method, retries, headers, base64 body...). It is not
 * stored with the entry: everything in it follows from the message, so the log reads it from the
 * message row while the message is pending, and from the copy its final entry (DELIVERED, FAILED,
 * CANCELED) carries once the message row is gone. A pending message thus costs one copy of its
 * headers and body on disk, not two (and no log row: see {@link Events}).
 */
public final class CreatedDetail {
  /** Bodies longer than this are cut in the log (the message itself keeps all of it). */
  public static final int MAX_LOGGED_BODY = 64 * 1024;

  private CreatedDetail() {}

  /** The detail as logged at {@code createdAt} (the time of the CREATED entry). */
  public static Map<String, Object> of(Message m, long createdAt) {
    Map<String, Object> detail = new LinkedHashMap<>();
    if (m.endpointName() != null) detail.put("endpointName", m.endpointName());
    detail.put("method", m.method());
    detail.put("maxRetries", m.maxRetries());
    if (m.notBefore().toEpochMilli() > createdAt) detail.put("nextDeliveryTime", m.notBefore().toEpochMilli());
    if (m.callerIp() != null) detail.put("callerIp", m.callerIp());
    if (m.callback() != null) detail.put("callback", m.callback());
    if (m.failureCallback() != null) detail.put("failureCallback", m.failureCallback());
    if (m.retryDelayExpression() != null) detail.put("retryDelayExpression", m.retryDelayExpression());
    if (m.timeoutMillis() != null) detail.put("timeout", m.timeoutMillis());
    if (m.flowControlKey() != null) {
      detail.put("flowControlKey", m.flowControlKey());
      if (m.flowParallelism() > 0) detail.put("parallelism", m.flowParallelism());
      if (m.flowRate() > 0) detail.put("rate", m.flowRate());
      detail.put("period", m.flowPeriodSeconds());
    }
    Redaction r = m.redact() == null ? Redaction.NONE : Redaction.parse(m.redact());
    if (m.callback() != null && !m.callbackConfig().isEmpty()) detail.put("callbackHeaders", r.apply(m.callbackConfig()));
    if (m.failureCallback() != null && !m.failureCallbackConfig().isEmpty()) {
      detail.put("failureCallbackHeaders", r.apply(m.failureCallbackConfig()));
    }
    if (!m.headers().isEmpty()) detail.put("header", r.apply(m.headers()));
    if (m.body().length > 0) {
      detail.put("body", r.body() ? Redaction.redacted(m.body())
          : Base64.getEncoder().encodeToString(m.body().length <= MAX_LOGGED_BODY ? m.body()
              : Arrays.copyOf(m.body(), MAX_LOGGED_BODY)));
    }
    return detail;
  }
}
