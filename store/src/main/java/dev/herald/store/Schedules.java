package dev.herald.store;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Cron schedules (spec 6). Headers are stored as given so each trigger parses them like a publish. */
public final class Schedules {
  private final Tx tx;

  Schedules(Tx tx) {
    this.tx = tx;
  }

  public record Schedule(String id, String destination, String cron, boolean paused, long nextFireAt, Long lastFireAt,
      Map<String, String> lastStates, String lastError, long createdAt, String callerIp,
      Map<String, List<String>> headers, byte[] body) {}

  private static final String COLUMNS = "id, destination, cron, paused, next_fire_at, last_fire_at, last_states, "
      + "last_error, created_at, caller_ip, headers, body";

  public Optional<Schedule> find(String id) {
    PreparedStatement ps = tx.prepare("SELECT " + COLUMNS + " FROM schedules WHERE id = ?");
    try {
      ps.setString(1, id);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(read(rs)) : Optional.empty();
      }
    } catch (SQLException e) {
      throw new StoreException("reading schedule " + id, e);
    }
  }

  public List<Schedule> all() {
    return list("SELECT " + COLUMNS + " FROM schedules ORDER BY created_at, id");
  }

  /** Unpaused schedules whose next slot is at or before {@code now}. */
  public List<Schedule> due(long now, int limit) {
    PreparedStatement ps = tx.prepare("SELECT " + COLUMNS + " FROM schedules WHERE paused = 0 AND next_fire_at <= ? "
        + "ORDER BY next_fire_at LIMIT ?");
    try {
      ps.setLong(1, now);
      ps.setInt(2, limit);
      return read(ps);
    } catch (SQLException e) {
      throw new StoreException("loading due schedules", e);
    }
  }

  /** Earliest next slot of any unpaused schedule, or Long.MAX_VALUE. */
  public long nextFire() {
    try (ResultSet rs = tx.prepare("SELECT min(next_fire_at) FROM schedules WHERE paused = 0").executeQuery()) {
      rs.next();
      long v = rs.getLong(1);
      return rs.wasNull() ? Long.MAX_VALUE : v;
    } catch (SQLException e) {
      throw new StoreException("reading next schedule slot", e);
    }
  }

  /** Create or replace; an existing schedule keeps its createdAt and paused state (UNSURE-34). */
  public void put(Schedule s) {
    PreparedStatement ps = tx.prepare("INSERT INTO schedules (" + COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        + "ON CONFLICT (id) DO UPDATE SET destination = excluded.destination, cron = excluded.cron, "
        + "next_fire_at = excluded.next_fire_at, caller_ip = excluded.caller_ip, headers = excluded.headers, "
        + "body = excluded.body, last_error = NULL");
    try {
      ps.setString(1, s.id());
      ps.setString(2, s.destination());
      ps.setString(3, s.cron());
      ps.setInt(4, s.paused() ? 1 : 0);
      ps.setLong(5, s.nextFireAt());
      if (s.lastFireAt() == null) ps.setNull(6, java.sql.Types.BIGINT);
      else ps.setLong(6, s.lastFireAt());
      ps.setBytes(7, s.lastStates() == null ? null : Json.MAPPER.writeValueAsBytes(s.lastStates()));
      ps.setString(8, s.lastError());
      ps.setLong(9, s.createdAt());
      ps.setString(10, s.callerIp());
      ps.setBytes(11, Json.MAPPER.writeValueAsBytes(s.headers()));
      ps.setBytes(12, s.body());
      ps.executeUpdate();
    } catch (SQLException e) {
      throw new StoreException("writing schedule " + s.id(), e);
    }
  }

  /**
   * Moves a schedule from the slot {@code expectedNext} to {@code next}: the compare-and-set that makes
   * a slot fire once. False when another process (or a concurrent update) got there first.
   */
  public boolean advance(String id, long expectedNext, long next, long firedAt, Map<String, String> states, String error) {
    PreparedStatement ps = tx.prepare("UPDATE schedules SET next_fire_at = ?, last_fire_at = ?, last_states = ?, "
        + "last_error = ? WHERE id = ? AND next_fire_at = ? AND paused = 0");
    try {
      ps.setLong(1, next);
      ps.setLong(2, firedAt);
      ps.setBytes(3, Json.MAPPER.writeValueAsBytes(states));
      ps.setString(4, error);
      ps.setString(5, id);
      ps.setLong(6, expectedNext);
      return ps.executeUpdate() == 1;
    } catch (SQLException e) {
      throw new StoreException("advancing schedule " + id, e);
    }
  }

  /**
   * A message of a schedule's last trigger has ended: its entry in the schedule's last states (spec 6.2)
   * goes from IN_PROGRESS to {@code state} (SUCCESS or FAIL). Nothing happens for a message of an earlier
   * trigger (the states are the last trigger's only), or for a schedule since deleted.
   */
  @SuppressWarnings("unchecked")
  public void messageEnded(String scheduleId, String messageId, String state) {
    PreparedStatement read = tx.prepare("SELECT last_states FROM schedules WHERE id = ?");
    try {
      read.setString(1, scheduleId);
      Map<String, String> states;
      try (ResultSet rs = read.executeQuery()) {
        if (!rs.next() || rs.getBytes(1) == null) return;
        states = Json.MAPPER.readValue(rs.getBytes(1), LinkedHashMap.class);
      }
      if (!states.containsKey(messageId) || state.equals(states.get(messageId))) return;
      states.put(messageId, state);
      PreparedStatement write = tx.prepare("UPDATE schedules SET last_states = ? WHERE id = ?");
      write.setBytes(1, Json.MAPPER.writeValueAsBytes(states));
      write.setString(2, scheduleId);
      write.executeUpdate();
    } catch (SQLException e) {
      throw new StoreException("recording the end of message " + messageId + " on schedule " + scheduleId, e);
    }
  }

  /** Pause or resume; resuming moves the next slot to {@code nextFireAt} (no catch-up of paused time). */
  public boolean setPaused(String id, boolean paused, long nextFireAt) {
    PreparedStatement ps = tx.prepare(paused
        ? "UPDATE schedules SET paused = 1 WHERE id = ?"
        : "UPDATE schedules SET paused = 0, next_fire_at = ? WHERE id = ? AND paused = 1");
    try {
      if (paused) {
        ps.setString(1, id);
        return ps.executeUpdate() == 1;
      }
      ps.setLong(1, nextFireAt);
      ps.setString(2, id);
      ps.executeUpdate();
      return find(id).isPresent();
    } catch (SQLException e) {
      throw new StoreException("pausing/resuming schedule " + id, e);
    }
  }

  public boolean delete(String id) {
    PreparedStatement ps = tx.prepare("DELETE FROM schedules WHERE id = ?");
    try {
      ps.setString(1, id);
      return ps.executeUpdate() == 1;
    } catch (SQLException e) {
      throw new StoreException("deleting schedule " + id, e);
    }
  }

  private List<Schedule> list(String sql) {
    try {
      return read(tx.prepare(sql));
    } catch (SQLException e) {
      throw new StoreException("listing schedules", e);
    }
  }

  private static List<Schedule> read(PreparedStatement ps) throws SQLException {
    List<Schedule> out = new ArrayList<>();
    try (ResultSet rs = ps.executeQuery()) {
      while (rs.next()) out.add(read(rs));
    }
    return out;
  }

  @SuppressWarnings("unchecked")
  private static Schedule read(ResultSet rs) throws SQLException {
    long last = rs.getLong(6);
    Long lastFire = rs.wasNull() ? null : last;
    byte[] states = rs.getBytes(7);
    Map<String, String> st = states == null ? null : Json.MAPPER.readValue(states, LinkedHashMap.class);
    Map<String, List<String>> headers = Json.MAPPER.readValue(rs.getBytes(11), LinkedHashMap.class);
    return new Schedule(rs.getString(1), rs.getString(2), rs.getString(3), rs.getInt(4) != 0, rs.getLong(5), lastFire, st,
        rs.getString(8), rs.getLong(9), rs.getString(10), headers, rs.getBytes(12));
  }
}
