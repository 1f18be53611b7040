package dev.herald.engine;

import dev.herald.store.Db;
import java.time.Duration;
import java.time.InstantSource;

/**
 * Retention: expired dedup keys, old log entries, old DLQ entries and workflow runs that ended before
 * the log retention (with their step lists), deleted in small batches so a
 * large purge never holds the writer for long (deliveries share it).
 */
public final class Maintenance {
  /** What one pass removed. */
  public record Purged(int dedupKeys, int events, int dlqEntries, int workflowRuns) {
    public int total() {
      return dedupKeys + events + dlqEntries + workflowRuns;
    }
  }

  private static final int BATCH = 1000;
  private final Db db;
  private final InstantSource clock;
  private final Duration logRetention;
  private final Duration dlqRetention;

  public Maintenance(Db db, InstantSource clock, Duration logRetention, Duration dlqRetention) {
    this.db = db;
    this.clock = clock;
    this.logRetention = logRetention;
    this.dlqRetention = dlqRetention;
  }

  public Purged runOnce() {
    long now = clock.millis();
    return db.writeNow(tx -> {
      // In a cluster one node purges at a time; the others skip this pass.
      if (!tx.maintenanceLock()) return new Purged(0, 0, 0, 0);
      return new Purged(tx.dedup().purgeExpired(now, BATCH),
          tx.events().purgeOlderThan(now - logRetention.toMillis(), BATCH),
          tx.dlq().purgeOlderThan(now - dlqRetention.toMillis(), BATCH),
          WorkflowRuns.purge(tx, now - logRetention.toMillis(), BATCH));
    });
  }

  /** True when a batch was full: there is probably more to purge right away. */
  public boolean runOnceForLoop() {
    Purged p = runOnce();
    return p.dedupKeys() == BATCH || p.events() == BATCH || p.dlqEntries() == BATCH || p.workflowRuns() == BATCH;
  }
}
