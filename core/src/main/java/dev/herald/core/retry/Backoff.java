package dev.herald.core.retry;

import java.time.Duration;

/**
 * QStash's default back-off (spec 5.2): the n-th retry (1-based) waits {@code min(1 day, e^(2.5 n))} seconds,
 * i.e. 12 s, 2 m 28 s, 30 m 8 s, 6 h 7 m, then one day. No jitter: QStash has none and users plan around the table.
 */
public final class Backoff {
  public static final Duration CAP = Duration.ofDays(1);

  private Backoff() {}

  public static Duration defaultDelay(int retryNumber) {
    if (retryNumber < 1) throw new IllegalArgumentException("retry numbers start at 1: " + retryNumber);
    double seconds = Math.exp(2.5 * retryNumber);
    if (seconds >= CAP.toSeconds()) return CAP;
    return Duration.ofMillis((long) (seconds * 1000));
  }

  /** The delay for the retry scheduled after {@code retried} retries were already made. */
  public static Duration delay(RetryDelayExpression expression, int retried) {
    if (expression == null) return defaultDelay(retried + 1);
    long ms = expression.delayMillis(retried);
    return ms >= CAP.toMillis() ? CAP : Duration.ofMillis(ms);
  }
}
