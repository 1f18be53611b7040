package dev.herald.store;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The single writer of this process. Callers submit write operations; one platform thread (sqlite-jdbc's JNI calls
 * pin virtual threads) takes every operation waiting, runs each inside its own savepoint in one
 * transaction, commits once (one fsync with synchronous=FULL) and only then completes the futures.
 * A failing operation is rolled back to its savepoint and fails alone; a failing commit fails all.
 * On PostgreSQL the commit waits for the WAL flush (synchronous_commit=on), so the same promise holds.
 * Writes nobody was promised durability for (claims, attempt outcomes) may be submitted as relaxed:
 * a batch made only of relaxed writes commits without fsync (SQLite synchronous=NORMAL in WAL mode:
 * a process crash loses nothing, a power cut may lose the last relaxed commits, which only means a
 * message is attempted again). Any durable write in a batch makes the whole batch fsync.
 * Lazy writes are relaxed writes nothing waits for (the outcome of an attempt no queue or flow-control
 * key is waiting on): a batch made only of them waits up to {@code lazyLinger} for other work to join
 * it, so at a steady publish rate an attempt's outcome rides in the next publish's commit instead of
 * costing a commit of its own (the pages both touch are mostly the same: the tables' last leaves).
 * The queue is bounded: when full, submit fails fast with StoreUnavailableException (back-pressure
 * reaches clients as 503) instead of growing memory.
 */
public final class GroupCommitter implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(GroupCommitter.class);
  private static final int MAX_BATCH = 2000;
  /** How long a batch of lazy writes waits for company; at 500 publishes/s one comes every 2 ms. */
  public static final Duration LAZY_LINGER = Duration.ofMillis(5);
  /** The longest single wait while lingering: close() is noticed at least this often. */
  private static final long LINGER_SLICE_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

  /** How a write reaches the disk: fsynced before it completes; not fsynced; not fsynced and not urgent either. */
  public enum Durability { DURABLE, RELAXED, LAZY }

  private record Op<T>(Function<Tx, T> work, CompletableFuture<T> done, Durability durability) {
    boolean durable() {
      return durability == Durability.DURABLE;
    }

    boolean lazy() {
      return durability == Durability.LAZY;
    }
  }

  /** Opens a fresh writer connection after the old one broke (PostgreSQL restart); null = never. */
  public interface Reopen {
    Connection open() throws SQLException;
  }

  private Connection conn; // owned by the writer thread
  private final Reopen reopen;
  private final Function<Connection, Tx> txFactory;
  private final BlockingQueue<Op<?>> queue;
  private final Thread thread;
  private volatile boolean running = true;
  private volatile long commits;
  private volatile long ops;
  private final long lazyLingerNanos;
  /** Told of every write that fails (Db: a damaged SQLite page is named in the log); never on the happy path. */
  private volatile java.util.function.Consumer<Throwable> failures = e -> {};

  public GroupCommitter(Connection conn, Function<Connection, Tx> txFactory, int capacity) {
    this(conn, null, txFactory, capacity, LAZY_LINGER);
  }

  public GroupCommitter(Connection conn, Reopen reopen, Function<Connection, Tx> txFactory, int capacity) {
    this(conn, reopen, txFactory, capacity, LAZY_LINGER);
  }

  public GroupCommitter(Connection conn, Reopen reopen, Function<Connection, Tx> txFactory, int capacity,
      Duration lazyLinger) {
    this.lazyLingerNanos = lazyLinger.toNanos();
    this.conn = conn;
    this.reopen = reopen;
    this.txFactory = txFactory;
    this.queue = new ArrayBlockingQueue<>(capacity);
    this.thread = Thread.ofPlatform().name("herald-writer").daemon(true).unstarted(this::run);
    thread.start();
  }

  public <T> CompletableFuture<T> submit(Function<Tx, T> work) {
    return submit(work, true);
  }

  public <T> CompletableFuture<T> submit(Function<Tx, T> work, boolean durable) {
    return submit(work, durable ? Durability.DURABLE : Durability.RELAXED);
  }

  public <T> CompletableFuture<T> submit(Function<Tx, T> work, Durability durability) {
    CompletableFuture<T> f = new CompletableFuture<>();
    if (!running) {
      f.completeExceptionally(new StoreUnavailableException("store is closed", null));
    } else if (!queue.offer(new Op<>(work, f, durability))) {
      f.completeExceptionally(new StoreUnavailableException("write queue is full", null));
    }
    return f;
  }

  /** Whom to tell of a failed write, besides its caller. */
  void onFailure(java.util.function.Consumer<Throwable> listener) {
    failures = listener;
  }

  /** Commits so far and operations so far, for metrics and the benchmark. */
  public long commits() { return commits; }

  public long ops() { return ops; }

  private void run() {
    List<Op<?>> batch = new ArrayList<>(MAX_BATCH);
    while (running || !queue.isEmpty()) {
      try {
        Op<?> first = queue.poll(100, TimeUnit.MILLISECONDS);
        if (first == null) continue;
        batch.add(first);
        queue.drainTo(batch, MAX_BATCH - 1);
        if (first.lazy()) linger(batch);
        commit(batch);
      } catch (InterruptedException e) {
        if (!running) break;
      } catch (RuntimeException | Error e) {
        log.error("writer loop failed; failing {} pending writes", batch.size(), e);
        fail(batch, e);
      } finally {
        batch.clear();
      }
    }
  }

  /** A batch of lazy writes only: wait (up to the linger) until other work joins it or it is full. */
  private void linger(List<Op<?>> batch) {
    long deadline = System.nanoTime() + lazyLingerNanos;
    boolean onlyLazy = batch.stream().allMatch(Op::lazy);
    while (running && onlyLazy && batch.size() < MAX_BATCH) {
      long left = deadline - System.nanoTime();
      if (left <= 0) return;
      Op<?> next;
      try {
        next = queue.poll(Math.min(left, LINGER_SLICE_NANOS), TimeUnit.NANOSECONDS);
      } catch (InterruptedException e) {
        return; // commit what the batch holds now
      }
      if (next == null) continue;
      int from = batch.size();
      batch.add(next);
      queue.drainTo(batch, MAX_BATCH - batch.size());
      for (int i = from; i < batch.size(); i++) onlyLazy &= batch.get(i).lazy();
    }
  }

  private boolean lastDurable = true;

  /**
   * After a failed commit (e.g. SQLITE_FULL) SQLite may already have rolled the transaction back, so
   * the driver's rollback fails and never opens the next transaction. Left like that, every later
   * savepoint would commit on its own while its caller is told it failed, and every commit would fail
   * with "no transaction is active" until a restart. Open the next transaction here.
   */
  private void reopenTransaction() {
    try (var st = conn.createStatement()) {
      if (conn.isWrapperFor(org.sqlite.SQLiteConnection.class) && !conn.getAutoCommit()) st.execute("BEGIN");
    } catch (SQLException alreadyOpen) {
      // "cannot start a transaction within a transaction": the driver's rollback did reopen it
    }
  }

  private void commit(List<Op<?>> batch) {
    if (conn == null && !reconnect()) {
      StoreUnavailableException down = new StoreUnavailableException("store unavailable (reconnecting)", null);
      fail(batch, down);
      return;
    }
    boolean durable = batch.stream().anyMatch(Op::durable);
    int n = batch.size();
    Object[] results = new Object[n];
    Throwable[] failures = new Throwable[n];
    try {
      // No savepoint per operation (two extra statements each): operations run straight; when one
      // throws, the transaction is rolled back and replayed without it. Failures are rare (input is
      // validated before it gets here), so the common batch costs nothing extra.
      while (true) {
        Tx tx = txFactory.apply(conn);
        prepare(tx, durable);
        int bad = -1;
        for (int i = 0; i < n && bad < 0; i++) {
          if (failures[i] != null) continue;
          try {
            results[i] = batch.get(i).work().apply(tx);
          } catch (RuntimeException e) {
            if (unavailable(e)) throw new StoreUnavailableException("store unavailable: " + e.getMessage(), e);
            failures[i] = e;
            bad = i;
          }
        }
        if (bad < 0) {
          // Inside the transaction: PostgreSQL delivers a NOTIFY only if (and when) the commit succeeds.
          String payload = tx.newWorkPayload();
          if (payload != null) tx.dialect().notifyNewWork(conn, payload);
          conn.commit();
          break;
        }
        conn.rollback();
        java.util.Arrays.fill(results, null);
      }
    } catch (SQLException | StoreUnavailableException e) {
      try {
        conn.rollback();
      } catch (SQLException suppressed) {
        e.addSuppressed(suppressed);
      }
      StoreUnavailableException failure = e instanceof StoreUnavailableException u ? u
          : new StoreUnavailableException("commit failed: " + e.getMessage(), e);
      log.warn("commit of {} writes failed: {}", n, e.getMessage());
      reopenTransaction();
      fail(batch, failure);
      dropIfBroken();
      return;
    }
    commits++;
    ops += batch.size();
    for (int i = 0; i < n; i++) complete(batch.get(i), results[i], failures[i]);
  }

  /**
   * Whether a failure is the store's (disk full, I/O error, lost connection, database shutting down)
   * rather than the operation's: then nothing in the batch can succeed and clients get 503.
   */
  static boolean unavailable(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SQLException q) {
        String state = q.getSQLState() == null ? "" : q.getSQLState();
        int code = q.getErrorCode() & 0xff; // SQLite primary result code
        if (state.startsWith("08") || state.startsWith("53") || state.startsWith("57P")) return true;
        if (code == 10 || code == 13 || code == 14 || code == 5 || code == 6) return true; // IOERR FULL CANTOPEN BUSY LOCKED
        String msg = String.valueOf(q.getMessage());
        if (msg.contains("SQLITE_FULL") || msg.contains("SQLITE_IOERR") || msg.contains("connection has been closed")) {
          return true;
        }
      }
    }
    return false;
  }

  /** Durable batches fsync on commit; relaxed ones need not (see the class comment). */
  private void prepare(Tx tx, boolean durable) throws SQLException {
    try {
      tx.dialect().prepareBatch(conn, durable, lastDurable);
      lastDurable = durable;
    } catch (SQLException e) {
      if (durable) throw new StoreUnavailableException("cannot enable fsync: " + e.getMessage(), e);
      log.warn("could not relax the flush of a batch; committing it durably", e);
    }
  }

  /** After a failed commit: a dead connection is dropped so the next batch reconnects. */
  private void dropIfBroken() {
    if (reopen == null) return;
    boolean valid;
    try {
      valid = conn.isValid(2);
    } catch (SQLException e) {
      valid = false;
    }
    if (!valid) {
      log.warn("writer connection lost; reconnecting on the next write");
      try {
        conn.close();
      } catch (SQLException ignored) {
        // it is broken already
      }
      conn = null;
    }
  }

  private boolean reconnect() {
    try {
      conn = reopen.open();
      conn.setAutoCommit(false);
      lastDurable = true;
      log.info("writer connection re-established");
      return true;
    } catch (SQLException e) {
      conn = null;
      return false;
    }
  }

  private void fail(List<Op<?>> batch, Throwable e) {
    failures.accept(e);
    for (Op<?> op : batch) op.done().completeExceptionally(e);
  }

  /** The writer connection now (for close). */
  Connection connection() {
    return conn;
  }

  @SuppressWarnings("unchecked")
  private <T> void complete(Op<T> op, Object result, Throwable failure) {
    if (failure != null) {
      failures.accept(failure);
      op.done().completeExceptionally(failure);
    } else {
      op.done().complete((T) result);
    }
  }

  @Override
  public void close() {
    running = false;
    queue.offer(new Op<>(tx -> null, new CompletableFuture<>(), Durability.RELAXED)); // ends a linger now
    try {
      thread.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
