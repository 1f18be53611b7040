package dev.herald.server;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.concurrent.atomic.AtomicReference;

/** A wall clock the test sets: it stands still until moved, and may be moved backwards. */
final class TestClock implements InstantSource {
  private final AtomicReference<Instant> now;

  TestClock(Instant start) {
    this.now = new AtomicReference<>(start);
  }

  @Override
  public Instant instant() {
    return now.get();
  }

  void set(Instant t) {
    now.set(t);
  }

  void move(Duration d) {
    now.updateAndGet(t -> t.plus(d));
  }
}
