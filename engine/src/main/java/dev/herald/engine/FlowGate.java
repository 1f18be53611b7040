package dev.herald.engine;

import dev.herald.store.FlowKeys;
import dev.herald.store.Messages;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Flow control (spec 11): per key, at most {@code parallelism} attempts in flight and at most
 * {@code rate} attempts started per {@code period} (a fixed window opened by the first start).
 * Messages over a limit wait in the key's FIFO wait list, retries included. The latest limits seen
 * for a key apply. Pause and pins (spec 11.4) are the store's ({@link FlowKeys}): the gate follows the
 * key's stored control state ({@link #apply}), so every node of a cluster and a restarted node act alike.
 * A key nothing has happened to for a while is forgotten ({@link #forgetIdle}): keys are often per user
 * or per tenant, and remembering each forever would grow without bound. Thread-safe (one monitor).
 */
final class FlowGate {
  private static final class Key {
    int parallelism;
    int rate;
    long periodMs = 1000;
    int inFlight;
    long windowStart = Long.MIN_VALUE;
    int startedInWindow;
    boolean paused;
    boolean pinnedParallelism;
    boolean pinnedRate;
    long version; // of the control state applied last (FlowKeys.Control)
    long rateResets;
    long lastActive; // clock millis of its last message registered, started or ended
    // By message id, in arrival order: a rescan of the store (every 2 s on PostgreSQL, after a full index or a
    // refused claim on SQLite) offers a waiting message again, and a second copy would count twice in
    // waitListSize and later take a start (and a rate slot) for a claim that can only fail.
    final LinkedHashMap<String, Messages.Due> waiting = new LinkedHashMap<>();

    /** Nothing in flight or waiting, never controlled (version 0), its rate window over. */
    boolean idle(long now) {
      return inFlight == 0 && waiting.isEmpty() && version == 0 && !paused
          && (windowStart == Long.MIN_VALUE || now >= windowStart + periodMs);
    }

    boolean mayStart(long now) {
      if (paused) return false;
      if (parallelism > 0 && inFlight >= parallelism) return false;
      if (rate > 0) {
        if (now >= windowStart + periodMs) return true;
        return startedInWindow < rate;
      }
      return true;
    }

    void start(long now) {
      inFlight++;
      if (rate > 0) {
        if (now >= windowStart + periodMs) {
          windowStart = now;
          startedInWindow = 0;
        }
        startedInWindow++;
      }
    }
  }

  /** The state of one key, for GET /v2/flowControl. */
  record View(String key, int parallelism, int rate, long periodSeconds, int inFlight, int waiting,
      long windowStart, int startedInWindow, boolean paused, boolean pinnedParallelism, boolean pinnedRate) {}

  /** Makes the key visible (GET /v2/flowControl/{key}) as soon as a message with it is accepted. */
  synchronized void register(Messages.Due d) {
    key(d).lastActive = clock.millis();
  }

  /**
   * Follows the key's stored control state: paused, pinned limits (incoming messages' limits are ignored
   * for pinned parts; an unpinned part keeps its last value until a message brings another, spec 11.4),
   * and a fresh rate window after each pin or rate reset. A state older than one already applied (a read
   * that raced a control operation) is ignored. Makes the key visible.
   */
  synchronized void apply(FlowKeys.Control c) {
    Key k = keys.computeIfAbsent(c.key(), x -> new Key());
    if (c.version() < k.version) return;
    k.version = c.version();
    k.paused = c.paused();
    k.pinnedParallelism = c.pinnedParallelism() != null;
    if (k.pinnedParallelism) k.parallelism = c.pinnedParallelism();
    k.pinnedRate = c.pinnedRate() != null;
    if (k.pinnedRate) {
      k.rate = c.pinnedRate();
      if (c.pinnedPeriod() != null) k.periodMs = Math.max(1, c.pinnedPeriod()) * 1000;
    }
    if (c.rateResets() > k.rateResets) {
      k.rateResets = c.rateResets();
      k.windowStart = Long.MIN_VALUE;
      k.startedInWindow = 0;
    }
  }

  synchronized boolean exists(String key) {
    return keys.containsKey(key);
  }

  private final Map<String, Key> keys = new HashMap<>();
  private final InstantSource clock;

  FlowGate(InstantSource clock) {
    this.clock = clock;
  }

  /**
   * Forgets the keys idle ({@link Key#idle}) since before {@code now - idleMs}: GET /v2/flowControl no
   * longer lists them, and the next message of one starts it afresh (a fresh key has the same state:
   * nothing in flight, no window running). Returns how many.
   */
  synchronized int forgetIdle(long now, long idleMs) {
    int before = keys.size();
    keys.values().removeIf(k -> k.idle(now) && k.lastActive < now - idleMs);
    return before - keys.size();
  }

  /** True when {@code d} may start now (and counts it); false when it was put on (or already is on) the wait list. */
  synchronized boolean tryStart(Messages.Due d, long now) {
    Key k = key(d);
    k.lastActive = now;
    if (k.waiting.isEmpty() && k.mayStart(now)) {
      k.start(now);
      return true;
    }
    k.waiting.putIfAbsent(d.id(), d);
    return false;
  }

  /** An attempt of the key ended. */
  synchronized void ended(String key) {
    Key k = keys.get(key);
    if (k == null) return;
    if (k.inFlight > 0) k.inFlight--;
    k.lastActive = clock.millis();
  }

  /**
   * A counted start that did not happen: the claim found the message gone (delivered through another node,
   * cancelled) or taken. Gives back its in-flight place and its place in the rate window, since nothing was
   * sent. (A claim the store deferred for the key's cluster-wide limit is {@link #ended} instead: the key's
   * window here stays used, so the message waits its turn on this node's wait list.)
   */
  synchronized void notStarted(String key) {
    Key k = keys.get(key);
    if (k == null) return;
    if (k.inFlight > 0) k.inFlight--;
    if (k.rate > 0 && k.startedInWindow > 0) k.startedInWindow--;
  }

  /** Up to {@code perKey} of each key's oldest waiting messages, {@code max} in all: the ones to check against the store. */
  synchronized List<String> waitingHeads(int perKey, int max) {
    List<String> out = new ArrayList<>();
    for (Key k : keys.values()) {
      int n = 0;
      for (String id : k.waiting.keySet()) {
        if (n++ == perKey || out.size() == max) break;
        out.add(id);
      }
      if (out.size() == max) break;
    }
    return out;
  }

  /** Takes messages that are no longer pending in the store off the wait lists; returns how many. */
  synchronized int dropWaiting(java.util.Collection<String> gone) {
    if (gone.isEmpty()) return 0;
    int dropped = 0;
    for (Key k : keys.values()) {
      for (String id : gone) if (k.waiting.remove(id) != null) dropped++;
    }
    return dropped;
  }

  /** Waiting messages that may start now (already counted as started). */
  synchronized List<Messages.Due> releasable(long now, int max) {
    List<Messages.Due> out = new ArrayList<>();
    for (Key k : keys.values()) {
      while (out.size() < max && !k.waiting.isEmpty() && k.mayStart(now)) {
        k.start(now);
        out.add(k.waiting.pollFirstEntry().getValue());
      }
    }
    return out;
  }

  /** When the next rate window opens for a key with waiting messages, or Long.MAX_VALUE. */
  synchronized long nextWindow() {
    long next = Long.MAX_VALUE;
    for (Key k : keys.values()) {
      if (!k.waiting.isEmpty() && k.rate > 0 && !k.paused) next = Math.min(next, k.windowStart + k.periodMs);
    }
    return next;
  }

  synchronized List<View> views() {
    List<View> out = new ArrayList<>();
    keys.forEach((name, k) -> out.add(view(name, k)));
    return out;
  }

  synchronized View view(String key) {
    Key k = keys.get(key);
    return k == null ? null : view(key, k);
  }

  /** Sum of in-flight attempts across keys (GET /v2/globalParallelism). */
  synchronized int totalInFlight() {
    return keys.values().stream().mapToInt(k -> k.inFlight).sum();
  }

  private static View view(String name, Key k) {
    return new View(name, k.parallelism, k.rate, k.periodMs / 1000, k.inFlight, k.waiting.size(),
        k.windowStart == Long.MIN_VALUE ? 0 : k.windowStart, k.startedInWindow, k.paused, k.pinnedParallelism,
        k.pinnedRate);
  }

  private Key key(Messages.Due d) {
    Key k = keys.computeIfAbsent(d.flowKey(), x -> new Key());
    if (!k.pinnedParallelism) k.parallelism = d.flowParallelism();
    if (!k.pinnedRate) {
      k.rate = d.flowRate();
      k.periodMs = Math.max(1, d.flowPeriodSeconds()) * 1000;
    }
    return k;
  }
}
