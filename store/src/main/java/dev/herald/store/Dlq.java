package dev.herald.store;

import dev.herald.core.message.Message;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The dead-letter queue (spec 9): failed messages with their last response. */
public final class Dlq {
  private final Tx tx;

  Dlq(Tx tx) {
    this.tx = tx;
  }

  /** The last attempt's answer; {@code status} 0 when there was no HTTP response. */
  public record LastResponse(int status, Map<String, List<String>> headers, byte[] body, String error) {}

  /**
   * A dead-lettered message. {@code failureCallbackInfo}: for a workflow message, how the run's failure
   * function went (JSON, see {@link #setFailureCallback}); null otherwise.
   */
  public record Entry(String dlqId, long enteredAt, Message message, LastResponse response, byte[] failureCallbackInfo) {}

  /** Filters of GET/DELETE /v2/dlq; null or empty = no filter. */
  public record Filter(List<String> dlqIds, List<String> messageIds, List<String> urls, List<String> topicNames,
      List<String> queueNames, List<String> scheduleIds, List<String> labels, List<String> flowControlKeys,
      List<Integer> responseStatuses, List<String> callerIps, Long fromDate, Long toDate, boolean latestFirst,
      List<String> workflowRunIds, boolean workflowsOnly, Long workflowCreatedAt, List<String> failureStates) {
    public static final Filter ALL = new Filter(null, null, null, null, null, null, null, null, null, null, null, null, false);

    /** The entries of one workflow run. */
    public static Filter ofRun(String workflowRunId) {
      return new Filter(null, null, null, null, null, null, null, null, null, null, null, null, false,
          List.of(workflowRunId), true, null, null);
    }

    public Filter(List<String> dlqIds, List<String> messageIds, List<String> urls, List<String> topicNames,
        List<String> queueNames, List<String> scheduleIds, List<String> labels, List<String> flowControlKeys,
        List<Integer> responseStatuses, List<String> callerIps, Long fromDate, Long toDate, boolean latestFirst,
        List<String> workflowRunIds, boolean workflowsOnly) {
      this(dlqIds, messageIds, urls, topicNames, queueNames, scheduleIds, labels, flowControlKeys, responseStatuses,
          callerIps, fromDate, toDate, latestFirst, workflowRunIds, workflowsOnly, null, null);
    }

    public Filter(List<String> dlqIds, List<String> messageIds, List<String> urls, List<String> topicNames,
        List<String> queueNames, List<String> scheduleIds, List<String> labels, List<String> flowControlKeys,
        List<Integer> responseStatuses, List<String> callerIps, Long fromDate, Long toDate, boolean latestFirst) {
      this(dlqIds, messageIds, urls, topicNames, queueNames, scheduleIds, labels, flowControlKeys, responseStatuses,
          callerIps, fromDate, toDate, latestFirst, null, false, null, null);
    }
  }

  private record ResponseJson(Map<String, List<String>> headers, byte[] body, String error) {}

  public void insert(String dlqId, Message m, long enteredAt, LastResponse r) {
    PreparedStatement ps = tx.prepare("""
        INSERT INTO dlq (dlq_id, message_id, entered_at, created_at, url, topic_name, queue_name, schedule_id, labels,
          caller_ip, response_status, spec, response, body, flow_key, workflow_run_id, workflow_created_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""");
    try {
      ps.setString(1, dlqId);
      ps.setString(2, m.id());
      ps.setLong(3, enteredAt);
      ps.setLong(4, m.createdAt().toEpochMilli());
      ps.setString(5, m.url());
      ps.setString(6, m.topicName());
      ps.setString(7, m.queueName());
      ps.setString(8, m.scheduleId());
      ps.setString(9, MessageCodec.labels(m.labels()));
      ps.setString(10, m.callerIp());
      ps.setInt(11, r.status());
      ps.setBytes(12, MessageCodec.spec(m));
      ps.setBytes(13, Json.MAPPER.writeValueAsBytes(new ResponseJson(r.headers(), r.body(), r.error())));
      ps.setBytes(14, m.body());
      ps.setString(15, m.flowControlKey());
      ps.setString(16, m.workflow() == null ? null : m.workflow().runId());
      if (m.workflow() == null) ps.setNull(17, java.sql.Types.BIGINT);
      else ps.setLong(17, m.workflow().createdAt());
      ps.executeUpdate();
    } catch (SQLException e) {
      throw new StoreException("moving " + m.id() + " to the DLQ", e);
    }
  }

  private static final String SELECT = "SELECT dlq_id, entered_at, message_id, 0, 0, created_at, url, topic_name, "
      + "queue_name, schedule_id, caller_ip, flow_key, spec, body, response_status, response, failure_callback FROM dlq";

  public Optional<Entry> find(String dlqId) {
    PreparedStatement ps = tx.prepare(SELECT + " WHERE dlq_id = ?");
    try {
      ps.setString(1, dlqId);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(read(rs)) : Optional.empty();
      }
    } catch (SQLException e) {
      throw new StoreException("reading DLQ entry " + dlqId, e);
    }
  }

  /** Oldest first (or newest first); {@code cursor} is the last dlqId of the previous page, null at the start. */
  public List<Entry> list(Filter f, String cursor, int limit) {
    StringBuilder sql = new StringBuilder(SELECT + " WHERE 1=1");
    List<Object> args = new ArrayList<>();
    if (cursor != null) {
      sql.append(f.latestFirst() ? " AND dlq_id < ?" : " AND dlq_id > ?");
      args.add(cursor);
    }
    if (f.dlqIds() != null && !f.dlqIds().isEmpty()) {
      Filters.anyOf(sql, args, "dlq_id", f.dlqIds());
    } else {
      filters(f, sql, args);
    }
    sql.append(f.latestFirst() ? " ORDER BY dlq_id DESC LIMIT ?" : " ORDER BY dlq_id ASC LIMIT ?");
    args.add(limit);
    try (PreparedStatement ps = tx.connection().prepareStatement(sql.toString())) {
      Filters.bind(ps, args);
      List<Entry> out = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) out.add(read(rs));
      }
      return out;
    } catch (SQLException e) {
      throw new StoreException("listing the DLQ", e);
    }
  }

  private static void filters(Filter f, StringBuilder sql, List<Object> args) {
    Filters.anyOf(sql, args, "message_id", f.messageIds());
    Filters.anyOf(sql, args, "flow_key", f.flowControlKeys());
    Filters.anyOf(sql, args, "url", f.urls());
    Filters.anyOf(sql, args, "topic_name", f.topicNames());
    Filters.anyOf(sql, args, "queue_name", f.queueNames());
    Filters.anyOf(sql, args, "schedule_id", f.scheduleIds());
    Filters.anyOf(sql, args, "caller_ip", f.callerIps());
    Filters.labels(sql, args, f.labels());
    if (f.responseStatuses() != null && !f.responseStatuses().isEmpty()) {
      sql.append(" AND response_status IN (");
      for (int i = 0; i < f.responseStatuses().size(); i++) {
        sql.append(i == 0 ? "?" : ", ?");
        args.add(f.responseStatuses().get(i));
      }
      sql.append(')');
    }
    Filters.range(sql, args, "entered_at", f.fromDate(), f.toDate());
    Filters.anyOf(sql, args, "workflow_run_id", f.workflowRunIds());
    if (f.workflowsOnly()) sql.append(" AND workflow_run_id IS NOT NULL");
    if (f.workflowCreatedAt() != null) {
      sql.append(" AND workflow_created_at = ?");
      args.add(f.workflowCreatedAt());
    }
    Filters.anyOf(sql, args, "failure_state", f.failureStates());
  }

  /** Entries in the DLQ (all sources). */
  public long count() {
    try (ResultSet rs = tx.prepare("SELECT count(*) FROM dlq").executeQuery()) {
      rs.next();
      return rs.getLong(1);
    } catch (SQLException e) {
      throw new StoreException("counting DLQ entries", e);
    }
  }

  public boolean delete(String dlqId) {
    PreparedStatement ps = tx.prepare("DELETE FROM dlq WHERE dlq_id = ?");
    try {
      ps.setString(1, dlqId);
      return ps.executeUpdate() == 1;
    } catch (SQLException e) {
      throw new StoreException("deleting DLQ entry " + dlqId, e);
    }
  }

  public int purgeOlderThan(long enteredBefore, int limit) {
    PreparedStatement ps = tx.prepare(
        "DELETE FROM dlq WHERE dlq_id IN (SELECT dlq_id FROM dlq WHERE entered_at < ? LIMIT ?)");
    try {
      ps.setLong(1, enteredBefore);
      ps.setInt(2, limit);
      return ps.executeUpdate();
    } catch (SQLException e) {
      throw new StoreException("purging the DLQ", e);
    }
  }

  private static Entry read(ResultSet rs) throws SQLException {
    Message m = MessageCodec.decode(rs.getString(3), 0, 0, rs.getLong(6), rs.getString(7), rs.getString(8),
        rs.getString(9), rs.getString(10), rs.getString(11), rs.getString(12), rs.getBytes(13), rs.getBytes(14));
    ResponseJson r = Json.MAPPER.readValue(rs.getBytes(16), ResponseJson.class);
    return new Entry(rs.getString(1), rs.getLong(2), m.withRetried(m.maxRetries(), 0),
        new LastResponse(rs.getInt(15), r.headers() == null ? Map.of() : r.headers(), r.body(), r.error()), rs.getBytes(17));
  }

  /**
   * Records how the failure function of the entry of {@code messageId} went (a workflow run's: JSON
   * {@code {state, responseStatus?, responseBody?, responseHeaders?}}). Returns the entry's id, or null
   * when it has no entry (resumed, deleted).
   */
  public String setFailureCallback(String messageId, byte[] info) {
    PreparedStatement ps = tx.prepare("UPDATE dlq SET failure_callback = ?, failure_state = ? WHERE message_id = ? RETURNING dlq_id");
    try {
      ps.setBytes(1, info);
      ps.setString(2, Json.MAPPER.readTree(info).path("state").asString(null));
      ps.setString(3, messageId);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? rs.getString(1) : null;
      }
    } catch (SQLException e) {
      throw new StoreException("recording the failure function of " + messageId, e);
    }
  }
}
