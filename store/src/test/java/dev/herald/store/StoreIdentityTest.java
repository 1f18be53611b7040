package dev.herald.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The SQLite store's identity marker and header check at open (the process-level cases are in
 * server's DamagedStoreTest): the states a crash can leave between two steps are accepted, the ones
 * only a loss or a damage can make are refused.
 */
@Timeout(60)
class StoreIdentityTest {
  @TempDir Path dir;

  @Test
  void a_new_store_gets_a_marker_and_keeps_it_across_restarts() throws Exception {
    Db.openSqlite(dir, 1, 100).close();
    String id = Files.readString(dir.resolve("herald.id")).strip();
    Db.openSqlite(dir, 1, 100).close();

    assertThat(id).isNotBlank();
    assertThat(Files.readString(dir.resolve("herald.id")).strip()).isEqualTo(id);
  }

  @Test
  void a_crash_after_the_id_was_stored_but_before_the_marker_was_written_is_completed_with_the_same_id() throws Exception {
    Db.openSqlite(dir, 1, 100).close();
    String id = Files.readString(dir.resolve("herald.id")).strip();
    Files.delete(dir.resolve("herald.id"));

    Db.openSqlite(dir, 1, 100).close();

    assertThat(Files.readString(dir.resolve("herald.id")).strip()).isEqualTo(id);
  }

  @Test
  void an_empty_database_file_beside_a_marker_is_refused_as_a_lost_store() throws Exception {
    Db.openSqlite(dir, 1, 100).close();
    Files.write(dir.resolve("herald.db"), new byte[0]);

    assertThatThrownBy(() -> Db.openSqlite(dir, 1, 100)).hasMessage(dir.resolve("herald.db") + " is empty but "
        + dir.resolve("herald.id") + " says a store lived here: refusing to start empty; restore the file, or delete "
        + "herald.id to start a new, empty store");
  }

  @Test
  void a_file_shorter_than_its_header_says_is_truncated_only_when_no_wal_holds_the_rest() throws Exception {
    Db.openSqlite(dir, 1, 100).close();
    Path db = dir.resolve("herald.db");
    try (RandomAccessFile f = new RandomAccessFile(db.toFile(), "rw")) {
      f.setLength(f.length() - 8192);
    }
    assertThatThrownBy(() -> SqliteHeader.check(db)).hasMessageContaining(db + " is truncated");

    // a crash in the middle of a checkpoint: the header is already ahead of the file, the WAL has the pages
    Files.write(dir.resolve("herald.db-wal"), new byte[] {1});
    SqliteHeader.check(db);
  }
}
