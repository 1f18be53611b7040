package dev.herald.engine;

import dev.herald.store.Messages;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.PriorityQueue;
import java.util.Set;

/**
 * The in-memory set of messages due soon, earliest first. Only the near future lives here (the
 * dispatcher's look-ahead window), so a million delayed messages cost disk, not heap. Bounded by
 * {@code capacity}: {@link #add} refuses when full and the caller falls back to the store scan.
 * Thread-safe (one monitor; operations are O(log n) and short).
 */
final class DueIndex {
  private final PriorityQueue<Messages.Due> heap = new PriorityQueue<>(
      (a, b) -> a.dueAt() != b.dueAt() ? Long.compare(a.dueAt(), b.dueAt()) : a.id().compareTo(b.id()));
  private final Set<String> ids = new HashSet<>();
  private final int capacity;

  DueIndex(int capacity) {
    this.capacity = capacity;
  }

  /** False when the index is full (the entry is not added); true when added or already present. */
  synchronized boolean add(Messages.Due d) {
    if (ids.contains(d.id())) return true;
    if (ids.size() >= capacity) return false;
    ids.add(d.id());
    heap.add(d);
    return true;
  }

  /** Removes and returns up to {@code max} entries due at or before {@code now}. */
  synchronized List<Messages.Due> pollDue(long now, int max) {
    List<Messages.Due> out = new ArrayList<>();
    while (out.size() < max && !heap.isEmpty() && heap.peek().dueAt() <= now) {
      Messages.Due e = heap.poll();
      ids.remove(e.id());
      out.add(e);
    }
    return out;
  }

  /** Due time of the earliest entry, or Long.MAX_VALUE when empty. */
  synchronized long nextDue() {
    Messages.Due e = heap.peek();
    return e == null ? Long.MAX_VALUE : e.dueAt();
  }

  synchronized int size() {
    return ids.size();
  }

  synchronized boolean hasRoom() {
    return ids.size() < capacity;
  }
}
