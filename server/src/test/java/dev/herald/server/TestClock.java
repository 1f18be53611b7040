package dev.herald.server;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.concurrent.atomic.AtomicReference;

/** A clock that stands still until the test moves it. */
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

  Instant advance(Duration d) {
    return now.updateAndGet(t -> t.plus(d));
  }

  void move(Duration d) {
    now.updateAndGet(t -> t.plus(d));
  }
}
