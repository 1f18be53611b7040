package dev.herald.store;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import tools.jackson.core.type.TypeReference;

/**
 * Upstash Workflow runs (spec 13): the run, its messages in publish order, the waiters for events and
 * events notified before anyone waited. The messages themselves live in {@code messages} like any other.
 */
public final class Workflows {
  public static final String STARTED = "RUN_STARTED";
  public static final String SUCCESS = "RUN_SUCCESS";
  public static final String FAILED = "RUN_FAILED";
  public static final String CANCELED = "RUN_CANCELED";
  private static final TypeReference<Map<String, List<String>>> HEADER_MAP = new TypeReference<>() {};

  private final Tx tx;

  Workflows(Tx tx) {
    this.tx = tx;
  }

  public record Run(String runId, String url, String state, long createdAt, Long completedAt, String triggerId,
      String callerIp, List<String> labels, String dlqId, byte[] initialBody, byte[] response, byte[] invoker,
      byte[] settings) {
    public Run {
      labels = List.copyOf(labels);
    }

    public boolean active() {
      return STARTED.equals(state);
    }
  }

  /** One message of a run: a step (the trigger included), a context.call request or result, a failure call. */
  public record RunMessage(long seq, String messageId, String callType, long createdAt, byte[] body) {}

  public record Waiter(long id, String eventId, String runId, String url, long deadline, long createdAt,
      Map<String, List<String>> headers, String timeoutUrl, Map<String, List<String>> timeoutHeaders, byte[] timeoutBody,
      byte[] step) {}

  /**
   * The workflow log's filters (GET /v2/workflows/logs); several URLs, labels, caller IPs or message ids
   * match any of them. A message id selects the run it is a message of.
   */
  public record Filter(String runId, List<String> urls, String state, Long fromDate, Long toDate, List<String> labels,
      Long createdAt, List<String> callerIps, List<String> messageIds) {
    public Filter {
      urls = urls == null ? List.of() : List.copyOf(urls);
      labels = labels == null ? List.of() : List.copyOf(labels);
      callerIps = callerIps == null ? List.of() : List.copyOf(callerIps);
      messageIds = messageIds == null ? List.of() : List.copyOf(messageIds);
    }

    public Filter(String runId, String url, String state, Long fromDate, Long toDate, String label, Long createdAt) {
      this(runId, url == null ? List.of() : List.of(url), state, fromDate, toDate, label == null ? List.of() : List.of(label),
          createdAt, List.of(), List.of());
    }
  }

  private static final String RUN_COLUMNS = "run_id, url, state, created_at, completed_at, trigger_id, caller_ip, labels, "
      + "dlq_id, initial_body, response, invoker, settings";
  private static final String RUN_COLUMNS_LIGHT = "run_id, url, state, created_at, completed_at, trigger_id, caller_ip, "
      + "labels, dlq_id, NULL, NULL, NULL, settings";

  public Optional<Run> find(String runId) {
    return one("SELECT " + RUN_COLUMNS + " FROM workflow_runs WHERE run_id = ?", runId, "reading workflow run ");
  }

  private Optional<Run> one(String sql, String runId, String what) {
    PreparedStatement ps = tx.prepare(sql);
    try {
      ps.setString(1, runId);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(readRun(rs)) : Optional.empty();
      }
    } catch (SQLException e) {
      throw new StoreException(what + runId, e);
    }
  }

  /**
   * Reads a run and locks it until commit (PostgreSQL): a step being added, a wait, a notify for the run
   * and the run's end are serialized across the nodes of a cluster, so none of them misses another.
   */
  public Optional<Run> lock(String runId) {
    return one("SELECT " + RUN_COLUMNS + " FROM workflow_runs WHERE run_id = ?" + tx.dialect().forUpdate(), runId,
        "locking workflow run ");
  }

  /**
   * What bulk cancel selects running runs by (spec 13.1): any of the URLs (equal to one, or starting with
   * one when not {@code urlExact}), created in the range, with any of the labels, from any of the caller
   * IPs. Empty lists do not filter.
   */
  public record RunFilter(List<String> urls, boolean urlExact, Long fromDate, Long toDate, List<String> labels,
      List<String> callerIps) {
    public RunFilter {
      urls = urls == null ? List.of() : List.copyOf(urls);
      labels = labels == null ? List.of() : List.copyOf(labels);
      callerIps = callerIps == null ? List.of() : List.copyOf(callerIps);
    }
  }

  /**
   * Running runs matching {@code f}, oldest first, after the run ({@code afterCreated}, {@code afterId}) in
   * that order (null: from the start), at most {@code limit}: the pages of a bulk cancel. Without their
   * payloads (initial body, response, invoker: null), which a cancel does not need.
   */
  public List<Run> running(RunFilter f, Long afterCreated, String afterId, int limit) {
    StringBuilder sql = new StringBuilder("SELECT " + RUN_COLUMNS_LIGHT + " FROM workflow_runs WHERE state = '" + STARTED + "'");
    List<Object> args = new ArrayList<>();
    if (f.urlExact()) {
      Filters.anyOf(sql, args, "url", f.urls());
    } else if (!f.urls().isEmpty()) {
      sql.append(" AND (");
      for (int i = 0; i < f.urls().size(); i++) {
        sql.append(i == 0 ? "" : " OR ").append("substr(url, 1, ?) = ?"); // a prefix without LIKE's wildcards and case rules
        args.add(f.urls().get(i).length());
        args.add(f.urls().get(i));
      }
      sql.append(')');
    }
    Filters.range(sql, args, "created_at", f.fromDate(), f.toDate());
    Filters.labels(sql, args, f.labels());
    Filters.anyOf(sql, args, "caller_ip", f.callerIps());
    if (afterCreated != null) {
      sql.append(" AND (created_at > ? OR (created_at = ? AND run_id > ?))");
      args.add(afterCreated);
      args.add(afterCreated);
      args.add(afterId);
    }
    sql.append(" ORDER BY created_at, run_id LIMIT ?");
    args.add(limit);
    return runs(sql.toString(), args, "selecting workflow runs to cancel");
  }

  /** Creates the run; false when a run with this id exists already (the trigger is then a duplicate). */
  public boolean create(Run r) {
    PreparedStatement ps = tx.prepare("INSERT INTO workflow_runs (" + RUN_COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        + "ON CONFLICT (run_id) DO NOTHING");
    try {
      ps.setString(1, r.runId());
      ps.setString(2, r.url());
      ps.setString(3, r.state());
      ps.setLong(4, r.createdAt());
      setLong(ps, 5, r.completedAt());
      ps.setString(6, r.triggerId());
      ps.setString(7, r.callerIp());
      ps.setString(8, MessageCodec.labels(r.labels()));
      ps.setString(9, r.dlqId());
      ps.setBytes(10, r.initialBody());
      ps.setBytes(11, r.response());
      ps.setBytes(12, r.invoker());
      ps.setBytes(13, r.settings());
      return ps.executeUpdate() == 1;
    } catch (SQLException e) {
      throw new StoreException("creating workflow run " + r.runId(), e);
    }
  }

  /** Ends an active run; false when it is not active (ended already, or unknown). */
  public boolean end(String runId, String state, long now, byte[] response, String dlqId) {
    PreparedStatement ps = tx.prepare("UPDATE workflow_runs SET state = ?, completed_at = ?, response = ?, dlq_id = ? "
        + "WHERE run_id = ? AND state = '" + STARTED + "'");
    try {
      ps.setString(1, state);
      ps.setLong(2, now);
      ps.setBytes(3, response);
      ps.setString(4, dlqId);
      ps.setString(5, runId);
      return ps.executeUpdate() == 1;
    } catch (SQLException e) {
      throw new StoreException("ending workflow run " + runId, e);
    }
  }

  /** Opens a failed run again (its failed step is resumed from the DLQ); false when it is not failed. */
  public boolean reopen(String runId) {
    PreparedStatement ps = tx.prepare("UPDATE workflow_runs SET state = '" + STARTED + "', completed_at = NULL, dlq_id = NULL "
        + "WHERE run_id = ? AND state = '" + FAILED + "'");
    try {
      ps.setString(1, runId);
      return ps.executeUpdate() == 1;
    } catch (SQLException e) {
      throw new StoreException("reopening workflow run " + runId, e);
    }
  }

  /** Puts {@code newId} in the place of {@code oldId} in the run's list (a message re-created from the DLQ). */
  public boolean replaceMessage(String runId, String oldId, String newId) {
    PreparedStatement ps = tx.prepare("UPDATE workflow_messages SET message_id = ? WHERE run_id = ? AND message_id = ?");
    try {
      ps.setString(1, newId);
      ps.setString(2, runId);
      ps.setString(3, oldId);
      return ps.executeUpdate() > 0;
    } catch (SQLException e) {
      throw new StoreException("replacing a message of workflow run " + runId, e);
    }
  }

  public void addMessage(String runId, String messageId, String callType, long now, byte[] body) {
    PreparedStatement ps = tx.prepare(
        "INSERT INTO workflow_messages (run_id, message_id, call_type, created_at, body) VALUES (?, ?, ?, ?, ?)");
    try {
      ps.setString(1, runId);
      ps.setString(2, messageId);
      ps.setString(3, callType);
      ps.setLong(4, now);
      ps.setBytes(5, body);
      ps.executeUpdate();
    } catch (SQLException e) {
      throw new StoreException("adding a message to workflow run " + runId, e);
    }
  }

  /** Every message of the run in publish order. */
  public List<RunMessage> messages(String runId) {
    PreparedStatement ps = tx.prepare(
        "SELECT id, message_id, call_type, created_at, body FROM workflow_messages WHERE run_id = ? ORDER BY id");
    List<RunMessage> out = new ArrayList<>();
    try {
      ps.setString(1, runId);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) out.add(new RunMessage(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getLong(4), rs.getBytes(5)));
      }
      return out;
    } catch (SQLException e) {
      throw new StoreException("reading the messages of workflow run " + runId, e);
    }
  }

  /** The ids of every message of the run, in publish order. */
  public List<String> messageIds(String runId) {
    return strings("SELECT message_id FROM workflow_messages WHERE run_id = ? ORDER BY id",
        "reading the message ids of workflow run " + runId, runId);
  }

  /** Runs newest first, after the cursor (created_at, run_id) when given. */
  public List<Run> list(Filter f, Long beforeCreatedAt, String beforeRunId, int limit) {
    return list(f, beforeCreatedAt, beforeRunId, limit, true);
  }

  /**
   * {@link #list(Filter, Long, String, int)}; without {@code payloads} the runs come without their initial
   * body, response and invoker (null), which can be large: for scans that only look at the URL and settings.
   */
  public List<Run> list(Filter f, Long beforeCreatedAt, String beforeRunId, int limit, boolean payloads) {
    StringBuilder sql = new StringBuilder("SELECT " + (payloads ? RUN_COLUMNS : RUN_COLUMNS_LIGHT) + " FROM workflow_runs WHERE 1 = 1");
    List<Object> args = new ArrayList<>();
    if (f.runId() != null) {
      sql.append(" AND run_id = ?");
      args.add(f.runId());
    }
    Filters.anyOf(sql, args, "url", f.urls());
    if (f.state() != null) {
      sql.append(" AND state = ?");
      args.add(f.state());
    }
    Filters.range(sql, args, "created_at", f.fromDate(), f.toDate());
    if (f.createdAt() != null) {
      sql.append(" AND created_at = ?");
      args.add(f.createdAt());
    }
    Filters.labels(sql, args, f.labels());
    Filters.anyOf(sql, args, "caller_ip", f.callerIps());
    if (!f.messageIds().isEmpty()) {
      sql.append(" AND run_id IN (SELECT run_id FROM workflow_messages WHERE 1 = 1");
      Filters.anyOf(sql, args, "message_id", f.messageIds());
      sql.append(')');
    }
    if (beforeCreatedAt != null) {
      sql.append(" AND (created_at < ? OR (created_at = ? AND run_id < ?))");
      args.add(beforeCreatedAt);
      args.add(beforeCreatedAt);
      args.add(beforeRunId);
    }
    sql.append(" ORDER BY created_at DESC, run_id DESC LIMIT ?");
    args.add(limit);
    return runs(sql.toString(), args, "listing workflow runs");
  }

  /** Runs a filter query: not kept in the statement cache, since its text varies with the filters' value counts. */
  private List<Run> runs(String sql, List<Object> args, String what) {
    try (PreparedStatement ps = tx.connection().prepareStatement(sql)) {
      for (int i = 0; i < args.size(); i++) ps.setObject(i + 1, args.get(i));
      List<Run> out = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) out.add(readRun(rs));
      }
      return out;
    } catch (SQLException e) {
      throw new StoreException(what, e);
    }
  }

  public void addWaiter(Waiter w) {
    PreparedStatement ps = tx.prepare("""
        INSERT INTO workflow_waiters (event_id, run_id, url, deadline, created_at, headers, timeout_url, timeout_headers,
          timeout_body, step) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""");
    try {
      ps.setString(1, w.eventId());
      ps.setString(2, w.runId());
      ps.setString(3, w.url());
      ps.setLong(4, w.deadline());
      ps.setLong(5, w.createdAt());
      ps.setBytes(6, Json.MAPPER.writeValueAsBytes(w.headers()));
      ps.setString(7, w.timeoutUrl());
      ps.setBytes(8, w.timeoutHeaders() == null ? null : Json.MAPPER.writeValueAsBytes(w.timeoutHeaders()));
      ps.setBytes(9, w.timeoutBody());
      ps.setBytes(10, w.step());
      ps.executeUpdate();
    } catch (SQLException e) {
      throw new StoreException("adding a waiter for event " + w.eventId(), e);
    }
  }

  private static final String WAITER_COLUMNS =
      "id, event_id, run_id, url, deadline, created_at, headers, timeout_url, timeout_headers, timeout_body, step";

  /** Waiters of an event, oldest first; only those of {@code runId} when it is not null. */
  public List<Waiter> waiters(String eventId, String runId) {
    PreparedStatement ps = tx.prepare(runId == null
        ? "SELECT " + WAITER_COLUMNS + " FROM workflow_waiters WHERE event_id = ? ORDER BY id"
        : "SELECT " + WAITER_COLUMNS + " FROM workflow_waiters WHERE event_id = ? AND run_id = ? ORDER BY id");
    try {
      ps.setString(1, eventId);
      if (runId != null) ps.setString(2, runId);
      return readWaiters(ps);
    } catch (SQLException e) {
      throw new StoreException("reading waiters of event " + eventId, e);
    }
  }

  /** Waiters whose deadline has passed, oldest deadline first (then id: nodes take rows in one order). */
  public List<Waiter> expiredWaiters(long now, int limit) {
    PreparedStatement ps = tx.prepare("SELECT " + WAITER_COLUMNS + " FROM workflow_waiters WHERE deadline <= ? "
        + "ORDER BY deadline, id LIMIT " + limit);
    try {
      ps.setLong(1, now);
      return readWaiters(ps);
    } catch (SQLException e) {
      throw new StoreException("reading expired waiters", e);
    }
  }

  /** Removes a waiter; false when another notify or timeout took it first. */
  public boolean removeWaiter(long id) {
    PreparedStatement ps = tx.prepare("DELETE FROM workflow_waiters WHERE id = ?");
    try {
      ps.setLong(1, id);
      return ps.executeUpdate() == 1;
    } catch (SQLException e) {
      throw new StoreException("removing waiter " + id, e);
    }
  }

  public int removeWaitersOf(String runId) {
    PreparedStatement ps = tx.prepare("DELETE FROM workflow_waiters WHERE run_id = ?");
    try {
      ps.setString(1, runId);
      return ps.executeUpdate();
    } catch (SQLException e) {
      throw new StoreException("removing the waiters of run " + runId, e);
    }
  }

  /** Keeps an event notified for a run that does not wait for it yet (the latest data wins). */
  public void putEvent(String runId, String eventId, long now, byte[] data) {
    PreparedStatement ps = tx.prepare("INSERT INTO workflow_events (run_id, event_id, created_at, data) VALUES (?, ?, ?, ?) "
        + "ON CONFLICT (run_id, event_id) DO UPDATE SET created_at = excluded.created_at, data = excluded.data");
    try {
      ps.setString(1, runId);
      ps.setString(2, eventId);
      ps.setLong(3, now);
      ps.setBytes(4, data);
      ps.executeUpdate();
    } catch (SQLException e) {
      throw new StoreException("keeping event " + eventId + " for run " + runId, e);
    }
  }

  /** Takes (reads and removes) an event kept for a run. */
  public Optional<byte[]> takeEvent(String runId, String eventId) {
    PreparedStatement select = tx.prepare("SELECT data FROM workflow_events WHERE run_id = ? AND event_id = ?");
    PreparedStatement delete = tx.prepare("DELETE FROM workflow_events WHERE run_id = ? AND event_id = ?");
    try {
      select.setString(1, runId);
      select.setString(2, eventId);
      byte[] data;
      try (ResultSet rs = select.executeQuery()) {
        if (!rs.next()) return Optional.empty();
        data = rs.getBytes(1);
      }
      delete.setString(1, runId);
      delete.setString(2, eventId);
      return delete.executeUpdate() == 1 ? Optional.of(data) : Optional.empty();
    } catch (SQLException e) {
      throw new StoreException("taking event " + eventId + " of run " + runId, e);
    }
  }

  /** Runs that ended before {@code cutoff} (retention), at most {@code limit}. */
  public List<String> endedBefore(long cutoff, int limit) {
    return strings("SELECT run_id FROM workflow_runs WHERE completed_at < ? ORDER BY completed_at LIMIT " + limit,
        "selecting old workflow runs", cutoff);
  }

  /**
   * Running runs with nothing since before {@code cutoff}: created then, no message added since and no
   * wait. The caller removes those none of whose messages is still pending (abandoned: a step was
   * cancelled on its own, or the SDK stopped without ending the run).
   */
  public List<String> quietSince(long cutoff, int limit) {
    return strings("SELECT r.run_id FROM workflow_runs r WHERE r.state = '" + STARTED
        + "' AND r.created_at < ? AND NOT EXISTS (SELECT 1 FROM workflow_waiters w WHERE w.run_id = r.run_id)"
        + " AND NOT EXISTS (SELECT 1 FROM workflow_messages m WHERE m.run_id = r.run_id AND m.created_at >= ?)"
        + " ORDER BY r.created_at LIMIT " + limit, "selecting quiet workflow runs", cutoff, cutoff);
  }

  /** Removes a run with its message list and kept events. */
  public void delete(String runId) {
    try {
      for (String sql : List.of("DELETE FROM workflow_runs WHERE run_id = ?", "DELETE FROM workflow_messages WHERE run_id = ?",
          "DELETE FROM workflow_events WHERE run_id = ?", "DELETE FROM workflow_waiters WHERE run_id = ?")) {
        PreparedStatement ps = tx.prepare(sql);
        ps.setString(1, runId);
        ps.executeUpdate();
      }
    } catch (SQLException e) {
      throw new StoreException("removing workflow run " + runId, e);
    }
  }

  /** Removes events kept for runs (lookback) since before {@code cutoff}, at most {@code limit}. */
  public int deleteEventsBefore(long cutoff, int limit) {
    PreparedStatement select = tx.prepare("SELECT run_id, event_id FROM workflow_events WHERE created_at < ? LIMIT " + limit);
    PreparedStatement delete = tx.prepare("DELETE FROM workflow_events WHERE run_id = ? AND event_id = ?");
    try {
      select.setLong(1, cutoff);
      List<String[]> keys = new ArrayList<>();
      try (ResultSet rs = select.executeQuery()) {
        while (rs.next()) keys.add(new String[] {rs.getString(1), rs.getString(2)});
      }
      for (String[] k : keys) {
        delete.setString(1, k[0]);
        delete.setString(2, k[1]);
        delete.executeUpdate();
      }
      return keys.size();
    } catch (SQLException e) {
      throw new StoreException("removing old workflow events", e);
    }
  }

  /** The first column of every row of a query. */
  private List<String> strings(String sql, String what, Object... args) {
    PreparedStatement ps = tx.prepare(sql);
    try {
      for (int i = 0; i < args.length; i++) ps.setObject(i + 1, args[i]);
      List<String> out = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) out.add(rs.getString(1));
      }
      return out;
    } catch (SQLException e) {
      throw new StoreException(what, e);
    }
  }

  private static List<Waiter> readWaiters(PreparedStatement ps) throws SQLException {
    List<Waiter> out = new ArrayList<>();
    try (ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        byte[] th = rs.getBytes(9);
        out.add(new Waiter(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getLong(5), rs.getLong(6),
            Json.MAPPER.readValue(rs.getBytes(7), HEADER_MAP), rs.getString(8),
            th == null ? null : Json.MAPPER.readValue(th, HEADER_MAP), rs.getBytes(10), rs.getBytes(11)));
      }
    }
    return out;
  }

  private static Run readRun(ResultSet rs) throws SQLException {
    long completed = rs.getLong(5);
    Long completedAt = rs.wasNull() ? null : completed;
    String labels = rs.getString(8);
    List<String> l = labels == null ? List.of()
        : Arrays.stream(labels.split(",")).filter(s -> !s.isEmpty()).toList();
    return new Run(rs.getString(1), rs.getString(2), rs.getString(3), rs.getLong(4), completedAt, rs.getString(6),
        rs.getString(7), l, rs.getString(9), rs.getBytes(10), rs.getBytes(11), rs.getBytes(12), rs.getBytes(13));
  }

  private static void setLong(PreparedStatement ps, int i, Long v) throws SQLException {
    if (v == null) ps.setNull(i, java.sql.Types.BIGINT);
    else ps.setLong(i, v);
  }
}
