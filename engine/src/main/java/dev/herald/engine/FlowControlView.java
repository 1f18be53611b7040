package dev.herald.engine;

import dev.herald.store.Db;
import dev.herald.store.FlowKeys;
import dev.herald.store.Messages;
import dev.herald.store.Tx;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/** Read and steer flow-control keys (spec 11.3-11.5) without exposing the dispatcher's internals. */
public final class FlowControlView {
  /** The state of one key. */
  public record Key(String key, int parallelism, int rate, long periodSeconds, int inFlight, int waiting,
      long windowStart, int startedInWindow, boolean paused, boolean pinnedParallelism, boolean pinnedRate) {}

  private final FlowGate gate;
  private final Db db;
  private final Runnable wake;
  private final InstantSource clock;

  FlowControlView(FlowGate gate, Db db, Runnable wake, InstantSource clock) {
    this.gate = gate;
    this.db = db;
    this.wake = wake;
    this.clock = clock;
  }

  /**
   * Every key this node knows of. On a shared store also every key of the cluster's {@code flow_keys}
   * (claimed somewhere, or controlled), with its control state as stored.
   */
  public List<Key> all() {
    if (db.shared()) db.<List<FlowKeys.Control>>read(tx -> tx.flowKeys().all()).forEach(gate::apply);
    for (Messages.Due newest : db.<List<Messages.Due>>read(tx -> tx.messages().newestPerFlowKey())) {
      if (!gate.exists(newest.flowKey())) gate.register(newest); // forgotten while idle: see revive
    }
    long now = clock.millis();
    return gate.views().stream().map(v -> key(v, now)).toList();
  }

  /**
   * A key this node's gate forgot while it was idle ({@link #forgetIdle}), or never saw (another node took
   * its messages), while unfinished messages of it wait in the store (delayed, retrying): known again, with
   * the limits of the newest of them. True when the key is known now.
   */
  private boolean revive(String key) {
    if (gate.exists(key)) return true;
    Optional<Messages.Due> newest = db.read(tx -> tx.messages().newestWithFlowKey(key));
    newest.ifPresent(gate::register);
    return newest.isPresent();
  }

  /**
   * The key as this node's gate sees it, its control state read from the store on a shared store (another
   * node may have paused or pinned it less than a dispatcher pass ago); null for an unknown key.
   */
  public Key get(String key) {
    revive(key);
    if (db.shared() || !gate.exists(key)) {
      db.<Optional<FlowKeys.Control>>read(tx -> tx.flowKeys().find(key)).ifPresent(gate::apply);
    }
    FlowGate.View v = gate.view(key);
    return v == null ? null : key(v, clock.millis());
  }

  /**
   * Whether the key is known: to this node's gate, by an unfinished message of it, or to the store's
   * {@code flow_keys} (another node's key, a controlled one).
   */
  public boolean exists(String key) {
    return revive(key) || db.<Optional<FlowKeys.Control>>read(tx -> tx.flowKeys().find(key)).isPresent();
  }

  /** Pauses or resumes the key on every node: stored first (the claim checks it), then applied here. */
  public void pause(String key, boolean paused) {
    control(tx -> tx.flowKeys().setPaused(key, paused));
  }

  public void pin(String key, Integer parallelism, Integer rate, Long periodSeconds) {
    revive(key); // a rate pinned without a period keeps the key's current period: know it first
    FlowGate.View now = gate.view(key);
    long currentPeriod = now == null ? 1 : now.periodSeconds();
    control(tx -> tx.flowKeys().pin(key, parallelism, rate, periodSeconds, currentPeriod));
  }

  public void unpin(String key, boolean parallelism, boolean rate) {
    control(tx -> tx.flowKeys().unpin(key, parallelism, rate));
  }

  public void resetRate(String key) {
    control(tx -> tx.flowKeys().resetRate(key));
  }

  /**
   * Writes a control operation (fsynced: the client is told it happened), then applies the stored state to
   * this node's gate. Other nodes follow within a dispatcher pass (Dispatcher.runOnce re-reads controlled
   * keys every half second on a shared store); their claims check the stored state meanwhile.
   */
  private void control(Function<Tx, FlowKeys.Control> op) {
    gate.apply(db.write(op).join());
    wake.run();
  }

  /** Rows older than this are purged at most: every rate window (a week at most) that began before is over. */
  static final Duration MIN_ROW_AGE = Duration.ofDays(8);
  private static final int PURGE_BATCH = 1000;

  /**
   * Forgets keys nothing happened to for {@code idle} (spec UNSURE-46): this node's gate forgets them at once;
   * on a shared store their rows go too once they are also older than {@link #MIN_ROW_AGE}. Paused, pinned or
   * otherwise controlled keys stay. Returns true when a purge batch was full (more to do right away).
   */
  public boolean forgetIdle(Duration idle) {
    long now = clock.millis();
    gate.forgetIdle(now, idle.toMillis());
    if (!db.shared()) return false; // rows exist only for controlled keys there
    long before = now - Math.max(idle.toMillis(), MIN_ROW_AGE.toMillis());
    return db.writeNow(tx -> tx.flowKeys().purgeIdle(before, PURGE_BATCH)) == PURGE_BATCH;
  }

  public int totalInFlight() {
    return gate.totalInFlight();
  }

  /**
   * A window that is over (or never began: after a rate reset, or before the first start) shows as a
   * period starting now with nothing started in it, which is what the next start will see.
   */
  private static Key key(FlowGate.View v, long now) {
    boolean current = v.windowStart() > 0 && now < v.windowStart() + v.periodSeconds() * 1000;
    return new Key(v.key(), v.parallelism(), v.rate(), v.periodSeconds(), v.inFlight(), v.waiting(),
        current ? v.windowStart() : now, current ? v.startedInWindow() : 0, v.paused(), v.pinnedParallelism(),
        v.pinnedRate());
  }
}
