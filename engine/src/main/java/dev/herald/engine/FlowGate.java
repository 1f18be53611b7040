package dev.herald.engine;

import dev.herald.store.Messages;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Flow control (spec 11): per key, at most {@code parallelism} attempts in flight and at most
 * {@code rate} attempts started per {@code period} (a fixed window opened by the first start).
 * Messages over a limit wait in the key's FIFO wait list, retries included. The latest limits seen
 * for a key apply. Thread-safe (one monitor).
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
    final ArrayDeque<Messages.Due> waiting = new ArrayDeque<>();

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
    key(d);
  }

  /** Fixes limits for the key; incoming messages' limits are ignored for pinned parts (spec 11.4). */
  synchronized void pin(String key, Integer parallelism, Integer rate, Long periodSeconds) {
    Key k = keys.computeIfAbsent(key, x -> new Key());
    if (parallelism != null) {
      k.parallelism = parallelism;
      k.pinnedParallelism = true;
    }
    if (rate != null) {
      k.rate = rate;
      k.pinnedRate = true;
    }
    if (periodSeconds != null) k.periodMs = Math.max(1, periodSeconds) * 1000;
    k.windowStart = Long.MIN_VALUE;
    k.startedInWindow = 0;
  }

  synchronized void unpin(String key, boolean parallelism, boolean rate) {
    Key k = keys.get(key);
    if (k == null) return;
    if (parallelism) k.pinnedParallelism = false;
    if (rate) k.pinnedRate = false;
  }

  synchronized boolean exists(String key) {
    return keys.containsKey(key);
  }

  private final Map<String, Key> keys = new HashMap<>();

  /** True when {@code d} may start now (and counts it); false when it was put on the wait list. */
  synchronized boolean tryStart(Messages.Due d, long now) {
    Key k = key(d);
    if (k.waiting.isEmpty() && k.mayStart(now)) {
      k.start(now);
      return true;
    }
    k.waiting.add(d);
    return false;
  }

  /** An attempt of the key ended. */
  synchronized void ended(String key) {
    Key k = keys.get(key);
    if (k != null && k.inFlight > 0) k.inFlight--;
  }

  /** Waiting messages that may start now (already counted as started). */
  synchronized List<Messages.Due> releasable(long now, int max) {
    List<Messages.Due> out = new ArrayList<>();
    for (Key k : keys.values()) {
      while (out.size() < max && !k.waiting.isEmpty() && k.mayStart(now)) {
        k.start(now);
        out.add(k.waiting.poll());
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

  synchronized void setPaused(String key, boolean paused) {
    keys.computeIfAbsent(key, x -> new Key()).paused = paused;
  }

  /** Starts a fresh window (POST /v2/flowControl/{key}/resetRate). */
  synchronized void resetRate(String key) {
    Key k = keys.get(key);
    if (k != null) {
      k.windowStart = Long.MIN_VALUE;
      k.startedInWindow = 0;
    }
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
