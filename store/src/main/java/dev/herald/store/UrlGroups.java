package dev.herald.store;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** URL groups (topics, spec 7): a name and its endpoints. */
public final class UrlGroups {
  private final Tx tx;

  UrlGroups(Tx tx) {
    this.tx = tx;
  }

  /** An endpoint; {@code name} may be null. */
  public record Endpoint(String name, String url) {}

  public record Group(String name, List<Endpoint> endpoints, long createdAt, long updatedAt) {
    public Group {
      endpoints = List.copyOf(endpoints);
    }
  }

  public Optional<Group> find(String name) {
    PreparedStatement ps = tx.prepare("SELECT name, endpoints, created_at, updated_at FROM url_groups WHERE name = ?");
    try {
      ps.setString(1, name);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(read(rs)) : Optional.empty();
      }
    } catch (SQLException e) {
      throw new StoreException("reading url group " + name, e);
    }
  }

  public List<Group> all() {
    PreparedStatement ps = tx.prepare("SELECT name, endpoints, created_at, updated_at FROM url_groups ORDER BY name");
    List<Group> out = new ArrayList<>();
    try (ResultSet rs = ps.executeQuery()) {
      while (rs.next()) out.add(read(rs));
      return out;
    } catch (SQLException e) {
      throw new StoreException("listing url groups", e);
    }
  }

  public void put(Group g) {
    PreparedStatement ps = tx.prepare("INSERT INTO url_groups (name, endpoints, created_at, updated_at) VALUES (?, ?, ?, ?) "
        + "ON CONFLICT (name) DO UPDATE SET endpoints = excluded.endpoints, updated_at = excluded.updated_at");
    try {
      ps.setString(1, g.name());
      ps.setBytes(2, Json.MAPPER.writeValueAsBytes(g.endpoints()));
      ps.setLong(3, g.createdAt());
      ps.setLong(4, g.updatedAt());
      ps.executeUpdate();
    } catch (SQLException e) {
      throw new StoreException("writing url group " + g.name(), e);
    }
  }

  public boolean delete(String name) {
    PreparedStatement ps = tx.prepare("DELETE FROM url_groups WHERE name = ?");
    try {
      ps.setString(1, name);
      return ps.executeUpdate() == 1;
    } catch (SQLException e) {
      throw new StoreException("deleting url group " + name, e);
    }
  }

  private static Group read(ResultSet rs) throws SQLException {
    Endpoint[] eps = Json.MAPPER.readValue(rs.getBytes(2), Endpoint[].class);
    return new Group(rs.getString(1), List.of(eps), rs.getLong(3), rs.getLong(4));
  }
}
