package dev.herald.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
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
}
