package dev.herald.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.InstantSource;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.function.Function;
import org.flywaydb.core.Flyway;

/**
 * The store: one writer connection behind the {@link GroupCommitter} and reader connections beside it.
 *
 * <p>Two shapes, picked by {@link #open}: the embedded SQLite file (WAL with synchronous=FULL, a small
 * fixed pool of readers) for a single node, or PostgreSQL (HikariCP for readers, one dedicated writer
 * connection with autocommit off and synchronous_commit=on) shared by any number of nodes. Either way
 * a write's future completes only after its transaction is durable.
 */
public final class Db implements AutoCloseable {
  private record Reader(Connection conn, Map<String, PreparedStatement> cache) {}

  /**
   * How to open the store. {@code leaseClock} is null in production (leases follow the database
   * clock); tests pin it to move lease expiry without waiting.
   */
  public record Options(int readers, int writeQueue, InstantSource leaseClock) {
    public static Options defaults() {
      return new Options(4, 100_000, null);
    }
  }

  /**
   * A node frozen in the middle of a write transaction (SIGSTOP, a VM pause) would keep its row locks,
   * and the other nodes' lease reaper skips locked rows. The server ends such a session instead; the
   * node reconnects when it wakes up. Our transactions never sit idle for anywhere near this long.
   */
  private static final String IDLE_IN_TX_LIMIT = "SET idle_in_transaction_session_timeout = '15s'";
  /** Waiting on a row another (maybe frozen) node holds fails after this, instead of stalling the writer. */
  private static final String LOCK_WAIT_LIMIT = "SET lock_timeout = '5s'";

  private final Connection writer;
  private final GroupCommitter committer;
  private final BlockingQueue<Reader> readers; // SQLite
  private final HikariDataSource pool; // PostgreSQL
  private final PgUrl pgUrl; // PostgreSQL
  private final int readerCount;
  private final Dialect dialect;
  private final InstantSource leaseClock;
  private final String nodeId = UUID.randomUUID().toString();
  /** SQLite: the last log id or message seq handed out (see {@link Dialect#logIdSql}); null on PostgreSQL. */
  private final java.util.concurrent.atomic.AtomicLong logIds;
  private volatile NewWorkListener listener;
  /** SQLite: reports a damaged page when a query finds one; null on PostgreSQL. */
  private final SqliteDamage damage;

  private Db(Dialect dialect, Connection writer, BlockingQueue<Reader> readers, HikariDataSource pool, PgUrl pgUrl,
      Options o, SqliteDamage damage) {
    this.dialect = dialect;
    this.damage = damage;
    this.writer = writer;
    this.readers = readers;
    this.pool = pool;
    this.pgUrl = pgUrl;
    this.readerCount = o.readers();
    this.leaseClock = o.leaseClock();
    this.logIds = pgUrl == null ? new java.util.concurrent.atomic.AtomicLong(lastLogId(writer)) : null;
    Map<String, PreparedStatement> cache = Tx.newCache();
    Connection[] current = {writer};
    GroupCommitter.Reopen reopen = pgUrl == null ? null : () -> {
      Connection c = pgUrl.connect();
      try (Statement s = c.createStatement()) {
        s.execute("SET synchronous_commit = on");
        s.execute(IDLE_IN_TX_LIMIT);
        s.execute(LOCK_WAIT_LIMIT);
      }
      return c;
    };
    this.committer = new GroupCommitter(writer, reopen, c -> {
      if (c != current[0]) { // reconnected: statements of the old connection are gone
        cache.clear();
        current[0] = c;
      }
      return new Tx(c, cache, dialect, leaseClock, nodeId, logIds);
    }, o.writeQueue());
    // a failed write that read a damaged page says so in the log; the caller sees its failure as before
    if (damage != null) committer.onFailure(damage::report);
  }

  /**
   * The highest log id or message seq ever used: sqlite_sequence keeps the highest entry id even after
   * retention deleted it, and pending messages hold seqs their entries will get.
   */
  private static long lastLogId(Connection writer) {
    try (Statement s = writer.createStatement();
        var rs = s.executeQuery("SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'events'), 0), "
            + "coalesce((SELECT max(id) FROM events), 0), coalesce((SELECT max(seq) FROM messages), 0))")) {
      rs.next();
      long last = rs.getLong(1);
      writer.commit();
      return last;
    } catch (SQLException e) {
      throw new StoreUnavailableException("reading the last log id: " + e.getMessage(), e);
    }
  }

  /**
   * Opens (and migrates) the store at {@code location}: a PostgreSQL URL ({@code postgresql://user@host:port/db},
   * {@code postgres://...} or {@code jdbc:postgresql://...}) or else the directory of the SQLite store.
   */
  public static Db open(String location, Options o) {
    if (PgUrl.isPostgres(location)) return openPostgres(PgUrl.parse(location), o);
    return openSqlite(Path.of(location), o);
  }

  /** True when {@code location} names a PostgreSQL database rather than a SQLite directory. */
  public static boolean isPostgres(String location) {
    return PgUrl.isPostgres(location);
  }

  public static Db openSqlite(Path dir, int readerCount, int writeQueue) {
    return openSqlite(dir, new Options(readerCount, writeQueue, null));
  }

  private static Db openSqlite(Path dir, Options o) {
    java.nio.channels.FileChannel lock = null;
    try {
      DataDir.prepare(dir); // owner-only when Herald creates it: bodies and headers (tokens) live here
      DataDir.checkWritable(dir);
      lock = lockDataDir(dir);
      Path file = dir.resolve("herald.db");
      StoreIdentity.checkNotLost(dir, file); // before SQLite would create an empty one in its place
      SqliteHeader.check(file);
      DataDir.createPrivate(file); // SQLite gives -wal and -shm the same mode
      String url = "jdbc:sqlite:" + file.toAbsolutePath();
      try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement()) {
        // A new file gets 8 KiB pages (an existing one keeps its own: WAL fixes the size). Message rows
        // are a few hundred bytes; 4 KiB pages left 7% of each page unused, 8 KiB leave about 3%.
        s.execute("PRAGMA page_size=8192");
        s.execute("PRAGMA journal_mode=WAL");
      }
      Flyway.configure().dataSource(url, null, null).locations("classpath:db/migration/sqlite")
          .load().migrate();
      try (Connection c = openSqliteConnection(url)) {
        StoreIdentity.reconcile(dir, file, c);
      }
      Connection writer = openSqliteConnection(url);
      writer.setAutoCommit(false);
      BlockingQueue<Reader> readers = new ArrayBlockingQueue<>(o.readers());
      for (int i = 0; i < o.readers(); i++) {
        readers.add(new Reader(openSqliteConnection(url), Tx.newCache()));
      }
      Db db = new Db(new Dialect.Sqlite(), writer, readers, null, null, o, new SqliteDamage(file));
      db.dirLock = lock;
      return db;
    } catch (Exception e) {
      closeQuietly(lock);
      if (e instanceof StoreUnavailableException refused && refused.getCause() == null) throw refused; // says it all
      throw new StoreUnavailableException("opening the SQLite store " + dir.resolve("herald.db") + ": " + oneLine(e), e);
    }
  }

  /**
   * What went wrong, in one line: Flyway's messages span several lines (SQL state, error code, the
   * statement), SQLite's say it best, and an unreadable file is worth the hint to restore it.
   */
  private static String oneLine(Throwable e) {
    SQLException damage = SqliteDamage.find(e);
    if (damage != null) return damage.getMessage() + "; refusing to start on a damaged store: restore it from a backup";
    return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage().strip().lines().findFirst().orElse("");
  }

  private static final String LOCK_FILE = "herald.lock";

  /**
   * One process per data directory: two would each take the other's attempts in flight for ones cut
   * short by a crash (single node voids old leases at start) and deliver them again. An OS file lock,
   * so a process that dies, however it dies, lets go of it.
   */
  private static java.nio.channels.FileChannel lockDataDir(Path dir) throws java.io.IOException {
    Path file = dir.resolve(LOCK_FILE);
    java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(file,
        java.util.Set.of(java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.WRITE),
        DataDir.privateFile(file));
    try {
      if (ch.tryLock() != null) return ch;
    } catch (java.nio.channels.OverlappingFileLockException inThisProcess) {
      // held by another store of this process
    }
    ch.close();
    throw new StoreUnavailableException("the data directory is in use by another Herald process (it holds "
        + dir.resolve(LOCK_FILE) + "); one process per data directory", null);
  }

  private static void closeQuietly(java.nio.channels.FileChannel ch) {
    if (ch == null) return;
    try {
      ch.close();
    } catch (java.io.IOException ignored) {
      // closing releases the lock; nothing else to do
    }
  }

  /** The data directory's lock (SQLite), held until {@link #close}. */
  private java.nio.channels.FileChannel dirLock;

  private static Connection openSqliteConnection(String url) throws SQLException {
    java.util.Properties props = new java.util.Properties();
    // Nothing reads generated keys; left on, the driver runs a regex over every INSERT's SQL (profiles).
    props.setProperty("jdbc.get_generated_keys", "false");
    Connection c = DriverManager.getConnection(url, props);
    try (Statement s = c.createStatement()) {
      s.execute("PRAGMA journal_mode=WAL");
      s.execute("PRAGMA synchronous=FULL");
      s.execute("PRAGMA busy_timeout=10000");
      s.execute("PRAGMA cache_size=-16000");
      s.execute("PRAGMA temp_store=MEMORY");
      // Fewer, larger checkpoints: each one costs an fsync of the database file on the writer's path.
      // 2,000 pages of 8 KiB: the WAL grows to about 16 MiB between checkpoints.
      s.execute("PRAGMA wal_autocheckpoint=2000");
    }
    return c;
  }

  private static Db openPostgres(PgUrl url, Options o) {
    HikariDataSource pool = null;
    try {
      HikariConfig hc = new HikariConfig();
      hc.setJdbcUrl(url.jdbcUrl());
      hc.setDataSourceProperties(url.properties());
      hc.setMaximumPoolSize(Math.max(2, o.readers()));
      hc.setPoolName("herald-readers");
      hc.setInitializationFailTimeout(10_000);
      pool = new HikariDataSource(hc);
      Flyway.configure().dataSource(pool).locations("classpath:db/migration/postgresql").load().migrate();
      Connection writer = url.connect();
      try (Statement s = writer.createStatement()) {
        s.execute("SET synchronous_commit = on"); // a 2xx is only sent for what is on disk
        s.execute(IDLE_IN_TX_LIMIT);
        s.execute(LOCK_WAIT_LIMIT);
      }
      writer.setAutoCommit(false);
      return new Db(new Dialect.Postgres(), writer, null, pool, url, o, null);
    } catch (Exception e) {
      if (pool != null) pool.close();
      throw new StoreUnavailableException("opening PostgreSQL store " + url.redacted() + ": " + e.getMessage(), e);
    }
  }

  /** True on PostgreSQL: other nodes may share this store, so leases must expire rather than be voided. */
  public boolean shared() {
    return dialect instanceof Dialect.Postgres;
  }

  /** "sqlite" or "postgresql". */
  public String dialectName() {
    return dialect.migrations();
  }

  /**
   * Calls {@code onWork} (on a store thread) when another node committed new messages; a no-op on SQLite.
   * After a lost connection it calls back with {@link NewWorkListener.RemoteWork#everything()}, because
   * notifications sent meanwhile are lost. Call once.
   */
  public void listenForNewWork(Consumer<NewWorkListener.RemoteWork> onWork) {
    if (pgUrl == null) return;
    NewWorkListener l = new NewWorkListener(pgUrl, nodeId, onWork);
    listener = l;
    l.start();
  }

  /** Runs {@code work} in the next group commit; the future completes after the commit is durable. */
  public <T> CompletableFuture<T> write(Function<Tx, T> work) {
    return committer.submit(work);
  }

  /** A write nobody was promised durability for (see {@link GroupCommitter}): no fsync of its own. */
  public <T> CompletableFuture<T> writeRelaxed(Function<Tx, T> work) {
    return committer.submit(work, false);
  }

  /**
   * A relaxed write nothing waits for: it may wait a few milliseconds for other writes to share its
   * commit ({@link GroupCommitter#LAZY_LINGER}). For outcomes that gate nothing (no queue slot, no flow key).
   */
  public <T> CompletableFuture<T> writeLazy(Function<Tx, T> work) {
    return committer.submit(work, GroupCommitter.Durability.LAZY);
  }

  /**
   * A start that failed on a damaged SQLite page (found by a query after {@link #open}): the same failure
   * as one line naming the file, which {@code herald} prints without a stack trace. Any other failure as is.
   */
  public RuntimeException startFailure(RuntimeException e) {
    SQLException s = damage == null ? null : SqliteDamage.find(e);
    if (s == null) return e;
    return new StoreUnavailableException(damage.file() + ": " + s.getMessage()
        + "; refusing to start on a damaged store: restore it from a backup", e);
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
    if (pool != null) return readPooled(work);
    Reader r;
    try {
      r = readers.take();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StoreUnavailableException("interrupted waiting for a reader", e);
    }
    try {
      return work.apply(new Tx(r.conn(), r.cache(), dialect, leaseClock, nodeId, logIds));
    } catch (RuntimeException e) {
      damage.report(e);
      throw e;
    } finally {
      readers.add(r);
    }
  }

  // pgjdbc keeps server-side prepared statements per connection itself, so statements here live for one read.
  private <T> T readPooled(Function<Tx, T> work) {
    Map<String, PreparedStatement> cache = Tx.newCache();
    try (Connection c = pool.getConnection()) {
      try {
        return work.apply(new Tx(c, cache, dialect, leaseClock, nodeId, logIds));
      } finally {
        for (PreparedStatement ps : cache.values()) ps.close();
      }
    } catch (SQLException e) {
      throw new StoreUnavailableException("reading from PostgreSQL: " + e.getMessage(), e);
    }
  }

  public GroupCommitter committer() {
    return committer;
  }

  @Override
  public void close() {
    try {
      closeStore();
    } finally {
      closeQuietly(dirLock); // last: the next process may open the directory once everything is written
    }
  }

  private void closeStore() {
    NewWorkListener l = listener;
    if (l != null) l.close();
    committer.close();
    Connection w = committer.connection();
    if (w != null) closeQuietly(w);
    if (w != writer) closeQuietly(writer);
    if (pool != null) pool.close();
    if (readers != null) {
      for (int i = 0; i < readerCount; i++) {
        Reader r = readers.poll();
        if (r != null) closeQuietly(r.conn());
      }
    }
  }

  private static void closeQuietly(Connection c) {
    try {
      c.close();
    } catch (SQLException ignored) {
      // closing at shutdown; nothing useful to do
    }
  }

  /** A PostgreSQL location as given by the operator, turned into a JDBC URL plus credentials. */
  record PgUrl(String jdbcUrl, Properties properties) {
    static boolean isPostgres(String s) {
      return s != null && (s.startsWith("postgresql://") || s.startsWith("postgres://") || s.startsWith("jdbc:postgresql://"));
    }

    static PgUrl parse(String s) {
      Properties p = new Properties();
      if (s.startsWith("jdbc:")) return new PgUrl(s, p);
      java.net.URI u = java.net.URI.create(s);
      String info = u.getRawUserInfo();
      if (info != null) {
        int colon = info.indexOf(':');
        p.setProperty("user", decode(colon < 0 ? info : info.substring(0, colon)));
        if (colon >= 0) p.setProperty("password", decode(info.substring(colon + 1)));
      }
      String host = u.getHost() == null ? "localhost" : u.getHost();
      String port = u.getPort() < 0 ? "" : ":" + u.getPort();
      String query = u.getRawQuery() == null ? "" : "?" + u.getRawQuery();
      return new PgUrl("jdbc:postgresql://" + host + port + u.getRawPath() + query, p);
    }

    private static String decode(String s) {
      return java.net.URLDecoder.decode(s, java.nio.charset.StandardCharsets.UTF_8);
    }

    Connection connect() throws SQLException {
      Properties p = new Properties();
      p.putAll(properties);
      p.setProperty("ApplicationName", "herald");
      return DriverManager.getConnection(jdbcUrl, p);
    }

    /** For messages: never shows the password. */
    String redacted() {
      return redact(jdbcUrl);
    }
  }

  /**
   * A store URL as it may be shown (start-up lines, errors): the password of {@code user:password@} and
   * of a {@code password=} parameter replaced by {@code ***}, in any of the forms the store takes.
   */
  public static String redact(String storeUrl) {
    return storeUrl.replaceAll(":[^:@/]*@", ":***@").replaceAll("(?i)(password=)[^&]*", "$1***");
  }
}
