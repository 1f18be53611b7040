package dev.herald.store;

import dev.herald.core.message.Headers;
import dev.herald.core.message.Message;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * Maps a {@link Message} to the columns we filter on plus one JSON column for the rest, so adding a
 * message field does not need a migration. The body stays a BLOB, byte for byte.
 */
final class MessageCodec {
  /** The JSON part. Field names are stable: they are on disk. Null and empty fields are left out (smaller rows). */
  @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_EMPTY)
  record Spec(
      String endpointName, String method, Map<String, List<String>> headers, @Zero int maxRetries,
      String retryDelayExpression, Long timeoutMillis, String callback, Map<String, List<String>> callbackConfig,
      String failureCallback, Map<String, List<String>> failureCallbackConfig, List<String> labels, String redact,
      @Zero int flowParallelism, @Zero int flowRate, @Zero long flowPeriodSeconds, long notBefore, String sourceMessageId) {}

  /** Left out when 0 (it reads back as 0): most messages have no flow control. */
  @java.lang.annotation.Retention(java.lang.annotation.RetentionPolicy.RUNTIME)
  @com.fasterxml.jackson.annotation.JacksonAnnotationsInside
  @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_DEFAULT)
  @interface Zero {}

  static final String COLUMNS =
      "id, retried, crashes, created_at, url, topic_name, queue_name, schedule_id, caller_ip, flow_key, spec, body";

  private MessageCodec() {}

  static byte[] spec(Message m) {
    return Json.MAPPER.writeValueAsBytes(new Spec(m.endpointName(), m.method(), m.headers().map(), m.maxRetries(),
        m.retryDelayExpression(), m.timeoutMillis(), m.callback(), m.callbackConfig().map(), m.failureCallback(),
        m.failureCallbackConfig().map(), m.labels(), m.redact(), m.flowParallelism(), m.flowRate(),
        m.flowPeriodSeconds(), m.notBefore().toEpochMilli(), m.sourceMessageId()));
  }

  static String labels(List<String> labels) {
    return labels.isEmpty() ? null : "," + String.join(",", labels) + ",";
  }

  /** Reads a row selected with {@link #COLUMNS} (in that order, starting at column 1). */
  static Message read(ResultSet rs) throws SQLException {
    return decode(rs.getString(1), rs.getInt(2), rs.getInt(3), rs.getLong(4), rs.getString(5), rs.getString(6),
        rs.getString(7), rs.getString(8), rs.getString(9), rs.getString(10), rs.getBytes(11), rs.getBytes(12));
  }

  static Message decode(String id, int retried, int crashes, long createdAt, String url, String topic, String queue,
      String scheduleId, String callerIp, String flowKey, byte[] specJson, byte[] body) {
    Spec s = Json.MAPPER.readValue(specJson, Spec.class);
    return new Message(id, url, topic, s.endpointName(), queue, scheduleId, s.method(), Headers.of(nz(s.headers())),
        body, s.maxRetries(), s.retryDelayExpression(), s.timeoutMillis(), s.callback(), Headers.of(nz(s.callbackConfig())),
        s.failureCallback(), Headers.of(nz(s.failureCallbackConfig())), s.labels() == null ? List.of() : s.labels(),
        s.redact(), flowKey, s.flowParallelism(), s.flowRate(), s.flowPeriodSeconds(), Instant.ofEpochMilli(s.notBefore()),
        Instant.ofEpochMilli(createdAt), callerIp, retried, crashes, s.sourceMessageId());
  }

  private static Map<String, List<String>> nz(Map<String, List<String>> m) {
    return m == null ? Map.of() : m;
  }
}
