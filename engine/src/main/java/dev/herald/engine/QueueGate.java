package dev.herald.engine;

import dev.herald.store.Messages;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Queue semantics for the dispatcher (spec 8.5): a queue has at most {@code parallelism} messages in
 * progress, where "in progress" lasts from the first attempt to the final outcome (retries included),
 * and hands out fresh messages in FIFO (id) order. A paused queue starts nothing, retries included:
 * due retries are held until resume. Thread-safe (one monitor).
 */
final class QueueGate {
  private static final class State {
    int parallelism = 1;
    boolean paused;
    boolean dirty = true;
    final Set<String> inProgress = new LinkedHashSet<>();
    final List<Messages.Due> held = new ArrayList<>();
  }

  /** A queue that may start {@code room} more messages; {@code skip} are already in progress. */
  record Room(String queue, int room, int parallelism, Set<String> skip) {}

  private final Map<String, State> queues = new HashMap<>();

  synchronized void configure(String queue, int parallelism, boolean paused) {
    State s = queues.computeIfAbsent(queue, q -> new State());
    s.parallelism = parallelism;
    s.paused = paused;
    s.dirty = true;
  }

  /** Forgets a deleted queue; returns held retries (their messages were cancelled anyway). */
  synchronized void remove(String queue) {
    queues.remove(queue);
  }

  /** A fresh message was enqueued: its queue should look for work. */
  synchronized void touched(String queue) {
    queues.computeIfAbsent(queue, q -> new State()).dirty = true;
  }

  synchronized boolean paused(String queue) {
    State s = queues.get(queue);
    return s != null && s.paused;
  }

  synchronized void hold(Messages.Due d) {
    queues.computeIfAbsent(d.queueName(), q -> new State()).held.add(d);
  }

  /** Held retries of queues that are no longer paused, to put back into the due index. */
  synchronized List<Messages.Due> unheld() {
    List<Messages.Due> out = new ArrayList<>();
    for (State s : queues.values()) {
      if (!s.paused && !s.held.isEmpty()) {
        out.addAll(s.held);
        s.held.clear();
      }
    }
    return out;
  }

  synchronized void started(String queue, String id) {
    queues.computeIfAbsent(queue, q -> new State()).inProgress.add(id);
  }

  synchronized void finished(String queue, String id) {
    State s = queues.get(queue);
    if (s != null && s.inProgress.remove(id)) s.dirty = true;
  }

  /** Gives back a slot taken for a message that could not be claimed; no rescan (that could spin). */
  synchronized void release(String queue, String id) {
    State s = queues.get(queue);
    if (s != null) s.inProgress.remove(id);
  }

  synchronized int inProgress(String queue) {
    State s = queues.get(queue);
    return s == null ? 0 : s.inProgress.size();
  }

  /** Queues that can start more messages: the dirty ones, or all of them when {@code everyQueue}. */
  synchronized List<Room> withRoom(boolean everyQueue) {
    List<Room> out = new ArrayList<>();
    for (var e : queues.entrySet()) {
      State s = e.getValue();
      if (s.paused || (!s.dirty && !everyQueue)) continue;
      s.dirty = false;
      int room = s.parallelism - s.inProgress.size();
      if (room > 0) out.add(new Room(e.getKey(), room, s.parallelism, Set.copyOf(s.inProgress)));
    }
    return out;
  }
}
