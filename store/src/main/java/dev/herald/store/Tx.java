package dev.herald.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.InstantSource;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * One unit of work on one connection: the aggregates of the store, sharing a statement cache.
 * Not thread-safe; a Tx lives on the thread that got it (the writer thread, or one reader).
 */
public final class Tx {
  private final Connection conn;
  private final Map<String, PreparedStatement> statements;
  private final Dialect dialect;
  private final InstantSource leaseClock;
  private final String nodeId;
  private final java.util.concurrent.atomic.AtomicLong logIds;
  private long earliestNewDue = Long.MAX_VALUE;
  private final Set<String> newQueues = new LinkedHashSet<>();

  Tx(Connection conn, Map<String, PreparedStatement> statements, Dialect dialect, InstantSource leaseClock, String nodeId,
      java.util.concurrent.atomic.AtomicLong logIds) {
    this.conn = conn;
    this.logIds = logIds;
    this.statements = statements;
    this.dialect = dialect;
    this.leaseClock = leaseClock;
    this.nodeId = nodeId;
  }

  static Map<String, PreparedStatement> newCache() {
    return new HashMap<>();
  }

  public Messages messages() { return new Messages(this); }

  public Events events() { return new Events(this); }

  public Dlq dlq() { return new Dlq(this); }

  public Dedup dedup() { return new Dedup(this); }

  public Settings settings() { return new Settings(this); }

  public UrlGroups urlGroups() { return new UrlGroups(this); }

  public Queues queues() { return new Queues(this); }

  public Schedules schedules() { return new Schedules(this); }

  public FlowKeys flowKeys() { return new FlowKeys(this); }

  public Workflows workflows() { return new Workflows(this); }

  PreparedStatement prepare(String sql) {
    PreparedStatement ps = statements.get(sql);
    if (ps != null) return ps;
    try {
      ps = conn.prepareStatement(sql);
    } catch (SQLException e) {
      throw new StoreException("preparing statement", e);
    }
    statements.put(sql, ps);
    return ps;
  }

  Connection connection() {
    return conn;
  }

  /** Whether this transaction holds the maintenance lock (see {@link Dialect#tryMaintenanceLock}). */
  public boolean maintenanceLock() {
    try {
      return dialect().tryMaintenanceLock(connection());
    } catch (java.sql.SQLException e) {
      throw new StoreException("taking the maintenance lock", e);
    }
  }

  /**
   * Binds the next log id at parameter {@code i + 1} where {@link Dialect#logIdSql} is a parameter
   * (SQLite: the store's counter, so entries and seqs share it); returns the last parameter index used.
   */
  int bindLogId(PreparedStatement ps, int i) throws SQLException {
    if (logIds == null) return i;
    ps.setLong(i + 1, logIds.incrementAndGet());
    return i + 1;
  }

  Dialect dialect() {
    return dialect;
  }

  /** The time lease statements use: null = the database clock (production); pinned in tests. */
  Long leaseNow() {
    return leaseClock == null ? null : leaseClock.millis();
  }

  /** Remembers committed-to-be work for the wake-up sent with this transaction. */
  void newWork(long dueAt, String queue) {
    earliestNewDue = Math.min(earliestNewDue, dueAt);
    if (queue != null && newQueues.size() < 20) newQueues.add(queue);
  }

  /** Payload of the wake-up for other nodes ("node due queue,queue"), or null when nothing new was written. */
  String newWorkPayload() {
    if (earliestNewDue == Long.MAX_VALUE) return null;
    return nodeId + " " + earliestNewDue + " " + String.join(",", newQueues);
  }
}
