package dev.herald.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.Map;

/**
 * One unit of work on one connection: the aggregates of the store, sharing a statement cache.
 * Not thread-safe; a Tx lives on the thread that got it (the writer thread, or one reader).
 */
public final class Tx {
  private final Connection conn;
  private final Map<String, PreparedStatement> statements;

  Tx(Connection conn, Map<String, PreparedStatement> statements) {
    this.conn = conn;
    this.statements = statements;
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
}
