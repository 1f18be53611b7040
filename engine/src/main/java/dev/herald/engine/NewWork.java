package dev.herald.engine;

import dev.herald.core.message.Message;
import dev.herald.store.Messages;

/** Told about committed work so the dispatcher can act without a store scan. */
public interface NewWork {
  /** A message was stored (or re-scheduled) and is due at {@code due.dueAt()}. */
  void created(Messages.Due due);

  /** A message left the store outside the dispatcher (cancelled); frees the queue slot it held, if any. */
  default void finished(Message m) {}
}
