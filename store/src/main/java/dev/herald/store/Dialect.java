package dev.herald.store;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * What really differs between SQLite and PostgreSQL, and nothing else: the lease statements (they
 * read the database clock), the wake-up after new work is committed, and the migration folder.
 * Everything else is SQL both accept (upserts are {@code INSERT ... ON CONFLICT ... DO UPDATE}).
 *
 * <p>The lease statements take the current time as a nullable first parameter
 * ({@code coalesce(?, database now)}): production binds null so the database clock decides (one
 * clock for every node of a cluster); tests bind a pinned instant and run the same statement.
 */
sealed interface Dialect permits Dialect.Sqlite, Dialect.Postgres {
  /**
   * Reads a queue's parallelism and paused flag, locking the row until commit where the database can
   * (PostgreSQL): claims of fresh messages of one queue are serialized across nodes.
   */
  String lockQueueSql();

  /** Reads a flow-control key's rate window and control state, locking its row until commit where the database can. */
  String lockFlowKeySql();

  /**
   * What to append to a {@code SELECT} to lock the rows it reads until commit ({@code FOR UPDATE} on
   * PostgreSQL; nothing on SQLite, whose single writer already serializes writes).
   */
  default String forUpdate() {
    return "";
  }

  /** Forces the queue index when reading a queue's head (SQLite's planner otherwise sorts the backlog). */
  String queueIndexHint();

  /**
   * Takes the cluster-wide maintenance lock for the current transaction, or answers false when another
   * node holds it (so retention purges run on one node at a time). Always true on SQLite (one node).
   */
  boolean tryMaintenanceLock(Connection writer) throws SQLException;

  /** Folder under db/migration holding this dialect's Flyway scripts. */
  String migrations();

  /**
   * Claims a PENDING, due message: parameters (lease, nowOrNull, leaseMillis, id, dueBy); returns
   * {@link MessageCodec#COLUMNS}.
   */
  String claimSql();

  /** A lease's end, as claims compute it: parameters (nowOrNull, leaseMillis); null = the database clock. */
  String leaseUntilSql();

  /**
   * Re-leases ACTIVE messages whose lease ran out: parameters (newLease, nowOrNull, limit, nowOrNull);
   * returns {@link MessageCodec#COLUMNS}. The expiry test is repeated outside the sub-select so that
   * two nodes reaping at once cannot both take a row (PostgreSQL re-checks it on the locked row).
   */
  String releaseExpiredSql();

  /** Tells other nodes that messages were committed (called inside the transaction, before commit). */
  void notifyNewWork(Connection writer, String payload) throws SQLException;

  /**
   * Prepares the writer for the next batch: a durable batch must be flushed to disk by its commit; a
   * relaxed one (claims, attempt outcomes) need not be. {@code previousDurable} is the last batch's.
   */
  void prepareBatch(Connection writer, boolean durable, boolean previousDurable) throws SQLException;

  /**
   * The value of a new log entry id or message seq in an INSERT (one counter for both; see
   * {@link Tx#bindLogId}): a parameter the store binds on SQLite (one writer counts), the shared
   * sequence on PostgreSQL (every node draws from it).
   */
  String logIdSql();

  /** Channel of {@link #notifyNewWork}. */
  String CHANNEL = "herald_new_work";

  record Sqlite() implements Dialect {
    public boolean tryMaintenanceLock(Connection writer) {
      return true;
    }

    public String queueIndexHint() {
      return "INDEXED BY messages_queue ";
    }

    public String lockQueueSql() {
      return "SELECT parallelism, paused FROM queues WHERE name = ?"; // one writer: already serialized
    }

    public String lockFlowKeySql() {
      return "SELECT window_start, started, paused, pin_parallelism, pin_rate, pin_period FROM flow_keys WHERE flow_key = ?";
    }

    public String migrations() {
      return "sqlite";
    }

    public String logIdSql() {
      return "?";
    }

    public String leaseUntilSql() {
      return "coalesce(?, CAST(unixepoch('subsec') * 1000 AS INTEGER)) + ?";
    }

    public String claimSql() {
      return """
          UPDATE messages SET state = 'A', lease_token = ?,
            lease_until = coalesce(?, CAST(unixepoch('subsec') * 1000 AS INTEGER)) + ?
          WHERE id = ? AND state = 'P' AND due_at <= ?
          RETURNING\s""" + MessageCodec.COLUMNS;
    }

    public String releaseExpiredSql() {
      return """
          UPDATE messages SET lease_token = ?, lease_until = NULL
          WHERE id IN (SELECT id FROM messages WHERE state = 'A'
                         AND lease_until < coalesce(?, CAST(unixepoch('subsec') * 1000 AS INTEGER))
                       ORDER BY lease_until LIMIT ?)
            AND state = 'A' AND lease_until < coalesce(?, CAST(unixepoch('subsec') * 1000 AS INTEGER))
          RETURNING\s""" + MessageCodec.COLUMNS;
    }

    public void notifyNewWork(Connection writer, String payload) {
      // one process: the publisher tells its own dispatcher directly
    }

    public void prepareBatch(Connection writer, boolean durable, boolean previousDurable) throws SQLException {
      if (durable == previousDurable) return;
      // SQLite ignores a synchronous change inside an open transaction: switch outside one.
      // WAL + NORMAL: commits are not fsynced, but a later FULL commit flushes them in order.
      try (var st = writer.createStatement()) {
        writer.setAutoCommit(true);
        st.execute(durable ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
      } finally {
        writer.setAutoCommit(false);
      }
    }
  }

  record Postgres() implements Dialect {
    /** An arbitrary advisory-lock key reserved for Herald's maintenance. */
    private static final long MAINTENANCE_LOCK = 0x48455241_4C44L;

    public boolean tryMaintenanceLock(Connection writer) throws SQLException {
      try (var ps = writer.prepareStatement("SELECT pg_try_advisory_xact_lock(?)")) {
        ps.setLong(1, MAINTENANCE_LOCK);
        try (var rs = ps.executeQuery()) {
          return rs.next() && rs.getBoolean(1);
        }
      }
    }

    public String queueIndexHint() {
      return "";
    }

    public String lockQueueSql() {
      return "SELECT parallelism, paused FROM queues WHERE name = ? FOR UPDATE";
    }

    @Override
    public String forUpdate() {
      return " FOR UPDATE";
    }

    public String lockFlowKeySql() {
      return "SELECT window_start, started, paused, pin_parallelism, pin_rate, pin_period FROM flow_keys WHERE flow_key = ? FOR UPDATE";
    }

    public String migrations() {
      return "postgresql";
    }

    public String logIdSql() {
      return "nextval('log_ids')";
    }

    public String leaseUntilSql() {
      return "coalesce(?::bigint, (extract(epoch FROM now()) * 1000)::bigint) + ?";
    }

    public String claimSql() {
      return """
          UPDATE messages SET state = 'A', lease_token = ?,
            lease_until = coalesce(?::bigint, (extract(epoch FROM now()) * 1000)::bigint) + ?
          WHERE id = (SELECT id FROM messages WHERE id = ? AND state = 'P' AND due_at <= ?
                      FOR UPDATE SKIP LOCKED)
          RETURNING\s""" + MessageCodec.COLUMNS;
    }

    public String releaseExpiredSql() {
      return """
          UPDATE messages SET lease_token = ?, lease_until = NULL
          WHERE id IN (SELECT id FROM messages WHERE state = 'A'
                         AND lease_until < coalesce(?::bigint, (extract(epoch FROM now()) * 1000)::bigint)
                       ORDER BY lease_until LIMIT ?
                       FOR UPDATE SKIP LOCKED)
            AND state = 'A' AND lease_until < coalesce(?::bigint, (extract(epoch FROM now()) * 1000)::bigint)
          RETURNING\s""" + MessageCodec.COLUMNS;
    }

    public void notifyNewWork(Connection writer, String payload) throws SQLException {
      try (var ps = writer.prepareStatement("SELECT pg_notify(?, ?)")) {
        ps.setString(1, CHANNEL);
        ps.setString(2, payload);
        ps.execute();
      }
    }

    public void prepareBatch(Connection writer, boolean durable, boolean previousDurable) throws SQLException {
      if (durable) return; // synchronous_commit=on for the session: the commit waits for the WAL flush
      try (var st = writer.createStatement()) {
        st.execute("SET LOCAL synchronous_commit = off"); // this transaction only
      }
    }
  }
}
