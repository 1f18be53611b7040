package dev.herald.engine;

import dev.herald.core.id.Ids;
import dev.herald.core.message.Message;
import dev.herald.core.message.MessageOptions;
import dev.herald.core.time.Durations;
import dev.herald.store.Db;
import dev.herald.store.Messages;
import dev.herald.store.Tx;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;

/**
 * Accepts messages: deduplicates, stores and logs them in one group-committed transaction, and only
 * completes after the commit is on disk. Everything in one call is one commit (a URL-group fan-out,
 * a batch). Thread-safe.
 */
public final class PublishService {
  private final Db db;
  private final InstantSource clock;
  private final MessageFactory factory;
  private final Duration dedupWindow;
  private final Duration maxDelay;
  private final Counter published;
  private final Counter deduplicated;
  private volatile NewWork newWork = due -> {};
  private volatile DirectStart direct;
  /** At most this many messages of one publish start directly; the rest go through the dispatcher. */
  private static final int MAX_DIRECT = 64;

  /**
   * @param maxDelay how far ahead a message may be due ({@code limits.max-delay}): Upstash-Delay is checked
   *     against it when parsed; Upstash-Not-Before, an instant, only here where the time is known
   */
  public PublishService(Db db, InstantSource clock, Ids ids, Duration dedupWindow, Duration maxDelay, MeterRegistry metrics) {
    this.db = db;
    this.maxDelay = maxDelay;
    this.clock = clock;
    this.factory = new MessageFactory(ids);
    this.dedupWindow = dedupWindow;
    this.published = Counter.builder("herald.messages.published")
        .description("Messages stored by publish, enqueue, batch and workflow requests (one per URL-group endpoint)")
        .register(metrics);
    this.deduplicated = Counter.builder("herald.messages.deduplicated")
        .description("Publishes answered with an existing message (deduplication id or content)").register(metrics);
  }

  public void onNewWork(NewWork listener) {
    this.newWork = listener;
  }

  /** Lets messages due now start their attempt straight after the publish commit ({@link DirectStart}). */
  public void directStart(DirectStart starter) {
    this.direct = starter;
  }

  /** The direct starts of one publish: slots reserved before the transaction, messages stored ACTIVE in it. */
  static final class Direct {
    final int slots;
    final String lease;
    final long leaseMillis;
    final List<Message> started = new ArrayList<>();

    Direct(int slots, String lease, long leaseMillis) {
      this.slots = slots;
      this.lease = lease;
      this.leaseMillis = leaseMillis;
    }

    boolean take(Message m, long nowMs) {
      if (started.size() >= slots || !DirectStart.eligible(m, nowMs)) return false;
      started.add(m);
      return true;
    }
  }

  /**
   * Publishes every request in one transaction (one fsync); the future completes after the commit.
   * URL groups are resolved inside the transaction, so a fan-out sees one consistent endpoint list.
   */
  public CompletableFuture<List<PublishOutcome>> publish(List<PublishRequest> requests) {
    Instant now = clock.instant();
    long nowMs = now.toEpochMilli();
    List<Messages.Due> dues = new ArrayList<>();
    DirectStart starter = direct;
    int want = starter == null ? 0 : (int) Math.min(MAX_DIRECT, requests.stream().filter(PublishRequest::isUrl).count());
    int slots = want == 0 ? 0 : starter.reserve(want);
    Direct d = slots == 0 ? null : new Direct(slots, starter.lease(), starter.leaseMillis());
    return db.write(tx -> {
      dues.clear(); // the writer may run this work again (when another write of its batch failed)
      if (d != null) d.started.clear();
      List<PublishOutcome> out = new ArrayList<>(requests.size());
      for (PublishRequest r : requests) out.add(publishOne(tx, r, now, nowMs, dues, d));
      return out;
    }).whenComplete((out, err) -> {
      if (d == null) return;
      if (err != null) {
        starter.release(d.slots);
        return;
      }
      starter.release(d.slots - d.started.size());
      for (Message m : d.started) starter.start(m, d.lease);
    }).thenApply(out -> {
      dues.forEach(newWork::created);
      count(out);
      return out;
    });
  }

  private void count(List<PublishOutcome> outcomes) {
    int stored = 0;
    int dup = 0;
    for (PublishOutcome o : outcomes) {
      if (!(o instanceof PublishOutcome.Accepted a)) continue;
      for (PublishResult r : a.results()) {
        if (r.deduplicated()) dup++;
        else stored++;
      }
    }
    if (stored > 0) published.increment(stored);
    if (dup > 0) deduplicated.increment(dup);
  }

  /** Publishes inside the caller's transaction (schedules use this while firing a slot). */
  PublishOutcome publishOne(Tx tx, PublishRequest r, Instant now, long nowMs, List<Messages.Due> dues) {
    return publishOne(tx, r, now, nowMs, dues, null);
  }

  private PublishOutcome publishOne(Tx tx, PublishRequest r, Instant now, long nowMs, List<Messages.Due> dues, Direct d) {
    Instant notBefore = r.options().notBefore();
    if (notBefore != null && notBefore.isAfter(now.plus(maxDelay))) {
      return new PublishOutcome.Rejected(400, "Upstash-Not-Before: must be at most "
          + Durations.format(maxDelay) + " from now (limits.max-delay)");
    }
    List<Publication> pubs = new ArrayList<>();
    if (r.isUrl()) {
      pubs.add(new Publication(r.destination(), null, null, r.queueName(), r.scheduleId(), r.options(), r.body(), r.callerIp()));
    } else {
      var group = tx.urlGroups().find(r.destination());
      if (group.isEmpty()) return new PublishOutcome.Rejected(404, "url group " + r.destination() + " not found");
      if (group.get().endpoints().isEmpty()) return new PublishOutcome.Rejected(400, "url group " + r.destination() + " has no endpoints");
      for (var ep : group.get().endpoints()) {
        pubs.add(new Publication(ep.url(), r.destination(), ep.name(), r.queueName(), r.scheduleId(), r.options(), r.body(),
            r.callerIp()));
      }
    }
    List<PublishResult> results = new ArrayList<>(pubs.size());
    for (Publication p : pubs) {
      Message m = factory.create(p, now, null);
      String key = dedupKey(p);
      if (key != null) {
        var existing = tx.dedup().find(key, nowMs);
        if (existing.isPresent()) {
          results.add(new PublishResult(existing.get(), m.url(), true));
          continue;
        }
      }
      if (m.workflow() != null) {
        // a workflow message belongs to a run (spec 13.3): a trigger of an existing run is a duplicate
        WorkflowRuns.Attached a = WorkflowRuns.attach(tx, m, nowMs);
        if (a.duplicateOf() != null) {
          results.add(new PublishResult(a.duplicateOf(), m.url(), true));
          continue;
        }
        m = a.message();
      }
      if (key != null) tx.dedup().put(key, m.id(), nowMs + dedupWindow.toMillis());
      if (d != null && d.take(m, nowMs)) {
        tx.messages().insertClaimed(m, m.notBefore().toEpochMilli(), d.lease, d.leaseMillis);
        EventLog.append(tx, nowMs, m, "ACTIVE", null);
      } else {
        insert(tx, m, nowMs);
        dues.add(Messages.Due.of(m, m.notBefore().toEpochMilli(), false));
      }
      results.add(new PublishResult(m.id(), m.url(), false));
    }
    return new PublishOutcome.Accepted(results, !r.isUrl());
  }

  NewWork newWork() {
    return newWork;
  }

  /**
   * Inserts a message in the caller's transaction. Its row stands for its CREATED log entry until it is
   * deleted (see {@link dev.herald.store.Events}). Callbacks are inserted by {@link Outcomes}.
   */
  static void insert(Tx tx, Message m, long nowMs) {
    if (m.queueName() != null) tx.queues().ensure(m.queueName(), nowMs); // enqueue creates the queue (spec 3.2)
    tx.messages().insert(m, m.notBefore().toEpochMilli());
  }

  /** Dedup scope is the destination: the same id sent to two endpoints of a group makes two messages. */
  private static String dedupKey(Publication p) {
    MessageOptions o = p.options();
    if (o.deduplicationId() != null) return "id:" + sha256(p.url() + "\n" + o.deduplicationId());
    if (!o.contentBasedDeduplication()) return null;
    StringBuilder sb = new StringBuilder(p.url()).append('\n').append(o.method()).append('\n');
    for (Map.Entry<String, List<String>> h : new TreeMap<>(o.headers().map()).entrySet()) {
      sb.append(h.getKey()).append(':').append(String.join(",", h.getValue())).append('\n');
    }
    return "content:" + sha256(sb.toString(), p.body());
  }

  private static String sha256(String s) {
    return sha256(s, new byte[0]);
  }

  private static String sha256(String s, byte[] body) {
    return HexFormat.of().formatHex(dev.herald.core.Sha256.of(s.getBytes(StandardCharsets.UTF_8), body));
  }

}
