package dev.herald.core.delivery;

import java.util.EnumSet;
import java.util.Set;

/**
 * Where a message is in its life. See docs/delivery-states.md for the picture.
 * PENDING covers "created, waiting for its due time" and "waiting for a retry"; the log shows the
 * difference as CREATED vs RETRY events. DELIVERED, FAILED and CANCELED are final.
 */
public enum DeliveryState {
  PENDING,
  ACTIVE,
  DELIVERED,
  FAILED,
  CANCELED;

  /** The moves the engine may make; manual actions (cancel, DLQ retry) included. */
  public Set<DeliveryState> next() {
    return switch (this) {
      case PENDING -> EnumSet.of(ACTIVE, CANCELED, FAILED);
      // ACTIVE -> PENDING is a retry, or a lease voided by our own crash.
      case ACTIVE -> EnumSet.of(PENDING, DELIVERED, FAILED, CANCELED);
      case DELIVERED, FAILED, CANCELED -> EnumSet.noneOf(DeliveryState.class);
    };
  }

  public boolean isFinal() {
    return next().isEmpty();
  }
}
