package dev.herald.store;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Optional;

/** Deduplication keys (spec 3.4). Checked and written inside the publish transaction, so races cannot double-insert. */
public final class Dedup {
  private final Tx tx;

  Dedup(Tx tx) {
    this.tx = tx;
  }

  /** The message id stored under {@code key} if it has not expired at {@code now}. */
  public Optional<String> find(String key, long now) {
    PreparedStatement ps = tx.prepare("SELECT message_id FROM dedup WHERE dedup_key = ? AND expires_at > ?");
    try {
      ps.setString(1, key);
      ps.setLong(2, now);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(rs.getString(1)) : Optional.empty();
      }
    } catch (SQLException e) {
      throw new StoreException("checking dedup key", e);
    }
  }

  public void put(String key, String messageId, long expiresAt) {
    PreparedStatement ps = tx.prepare("""
        INSERT INTO dedup (dedup_key, message_id, expires_at) VALUES (?, ?, ?)
        ON CONFLICT (dedup_key) DO UPDATE SET message_id = excluded.message_id, expires_at = excluded.expires_at""");
    try {
      ps.setString(1, key);
      ps.setString(2, messageId);
      ps.setLong(3, expiresAt);
      ps.executeUpdate();
    } catch (SQLException e) {
      throw new StoreException("writing dedup key", e);
    }
  }

  public int purgeExpired(long now, int limit) {
    PreparedStatement ps = tx.prepare(
        "DELETE FROM dedup WHERE dedup_key IN (SELECT dedup_key FROM dedup WHERE expires_at <= ? LIMIT ?)");
    try {
      ps.setLong(1, now);
      ps.setInt(2, limit);
      return ps.executeUpdate();
    } catch (SQLException e) {
      throw new StoreException("purging dedup keys", e);
    }
  }
}
