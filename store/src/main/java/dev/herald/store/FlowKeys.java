package dev.herald.store;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The control state of flow-control keys (spec 11.4): paused, pinned limits, rate resets. Kept in the
 * key's {@code flow_keys} row so that it holds on every node of a cluster and across a restart; the
 * rate window in the same row is {@link Messages#flowKeyAllows}'s.
 */
public final class FlowKeys {
  private final Tx tx;

  FlowKeys(Tx tx) {
    this.tx = tx;
  }

  /**
   * A key's control state. A null pin means the messages' own limit applies. {@code rateResets} counts the
   * pins and rate resets (each starts a fresh rate window); {@code version} counts every control operation,
   * so a gate can tell a newer state from a stale read.
   */
  public record Control(String key, boolean paused, Integer pinnedParallelism, Integer pinnedRate, Long pinnedPeriod,
      long rateResets, long version) {}

  private static final String COLUMNS = "flow_key, paused, pin_parallelism, pin_rate, pin_period, rate_resets, version";

  public Optional<Control> find(String key) {
    PreparedStatement ps = tx.prepare("SELECT " + COLUMNS + " FROM flow_keys WHERE flow_key = ?");
    try {
      ps.setString(1, key);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(read(rs)) : Optional.empty();
      }
    } catch (SQLException e) {
      throw new StoreException("reading flow-control key " + key, e);
    }
  }

  /** Every key some node has claimed a message of, or that was controlled. */
  public List<Control> all() {
    return list("SELECT " + COLUMNS + " FROM flow_keys ORDER BY flow_key");
  }

  /** Keys that a control operation has touched: the ones whose state a gate must follow. */
  public List<Control> controlled() {
    // the partial index's predicate word for word (SQLite uses it only then)
    return list("SELECT " + COLUMNS + " FROM flow_keys WHERE version > 0");
  }

  public Control setPaused(String key, boolean paused) {
    return update(key, "paused = ?", ps -> ps.setInt(1, paused ? 1 : 0), 1);
  }

  /**
   * Pins the given limits (a null keeps what is pinned) and starts a fresh rate window. The period goes
   * with the rate: when neither this pin nor an earlier one gave a period, {@code currentPeriod} (seconds,
   * the key's period right now) is pinned with the rate.
   */
  public Control pin(String key, Integer parallelism, Integer rate, Long period, long currentPeriod) {
    return update(key, "pin_parallelism = COALESCE(?, pin_parallelism), pin_rate = COALESCE(?, pin_rate), "
        + "pin_period = COALESCE(?, pin_period, ?), window_start = 0, started = 0, rate_resets = rate_resets + 1", ps -> {
          setNullableInt(ps, 1, parallelism);
          setNullableInt(ps, 2, rate);
          if (period == null) ps.setNull(3, java.sql.Types.BIGINT);
          else ps.setLong(3, period);
          if (rate == null) ps.setNull(4, java.sql.Types.BIGINT); // a period alone waits for a rate pin
          else ps.setLong(4, currentPeriod);
        }, 4);
  }

  /** Removes the chosen pins; the limits last applied stay until a message brings others (spec 11.4). */
  public Control unpin(String key, boolean parallelism, boolean rate) {
    return update(key, "pin_parallelism = CASE WHEN ? = 1 THEN NULL ELSE pin_parallelism END, "
        + "pin_rate = CASE WHEN ? = 1 THEN NULL ELSE pin_rate END, "
        + "pin_period = CASE WHEN ? = 1 THEN NULL ELSE pin_period END", ps -> {
          ps.setInt(1, parallelism ? 1 : 0);
          ps.setInt(2, rate ? 1 : 0);
          ps.setInt(3, rate ? 1 : 0);
        }, 3);
  }

  /** Starts a fresh rate window (POST /v2/flowControl/{key}/resetRate). */
  public Control resetRate(String key) {
    return update(key, "window_start = 0, started = 0, rate_resets = rate_resets + 1", ps -> {}, 0);
  }

  private interface Binder {
    void bind(PreparedStatement ps) throws SQLException;
  }

  private Control update(String key, String set, Binder binder, int bound) {
    try {
      ensure(key);
      PreparedStatement ps = tx.prepare("UPDATE flow_keys SET " + set + ", version = version + 1 WHERE flow_key = ? "
          + "RETURNING " + COLUMNS);
      binder.bind(ps);
      ps.setString(bound + 1, key);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return read(rs);
      }
    } catch (SQLException e) {
      throw new StoreException("controlling flow-control key " + key, e);
    }
  }

  /** Makes the key's row if it has none, and notes that a message of it is being claimed at {@code now}. */
  void touch(String key, long now) throws SQLException {
    PreparedStatement ps = tx.prepare("INSERT INTO flow_keys (flow_key, window_start, started, last_used) VALUES (?, 0, 0, ?) "
        + "ON CONFLICT (flow_key) DO UPDATE SET last_used = excluded.last_used");
    ps.setString(1, key);
    ps.setLong(2, now);
    ps.executeUpdate();
  }

  /**
   * Deletes up to {@code limit} rows of keys never controlled (version 0) and neither claimed nor in a rate
   * window since {@code before}. Such a row holds nothing a fresh one would not, provided every rate window
   * that began before {@code before} is over: callers pass a time more than the longest period (a week) ago.
   */
  public int purgeIdle(long before, int limit) {
    // The outer WHERE repeats the test: PostgreSQL re-checks it (not the subquery) against a row that a
    // concurrent control operation or claim changed while the DELETE waited for its lock.
    PreparedStatement ps = tx.prepare("DELETE FROM flow_keys WHERE version = 0 AND last_used < ? AND window_start < ? "
        + "AND flow_key IN (SELECT flow_key FROM flow_keys WHERE version = 0 AND last_used < ? AND window_start < ? LIMIT ?)");
    try {
      for (int i = 1; i <= 4; i++) ps.setLong(i, before);
      ps.setInt(5, limit);
      return ps.executeUpdate();
    } catch (SQLException e) {
      throw new StoreException("purging idle flow-control keys", e);
    }
  }

  /** Makes the key's row if it has none (no window yet, nothing controlled). */
  void ensure(String key) throws SQLException {
    PreparedStatement ps = tx.prepare(
        "INSERT INTO flow_keys (flow_key, window_start, started) VALUES (?, 0, 0) ON CONFLICT (flow_key) DO NOTHING");
    ps.setString(1, key);
    ps.executeUpdate();
  }

  private List<Control> list(String sql) {
    PreparedStatement ps = tx.prepare(sql);
    List<Control> out = new ArrayList<>();
    try (ResultSet rs = ps.executeQuery()) {
      while (rs.next()) out.add(read(rs));
      return out;
    } catch (SQLException e) {
      throw new StoreException("reading flow-control keys", e);
    }
  }

  private static Control read(ResultSet rs) throws SQLException {
    int p = rs.getInt(3);
    Integer parallelism = rs.wasNull() ? null : p;
    int r = rs.getInt(4);
    Integer rate = rs.wasNull() ? null : r;
    long s = rs.getLong(5);
    Long period = rs.wasNull() ? null : s;
    return new Control(rs.getString(1), rs.getInt(2) != 0, parallelism, rate, period, rs.getLong(6), rs.getLong(7));
  }

  private static void setNullableInt(PreparedStatement ps, int i, Integer v) throws SQLException {
    if (v == null) ps.setNull(i, java.sql.Types.INTEGER);
    else ps.setInt(i, v);
  }
}
