package dev.herald.engine;

import dev.herald.core.id.Ids;
import dev.herald.store.Db;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The dispatcher's claim pass (Dispatcher.claimAndStart): one group-committed transaction that leases
 * BATCH due messages (UPDATE ... RETURNING the full row) and logs ACTIVE for each, then one fsync.
 * The BATCH pending messages are inserted before each invocation, outside the measurement.
 * Throughput is claimed messages/s.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class ClaimBench {
  static final int BATCH = 500;
  private Path dir;
  private Db db;
  private Fixtures.Maker maker;
  private List<String> ids;

  @Setup(Level.Trial)
  public void open() {
    dir = Fixtures.tempDir("herald-jmh-claim");
    db = Fixtures.openDb(dir);
    maker = new Fixtures.Maker(new Ids());
  }

  @Setup(Level.Invocation)
  public void fill() {
    Instant now = Instant.now();
    long nowMs = now.toEpochMilli();
    List<String> made = new ArrayList<>(BATCH);
    db.writeNow(tx -> {
      for (int i = 0; i < BATCH; i++) {
        var m = maker.next(now);
        Fixtures.insert(tx, m, nowMs);
        made.add(m.id());
      }
      return null;
    });
    ids = made;
  }

  @TearDown(Level.Trial)
  public void close() {
    db.close();
    Fixtures.delete(dir);
  }

  @Benchmark
  @OperationsPerInvocation(BATCH)
  public int claimPass() {
    long now = System.currentTimeMillis();
    String lease = UUID.randomUUID().toString();
    return db.writeNow(tx -> {
      int n = 0;
      for (String id : ids) if (Fixtures.claim(tx, id, lease, 60_000, now)) n++;
      return n;
    });
  }
}
