package dev.herald.engine;

import java.util.List;

/** Read and steer flow-control keys (spec 11.3-11.5) without exposing the dispatcher's internals. */
public final class FlowControlView {
  /** The state of one key. */
  public record Key(String key, int parallelism, int rate, long periodSeconds, int inFlight, int waiting,
      long windowStart, int startedInWindow, boolean paused, boolean pinnedParallelism, boolean pinnedRate) {}

  private final FlowGate gate;
  private final Runnable wake;

  FlowControlView(FlowGate gate, Runnable wake) {
    this.gate = gate;
    this.wake = wake;
  }

  public List<Key> all() {
    return gate.views().stream().map(FlowControlView::key).toList();
  }

  public Key get(String key) {
    FlowGate.View v = gate.view(key);
    return v == null ? null : key(v);
  }

  public void pause(String key, boolean paused) {
    gate.setPaused(key, paused);
    wake.run();
  }

  public boolean exists(String key) {
    return gate.exists(key);
  }

  public void pin(String key, Integer parallelism, Integer rate, Long periodSeconds) {
    gate.pin(key, parallelism, rate, periodSeconds);
    wake.run();
  }

  public void unpin(String key, boolean parallelism, boolean rate) {
    gate.unpin(key, parallelism, rate);
    wake.run();
  }

  public void resetRate(String key) {
    gate.resetRate(key);
    wake.run();
  }

  public int totalInFlight() {
    return gate.totalInFlight();
  }

  private static Key key(FlowGate.View v) {
    return new Key(v.key(), v.parallelism(), v.rate(), v.periodSeconds(), v.inFlight(), v.waiting(), v.windowStart(),
        v.startedInWindow(), v.paused(), v.pinnedParallelism(), v.pinnedRate());
  }
}
