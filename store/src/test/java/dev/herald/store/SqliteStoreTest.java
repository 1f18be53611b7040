package dev.herald.store;

import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

class SqliteStoreTest extends StoreContract {
  @TempDir Path dir;

  @Override
  protected Db openFresh(TestClock clock) {
    return Db.open(dir.toString(), new Db.Options(2, 1000, clock));
  }
}
