package dev.herald.store;

import java.nio.file.Path;
import java.sql.SQLException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SQLite saying the file is damaged ({@code SQLITE_CORRUPT}: "database disk image is malformed",
 * {@code SQLITE_NOTADB}). Start-up reads only the header ({@link SqliteHeader}), so a damaged page is
 * found when a query first reads it. The statement fails and its rows stay where they are (a claim
 * that fails leaves its messages waiting, a read answers 500); this makes sure the operator learns why,
 * in an error line naming the file, at most once a minute however many queries hit the page.
 */
final class SqliteDamage {
  private static final Logger log = LoggerFactory.getLogger(SqliteDamage.class);
  private static final int SQLITE_CORRUPT = 11;
  private static final int SQLITE_NOTADB = 26;
  private static final long EVERY = TimeUnit.MINUTES.toNanos(1);

  private final Path file;
  private final AtomicLong lastReport = new AtomicLong(System.nanoTime() - EVERY);

  SqliteDamage(Path file) {
    this.file = file;
  }

  Path file() {
    return file;
  }

  /** The SQLite error in {@code e}'s causes that says the file is damaged, or null. */
  static SQLException find(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SQLException s) {
        int code = s.getErrorCode() & 0xff;
        if (code == SQLITE_CORRUPT || code == SQLITE_NOTADB) return s;
      }
    }
    return null;
  }

  /** Logs an error naming the file when {@code e} comes from a damaged page (rate-limited). */
  void report(Throwable e) {
    SQLException s = find(e);
    if (s == null) return;
    long last = lastReport.get();
    long now = System.nanoTime();
    if (now - last < EVERY || !lastReport.compareAndSet(last, now)) return;
    log.error("the SQLite store {} is damaged: {}. The messages on the damaged pages cannot be read and stay where "
        + "they are; stop Herald and restore the file from a backup (docs/guarantees.md, 'A damaged store')",
        file, s.getMessage());
  }
}
