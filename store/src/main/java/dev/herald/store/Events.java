package dev.herald.store;

import dev.herald.core.message.Message;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The message log (spec 10). Entries are append-only and ordered by id; cursors are ids. A message's
 * CREATED entry is its row in messages until the row goes (then {@link Messages} writes it here, with
 * the id the row held as seq): a pending message costs no log row.
 */
public final class Events {
  private final Tx tx;

  Events(Tx tx) {
    this.tx = tx;
  }

  /** One log entry; {@code detail} holds the state-specific fields (response, error, nextDeliveryTime...). */
  public record Event(long id, long time, String messageId, String state, String url, String topicName,
      String queueName, String scheduleId, String labels, Map<String, Object> detail) {}

  /** Filters of GET /v2/logs; null or empty = no filter. Lists are any-of. */
  public record Filter(List<String> messageIds, List<String> states, List<String> urls, List<String> topicNames,
      List<String> queueNames, List<String> scheduleIds, List<String> labels, List<String> flowControlKeys,
      List<String> callerIps, Long fromDate, Long toDate, boolean earliestFirst) {}

  /** The message facts every entry repeats, so filters need no join. */
  public record Subject(String messageId, String url, String topicName, String queueName, String scheduleId,
      String labels, String flowKey, String callerIp) {}

  public void append(long time, Subject s, String state, Map<String, Object> detail) {
    append(time, s, state, detail, null);
  }

  /**
   * Appends an entry. A CREATED entry appended with no detail shows {@link CreatedDetail} of its message;
   * the final entry of a message (DELIVERED, FAILED, CANCELED) must then pass the message as
   * {@code finished}, so the CREATED entry can still show it after the message row is deleted.
   */
  public void append(long time, Subject s, String state, Map<String, Object> detail, Message finished) {
    PreparedStatement ps = tx.prepare("""
        INSERT INTO events (id, time, message_id, state, url, topic_name, queue_name, schedule_id, labels, flow_key,
          caller_ip, detail, created)
        VALUES (""" + tx.dialect().logIdSql() + ", ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    try {
      int i = tx.bindLogId(ps, 0);
      ps.setLong(++i, time);
      ps.setString(++i, s.messageId());
      ps.setString(++i, state);
      ps.setString(++i, s.url());
      ps.setString(++i, s.topicName());
      ps.setString(++i, s.queueName());
      ps.setString(++i, s.scheduleId());
      ps.setString(++i, s.labels());
      ps.setString(++i, s.flowKey());
      ps.setString(++i, s.callerIp());
      ps.setBytes(++i, detail == null || detail.isEmpty() ? null : Json.MAPPER.writeValueAsBytes(detail));
      ps.setBytes(++i, finished == null ? null : MessageCodec.packed(finished));
      ps.executeUpdate();
    } catch (SQLException e) {
      throw new StoreException("appending " + state + " event of " + s.messageId(), e);
    }
  }

  /**
   * Newest first (or oldest first), entries past the cursor id (0 = from the start). The CREATED entries
   * of messages not finished yet come from their rows (see the class comment), merged in id order.
   */
  public List<Event> list(Filter f, long cursor, int limit) {
    List<Object> args = new ArrayList<>();
    String order = f.earliestFirst() ? " ASC" : " DESC";
    StringBuilder sql = new StringBuilder("SELECT id, time, message_id, state, url, topic_name, queue_name, "
        + "schedule_id, labels, detail FROM (SELECT * FROM (SELECT id, time, message_id, state, url, topic_name, "
        + "queue_name, schedule_id, labels, detail FROM events WHERE 1=1");
    where(sql, args, f, cursor, new Columns("id", "time", "message_id"), f.messageIds());
    Filters.anyOf(sql, args, "state", f.states());
    sql.append(" ORDER BY id").append(order).append(" LIMIT ?) e");
    args.add(limit);
    if (f.states() == null || f.states().isEmpty() || f.states().contains("CREATED")) {
      // NULLIF(spec, spec): a NULL of the detail column's type, which PostgreSQL wants in a UNION
      sql.append(" UNION ALL SELECT * FROM (SELECT seq, created_at, id, 'CREATED', url, topic_name, queue_name, "
          + "schedule_id, labels, NULLIF(spec, spec) FROM messages WHERE 1=1");
      where(sql, args, f, cursor, new Columns("seq", "created_at", "id"),
          StoredIds.values(tx, f.messageIds()));
      sql.append(" ORDER BY seq").append(order).append(" LIMIT ?) m");
      args.add(limit);
    }
    sql.append(") u ORDER BY id").append(order).append(" LIMIT ?");
    args.add(limit);
    try (PreparedStatement ps = tx.connection().prepareStatement(sql.toString())) {
      Filters.bind(ps, args);
      List<Event> out = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          byte[] d = rs.getBytes(10);
          long time = rs.getLong(2);
          String messageId = StoredIds.read(rs, 3); // text from events, packed from messages
          String state = rs.getString(4);
          if (d == null && state.equals("CREATED")) d = createdDetail(messageId, time);
          out.add(new Event(rs.getLong(1), time, messageId, state, rs.getString(5),
              rs.getString(6), rs.getString(7), rs.getString(8), rs.getString(9), map(d)));
        }
      }
      return out;
    } catch (SQLException e) {
      throw new StoreException("listing events", e);
    }
  }

  /** Where the log's columns live in a source: the events table, or the messages table for CREATED entries. */
  private record Columns(String id, String time, String messageId) {}

  private static void where(StringBuilder sql, List<Object> args, Filter f, long cursor, Columns c, List<?> ids) {
    if (cursor > 0) {
      sql.append(" AND ").append(c.id()).append(f.earliestFirst() ? " > ?" : " < ?");
      args.add(cursor);
    }
    Filters.anyOf(sql, args, c.messageId(), ids);
    Filters.messageFacts(sql, args, f.urls(), f.topicNames(), f.queueNames(), f.scheduleIds(), f.labels(),
        f.flowControlKeys(), f.callerIps());
    Filters.range(sql, args, c.time(), f.fromDate(), f.toDate());
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> map(byte[] json) {
    return json == null ? Map.of() : Json.MAPPER.readValue(json, Map.class);
  }

  /**
   * The detail of a CREATED entry stored without one: from the message row while it exists, else from
   * the copy its final entry carries (written in the transaction that deleted the row, so one of the two
   * is always found, in this order). Null for an entry whose message has neither (none: an empty detail).
   */
  private byte[] createdDetail(String messageId, long time) throws SQLException {
    PreparedStatement m = tx.prepare("SELECT " + MessageCodec.COLUMNS + " FROM messages WHERE id = ?");
    StoredIds.bind(tx, m, 1, messageId);
    try (ResultSet rs = m.executeQuery()) {
      if (rs.next()) return Json.MAPPER.writeValueAsBytes(CreatedDetail.of(MessageCodec.read(rs), time));
    }
    PreparedStatement f = tx.prepare("SELECT created, url, topic_name, queue_name, schedule_id, caller_ip, flow_key "
        + "FROM events WHERE message_id = ? AND created IS NOT NULL");
    f.setString(1, messageId);
    try (ResultSet rs = f.executeQuery()) {
      if (!rs.next()) return null;
      Message gone = MessageCodec.unpacked(rs.getBytes(1), messageId, time, rs.getString(2), rs.getString(3),
          rs.getString(4), rs.getString(5), rs.getString(6), rs.getString(7));
      return Json.MAPPER.writeValueAsBytes(CreatedDetail.of(gone, time));
    }
  }

  /** Deletes up to {@code limit} entries older than {@code before}; returns how many (retention runs in small batches). */
  public int purgeOlderThan(long before, int limit) {
    PreparedStatement ps = tx.prepare("DELETE FROM events WHERE id IN (SELECT id FROM events WHERE time < ? ORDER BY id LIMIT ?)");
    try {
      ps.setLong(1, before);
      ps.setInt(2, limit);
      return ps.executeUpdate();
    } catch (SQLException e) {
      throw new StoreException("purging events", e);
    }
  }
}
