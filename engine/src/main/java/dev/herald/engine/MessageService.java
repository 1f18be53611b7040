package dev.herald.engine;

import dev.herald.core.message.Message;
import dev.herald.store.Db;
import java.time.InstantSource;
import dev.herald.store.Messages;
import java.util.List;
import java.util.Optional;

/** Reads and cancels pending messages (spec 4). */
public final class MessageService {
  private final Db db;
  private final InstantSource clock;

  private volatile NewWork newWork = due -> {};

  public MessageService(Db db, InstantSource clock) {
    this.db = db;
    this.clock = clock;
  }

  public void onNewWork(NewWork listener) {
    this.newWork = listener;
  }

  public Optional<Message> find(String id) {
    return db.read(tx -> tx.messages().find(id));
  }

  /**
   * Cancels every pending message matching {@code f} (and the optional host/path filters), in batches.
   * Returns how many were cancelled. With no filter at all this cancels everything (spec 4.4).
   */
  public int cancelMatching(Messages.Filter f, List<String> hosts, List<String> paths) {
    boolean byIds = f.messageIds() != null && !f.messageIds().isEmpty(); // ids: every other filter is ignored (spec 4.4)
    List<String> h = byIds ? List.of() : hosts;
    List<String> p = byIds ? List.of() : paths;
    int total = 0;
    String after = "";
    while (true) {
      String from = after;
      List<Message> batch = db.read(tx -> tx.messages().matching(f, from, 500));
      if (batch.isEmpty()) return total;
      after = batch.get(batch.size() - 1).id();
      List<String> ids = batch.stream().filter(m -> UrlFilter.matches(m.url(), h, p)).map(Message::id).toList();
      long now = clock.millis();
      total += db.write(tx -> {
        int n = 0;
        List<Message> gone = new java.util.ArrayList<>();
        for (String id : ids) {
          var m = tx.messages().cancel(id);
          if (m.isEmpty()) continue;
          EventLog.append(tx, now, m.get(), "CANCEL_REQUESTED", null);
          EventLog.append(tx, now, m.get(), "CANCELED", null);
          gone.add(m.get());
        }
        return gone;
      }).thenApply(gone -> {
        gone.forEach(newWork::finished);
        return gone.size();
      }).join();
    }
  }


  /** Cancels one message; false when there is no such pending message. An attempt in flight may still land. */
  public boolean cancel(String id) {
    long now = clock.millis();
    Optional<Message> gone = db.write(tx -> tx.messages().cancel(id).map(m -> {
      EventLog.append(tx, now, m, "CANCEL_REQUESTED", null);
      EventLog.append(tx, now, m, "CANCELED", null);
      return m;
    })).join();
    gone.ifPresent(newWork::finished);
    return gone.isPresent();
  }
}
