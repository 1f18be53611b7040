package dev.herald.store;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import org.flywaydb.core.Flyway;

/**
 * The embedded SQLite store: one writer connection behind the {@link GroupCommitter} and a small pool
 * of reader connections (WAL lets readers run beside the writer). Durability: WAL with
 * synchronous=FULL, so a commit returns only after fsync.
 */
public final class Db implements AutoCloseable {
  private record Reader(Connection conn, Map<String, PreparedStatement> cache) {}

  private final Connection writer;
  private final GroupCommitter committer;
  private final BlockingQueue<Reader> readers;
  private final int readerCount;

  private Db(Connection writer, BlockingQueue<Reader> readers, int readerCount, int writeQueue) {
    this.writer = writer;
    this.readers = readers;
    this.readerCount = readerCount;
    Map<String, PreparedStatement> cache = Tx.newCache();
    this.committer = new GroupCommitter(writer, c -> new Tx(c, cache), writeQueue);
  }

  public static Db openSqlite(Path dir, int readerCount, int writeQueue) {
    try {
      Files.createDirectories(dir);
      String url = "jdbc:sqlite:" + dir.resolve("herald.db").toAbsolutePath();
      Flyway.configure().dataSource(url, null, null).locations("classpath:db/migration/sqlite")
          .load().migrate();
      Connection writer = open(url);
      writer.setAutoCommit(false);
      BlockingQueue<Reader> readers = new ArrayBlockingQueue<>(readerCount);
      for (int i = 0; i < readerCount; i++) {
        Connection r = open(url);
        readers.add(new Reader(r, Tx.newCache()));
      }
      return new Db(writer, readers, readerCount, writeQueue);
    } catch (Exception e) {
      throw new StoreUnavailableException("opening SQLite store in " + dir + ": " + e.getMessage(), e);
    }
  }

  private static Connection open(String url) throws SQLException {
    Connection c = DriverManager.getConnection(url);
    try (Statement s = c.createStatement()) {
      s.execute("PRAGMA journal_mode=WAL");
      s.execute("PRAGMA synchronous=FULL");
      s.execute("PRAGMA busy_timeout=10000");
      s.execute("PRAGMA cache_size=-16000");
    }
    return c;
  }

  /** Runs {@code work} in the next group commit; the future completes after the fsync. */
  public <T> CompletableFuture<T> write(Function<Tx, T> work) {
    return committer.submit(work);
  }

  /** A write nobody was promised durability for (see {@link GroupCommitter}): no fsync of its own. */
  public <T> CompletableFuture<T> writeRelaxed(Function<Tx, T> work) {
    return committer.submit(work, false);
  }

  /** Writes and waits (for background jobs and tests, never on a request thread that could batch). */
  public <T> T writeNow(Function<Tx, T> work) {
    try {
      return write(work).join();
    } catch (java.util.concurrent.CompletionException e) {
      if (e.getCause() instanceof RuntimeException r) throw r;
      throw e;
    }
  }

  /** Runs {@code work} on a reader connection (autocommit: each statement sees the latest commit). */
  public <T> T read(Function<Tx, T> work) {
    Reader r;
    try {
      r = readers.take();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StoreUnavailableException("interrupted waiting for a reader", e);
    }
    try {
      return work.apply(new Tx(r.conn(), r.cache()));
    } finally {
      readers.add(r);
    }
  }

  public GroupCommitter committer() {
    return committer;
  }

  @Override
  public void close() {
    committer.close();
    closeQuietly(writer);
    for (int i = 0; i < readerCount; i++) {
      Reader r = readers.poll();
      if (r != null) closeQuietly(r.conn());
    }
  }

  private static void closeQuietly(Connection c) {
    try {
      c.close();
    } catch (SQLException ignored) {
      // closing at shutdown; nothing useful to do
    }
  }
}
