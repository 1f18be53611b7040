package dev.herald.store;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Queues (spec 8): FIFO with a parallelism limit, pausable. */
public final class Queues {
  private final Tx tx;

  Queues(Tx tx) {
    this.tx = tx;
  }

  public record Queue(String name, int parallelism, boolean paused, long createdAt, long updatedAt) {}

  private static final String COLUMNS = "name, parallelism, paused, created_at, updated_at";

  public Optional<Queue> find(String name) {
    PreparedStatement ps = tx.prepare("SELECT " + COLUMNS + " FROM queues WHERE name = ?");
    try {
      ps.setString(1, name);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(read(rs)) : Optional.empty();
      }
    } catch (SQLException e) {
      throw new StoreException("reading queue " + name, e);
    }
  }

  public List<Queue> all() {
    PreparedStatement ps = tx.prepare("SELECT " + COLUMNS + " FROM queues ORDER BY name");
    List<Queue> out = new ArrayList<>();
    try (ResultSet rs = ps.executeQuery()) {
      while (rs.next()) out.add(read(rs));
      return out;
    } catch (SQLException e) {
      throw new StoreException("listing queues", e);
    }
  }

  /** Creates or updates; {@code createdAt} of an existing queue is kept. */
  public void put(Queue q) {
    PreparedStatement ps = tx.prepare("INSERT INTO queues (" + COLUMNS + ") VALUES (?, ?, ?, ?, ?) "
        + "ON CONFLICT (name) DO UPDATE SET parallelism = excluded.parallelism, paused = excluded.paused, "
        + "updated_at = excluded.updated_at");
    try {
      ps.setString(1, q.name());
      ps.setInt(2, q.parallelism());
      ps.setInt(3, q.paused() ? 1 : 0);
      ps.setLong(4, q.createdAt());
      ps.setLong(5, q.updatedAt());
      ps.executeUpdate();
    } catch (SQLException e) {
      throw new StoreException("writing queue " + q.name(), e);
    }
  }

  /** Creates the queue with parallelism 1 if it does not exist (enqueue auto-creates, spec 3.2). */
  public void ensure(String name, long now) {
    PreparedStatement ps = tx.prepare("INSERT INTO queues (" + COLUMNS + ") VALUES (?, 1, 0, ?, ?) ON CONFLICT (name) DO NOTHING");
    try {
      ps.setString(1, name);
      ps.setLong(2, now);
      ps.setLong(3, now);
      ps.executeUpdate();
    } catch (SQLException e) {
      throw new StoreException("creating queue " + name, e);
    }
  }

  public boolean delete(String name) {
    PreparedStatement ps = tx.prepare("DELETE FROM queues WHERE name = ?");
    try {
      ps.setString(1, name);
      return ps.executeUpdate() == 1;
    } catch (SQLException e) {
      throw new StoreException("deleting queue " + name, e);
    }
  }

  private static Queue read(ResultSet rs) throws SQLException {
    return new Queue(rs.getString(1), rs.getInt(2), rs.getInt(3) != 0, rs.getLong(4), rs.getLong(5));
  }
}
