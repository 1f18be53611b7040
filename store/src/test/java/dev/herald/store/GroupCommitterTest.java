package dev.herald.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(60)
class GroupCommitterTest {
  @TempDir Path dir;

  @Test
  void a_failing_write_fails_alone_and_the_rest_of_its_batch_commits() {
    try (Db db = Db.openSqlite(dir, 1, 1000)) {
      List<CompletableFuture<Object>> futures = new ArrayList<>();
      for (int i = 0; i < 200; i++) {
        int n = i;
        futures.add(db.write(tx -> {
          tx.settings().put("k" + n, "v" + n);
          if (n % 50 == 7) throw new IllegalStateException("boom " + n);
          return null;
        }));
      }
      for (int i = 0; i < futures.size(); i++) {
        CompletableFuture<Object> f = futures.get(i);
        if (i % 50 == 7) assertThatThrownBy(f::join).isInstanceOf(CompletionException.class).hasMessageContaining("boom " + i);
        else f.join();
      }
      for (int i = 0; i < 200; i++) {
        int n = i;
        java.util.Optional<String> v = db.read(tx -> tx.settings().get("k" + n));
        if (n % 50 == 7) assertThat(v).as("the failed write left nothing behind").isEmpty();
        else assertThat(v).contains("v" + n);
      }
    }
  }

  @Test
  void relaxed_and_durable_writes_both_commit() {
    try (Db db = Db.openSqlite(dir, 1, 1000)) {
      db.writeRelaxed(tx -> {
        tx.settings().put("relaxed", "1");
        return null;
      }).join();
      db.write(tx -> {
        tx.settings().put("durable", "1");
        return null;
      }).join();
      java.util.Optional<String> relaxed = db.read(tx -> tx.settings().get("relaxed"));
      java.util.Optional<String> durable = db.read(tx -> tx.settings().get("durable"));
      assertThat(relaxed).contains("1");
      assertThat(durable).contains("1");
    }
  }

  /** A committer of its own over the store in {@code dir} (migrated by opening it once), with the given linger. */
  private GroupCommitter committer(Duration linger) throws SQLException {
    Db.openSqlite(dir, 1, 10).close();
    Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("herald.db"));
    c.setAutoCommit(false);
    return new GroupCommitter(c, null, conn -> new Tx(conn, Tx.newCache(), new Dialect.Sqlite(), Clock.systemUTC(), "test",
        new AtomicLong()), 100, linger);
  }

  private static java.util.function.Function<Tx, Object> put(String key) {
    return tx -> {
      tx.settings().put(key, "1");
      return null;
    };
  }

  private java.util.Optional<String> stored(String key) {
    try (Db db = Db.openSqlite(dir, 1, 10)) {
      return db.read(tx -> tx.settings().get(key));
    }
  }

  @Test
  void a_lazy_write_waits_for_the_next_write_and_shares_its_commit() throws Exception {
    try (GroupCommitter w = committer(Duration.ofMinutes(10))) {
      CompletableFuture<Object> lazy = w.submit(put("lazy"), GroupCommitter.Durability.LAZY);
      Thread.sleep(200); // room for a committer that does not linger to commit it alone (it must not)
      assertThat(lazy).as("a lazy write alone waits for company").isNotDone();
      w.submit(put("durable"), true).join();
      lazy.join();
      assertThat(w.commits()).as("one commit for both").isEqualTo(1);
      assertThat(w.ops()).isEqualTo(2);
    }
    assertThat(stored("lazy")).contains("1");
    assertThat(stored("durable")).contains("1");
  }

  @Test
  void a_lazy_write_alone_commits_once_its_linger_is_over() throws Exception {
    try (GroupCommitter w = committer(Duration.ofMillis(20))) {
      w.submit(put("lazy"), GroupCommitter.Durability.LAZY).join();
      assertThat(w.commits()).isEqualTo(1);
    }
    assertThat(stored("lazy")).contains("1");
  }

  @Test
  void relaxed_writes_do_not_linger() throws Exception {
    try (GroupCommitter w = committer(Duration.ofMinutes(10))) {
      w.submit(put("relaxed"), false).join(); // a linger of 10 minutes would end in the test's timeout
      assertThat(w.commits()).isEqualTo(1);
    }
  }

  @Test
  void close_commits_a_lingering_lazy_write_at_once() throws Exception {
    CompletableFuture<Object> lazy;
    try (GroupCommitter w = committer(Duration.ofMinutes(10))) {
      lazy = w.submit(put("lazy"), GroupCommitter.Durability.LAZY);
    }
    assertThat(lazy).isCompleted(); // close() returned: the write committed, it was not left behind
    assertThat(stored("lazy")).contains("1");
  }
}
