package dev.herald.store;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Optional;

/** Small named values that must survive restarts (the signing keys after a rotation). */
public final class Settings {
  private final Tx tx;

  Settings(Tx tx) {
    this.tx = tx;
  }

  public Optional<String> get(String name) {
    PreparedStatement ps = tx.prepare("SELECT value FROM settings WHERE name = ?");
    try {
      ps.setString(1, name);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(rs.getString(1)) : Optional.empty();
      }
    } catch (SQLException e) {
      throw new StoreException("reading setting " + name, e);
    }
  }

  public void put(String name, String value) {
    PreparedStatement ps = tx.prepare("""
        INSERT INTO settings (name, value) VALUES (?, ?)
        ON CONFLICT (name) DO UPDATE SET value = excluded.value""");
    try {
      ps.setString(1, name);
      ps.setString(2, value);
      ps.executeUpdate();
    } catch (SQLException e) {
      throw new StoreException("writing setting " + name, e);
    }
  }
}
