package dev.herald.engine;

import dev.herald.store.Messages;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Queue semantics for the dispatcher (spec 8.5): a queue has at most {@code parallelism} messages in
 * progress, and hands out fresh messages in FIFO (id) order. A message is in progress from its first
 * attempt to its final outcome (retries included), and after that until every callback and failure
 * callback it caused has ended too: those keep its slot ({@link Messages#insert(dev.herald.core.message.Message,
 * long, Messages.QueueSlot)}). A slot is named by its queued message (the owner); the owner and its
 * callbacks are its holders, and the slot is free when the last of them is gone. A paused queue starts
 * nothing, retries included: due retries are held until resume. Thread-safe (one monitor).
 */
final class QueueGate {
  private static final class State {
    int parallelism = 1;
    boolean paused;
    boolean dirty = true;
    /** Holder id -> owner id (the queued message whose slot it holds; itself for the queued message). */
    final Map<String, String> holders = new LinkedHashMap<>();
    final List<Messages.Due> held = new ArrayList<>();

    int slotsInUse() {
      return new HashSet<>(holders.values()).size();
    }
  }

  /** A queue that may start {@code room} more messages; {@code skip} are already in progress. */
  record Room(String queue, int room, int parallelism, Set<String> skip) {}

  private final Map<String, State> queues = new HashMap<>();
  /** Callback id -> the queue whose slot it keeps; lets a finished callback find its slot by id alone. */
  private final Map<String, String> callbacks = new HashMap<>();

  synchronized void configure(String queue, int parallelism, boolean paused) {
    State s = queues.computeIfAbsent(queue, q -> new State());
    s.parallelism = parallelism;
    s.paused = paused;
    s.dirty = true;
  }

  /** Forgets a deleted queue, its slots and its held retries (their messages were cancelled anyway). */
  synchronized void remove(String queue) {
    State s = queues.remove(queue);
    if (s != null) s.holders.keySet().forEach(callbacks::remove);
  }

  /**
   * A fresh message was enqueued: its queue should look for work. Returns false when the queue is
   * paused: nothing can start until its resume, which wakes the dispatcher itself.
   */
  synchronized boolean touched(String queue) {
    State s = queues.computeIfAbsent(queue, q -> new State());
    s.dirty = true;
    return !s.paused;
  }

  /** The parallelism this gate applies to {@code queue} (1 for a queue it has not been told about). */
  synchronized int parallelism(String queue) {
    State s = queues.get(queue);
    return s == null ? 1 : s.parallelism;
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

  /** A queued message takes a slot of its own. */
  synchronized void started(String queue, String id) {
    queues.computeIfAbsent(queue, q -> new State()).holders.put(id, id);
  }

  /**
   * Callbacks of the queued message {@code owner} were stored: they keep its slot until they end. Call
   * before {@link #finished} of the owner, so the slot is never free in between.
   */
  synchronized void kept(String queue, String owner, List<String> callbackIds) {
    State s = queues.get(queue);
    if (s == null) return; // deleted meanwhile: a deleted queue has no slots (Messages.releaseSlots)
    for (String id : callbackIds) {
      s.holders.put(id, owner);
      callbacks.put(id, queue);
    }
  }

  /** Any holder ended (the queued message, or a callback): its slot is free once no holder is left. */
  synchronized void finished(String queue, String id) {
    State s = queues.get(queue);
    if (s != null && s.holders.remove(id) != null) s.dirty = true;
    callbacks.remove(id);
  }

  /** A message that is no queued message ended; true when it was a callback keeping a slot. */
  synchronized boolean callbackFinished(String id) {
    String queue = callbacks.get(id);
    if (queue == null) return false;
    finished(queue, id);
    return true;
  }

  /** Gives back a slot taken for a message that could not be claimed; no rescan (that could spin). */
  synchronized void release(String queue, String id) {
    State s = queues.get(queue);
    if (s != null) s.holders.remove(id);
  }

  /**
   * Replaces what the gate knows about slots with the store's holders. A shared store needs this: a
   * retry or a callback that took a slot on this node may end on another, and this node is not told.
   */
  synchronized void resync(List<Messages.SlotHolder> all) {
    for (State s : queues.values()) s.holders.clear();
    callbacks.clear();
    for (Messages.SlotHolder h : all) {
      State s = queues.computeIfAbsent(h.slot().queue(), q -> new State());
      s.holders.put(h.id(), h.slot().owner());
      if (!h.id().equals(h.slot().owner())) callbacks.put(h.id(), h.slot().queue());
    }
  }

  /** Slots in use: distinct owners among the holders. */
  synchronized int inProgress(String queue) {
    State s = queues.get(queue);
    return s == null ? 0 : s.slotsInUse();
  }

  /** Queues that can start more messages: the dirty ones, or all of them when {@code everyQueue}. */
  synchronized List<Room> withRoom(boolean everyQueue) {
    List<Room> out = new ArrayList<>();
    for (var e : queues.entrySet()) {
      State s = e.getValue();
      if (s.paused || (!s.dirty && !everyQueue)) continue;
      s.dirty = false;
      int room = s.parallelism - s.slotsInUse();
      if (room > 0) out.add(new Room(e.getKey(), room, s.parallelism, Set.copyOf(s.holders.values())));
    }
    return out;
  }
}
