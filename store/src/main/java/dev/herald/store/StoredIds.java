package dev.herald.store;

import java.nio.charset.StandardCharsets;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;

/**
 * How SQLite keeps a message id in {@code messages}: 16 bytes instead of 30 characters, in the row and
 * in its unique index (about 28 bytes a pending message). A Herald id ({@code msg_} + 26 Crockford
 * base32 characters: 48 bits of milliseconds, 80 of randomness, see {@code core.id.Ids}) packs into
 * its 128 bits, big-endian, so byte order is string order and queues keep their FIFO order. Any other
 * id is stored as {@code 0xFF} + its UTF-8 (sorting after every packed id), and the empty string (a
 * keyset cursor's start) as no bytes. PostgreSQL keeps the text.
 */
final class StoredIds {
  private static final String PREFIX = "msg_";
  private static final String ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  private static final byte[] VALUES = new byte[128];

  static {
    java.util.Arrays.fill(VALUES, (byte) -1);
    for (int i = 0; i < ALPHABET.length(); i++) VALUES[ALPHABET.charAt(i)] = (byte) i;
  }

  private StoredIds() {}

  /** Binds a message id at parameter {@code i}: packed on SQLite, text on PostgreSQL. */
  static void bind(Tx tx, PreparedStatement ps, int i, String id) throws SQLException {
    if (tx.dialect() instanceof Dialect.Sqlite) ps.setBytes(i, pack(id));
    else ps.setString(i, id);
  }

  /** The value {@link #bind} would bind, for filters built as argument lists. */
  static Object value(Tx tx, String id) {
    return tx.dialect() instanceof Dialect.Sqlite ? pack(id) : id;
  }

  /** {@link #value} of each id, for an any-of filter; null stays null (no filter). */
  static List<Object> values(Tx tx, List<String> ids) {
    return ids == null ? null : ids.stream().map(id -> value(tx, id)).toList();
  }

  /** Reads a message id column: packed bytes (SQLite's messages), or text (PostgreSQL, the events table). */
  static String read(ResultSet rs, int column) throws SQLException {
    Object o = rs.getObject(column);
    return o instanceof byte[] b ? unpack(b) : (String) o;
  }

  static byte[] pack(String id) {
    if (id.isEmpty()) return new byte[0];
    if (packable(id)) {
      byte[] out = new byte[16];
      long ms = chars(id, 4, 10);
      long hi = chars(id, 14, 8);
      long lo = chars(id, 22, 8);
      for (int k = 5; k >= 0; k--, ms >>>= 8) out[k] = (byte) ms;
      for (int k = 10; k >= 6; k--, hi >>>= 8) out[k] = (byte) hi;
      for (int k = 15; k >= 11; k--, lo >>>= 8) out[k] = (byte) lo;
      return out;
    }
    byte[] text = id.getBytes(StandardCharsets.UTF_8);
    byte[] out = new byte[text.length + 1];
    out[0] = (byte) 0xFF;
    System.arraycopy(text, 0, out, 1, text.length);
    return out;
  }

  static String unpack(byte[] b) {
    if (b.length == 0) return "";
    if (b[0] == (byte) 0xFF) return new String(b, 1, b.length - 1, StandardCharsets.UTF_8);
    if (b.length != 16) throw new IllegalStateException("not a stored message id: " + b.length + " bytes");
    char[] out = new char[26];
    long ms = bytes(b, 0, 6);
    long hi = bytes(b, 6, 5);
    long lo = bytes(b, 11, 5);
    for (int i = 9; i >= 0; i--, ms >>>= 5) out[i] = ALPHABET.charAt((int) (ms & 31));
    for (int i = 17; i >= 10; i--, hi >>>= 5) out[i] = ALPHABET.charAt((int) (hi & 31));
    for (int i = 25; i >= 18; i--, lo >>>= 5) out[i] = ALPHABET.charAt((int) (lo & 31));
    return PREFIX + new String(out);
  }

  /** A Herald id whose 130 bits of base32 hold 128 (its first character at most '7') and whose top byte is not 0xFF. */
  private static boolean packable(String id) {
    if (id.length() != 30 || !id.startsWith(PREFIX) || id.charAt(4) > '7') return false;
    for (int i = 4; i < 30; i++) {
      char c = id.charAt(i);
      if (c >= 128 || VALUES[c] < 0) return false;
    }
    return (chars(id, 4, 10) >>> 40) != 0xFF;
  }

  private static long chars(String s, int from, int n) {
    long v = 0;
    for (int i = from; i < from + n; i++) v = v << 5 | VALUES[s.charAt(i)];
    return v;
  }

  private static long bytes(byte[] b, int from, int n) {
    long v = 0;
    for (int i = from; i < from + n; i++) v = v << 8 | (b[i] & 0xFF);
    return v;
  }
}
