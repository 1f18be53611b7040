package dev.herald.engine;

import dev.herald.store.Db;
import dev.herald.store.Messages;
import dev.herald.store.Queues;
import java.time.InstantSource;
import java.util.List;
import java.util.Optional;

/** Queues (spec 8): settings in the store, live state in the dispatcher's queue gate. */
public final class QueueService {
  /** A queue with its lag (messages not finished yet). */
  public record View(Queues.Queue queue, long lag) {}

  private final Db db;
  private final InstantSource clock;
  private final Dispatcher dispatcher;
  private final MessageService messages;

  public QueueService(Db db, InstantSource clock, Dispatcher dispatcher, MessageService messages) {
    this.db = db;
    this.clock = clock;
    this.dispatcher = dispatcher;
    this.messages = messages;
  }

  /** Creates or updates; a null {@code paused} keeps the current state (false for a new queue). */
  public void upsert(String name, int parallelism, Boolean paused) {
    long now = clock.millis();
    Queues.Queue q = db.write(tx -> {
      var existing = tx.queues().find(name);
      boolean p = paused != null ? paused : existing.map(Queues.Queue::paused).orElse(false);
      Queues.Queue next = new Queues.Queue(name, parallelism, p, existing.map(Queues.Queue::createdAt).orElse(now), now);
      tx.queues().put(next);
      return next;
    }).join();
    dispatcher.queueChanged(q.name(), q.parallelism(), q.paused());
  }

  public Optional<View> get(String name) {
    return db.read(tx -> tx.queues().find(name).map(q -> new View(q, tx.messages().countInQueue(name))));
  }

  public List<View> list() {
    return db.read(tx -> tx.queues().all().stream().map(q -> new View(q, tx.messages().countInQueue(q.name()))).toList());
  }

  public void setPaused(String name, boolean paused) {
    Queues.Queue q = db.write(tx -> {
      var existing = tx.queues().find(name).orElseThrow(() -> new NotFoundException("queue " + name));
      Queues.Queue next = new Queues.Queue(name, existing.parallelism(), paused, existing.createdAt(), clock.millis());
      tx.queues().put(next);
      return next;
    }).join();
    dispatcher.queueChanged(q.name(), q.parallelism(), q.paused());
  }

  /**
   * Deletes the queue and cancels its messages (UNSURE-41). Callbacks of its messages are not messages of
   * the queue: they are delivered, but stop keeping its slots. That comes after the cancel, so it also
   * covers a callback whose message finished just before being cancelled.
   */
  public boolean delete(String name) {
    boolean existed = db.write(tx -> tx.queues().delete(name)).join();
    if (!existed) return false;
    messages.cancelMatching(new Messages.Filter(null, null, List.of(name), null, null, null, null, null, null, null),
        List.of(), List.of());
    db.write(tx -> {
      tx.messages().releaseSlots(name);
      return null;
    }).join();
    dispatcher.queueDeleted(name);
    return true;
  }
}
