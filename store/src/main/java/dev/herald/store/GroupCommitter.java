package dev.herald.store;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Savepoint;
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
 * The single writer. Callers submit write operations; one platform thread (sqlite-jdbc's JNI calls
 * pin virtual threads) takes every operation waiting, runs each inside its own savepoint in one
 * transaction, commits once (one fsync with synchronous=FULL) and only then completes the futures.
 * A failing operation is rolled back to its savepoint and fails alone; a failing commit fails all.
 * Writes nobody was promised durability for (claims, attempt outcomes) may be submitted as relaxed:
 * a batch made only of relaxed writes commits without fsync (SQLite synchronous=NORMAL in WAL mode:
 * a process crash loses nothing, a power cut may lose the last relaxed commits, which only means a
 * message is attempted again). Any durable write in a batch makes the whole batch fsync.
 * The queue is bounded: when full, submit fails fast with StoreUnavailableException (back-pressure
 * reaches clients as 503) instead of growing memory.
 */
public final class GroupCommitter implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(GroupCommitter.class);
  private static final int MAX_BATCH = 2000;

  private record Op<T>(Function<Tx, T> work, CompletableFuture<T> done, boolean durable) {}

  private final Connection conn;
  private final Function<Connection, Tx> txFactory;
  private final BlockingQueue<Op<?>> queue;
  private final Thread thread;
  private volatile boolean running = true;
  private volatile long commits;
  private volatile long ops;

  public GroupCommitter(Connection conn, Function<Connection, Tx> txFactory, int capacity) {
    this.conn = conn;
    this.txFactory = txFactory;
    this.queue = new ArrayBlockingQueue<>(capacity);
    this.thread = Thread.ofPlatform().name("herald-writer").daemon(true).unstarted(this::run);
    thread.start();
  }

  public <T> CompletableFuture<T> submit(Function<Tx, T> work) {
    return submit(work, true);
  }

  public <T> CompletableFuture<T> submit(Function<Tx, T> work, boolean durable) {
    CompletableFuture<T> f = new CompletableFuture<>();
    if (!running) {
      f.completeExceptionally(new StoreUnavailableException("store is closed", null));
    } else if (!queue.offer(new Op<>(work, f, durable))) {
      f.completeExceptionally(new StoreUnavailableException("write queue is full", null));
    }
    return f;
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
        commit(batch);
      } catch (InterruptedException e) {
        if (!running) break;
      } catch (RuntimeException | Error e) {
        log.error("writer loop failed; failing {} pending writes", batch.size(), e);
        for (Op<?> op : batch) op.done().completeExceptionally(e);
      } finally {
        batch.clear();
      }
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
    boolean durable = batch.stream().anyMatch(Op::durable);
    if (durable != lastDurable) {
      // SQLite ignores a synchronous change inside an open transaction: switch outside one.
      try (var st = conn.createStatement()) {
        conn.setAutoCommit(true);
        st.execute(durable ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
        conn.setAutoCommit(false);
        lastDurable = durable;
      } catch (SQLException e) {
        log.warn("could not switch synchronous mode; keeping the current one", e);
      }
    }
    if (!lastDurable && durable) {
      // never commit a durable write without fsync
      for (Op<?> op : batch) op.done().completeExceptionally(new StoreUnavailableException("cannot enable fsync", null));
      return;
    }
    Tx tx = txFactory.apply(conn);
    List<Object> results = new ArrayList<>(batch.size());
    List<Throwable> failures = new ArrayList<>(batch.size());
    try {
      for (Op<?> op : batch) {
        Savepoint sp = conn.setSavepoint();
        try {
          results.add(op.work().apply(tx));
          failures.add(null);
          conn.releaseSavepoint(sp);
        } catch (RuntimeException e) {
          conn.rollback(sp);
          results.add(null);
          failures.add(e);
        }
      }
      conn.commit();
    } catch (SQLException e) {
      try {
        conn.rollback();
      } catch (SQLException suppressed) {
        e.addSuppressed(suppressed);
      }
      StoreUnavailableException failure = new StoreUnavailableException("commit failed: " + e.getMessage(), e);
      log.warn("commit of {} writes failed: {}", batch.size(), e.getMessage());
      reopenTransaction();
      for (Op<?> op : batch) op.done().completeExceptionally(failure);
      return;
    }
    commits++;
    ops += batch.size();
    for (int i = 0; i < batch.size(); i++) complete(batch.get(i), results.get(i), failures.get(i));
  }

  @SuppressWarnings("unchecked")
  private static <T> void complete(Op<T> op, Object result, Throwable failure) {
    if (failure != null) op.done().completeExceptionally(failure);
    else op.done().complete((T) result);
  }

  @Override
  public void close() {
    running = false;
    try {
      thread.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
