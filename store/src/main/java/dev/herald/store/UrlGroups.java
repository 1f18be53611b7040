package dev.herald.store;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import tools.jackson.core.type.TypeReference;

/** URL groups (topics, spec 7): a name, its endpoints and its default headers. */
public final class UrlGroups {
  private final Tx tx;

  UrlGroups(Tx tx) {
    this.tx = tx;
  }

  /** An endpoint; {@code name} may be null. */
  public record Endpoint(String name, String url) {}

  /**
   * A group. {@code headers} are its default headers (spec 7.5): applied to every publish to the group
   * that does not carry the header itself; empty when none were set.
   */
  public record Group(String name, List<Endpoint> endpoints, Map<String, List<String>> headers, long createdAt,
      long updatedAt) {
    public Group {
      endpoints = List.copyOf(endpoints);
      Map<String, List<String>> copy = new LinkedHashMap<>();
      headers.forEach((k, v) -> copy.put(k, List.copyOf(v)));
      headers = Collections.unmodifiableMap(copy);
    }

    public Group(String name, List<Endpoint> endpoints, long createdAt, long updatedAt) {
      this(name, endpoints, Map.of(), createdAt, updatedAt);
    }
  }

  /**
   * {@code headers} plus each of a group's default headers whose name (in any case) it lacks: the
   * request's own header always wins (spec 7.5).
   */
  public static Map<String, List<String>> withDefaults(Map<String, List<String>> headers, Map<String, List<String>> defaults) {
    if (defaults.isEmpty()) return headers;
    Map<String, List<String>> out = new LinkedHashMap<>(headers);
    defaults.forEach((k, v) -> {
      if (out.keySet().stream().noneMatch(x -> x.equalsIgnoreCase(k))) out.put(k, v);
    });
    return out;
  }

  private static final TypeReference<LinkedHashMap<String, List<String>>> HEADERS = new TypeReference<>() {};

  public Optional<Group> find(String name) {
    PreparedStatement ps = tx.prepare("SELECT name, endpoints, created_at, updated_at, headers FROM url_groups WHERE name = ?");
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
    PreparedStatement ps = tx.prepare("SELECT name, endpoints, created_at, updated_at, headers FROM url_groups ORDER BY name");
    List<Group> out = new ArrayList<>();
    try (ResultSet rs = ps.executeQuery()) {
      while (rs.next()) out.add(read(rs));
      return out;
    } catch (SQLException e) {
      throw new StoreException("listing url groups", e);
    }
  }

  public void put(Group g) {
    PreparedStatement ps = tx.prepare("INSERT INTO url_groups (name, endpoints, created_at, updated_at, headers) VALUES (?, ?, ?, ?, ?) "
        + "ON CONFLICT (name) DO UPDATE SET endpoints = excluded.endpoints, updated_at = excluded.updated_at, headers = excluded.headers");
    try {
      ps.setString(1, g.name());
      ps.setBytes(2, Json.MAPPER.writeValueAsBytes(g.endpoints()));
      ps.setLong(3, g.createdAt());
      ps.setLong(4, g.updatedAt());
      ps.setBytes(5, g.headers().isEmpty() ? null : Json.MAPPER.writeValueAsBytes(g.headers()));
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
    byte[] h = rs.getBytes(5);
    Map<String, List<String>> headers = h == null ? Map.of() : Json.MAPPER.readValue(h, HEADERS);
    return new Group(rs.getString(1), List.of(eps), headers, rs.getLong(3), rs.getLong(4));
  }
}
