package dev.herald.engine;

import dev.herald.core.message.Message;
import dev.herald.store.Db;
import java.time.InstantSource;
import java.util.Optional;

/** Reads and cancels pending messages (spec 4). */
public final class MessageService {
  private final Db db;
  private final InstantSource clock;

  public MessageService(Db db, InstantSource clock) {
    this.db = db;
    this.clock = clock;
  }

  public Optional<Message> find(String id) {
    return db.read(tx -> tx.messages().find(id));
  }

  /** Cancels one message; false when there is no such pending message. An attempt in flight may still land. */
  public boolean cancel(String id) {
    long now = clock.millis();
    return db.write(tx -> tx.messages().cancel(id).map(m -> {
      EventLog.append(tx, now, m, "CANCEL_REQUESTED", null);
      EventLog.append(tx, now, m, "CANCELED", null);
      return true;
    }).orElse(false)).join();
  }
}
