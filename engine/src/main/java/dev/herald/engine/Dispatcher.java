package dev.herald.engine;

import dev.herald.core.delivery.Outcome;
import dev.herald.core.delivery.Transitions;
import dev.herald.core.message.Message;
import dev.herald.core.retry.RetryDelayExpression;
import dev.herald.store.Db;
import dev.herald.store.Messages;
import dev.herald.store.Tx;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds due messages and starts their attempts.
 *
 * <p>Due work is kept in a {@link DueIndex} covering only the look-ahead window ({@code horizon}).
 * Newly committed messages due inside the window are added directly ({@link #created}); the rest are
 * found by a keyset scan of the store when the window moves. The window is advanced <em>before</em>
 * the scan, so a message committed during the scan is either seen by it or added by its publisher.
 * Fresh queued messages never enter the index: their queue hands them out in FIFO order when it has
 * room ({@link QueueGate}). Flow-controlled messages pass the {@link FlowGate} before they are claimed.
 *
 * <p>Threads: one dispatcher thread runs {@link #runOnce()}; attempts run on virtual threads, bounded
 * by a semaphore; all writes go through the group committer. The gates and the index have their own
 * monitors and are never held while calling each other.
 */
public final class Dispatcher implements NewWork, DirectStart, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Dispatcher.class);
  private static final int SCAN_BATCH = 5000;
  private static final long QUEUE_SCAN_MS = 500;
  private static final long SHARED_RESCAN_MS = 2000;
  /**
   * Shared store: at most one re-read of the window per this long for other nodes' messages. Their
   * node starts them itself; a NOTIFY per commit used to re-read the whole window each time, so two
   * busy nodes spent their time re-reading (and racing to claim) each other's messages.
   */
  private static final long REMOTE_RESCAN_MS = 250;
  private static final int REAP_BATCH = 500;
  /** How soon a message held back by another node's use of its flow-control key is looked at again. */
  private static final long FLOW_RECHECK_MS = 250;
  /** How often messages on flow-control wait lists are checked against the store ({@link #dropGoneFromWaitLists}). */
  private static final long WAIT_CHECK_MS = 2000;

  private static Messages.Due withDue(Messages.Due d, long dueAt) {
    return new Messages.Due(d.id(), dueAt, d.queueName(), d.started(), d.flowKey(), d.flowParallelism(), d.flowRate(),
        d.flowPeriodSeconds());
  }

  /**
   * Dispatcher settings.
   *
   * @param shutdownGrace how long close() waits for attempts in flight to finish and submit their outcome
   *     ({@code server.shutdown-grace}); one still running then is retried after a restart
   */
  public record Settings(Duration lookahead, int indexCapacity, int concurrency, Duration leaseMargin, Duration shutdownGrace) {}

  /** What one pass did. */
  public record Pass(int claimed, int started) {}

  private final Db db;
  private final Sender sender;
  private final Outcomes outcomes;
  private final InstantSource clock;
  private final Settings settings;
  private final DueIndex index;
  private final QueueGate queues = new QueueGate();
  private final FlowGate flows;
  private final Semaphore permits;
  private final boolean shared;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition wake = lock.newCondition();
  private final AtomicLong delivered = new AtomicLong();
  private final Counter attemptsDelivered;
  private final Counter attemptsRetried;
  private final Counter attemptsFailed;
  private final Timer attemptSuccess;
  private final Timer attemptError;
  private final Timer attemptNoResponse;
  private final Timer waitUngated;
  private final Timer waitQueued;
  private final Timer waitFlow;
  private volatile long horizon = Long.MIN_VALUE;
  private volatile boolean rescan = true;
  private long scanDue = Long.MIN_VALUE;
  private String scanId = "";
  private long scanTarget;
  private long lastQueueScan;
  private long lastFullScan;
  private long lastWaitCheck;
  private long lastRemoteRescan;
  private volatile boolean remoteDue; // another node committed messages due inside our window
  private volatile boolean running;
  private volatile boolean started;
  private boolean signalled; // guarded by lock: a wake-up that arrived before the wait
  private Thread thread;

  public Dispatcher(Db db, Sender sender, Outcomes outcomes, InstantSource clock, Settings settings, MeterRegistry metrics) {
    this.db = db;
    this.sender = sender;
    this.outcomes = outcomes;
    this.clock = clock;
    this.settings = settings;
    this.index = new DueIndex(settings.indexCapacity());
    this.flows = new FlowGate(clock);
    this.permits = new Semaphore(settings.concurrency());
    this.shared = db.shared();
    this.attemptsDelivered = attempts(metrics, "delivered");
    this.attemptsRetried = attempts(metrics, "retry");
    this.attemptsFailed = attempts(metrics, "failed");
    this.attemptSuccess = attemptTimer(metrics, "success");
    this.attemptError = attemptTimer(metrics, "error");
    this.attemptNoResponse = attemptTimer(metrics, "no_response");
    this.waitUngated = waitTimer(metrics, "none");
    this.waitQueued = waitTimer(metrics, "queue");
    this.waitFlow = waitTimer(metrics, "flow");
    Gauge.builder("herald.attempts.in.flight", permits, p -> settings.concurrency() - p.availablePermits())
        .description("Attempts running on this node, and slots reserved for publishes about to start one").register(metrics);
  }

  private static Counter attempts(MeterRegistry metrics, String outcome) {
    return Counter.builder("herald.attempts").tag("outcome", outcome)
        .description("Attempts ended on this node, by what followed: delivered, a retry, or failed for good").register(metrics);
  }

  /**
   * Seconds from when a message was due (its not-before time) to the start of its first attempt: the
   * scheduler's lateness for {@code gated="none"}, plus the wait for a slot of its queue ({@code queue})
   * or its flow-control key ({@code flow}).
   */
  private static Timer waitTimer(MeterRegistry metrics, String gated) {
    return Timer.builder("herald.attempt.wait").tag("gated", gated)
        .description("From a message's due time to the start of its first attempt, by what it waited for besides the clock")
        .publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofHours(1))
        .register(metrics);
  }

  /** Seconds from the request's start to its answer (or to the error): the destination's side of an attempt. */
  private static Timer attemptTimer(MeterRegistry metrics, String result) {
    return Timer.builder("herald.attempt.duration").tag("result", result)
        .description("Attempt duration by result: success (2xx), error (another status), no_response (timeout, refused, reset)")
        .publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofMinutes(15))
        .register(metrics);
  }

  public static Outcomes outcomes(dev.herald.core.message.HeaderParser parser, dev.herald.core.id.Ids ids,
      int maxStoredResponseBytes) {
    return new Outcomes(new Callbacks(parser, ids), new WorkflowRuns(parser, ids), ids, maxStoredResponseBytes);
  }

  /**
   * Recovers attempts cut short by a crash, loads queue state, then starts the dispatcher thread. On a
   * shared (PostgreSQL) store other nodes' ACTIVE rows are alive: they are left to {@link #reapExpiredLeases}.
   */
  public void start() {
    if (!db.shared()) recoverCrashedAttempts();
    db.read(tx -> {
      tx.queues().all().forEach(q -> queues.configure(q.name(), q.parallelism(), q.paused()));
      queues.resync(tx.messages().slotHolders()); // callbacks pending at a restart still keep their slot
      tx.flowKeys().controlled().forEach(flows::apply); // paused and pinned keys stay so across a restart
      return null;
    });
    running = true;
    thread = Thread.ofPlatform().name("herald-dispatcher").daemon(true).start(this::loop);
    started = true;
  }

  public boolean isRunning() {
    return started && running;
  }

  public long deliveredCount() {
    return delivered.get();
  }

  /** Queue settings changed (upsert, pause, resume). */
  public void queueChanged(String queue, int parallelism, boolean paused) {
    queues.configure(queue, parallelism, paused);
    signal();
  }

  public void queueDeleted(String queue) {
    queues.remove(queue);
  }

  public int queueInProgress(String queue) {
    return queues.inProgress(queue);
  }

  /** This node's view of a queue's settings: parallelism and whether it is paused (tests, metrics). */
  public QueueView queueView(String queue) {
    return new QueueView(queues.parallelism(queue), queues.paused(queue));
  }

  /** A queue as this node's gate sees it. */
  public record QueueView(int parallelism, boolean paused) {}

  public FlowControlView flowControl() {
    return new FlowControlView(flows, db, this::signal, clock);
  }

  private final String leasePrefix = "direct-" + UUID.randomUUID() + "-";
  private final AtomicLong leaseSeq = new AtomicLong();

  @Override
  public int reserve(int n) {
    // Publishers must not barge ahead of work that is already due (retries, delayed messages) or take
    // the permits the dispatcher is waiting for: direct starts only while a quarter of them is free.
    if (!running || permits.availablePermits() <= settings.concurrency() / 4
        || index.nextDue() <= clock.millis()) {
      return 0;
    }
    int got = 0;
    while (got < n && permits.tryAcquire()) got++;
    return got;
  }

  @Override
  public void release(int n) {
    if (n > 0) permits.release(n);
  }

  @Override
  public String lease() {
    return leasePrefix + leaseSeq.incrementAndGet();
  }

  @Override
  public long leaseMillis() {
    return settings.leaseMargin().toMillis();
  }

  @Override
  public void start(Message m, String lease) {
    if (!running) { // stopping: the row stays ACTIVE and the next start-up recovers it
      permits.release();
      return;
    }
    startAttempt(m, lease);
  }

  /** Runs one attempt on its own virtual thread; the caller holds a permit, which the attempt returns. */
  private void startAttempt(Message m, String lease) {
    Thread.ofVirtual().name("attempt-", 0).start(() -> attempt(m, lease));
  }

  @Override
  public void created(Messages.Due d) {
    if (d.flowKey() != null) flows.register(d);
    if (d.queueName() != null && !d.started()) {
      if (queues.touched(d.queueName())) signal(); // a paused queue's messages wait for its resume
      return;
    }
    if (d.dueAt() <= horizon) {
      if (!index.add(d)) rescan = true;
      signal();
    }
  }

  @Override
  public void finished(Message m) {
    if (m.queueName() != null) {
      queues.finished(m.queueName(), m.id());
      signal();
    } else if (m.sourceMessageId() != null && queues.callbackFinished(m.id())) {
      signal();
    }
  }

  private void signal() {
    lock.lock();
    try {
      signalled = true;
      wake.signalAll();
    } finally {
      lock.unlock();
    }
  }

  private void loop() {
    while (running) {
      try {
        Pass p = runOnce();
        if (p.claimed() == 0) waitForWork();
      } catch (RuntimeException e) {
        log.error("dispatcher pass failed; retrying in 1s", e);
        sleepQuietly(1000);
      }
    }
  }

  /** One pass: move the window if needed, pick what may start (gates), claim it, start the attempts. */
  public Pass runOnce() {
    long now = clock.millis();
    // Shared store: other nodes move messages too (a retry re-scheduled later, a lost NOTIFY), so the
    // window is re-read from the start now and then instead of trusting the keyset position.
    if (remoteDue && now - lastRemoteRescan >= REMOTE_RESCAN_MS) {
      remoteDue = false;
      rescan = true;
      lastRemoteRescan = now;
    }
    if (db.shared() && now - lastFullScan >= SHARED_RESCAN_MS) {
      rescan = true;
      lastFullScan = now;
    }
    if (rescan || now + settings.lookahead().toMillis() / 2 > horizon || scanTarget > scanDue) refill(now);
    for (Messages.Due d : queues.unheld()) index.add(d);
    int room = Math.max(1, Math.min(permits.availablePermits(), 1000));
    List<Messages.Due> ready = new ArrayList<>();
    for (Messages.Due d : index.pollDue(now, room)) {
      if (d.queueName() != null && queues.paused(d.queueName())) queues.hold(d);
      else if (d.flowKey() == null || flows.tryStart(d, now)) ready.add(d);
    }
    boolean everyQueue = now - lastQueueScan >= QUEUE_SCAN_MS;
    if (everyQueue) {
      lastQueueScan = now;
      // Shared store: a retry or callback holding a slot this node took may end on another node, which
      // does not tell us; the database knows every holder. Claims of this thread have all committed here.
      // Queue settings too: a pause, resume or new parallelism may have been set through another node.
      // So may a flow-control key's pause, pins or rate reset (only keys ever controlled are read).
      if (shared) {
        db.read(tx -> {
          tx.queues().all().forEach(q -> queues.configure(q.name(), q.parallelism(), q.paused()));
          queues.resync(tx.messages().slotHolders());
          tx.flowKeys().controlled().forEach(flows::apply);
          return null;
        });
      }
    }
    for (QueueGate.Room q : queues.withRoom(everyQueue)) {
      // As many as there is room for, plus those that may still show as pending but hold a slot already:
      // reading a whole parallelism's worth per pass cost a read of up to `parallelism` rows per finished
      // message while a wide queue drained.
      int want = Math.min(q.parallelism(), q.room() + q.skip().size());
      List<Messages.Due> head = db.read(tx -> tx.messages().nextInQueue(q.queue(), now, want));
      int taken = 0;
      for (Messages.Due d : head) {
        if (taken == q.room()) break;
        if (q.skip().contains(d.id())) continue;
        queues.started(q.queue(), d.id());
        taken++;
        if (d.flowKey() == null || flows.tryStart(d, now)) ready.add(d);
      }
    }
    if (now - lastWaitCheck >= WAIT_CHECK_MS) {
      lastWaitCheck = now;
      dropGoneFromWaitLists();
    }
    ready.addAll(flows.releasable(now, 1000));
    if (ready.isEmpty()) return new Pass(0, 0);
    return claimAndStart(ready, now);
  }

  /**
   * A message on a flow-control wait list here may be gone from the store: delivered through another node
   * of a cluster, or cancelled. Left there, it would count in waitListSize and, once released, take a start.
   * The oldest few of each key are checked every {@link #WAIT_CHECK_MS}.
   */
  private void dropGoneFromWaitLists() {
    List<String> heads = flows.waitingHeads(50, 500);
    if (heads.isEmpty()) return;
    java.util.Set<String> pending = db.read(tx -> tx.messages().pendingAmong(heads));
    flows.dropWaiting(heads.stream().filter(id -> !pending.contains(id)).toList());
  }

  private Pass claimAndStart(List<Messages.Due> ready, long now) {
    String lease = UUID.randomUUID().toString();
    long leaseMillis = settings.leaseMargin().toMillis();
    // Relaxed: a claim lost to a power cut only means the message is attempted again.
    Map<String, Message> claimed;
    java.util.Set<String> deferred = java.util.concurrent.ConcurrentHashMap.newKeySet();
    try {
      claimed = db.writeRelaxed(tx -> {
        Map<String, Message> out = new HashMap<>();
        deferred.clear(); // the writer may replay this work
        for (Messages.Due d : ready) {
          // In a cluster the local gates only know this node's work; the database has the last word.
          if (shared && d.queueName() != null && !d.started() && !tx.messages().queueHasRoom(d.queueName())) continue;
          if (shared && d.flowKey() != null && !tx.messages().flowKeyAllows(d, now)) {
            deferred.add(d.id());
            continue;
          }
          tx.messages().claim(d.id(), lease, now, leaseMillis).ifPresent(m -> {
            out.put(m.id(), m);
            EventLog.append(tx, now, m, "ACTIVE", null);
          });
        }
        return out;
      }).join();
    } catch (RuntimeException e) {
      // The store refused the claim (full disk, overload): nothing was claimed. The polled messages
      // left the index, so find them again with a full scan once the store takes writes again.
      for (Messages.Due d : ready) {
        if (d.flowKey() != null) flows.ended(d.flowKey());
        if (d.queueName() != null) queues.release(d.queueName(), d.id());
      }
      rescan = true;
      throw e;
    }
    int startedNow = 0;
    for (Messages.Due d : ready) {
      Message m = claimed.get(d.id());
      if (m == null) { // cancelled, already taken, or over a cluster-wide limit: give its slots back
        if (d.flowKey() != null) {
          if (deferred.contains(d.id())) flows.ended(d.flowKey());
          else flows.notStarted(d.flowKey()); // nothing was sent: its rate slot too
        }
        if (d.queueName() != null) queues.release(d.queueName(), d.id());
        // over the key's cluster-wide limit: look again shortly (a queued one comes back through its queue)
        if (deferred.contains(d.id()) && (d.queueName() == null || d.started())) index.add(withDue(d, now + FLOW_RECHECK_MS));
        continue;
      }
      permits.acquireUninterruptibly();
      startAttempt(m, lease);
      startedNow++;
    }
    return new Pass(claimed.size(), startedNow);
  }

  private void refill(long now) {
    if (rescan) {
      rescan = false;
      scanDue = Long.MIN_VALUE;
      scanId = "";
    }
    long target = now + settings.lookahead().toMillis();
    if (target > horizon) horizon = target; // before the scan: see the class comment
    scanTarget = horizon;
    while (index.hasRoom()) {
      long afterDue = scanDue;
      String afterId = scanId;
      List<Messages.Due> rows = db.read(tx -> tx.messages().due(afterDue, afterId, scanTarget, SCAN_BATCH));
      for (Messages.Due d : rows) {
        if (!index.add(d)) {
          rescan = true; // full: pick up from the start once there is room
          return;
        }
        scanDue = d.dueAt();
        scanId = d.id();
      }
      if (rows.size() < SCAN_BATCH) {
        scanDue = scanTarget; // everything up to the target is indexed
        scanId = "";
        return;
      }
    }
    rescan = true;
  }

  private void attempt(Message m, String lease) {
    try {
      if (m.retried() == 0 && m.crashes() == 0) {
        Timer wait = m.queueName() != null ? waitQueued : m.flowControlKey() != null ? waitFlow : waitUngated;
        wait.record(Math.max(0, clock.millis() - m.notBefore().toEpochMilli()), TimeUnit.MILLISECONDS);
      }
      long t0 = System.nanoTime();
      Outcome outcome;
      try {
        outcome = sender.send(m);
      } catch (RuntimeException e) {
        // A bug, not the destination: still an attempt that ends, so the message moves on (retry, DLQ)
        // and its flow-control slot is given back, instead of staying ACTIVE until a restart.
        log.error("attempt of message {} failed unexpectedly; counted as an attempt without a response", m.id(), e);
        outcome = new Outcome.NoResponse("internal error: " + e.getClass().getSimpleName());
      }
      timer(outcome).record(System.nanoTime() - t0, TimeUnit.NANOSECONDS);
      if (m.flowControlKey() != null) flows.ended(m.flowControlKey());
      Instant now = clock.instant();
      RetryDelayExpression expr = m.retryDelayExpression() == null ? null : RetryDelayExpression.parse(m.retryDelayExpression());
      Transitions.Decision d = Transitions.decide(
          new Transitions.Attempt(m.retried(), m.maxRetries(), expr, m.crashes()), outcome, now);
      record(m, lease, outcome, d, now);
    } catch (RuntimeException e) {
      log.error("attempt of message {} failed unexpectedly; it will be retried after a restart", m.id(), e);
    } finally {
      permits.release();
      // A freed permit needs no wake-up: a dispatcher short of permits blocks on the semaphore, not
      // in waitForWork. A finished flow-controlled attempt may let a held message go.
      if (m.flowControlKey() != null) signal();
    }
  }

  private void record(Message m, String lease, Outcome outcome, Transitions.Decision d, Instant now) {
    (switch (d) {
      case Transitions.Delivered x -> attemptsDelivered;
      case Transitions.Retry x -> attemptsRetried;
      case Transitions.Failed x -> attemptsFailed;
    }).increment();
    record(m, lease, outcome, d, now, 1);
  }

  private Timer timer(Outcome o) {
    return switch (o) {
      case Outcome.Response r -> r.success() ? attemptSuccess : attemptError;
      case Outcome.NoResponse n -> attemptNoResponse;
      case Outcome.Crashed c -> attemptNoResponse;
    };
  }

  private void record(Message m, String lease, Outcome outcome, Transitions.Decision d, Instant now, int attempt) {
    // Relaxed: losing an outcome to a power cut means one more attempt (at-least-once), never a lost message.
    // Lazy when nothing waits for it to commit (no queue slot, flow key, kept callback slot, workflow, or
    // callback the outcome creates): it then shares the next commit instead of costing one of its own.
    Function<Tx, Outcomes.Written> work = tx -> outcomes.write(tx, m, lease, outcome, d, now);
    boolean gatesNothing = m.queueName() == null && m.flowControlKey() == null && m.sourceMessageId() == null
        && m.workflow() == null && m.callback() == null && m.failureCallback() == null;
    (gatesNothing ? db.writeLazy(work) : db.writeRelaxed(work)).whenComplete((w, err) -> {
      if (err != null) {
        Throwable cause = err instanceof java.util.concurrent.CompletionException && err.getCause() != null ? err.getCause() : err;
        if (cause instanceof dev.herald.store.StoreUnavailableException && running) {
          // The attempt happened; only its record is missing (database restart, full disk). Keep trying,
          // backing off to 30 s, rather than leave the message claimed until a restart.
          long waitMs = Math.min(30_000, 250L << Math.min(attempt, 7));
          log.warn("recording the outcome of message {} failed ({}); trying again in {} ms", m.id(), cause.getMessage(), waitMs);
          Thread.ofVirtual().name("record-retry").start(() -> {
            sleepQuietly(waitMs);
            if (running) record(m, lease, outcome, d, now, attempt + 1);
          });
          return;
        }
        log.error("recording the outcome of message {} failed; it will be attempted again after its lease ends or a restart",
            m.id(), err);
        return;
      }
      boolean done = !w.applied() || !(d instanceof Transitions.Retry);
      if (m.queueName() != null) {
        // Its callbacks keep the slot until they end (spec 8.5): registered before the message lets go.
        // This normally runs on the writer thread as the outcome commits, before any later write (the
        // claim of a callback found by a scan) can commit: a callback does not end before it is known here.
        if (!w.followUps().isEmpty()) queues.kept(m.queueName(), m.id(), w.followUps().stream().map(Message::id).toList());
        if (done) {
          queues.finished(m.queueName(), m.id());
          signal(); // the queue may have a free slot for its next message
        }
      } else if (done && m.sourceMessageId() != null && queues.callbackFinished(m.id())) {
        signal(); // a callback that kept a queue's slot ended
      }
      if (!w.applied()) {
        log.debug("message {} was cancelled or taken over during its attempt; result dropped", m.id());
        return;
      }
      if (d instanceof Transitions.Delivered) delivered.incrementAndGet();
      if (w.retryAt() != null) created(Messages.Due.of(m, w.retryAt(), true));
      // created() wakes the dispatcher when the retry or follow-up is due inside its window
      for (Message f : w.followUps()) created(Messages.Due.of(f, f.notBefore().toEpochMilli(), false));
      for (Message f : w.published()) created(Messages.Due.of(f, f.notBefore().toEpochMilli(), false));
    });
  }

  /**
   * Another node committed messages (PostgreSQL NOTIFY): re-read the window soon (at most once per
   * REMOTE_RESCAN_MS) if they are due inside it, and look at the queues that got fresh messages.
   */
  public void wakeForRemoteWork(dev.herald.store.NewWorkListener.RemoteWork w) {
    for (String q : w.queues()) queues.touched(q);
    if (w.earliestDue() <= horizon) remoteDue = true;
    signal();
  }

  /**
   * Shared store: applies the crash transition (no retry used up, up to the crash limit) to ACTIVE
   * messages whose lease ran out on the database clock, wherever they were claimed. Returns how many; a
   * full batch means there may be more. The node that held the lease loses its fence: a late result is dropped.
   */
  public int reapExpiredLeases() {
    Instant now = clock.instant();
    String lease = "reaped-" + UUID.randomUUID();
    int reaped = db.writeNow(tx -> {
      List<Message> expired = tx.messages().releaseExpiredLeases(lease, REAP_BATCH);
      for (Message m : expired) {
        Outcome crashed = new Outcome.Crashed();
        Transitions.Decision d = Transitions.decide(
            new Transitions.Attempt(m.retried(), m.maxRetries(), null, m.crashes()), crashed, now);
        outcomes.write(tx, m, lease, crashed, d, now);
      }
      return expired.size();
    });
    if (reaped > 0) {
      log.warn("{} attempt(s) lost their lease (a node died or stalled); re-queued without using up a retry", reaped);
      rescan = true; // the re-queued messages are found by the next scan
      signal();
    }
    return reaped;
  }

  /** Single node: every ACTIVE row at start was cut short by our own crash (ARCHITECTURE.md). */
  private void recoverCrashedAttempts() {
    List<String> active = db.read(tx -> tx.messages().activeIds());
    if (active.isEmpty()) return;
    log.warn("{} attempt(s) were cut short by a crash; re-queueing them without using up a retry", active.size());
    Instant now = clock.instant();
    String lease = "recovery-" + UUID.randomUUID();
    db.writeNow(tx -> {
      for (String id : active) {
        tx.messages().takeOver(id, lease).ifPresent(m -> {
          Outcome crashed = new Outcome.Crashed();
          Transitions.Decision d = Transitions.decide(
              new Transitions.Attempt(m.retried(), m.maxRetries(), null, m.crashes()), crashed, now);
          outcomes.write(tx, m, lease, crashed, d, now);
        });
      }
      return null;
    });
  }

  private void waitForWork() {
    long now = clock.millis();
    long next = Math.min(Math.min(index.nextDue(), horizon - settings.lookahead().toMillis() / 2), flows.nextWindow());
    if (remoteDue) next = Math.min(next, lastRemoteRescan + REMOTE_RESCAN_MS);
    long waitMs = Math.max(1, Math.min(next - now, QUEUE_SCAN_MS));
    lock.lock();
    try {
      if (!signalled) wake.await(waitMs, TimeUnit.MILLISECONDS);
      signalled = false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      lock.unlock();
    }
  }

  private static void sleepQuietly(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    running = false;
    signal();
    try {
      if (thread != null) thread.join(5000);
      // Attempts in flight submit their outcome before returning their permit; once all permits are
      // back, every outcome is queued and the store's close commits it (no redelivery after a restart).
      if (permits.tryAcquire(settings.concurrency(), settings.shutdownGrace().toMillis(), TimeUnit.MILLISECONDS)) {
        permits.release(settings.concurrency());
      } else {
        log.warn("{} attempt(s) still in flight after server.shutdown-grace ({}); they will be retried after a restart",
            settings.concurrency() - permits.availablePermits(), dev.herald.core.time.Durations.format(settings.shutdownGrace()));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      sender.close(); // the dispatcher owns the sender it was given: no attempt starts after this
    }
  }
}
