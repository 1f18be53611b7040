package dev.herald.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.DriverManager;
import java.sql.ResultSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SqliteStoreTest extends StoreContract {
  @TempDir Path dir;

  @Override
  protected Db openFresh(TestClock clock) {
    return Db.open(dir.toString(), new Db.Options(2, 1000, clock));
  }

  @Test
  void a_data_directory_in_use_is_refused_until_its_store_is_closed() {
    Path other = dir.resolve("other");
    Db first = Db.open(other.toString(), new Db.Options(1, 100, new TestClock(java.time.Instant.parse("2030-01-01T00:00:00Z"))));
    try {
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> Db.open(other.toString(), new Db.Options(1, 100, new TestClock(java.time.Instant.parse("2030-01-01T00:00:00Z")))))
          .isInstanceOf(StoreUnavailableException.class).hasMessageContaining("in use by another Herald process");
    } finally {
      first.close();
    }
    Db.open(other.toString(), new Db.Options(1, 100, new TestClock(java.time.Instant.parse("2030-01-01T00:00:00Z")))).close(); // free again
  }

  @Test
  void a_new_file_gets_8_kib_pages_in_wal_mode() throws Exception {
    try (var c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("herald.db"));
        var s = c.createStatement()) {
      try (ResultSet rs = s.executeQuery("PRAGMA page_size")) {
        assertThat(rs.getInt(1)).isEqualTo(8192);
      }
      try (ResultSet rs = s.executeQuery("PRAGMA journal_mode")) {
        assertThat(rs.getString(1)).isEqualTo("wal");
      }
    }
  }
}
