package dev.herald.engine;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a background pass ({@code runOnce}) until stopped: logs and counts failures and carries on,
 * then waits for the next tick or a {@link #wake()}. The pass returns true when it did a full batch
 * and should run again at once. Tests call the pass directly instead of starting the loop.
 */
public final class Loop implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Loop.class);
  private final String name;
  private final Supplier<Boolean> pass;
  private final Duration tick;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition woken = lock.newCondition();
  private volatile boolean running;
  private volatile long failures;
  private boolean wakeRequested;
  private Thread thread;

  public Loop(String name, Duration tick, Supplier<Boolean> pass) {
    this.name = name;
    this.tick = tick;
    this.pass = pass;
  }

  public void start() {
    running = true;
    thread = Thread.ofPlatform().name("herald-" + name).daemon(true).start(this::run);
  }

  public long failures() {
    return failures;
  }

  public void wake() {
    lock.lock();
    try {
      wakeRequested = true;
      woken.signalAll();
    } finally {
      lock.unlock();
    }
  }

  private void run() {
    while (running) {
      boolean more = false;
      try {
        more = pass.get();
      } catch (RuntimeException e) {
        failures++;
        log.error("{} pass failed (failure #{}); will try again", name, failures, e);
      }
      if (!more) await();
    }
  }

  private void await() {
    lock.lock();
    try {
      if (!wakeRequested && running) woken.await(tick.toMillis(), TimeUnit.MILLISECONDS);
      wakeRequested = false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      lock.unlock();
    }
  }

  @Override
  public void close() {
    running = false;
    wake();
    if (thread != null) {
      try {
        thread.join(5000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
