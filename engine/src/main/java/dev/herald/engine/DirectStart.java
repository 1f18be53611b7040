package dev.herald.engine;

import dev.herald.core.message.Message;

/**
 * Hands a message that is due now straight from its publish to an attempt, skipping the claim: the
 * publish transaction stores it already ACTIVE under a lease, and the attempt starts once that commit is
 * on disk. Saves a claim (an UPDATE ... RETURNING and its decode on the writer), a dispatcher pass and
 * its wake-up per message; in a cluster also the NOTIFY, and the other nodes' attempts to claim it.
 * The lease is counted on the database clock, so a node that dies mid-attempt is reaped as after a
 * claim. Implemented by the {@link Dispatcher}.
 */
public interface DirectStart {
  /** Takes up to {@code n} attempt slots; returns how many it got (0 when direct starts are off). */
  int reserve(int n);

  /** Gives back slots that were reserved and not used (the publish failed or had fewer candidates). */
  void release(int n);

  /** A lease token for the messages of one publish. */
  String lease();

  /** How long a lease lasts (counted on the database clock, like a claim's). */
  long leaseMillis();

  /** Starts the attempt of a committed, ACTIVE message in a slot taken by {@link #reserve}. */
  void start(Message m, String lease);

  /** Whether a message may start directly: due by {@code nowMs}, in no queue and under no flow-control key. */
  static boolean eligible(Message m, long nowMs) {
    return m.queueName() == null && m.flowControlKey() == null && m.notBefore().toEpochMilli() <= nowMs;
  }
}
