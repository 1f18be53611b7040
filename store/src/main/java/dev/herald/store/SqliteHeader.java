package dev.herald.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The cheap check of {@code herald.db} before SQLite opens it: its 100-byte header
 * (https://sqlite.org/fileformat.html#the_database_header) against the file's length. SQLite reads a
 * page only when a query needs it, so a file cut short (a copy or a restore that stopped half-way, a
 * full disk during a copy) can open fine and fail later, at whichever message lived in the lost part.
 * This reads 100 bytes, never the pages: a damaged page in the middle of the file is not seen here
 * (a full {@code PRAGMA quick_check} reads the whole file, too slow for a start; see docs/guarantees.md).
 */
final class SqliteHeader {
  private static final byte[] MAGIC = "SQLite format 3\0".getBytes(StandardCharsets.US_ASCII);
  private static final int LENGTH = 100;

  private SqliteHeader() {}

  /**
   * Refuses (StoreUnavailableException) a file that is not a SQLite database or is shorter than its
   * header says. An empty file is a store about to be created. A non-empty WAL beside it is not
   * checked: a crash in the middle of a checkpoint leaves the header ahead of the file legitimately.
   */
  static void check(Path db) throws IOException {
    if (!Files.exists(db)) return;
    long size = Files.size(db);
    if (size == 0) return;
    if (size < LENGTH) throw refused(db, "is not a SQLite database, or is truncated: " + size + " bytes, shorter than a header");
    ByteBuffer h = ByteBuffer.allocate(LENGTH);
    try (FileChannel ch = FileChannel.open(db, StandardOpenOption.READ)) {
      while (h.hasRemaining() && ch.read(h, h.position()) > 0) {
        // read the whole header
      }
    }
    h.flip();
    byte[] magic = new byte[MAGIC.length];
    h.get(0, magic);
    if (!java.util.Arrays.equals(magic, MAGIC)) {
      throw refused(db, "is not a SQLite database (its header does not start with 'SQLite format 3'): the file is damaged");
    }
    int raw = Short.toUnsignedInt(h.getShort(16));
    long pageSize = raw == 1 ? 65536 : raw;
    if (pageSize < 512 || Long.bitCount(pageSize) != 1) {
      throw refused(db, "has a damaged header (page size " + raw + ")");
    }
    if (walInUse(db)) return;
    long pages = Integer.toUnsignedLong(h.getInt(28));
    boolean countValid = pages > 0 && h.getInt(24) == h.getInt(92);
    if (countValid && size < pages * pageSize) {
      throw refused(db, "is truncated: it has " + size + " bytes, its header says " + pages + " pages of " + pageSize
          + " bytes (" + pages * pageSize + ")");
    }
    if (size % pageSize != 0) {
      throw refused(db, "is truncated: " + size + " bytes is not a whole number of " + pageSize + "-byte pages");
    }
  }

  private static boolean walInUse(Path db) throws IOException {
    Path wal = db.resolveSibling(db.getFileName() + "-wal");
    return Files.exists(wal) && Files.size(wal) > 0;
  }

  private static StoreUnavailableException refused(Path db, String problem) {
    return new StoreUnavailableException(db + " " + problem + "; refusing to start on a damaged store: restore it from a backup", null);
  }
}
