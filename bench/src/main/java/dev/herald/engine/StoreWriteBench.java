package dev.herald.engine;

import dev.herald.core.delivery.Outcome;
import dev.herald.core.delivery.Transitions;
import dev.herald.core.id.Ids;
import dev.herald.core.message.Message;
import dev.herald.store.Db;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Group-committed store writes: Db.write of a publish's insert (message row + CREATED event), fsynced
 * (WAL, synchronous=FULL) on the real disk under -Dbench.tmp (default /tmp). Throughput in writes/s:
 * one write at a time (one fsync each) and 64 / 512 writes in flight (what concurrent publishers give
 * the group committer). Message construction is included (as on the publish path).
 *
 * <p>{@code delivered512InFlight} is the writer's whole share of a message delivered at its first
 * attempt, as in the burst: the publish of a message started at once (its row, leased, and its ACTIVE
 * entry; fsynced), then the attempt's outcome (the row deleted, its CREATED and DELIVERED entries;
 * relaxed, as the dispatcher writes it), 512 of each in flight. Per operation = per message.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class StoreWriteBench {
  private Path dir;
  private Db db;
  private Fixtures.Maker maker;
  private Outcomes outcomes;
  private static final Outcome OK = new Outcome.Response(200, Map.of("Content-Type", List.of("text/plain")), new byte[0]);

  @Setup
  public void setup() {
    dir = Fixtures.tempDir("herald-jmh-store");
    db = Fixtures.openDb(dir);
    maker = new Fixtures.Maker(new Ids());
    outcomes = Dispatcher.outcomes(Fixtures.parser(), new Ids(), 4096);
  }

  @TearDown
  public void tearDown() {
    db.close();
    Fixtures.delete(dir);
  }

  private void inFlight(int n) {
    @SuppressWarnings("unchecked")
    CompletableFuture<Void>[] fs = new CompletableFuture[n];
    Instant now = Instant.now();
    long nowMs = now.toEpochMilli();
    for (int i = 0; i < n; i++) {
      Message m = maker.next(now);
      fs[i] = db.write(tx -> {
        Fixtures.insert(tx, m, nowMs);
        return null;
      });
    }
    CompletableFuture.allOf(fs).join();
  }

  @Benchmark
  public void write1() {
    inFlight(1);
  }

  @Benchmark
  @OperationsPerInvocation(64)
  public void write64InFlight() {
    inFlight(64);
  }

  @Benchmark
  @OperationsPerInvocation(512)
  public void write512InFlight() {
    inFlight(512);
  }

  @Benchmark
  @OperationsPerInvocation(512)
  public void delivered512InFlight() {
    int n = 512;
    Message[] ms = new Message[n];
    @SuppressWarnings("unchecked")
    CompletableFuture<Object>[] fs = new CompletableFuture[n];
    Instant now = Instant.now();
    long nowMs = now.toEpochMilli();
    for (int i = 0; i < n; i++) {
      Message m = ms[i] = maker.next(now);
      fs[i] = db.write(tx -> {
        tx.messages().insertClaimed(m, nowMs, m.id(), 60_000);
        EventLog.append(tx, nowMs, m, "ACTIVE", null);
        return null;
      });
    }
    CompletableFuture.allOf(fs).join();
    for (int i = 0; i < n; i++) {
      Message m = ms[i];
      fs[i] = db.writeRelaxed(tx -> outcomes.write(tx, m, m.id(), OK, new Transitions.Delivered(), now).applied());
    }
    CompletableFuture.allOf(fs).join();
    for (CompletableFuture<Object> f : fs) {
      if (!Boolean.TRUE.equals(f.join())) throw new IllegalStateException("an outcome was not applied");
    }
  }
}
