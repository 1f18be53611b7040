package dev.herald.store;

import dev.herald.core.message.Message;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Messages that are not finished. State changes after a claim are fenced by the lease token: a verb
 * returns false when the row is gone or owned by someone else, and then changes nothing.
 */
public final class Messages {
  private final Tx tx;

  Messages(Tx tx) {
    this.tx = tx;
  }

  /** Filters of bulk cancel (spec 4.4); null or empty = no filter; host/path are matched by the caller. */
  public record Filter(List<String> messageIds, List<String> topicNames, List<String> queueNames, List<String> urls,
      List<String> labels, List<String> flowControlKeys, List<String> scheduleIds, List<String> callerIps,
      Long fromDate, Long toDate) {}

  /** Messages matching {@code f}, oldest first, after {@code afterId}; for bulk cancel. */
  public List<Message> matching(Filter f, String afterId, int limit) {
    StringBuilder sql = new StringBuilder("SELECT " + MessageCodec.COLUMNS + " FROM messages WHERE id > ?");
    List<Object> args = new ArrayList<>();
    args.add(StoredIds.value(tx, afterId));
    if (f.messageIds() != null && !f.messageIds().isEmpty()) {
      Filters.anyOf(sql, args, "id", StoredIds.values(tx, f.messageIds()));
    } else {
      Filters.messageFacts(sql, args, f.urls(), f.topicNames(), f.queueNames(), f.scheduleIds(), f.labels(),
          f.flowControlKeys(), f.callerIps());
      Filters.range(sql, args, "created_at", f.fromDate(), f.toDate());
    }
    sql.append(" ORDER BY id LIMIT ?");
    args.add(limit);
    try (PreparedStatement ps = tx.connection().prepareStatement(sql.toString())) {
      Filters.bind(ps, args);
      List<Message> out = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) out.add(MessageCodec.read(rs));
      }
      return out;
    } catch (SQLException e) {
      throw new StoreException("selecting messages to cancel", e);
    }
  }

  /**
   * A message due at {@code dueAt}, with what the dispatcher's gates need: its queue, whether it has
   * started (a fresh queued message waits for its queue's turn), and its flow-control limits.
   */
  public record Due(String id, long dueAt, String queueName, boolean started, String flowKey, int flowParallelism,
      int flowRate, long flowPeriodSeconds) {
    public static Due of(Message m, long dueAt, boolean started) {
      return new Due(m.id(), dueAt, m.queueName(), started, m.flowControlKey(), m.flowParallelism(), m.flowRate(),
          m.flowPeriodSeconds());
    }
  }

  private static final String DUE_COLUMNS =
      "id, due_at, queue_name, (retried > 0 OR crashes > 0), flow_key, flow_parallelism, flow_rate, flow_period";

  private static Due readDue(ResultSet rs) throws SQLException {
    return new Due(StoredIds.read(rs, 1), rs.getLong(2), rs.getString(3), rs.getBoolean(4), rs.getString(5), rs.getInt(6),
        rs.getInt(7), rs.getLong(8));
  }

  /**
   * A parallelism slot of {@code queue}, named by the queued message that took it ({@code owner}). It is
   * held while that message has started and is not finished, and after that for as long as a callback
   * or failure callback of it is not finished (spec 8.5).
   */
  public record QueueSlot(String queue, String owner) {}

  /** A message that holds a slot: the queued message itself ({@code id} = the owner), or a callback of it. */
  public record SlotHolder(String id, QueueSlot slot) {}

  public void insert(Message m, long dueAt) {
    insert(m, dueAt, null, 0, null);
  }

  /**
   * Inserts a callback or failure callback of a queued message: it holds {@code keeps}, that message's
   * slot, until it is finished, so the queue's next message waits for it (spec 8.5). The callback is not a
   * message of the queue: it is due like any other message, and the queue's FIFO does not see it.
   */
  public void insert(Message m, long dueAt, QueueSlot keeps) {
    insert(m, dueAt, null, 0, keeps);
  }

  /**
   * Inserts a message that is already claimed: ACTIVE under {@code lease} for {@code leaseMillis},
   * counted on the database clock like a claim's. A message due now that its publisher hands straight
   * to an attempt. A crash before the result is recorded leaves an ACTIVE row, which start-up recovery
   * (single node) or the lease reaper (cluster) treats like any attempt cut short. Sends no wake-up
   * to other nodes: nobody else needs to look at it.
   */
  public void insertClaimed(Message m, long dueAt, String lease, long leaseMillis) {
    insert(m, dueAt, lease, leaseMillis, null);
  }

  private void insert(Message m, long dueAt, String lease, long leaseMillis, QueueSlot keeps) {
    // Only a callback that keeps a slot names the two slot columns: every other insert stays as it was.
    PreparedStatement ps = tx.prepare("""
        INSERT INTO messages (seq, id, state, due_at, retried, crashes, created_at, url, topic_name, queue_name,
          schedule_id, labels, caller_ip, flow_key, spec, body, flow_parallelism, flow_rate, flow_period,
          lease_token, lease_until""" + (keeps == null ? ")" : ", holds_queue, holds_for)")
        + " VALUES (" + tx.dialect().logIdSql() + ", ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
        + (lease == null ? "NULL" : tx.dialect().leaseUntilSql()) + (keeps == null ? ")" : ", ?, ?)"));
    try {
      int i = tx.bindLogId(ps, 0); // the seq: the id its CREATED log entry will have
      StoredIds.bind(tx, ps, ++i, m.id());
      ps.setString(++i, lease == null ? "P" : "A"); // pending, active
      ps.setLong(++i, dueAt);
      ps.setInt(++i, m.retried());
      ps.setInt(++i, m.crashes());
      ps.setLong(++i, m.createdAt().toEpochMilli());
      ps.setString(++i, m.url());
      ps.setString(++i, m.topicName());
      ps.setString(++i, m.queueName());
      ps.setString(++i, m.scheduleId());
      ps.setString(++i, MessageCodec.labels(m.labels()));
      ps.setString(++i, m.callerIp());
      ps.setString(++i, m.flowControlKey());
      ps.setBytes(++i, MessageCodec.spec(m));
      ps.setBytes(++i, m.body());
      ps.setInt(++i, m.flowParallelism());
      ps.setInt(++i, m.flowRate());
      ps.setLong(++i, m.flowPeriodSeconds());
      ps.setString(++i, lease);
      if (lease != null) {
        setNullableLong(ps, ++i, tx.leaseNow());
        ps.setLong(++i, leaseMillis);
      }
      if (keeps != null) {
        ps.setString(++i, keeps.queue());
        StoredIds.bind(tx, ps, ++i, keeps.owner());
      }
      ps.executeUpdate();
      if (lease == null) tx.newWork(dueAt, m.queueName());
    } catch (SQLException e) {
      throw new StoreException("inserting message " + m.id(), e);
    }
  }

  /**
   * Takes a PENDING message that is due by {@code now} for an attempt, with a lease of {@code leaseMillis}
   * counted on the database clock (ARCHITECTURE.md); empty when it is gone, cancelled, already taken or
   * re-scheduled later (another node's retry), so a stale index entry never starts an attempt early.
   */
  public Optional<Message> claim(String id, String lease, long now, long leaseMillis) {
    PreparedStatement ps = tx.prepare(tx.dialect().claimSql());
    try {
      ps.setString(1, lease);
      setNullableLong(ps, 2, tx.leaseNow());
      ps.setLong(3, leaseMillis);
      StoredIds.bind(tx, ps, 4, id);
      ps.setLong(5, now);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(MessageCodec.read(rs)) : Optional.empty();
      }
    } catch (SQLException e) {
      throw new StoreException("claiming message " + id, e);
    }
  }

  /**
   * Takes over up to {@code limit} ACTIVE messages whose lease has run out on the database clock: their
   * node died or lost its way mid-attempt. Each comes back under {@code newLease}, so the caller can apply
   * the crash transition in the same transaction (fenced as usual) and the late node's result is dropped.
   * Safe to run on every node at once: a row is taken by one of them.
   */
  public List<Message> releaseExpiredLeases(String newLease, int limit) {
    PreparedStatement ps = tx.prepare(tx.dialect().releaseExpiredSql());
    try {
      Long now = tx.leaseNow();
      ps.setString(1, newLease);
      setNullableLong(ps, 2, now);
      ps.setInt(3, limit);
      setNullableLong(ps, 4, now);
      List<Message> out = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) out.add(MessageCodec.read(rs));
      }
      return out;
    } catch (SQLException e) {
      throw new StoreException("releasing expired leases", e);
    }
  }

  private static void setNullableLong(PreparedStatement ps, int i, Long v) throws SQLException {
    if (v == null) ps.setNull(i, java.sql.Types.BIGINT);
    else ps.setLong(i, v);
  }

  /**
   * Removes a finished message (delivered, failed or cancelled during its attempt), fenced by lease, and
   * writes its CREATED log entry from the row (see {@link #logCreated}). The entry is copied inside the
   * database, in one statement on PostgreSQL (a DELETE in a WITH clause feeding the INSERT, so the
   * entry exists exactly when this statement deleted the row, whatever other nodes do meanwhile). SQLite
   * has no DML in WITH clauses; there the copy comes first and the DELETE second, which is the same
   * thing because this writer is the store's only one and the transaction is already open. Either way
   * no column crosses into Java and back (a DELETE ... RETURNING read out and bound again was the
   * writer's costliest step of a delivery).
   */
  public boolean finish(String id, String lease) {
    try {
      if (tx.dialect() instanceof Dialect.Postgres) {
        PreparedStatement ps = tx.prepare("WITH gone AS (DELETE FROM messages WHERE id = ? AND lease_token = ? RETURNING "
            + CREATED_COLUMNS + ") INSERT INTO events (" + CREATED_ENTRY_COLUMNS + ") SELECT " + CREATED_ENTRY_VALUES
            + " FROM gone");
        ps.setString(1, id);
        ps.setString(2, lease);
        ps.setString(3, id);
        return ps.executeUpdate() == 1;
      }
      PreparedStatement copy = tx.prepare("INSERT INTO events (" + CREATED_ENTRY_COLUMNS + ") SELECT "
          + CREATED_ENTRY_VALUES + " FROM messages WHERE id = ? AND lease_token = ?");
      copy.setString(1, id);
      StoredIds.bind(tx, copy, 2, id);
      copy.setString(3, lease);
      if (copy.executeUpdate() == 0) return false;
      PreparedStatement delete = tx.prepare("DELETE FROM messages WHERE id = ? AND lease_token = ?");
      StoredIds.bind(tx, delete, 1, id);
      delete.setString(2, lease);
      if (delete.executeUpdate() != 1) throw new IllegalStateException("message " + id + " changed under the writer");
      return true;
    } catch (SQLException e) {
      throw new StoreException("finishing message " + id, e);
    }
  }

  /** The CREATED entry {@link #finish} copies from a message row: the entry's columns, and their values. */
  private static final String CREATED_ENTRY_COLUMNS =
      "id, time, message_id, state, url, topic_name, queue_name, schedule_id, labels, flow_key, caller_ip";
  private static final String CREATED_ENTRY_VALUES =
      "seq, created_at, ?, 'CREATED', url, topic_name, queue_name, schedule_id, labels, flow_key, caller_ip";

  /** What the CREATED log entry of a deleted row is made of (see {@link #logCreated}). */
  private static final String CREATED_COLUMNS =
      "seq, created_at, url, topic_name, queue_name, schedule_id, labels, flow_key, caller_ip";

  /**
   * Writes the CREATED log entry of a message whose row was just deleted, from the row the DELETE
   * returned: until then the row stood for it (see {@link Events}). The entry takes the row's seq as its
   * id, so it keeps its place in the log. Written only for a row this statement deleted: with a separate
   * read before the DELETE, another node could change the lease in between (PostgreSQL reads each
   * statement afresh), leaving an entry behind for a row that stays, and a duplicate id at its real finish.
   */
  private void logCreated(String id, ResultSet row) throws SQLException {
    PreparedStatement ps = tx.prepare("""
        INSERT INTO events (id, time, message_id, state, url, topic_name, queue_name, schedule_id, labels, flow_key,
          caller_ip) VALUES (?, ?, ?, 'CREATED', ?, ?, ?, ?, ?, ?, ?)""");
    ps.setLong(1, row.getLong("seq"));
    ps.setLong(2, row.getLong("created_at"));
    ps.setString(3, id);
    ps.setString(4, row.getString("url"));
    ps.setString(5, row.getString("topic_name"));
    ps.setString(6, row.getString("queue_name"));
    ps.setString(7, row.getString("schedule_id"));
    ps.setString(8, row.getString("labels"));
    ps.setString(9, row.getString("flow_key"));
    ps.setString(10, row.getString("caller_ip"));
    ps.executeUpdate();
  }

  /** Puts an attempted message back for a later attempt, fenced by lease. */
  public boolean retryLater(String id, String lease, long dueAt, int retried, int crashes) {
    PreparedStatement ps = tx.prepare("UPDATE messages SET state = 'P', lease_token = NULL, lease_until = NULL, "
        + "due_at = ?, retried = ?, crashes = ? WHERE id = ? AND lease_token = ?");
    try {
      ps.setLong(1, dueAt);
      ps.setInt(2, retried);
      ps.setInt(3, crashes);
      StoredIds.bind(tx, ps, 4, id);
      ps.setString(5, lease);
      return ps.executeUpdate() == 1;
    } catch (SQLException e) {
      throw new StoreException("scheduling retry of " + id, e);
    }
  }

  /** Cancels a message whatever its state; an attempt in flight loses its fence and is dropped. */
  public Optional<Message> cancel(String id) {
    PreparedStatement ps = tx.prepare("DELETE FROM messages WHERE id = ? RETURNING " + MessageCodec.COLUMNS
        + ", seq, labels");
    try {
      StoredIds.bind(tx, ps, 1, id);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) return Optional.empty();
        Message m = MessageCodec.read(rs);
        logCreated(id, rs);
        return Optional.of(m);
      }
    } catch (SQLException e) {
      throw new StoreException("cancelling message " + id, e);
    }
  }

  public Optional<Message> find(String id) {
    PreparedStatement ps = tx.prepare("SELECT " + MessageCodec.COLUMNS + " FROM messages WHERE id = ?");
    try {
      StoredIds.bind(tx, ps, 1, id);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(MessageCodec.read(rs)) : Optional.empty();
      }
    } catch (SQLException e) {
      throw new StoreException("reading message " + id, e);
    }
  }

  /**
   * PENDING messages due after the keyset position (afterDue, afterId) and at or before {@code until}, in
   * order; fresh queued messages are left out (their queue hands them out in FIFO order, see {@link #nextInQueue}).
   */
  public List<Due> due(long afterDue, String afterId, long until, int limit) {
    PreparedStatement ps = tx.prepare("SELECT " + DUE_COLUMNS + " FROM messages "
        + "WHERE state = 'P' AND (due_at > ? OR (due_at = ? AND id > ?)) AND due_at <= ? "
        + "AND NOT (queue_name IS NOT NULL AND retried = 0 AND crashes = 0) ORDER BY due_at, id LIMIT ?");
    try {
      ps.setLong(1, afterDue);
      ps.setLong(2, afterDue);
      StoredIds.bind(tx, ps, 3, afterId);
      ps.setLong(4, until);
      ps.setInt(5, limit);
      return dues(ps);
    } catch (SQLException e) {
      throw new StoreException("loading due messages", e);
    }
  }

  /** The oldest fresh (never attempted), due messages of a queue, in FIFO (id) order. */
  public List<Due> nextInQueue(String queue, long now, int limit) {
    // INDEXED BY: left alone, SQLite's planner picks messages_due (due_at of PENDING rows), reads every due
    // message of every queue and sorts them for ORDER BY id, on each pass: O(backlog) per pass.
    PreparedStatement ps = tx.prepare("SELECT " + DUE_COLUMNS + " FROM messages " + tx.dialect().queueIndexHint()
        + "WHERE queue_name = ? AND state = 'P' AND retried = 0 AND crashes = 0 AND due_at <= ? ORDER BY id LIMIT ?");
    try {
      ps.setString(1, queue);
      ps.setLong(2, now);
      ps.setInt(3, limit);
      return dues(ps);
    } catch (SQLException e) {
      throw new StoreException("reading the head of queue " + queue, e);
    }
  }

  /**
   * Every message that holds a queue slot: queued messages that have started, and callbacks keeping the
   * slot of a finished one (see {@link #insert(Message, long, QueueSlot)}). Several holders may share a
   * slot (a message retrying while the callback of its first attempt is pending, a callback and a failure
   * callback); the slots in use are the distinct owners.
   */
  public List<SlotHolder> slotHolders() {
    // The predicates are the partial indexes' word for word: SQLite uses a partial index only then, and the
    // other way it reads every queued message (a backlog), on each pass of a cluster node (Dispatcher).
    PreparedStatement ps = tx.prepare("SELECT queue_name, id, id FROM messages WHERE queue_name IS NOT NULL "
        + "AND (state = 'A' OR retried > 0 OR crashes > 0) "
        + "UNION ALL SELECT holds_queue, id, holds_for FROM messages WHERE holds_queue IS NOT NULL");
    List<SlotHolder> out = new ArrayList<>();
    try (ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        out.add(new SlotHolder(StoredIds.read(rs, 2), new QueueSlot(rs.getString(1), StoredIds.read(rs, 3))));
      }
      return out;
    } catch (SQLException e) {
      throw new StoreException("reading the holders of queue slots", e);
    }
  }

  /** A deleted queue has no slots: its callbacks stop keeping one (a queue made again under its name starts empty). */
  public void releaseSlots(String queue) {
    PreparedStatement ps = tx.prepare("UPDATE messages SET holds_queue = NULL, holds_for = NULL WHERE holds_queue = ?");
    try {
      ps.setString(1, queue);
      ps.executeUpdate();
    } catch (SQLException e) {
      throw new StoreException("releasing the slots of queue " + queue, e);
    }
  }

  /**
   * Whether a fresh message of {@code queue} may start now, judged by the database: the queue is not
   * paused and fewer than its parallelism of its slots are held (see {@link #slotHolders}). Locks the
   * queue row until the transaction ends (PostgreSQL), so nodes of a cluster cannot together exceed the limit.
   */
  public boolean queueHasRoom(String queue) {
    try {
      PreparedStatement lock = tx.prepare(tx.dialect().lockQueueSql());
      lock.setString(1, queue);
      int parallelism;
      try (ResultSet rs = lock.executeQuery()) {
        if (!rs.next()) return true; // deleted meanwhile: its messages are being cancelled
        if (rs.getBoolean(2)) return false;
        parallelism = rs.getInt(1);
      }
      // UNION, not UNION ALL: a slot counts once however many of its holders are pending
      PreparedStatement count = tx.prepare("SELECT count(*) FROM (SELECT id FROM messages WHERE queue_name = ? "
          + "AND queue_name IS NOT NULL AND (state = 'A' OR retried > 0 OR crashes > 0) "
          + "UNION SELECT holds_for FROM messages WHERE holds_queue = ? AND holds_queue IS NOT NULL) slots");
      count.setString(1, queue);
      count.setString(2, queue);
      try (ResultSet rs = count.executeQuery()) {
        rs.next();
        return rs.getLong(1) < parallelism;
      }
    } catch (SQLException e) {
      throw new StoreException("checking the room of queue " + queue, e);
    }
  }

  /**
   * Whether a message of flow-control key {@code d.flowKey()} may start at {@code now}, judged by the
   * database across every node: the key is not paused, fewer than its parallelism ACTIVE, and room in the
   * current rate window (which this call then counts). Pinned limits ({@link FlowKeys#pin}) replace the
   * message's own. Locks the key's row until the transaction ends (PostgreSQL).
   */
  public boolean flowKeyAllows(Due d, long now) {
    try {
      tx.flowKeys().touch(d.flowKey(), now);
      PreparedStatement lock = tx.prepare(tx.dialect().lockFlowKeySql());
      lock.setString(1, d.flowKey());
      long windowStart;
      int started;
      int parallelism = d.flowParallelism();
      int rate = d.flowRate();
      long periodSeconds = d.flowPeriodSeconds();
      try (ResultSet rs = lock.executeQuery()) {
        rs.next();
        if (rs.getInt(3) != 0) return false; // paused, through any node
        windowStart = rs.getLong(1);
        started = rs.getInt(2);
        int pinned = rs.getInt(4);
        if (!rs.wasNull()) parallelism = pinned;
        pinned = rs.getInt(5);
        if (!rs.wasNull()) {
          rate = pinned;
          periodSeconds = rs.getLong(6);
        }
      }
      if (parallelism > 0) {
        PreparedStatement active = tx.prepare(
            "SELECT count(*) FROM messages WHERE flow_key = ? AND state = 'A' AND flow_key IS NOT NULL");
        active.setString(1, d.flowKey());
        try (ResultSet rs = active.executeQuery()) {
          rs.next();
          if (rs.getLong(1) >= parallelism) return false;
        }
      }
      if (rate > 0) {
        long periodMs = Math.max(1, periodSeconds) * 1000;
        if (now >= windowStart + periodMs) {
          windowStart = now;
          started = 0;
        }
        if (started >= rate) return false;
        PreparedStatement count = tx.prepare("UPDATE flow_keys SET window_start = ?, started = ? WHERE flow_key = ?");
        count.setLong(1, windowStart);
        count.setInt(2, started + 1);
        count.setString(3, d.flowKey());
        count.executeUpdate();
      }
      return true;
    } catch (SQLException e) {
      throw new StoreException("checking flow-control key " + d.flowKey(), e);
    }
  }

  /**
   * The flow-control limits of the newest unfinished message of {@code key} (the limits that apply, spec
   * 11.1), as a Due of that message; empty when no unfinished message has the key.
   */
  public Optional<Due> newestWithFlowKey(String key) {
    PreparedStatement ps = tx.prepare("SELECT " + DUE_COLUMNS + " FROM messages WHERE flow_key = ? ORDER BY seq DESC LIMIT 1");
    try {
      ps.setString(1, key);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(readDue(rs)) : Optional.empty();
      }
    } catch (SQLException e) {
      throw new StoreException("reading messages of flow-control key " + key, e);
    }
  }

  /**
   * For each flow-control key of unfinished messages, its newest one ({@link #newestWithFlowKey} of every
   * key at once): what a listing of keys needs to know the keys it forgot.
   */
  public List<Due> newestPerFlowKey() {
    PreparedStatement ps = tx.prepare("SELECT " + DUE_COLUMNS + " FROM messages m WHERE flow_key IS NOT NULL "
        + "AND seq = (SELECT max(seq) FROM messages WHERE flow_key = m.flow_key)");
    try {
      return dues(ps);
    } catch (SQLException e) {
      throw new StoreException("listing flow-control keys of messages", e);
    }
  }

  /** Messages of a queue not finished yet (its lag). */
  public long countInQueue(String queue) {
    PreparedStatement ps = tx.prepare("SELECT count(*) FROM messages WHERE queue_name = ?");
    try {
      ps.setString(1, queue);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    } catch (SQLException e) {
      throw new StoreException("counting queue " + queue, e);
    }
  }

  private static List<Due> dues(PreparedStatement ps) throws SQLException {
    List<Due> out = new ArrayList<>();
    try (ResultSet rs = ps.executeQuery()) {
      while (rs.next()) out.add(readDue(rs));
    }
    return out;
  }

  /**
   * Which of {@code ids} are still PENDING here: a message waiting for its flow-control key on one node may
   * meanwhile have been delivered through another node, or cancelled. One point read per id.
   */
  public java.util.Set<String> pendingAmong(List<String> ids) {
    PreparedStatement ps = tx.prepare("SELECT 1 FROM messages WHERE id = ? AND state = 'P'");
    java.util.Set<String> out = new java.util.HashSet<>();
    try {
      for (String id : ids) {
        StoredIds.bind(tx, ps, 1, id);
        try (ResultSet rs = ps.executeQuery()) {
          if (rs.next()) out.add(id);
        }
      }
      return out;
    } catch (SQLException e) {
      throw new StoreException("checking waiting messages", e);
    }
  }

  /**
   * Single node start: every ACTIVE lease belongs to a process that is gone (us, before a crash).
   * The attempt's outcome is unknown; returns the ids so the engine can decide (Transitions, Crashed).
   */
  public List<String> activeIds() {
    PreparedStatement ps = tx.prepare("SELECT id FROM messages WHERE state = 'A'");
    List<String> out = new ArrayList<>();
    try (ResultSet rs = ps.executeQuery()) {
      while (rs.next()) out.add(StoredIds.read(rs, 1));
      return out;
    } catch (SQLException e) {
      throw new StoreException("listing active messages", e);
    }
  }

  /** Re-leases an ACTIVE message found at start so the crash decision can be applied, fenced as usual. */
  public Optional<Message> takeOver(String id, String lease) {
    PreparedStatement ps = tx.prepare("UPDATE messages SET lease_token = ? WHERE id = ? AND state = 'A' RETURNING "
        + MessageCodec.COLUMNS);
    try {
      ps.setString(1, lease);
      StoredIds.bind(tx, ps, 2, id);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(MessageCodec.read(rs)) : Optional.empty();
      }
    } catch (SQLException e) {
      throw new StoreException("taking over message " + id, e);
    }
  }

  /**
   * Messages waiting for their time or their turn ({@code 'P'}) or in an attempt ({@code 'A'}). The state
   * is written into the SQL so SQLite counts over the state's partial index, not the table.
   */
  public long countInState(char state) {
    if (state != 'P' && state != 'A') throw new IllegalArgumentException("state " + state);
    try (ResultSet rs = tx.prepare("SELECT count(*) FROM messages WHERE state = '" + state + "'").executeQuery()) {
      rs.next();
      return rs.getLong(1);
    } catch (SQLException e) {
      throw new StoreException("counting messages", e);
    }
  }

  /** The lag of each queue with unfinished messages, at most {@code limit} queues, by name. */
  public java.util.Map<String, Long> queueLags(int limit) {
    PreparedStatement ps = tx.prepare("SELECT queue_name, count(*) FROM messages WHERE queue_name IS NOT NULL "
        + "GROUP BY queue_name ORDER BY queue_name LIMIT ?");
    java.util.Map<String, Long> out = new java.util.LinkedHashMap<>();
    try {
      ps.setInt(1, limit);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) out.put(rs.getString(1), rs.getLong(2));
      }
      return out;
    } catch (SQLException e) {
      throw new StoreException("counting queue lags", e);
    }
  }

  public long countPending() {
    try (ResultSet rs = tx.prepare("SELECT count(*) FROM messages").executeQuery()) {
      rs.next();
      return rs.getLong(1);
    } catch (SQLException e) {
      throw new StoreException("counting messages", e);
    }
  }
}
