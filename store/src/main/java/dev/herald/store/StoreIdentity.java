package dev.herald.store;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Set;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which SQLite store lives in a data directory: a random id kept twice, in the database (the
 * {@code store.id} setting) and in {@code herald.id} beside it. SQLite creates a database wherever it
 * finds none, so without the marker a lost {@code herald.db} (deleted, a volume mounted without it, a
 * restore gone wrong) would start a new, empty store that takes publishes as if nothing was lost.
 *
 * <p>The marker is written only after the database holds its id, so a crash in between leaves a
 * database with an id and no marker, which start-up completes. A directory from before the marker
 * (a database without an id, no marker) gets both. Deleting {@code herald.id} is how an operator says
 * "start a new store here".
 */
final class StoreIdentity {
  private static final Logger log = LoggerFactory.getLogger(StoreIdentity.class);
  static final String MARKER = "herald.id";
  static final String SETTING = "store.id";

  private StoreIdentity() {}

  /** Before SQLite opens (and would create) the database: a marker without its database means it was lost. */
  static void checkNotLost(Path dir, Path db) throws IOException {
    Path marker = dir.resolve(MARKER);
    if (!Files.exists(marker)) return;
    Path wal = db.resolveSibling(db.getFileName() + "-wal");
    boolean empty = Files.exists(db) && Files.size(db) == 0 && (!Files.exists(wal) || Files.size(wal) == 0);
    if (Files.exists(db) && !empty) return;
    throw new StoreUnavailableException(db + " is " + (empty ? "empty" : "missing") + " but " + marker
        + " says a store lived here: refusing to start empty; restore the file, or delete " + MARKER
        + " to start a new, empty store", null);
  }

  /** After migrations: the database's id and the marker's must agree; a missing one is written. */
  static void reconcile(Path dir, Path db, Connection c) throws IOException, SQLException {
    Path marker = dir.resolve(MARKER);
    String inDb = read(c);
    String inFile = Files.exists(marker) ? Files.readString(marker, StandardCharsets.UTF_8).strip() : null;
    if (inDb != null && inDb.equals(inFile)) return;
    if (inFile != null) {
      throw new StoreUnavailableException(db + (inDb == null ? " has no store id" : " is store " + inDb) + " but "
          + marker + " says store " + inFile + " lived here: refusing to start on another store's file (or a copy "
          + "older than the marker); put the right file back, or delete " + MARKER + " to keep this one", null);
    }
    if (inDb == null) {
      inDb = UUID.randomUUID().toString();
      write(c, inDb);
    }
    writeMarker(marker, inDb);
    log.info("store id {} written to {}", inDb, marker);
  }

  private static String read(Connection c) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT value FROM settings WHERE name = ?")) {
      ps.setString(1, SETTING);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? rs.getString(1) : null;
      }
    }
  }

  private static void write(Connection c, String id) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO settings (name, value) VALUES (?, ?)")) {
      ps.setString(1, SETTING);
      ps.setString(2, id);
      ps.executeUpdate();
    }
  }

  /** Written aside, fsynced and renamed into place: a crash leaves the old state or the whole new file. */
  private static void writeMarker(Path marker, String id) throws IOException {
    Path tmp = marker.resolveSibling(MARKER + ".tmp");
    Files.deleteIfExists(tmp);
    try (FileChannel ch = FileChannel.open(tmp, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
        DataDir.privateFile(tmp))) {
      ch.write(java.nio.ByteBuffer.wrap((id + "\n").getBytes(StandardCharsets.UTF_8)));
      ch.force(true);
    }
    Files.move(tmp, marker, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    try (FileChannel d = FileChannel.open(marker.getParent(), StandardOpenOption.READ)) {
      d.force(true);
    } catch (IOException notOnThisSystem) {
      // some systems cannot fsync a directory; the rename is still atomic
    }
  }
}
