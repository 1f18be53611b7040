package dev.herald.core.delivery;

import dev.herald.core.retry.Backoff;
import dev.herald.core.retry.RetryAfter;
import dev.herald.core.retry.RetryDelayExpression;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * The only code that decides what follows an attempt. Pure: same inputs, same answer; the time is a
 * parameter. Rules: 2xx delivers; 489 + Upstash-NonRetryable-Error fails at once; otherwise retry while
 * retries remain, after Retry-After (capped at a day) or the expression/back-off; a crash of our own
 * does not use up a retry, up to {@link #MAX_CRASHES}.
 */
public final class Transitions {
  public static final int MAX_CRASHES = 5;
  public static final String CRASH_REASON = "server crashed during delivery";

  private Transitions() {}

  /** The facts about a message that matter for the decision. */
  public record Attempt(int retried, int maxRetries, RetryDelayExpression retryDelay, int crashes) {}

  public sealed interface Decision {
    DeliveryState state();
  }

  public record Delivered() implements Decision {
    public DeliveryState state() { return DeliveryState.DELIVERED; }
  }

  /** Try again at {@code at}; {@code retried} is the value of Upstash-Retried on that next attempt. */
  public record Retry(Instant at, int retried, int crashes) implements Decision {
    public DeliveryState state() { return DeliveryState.PENDING; }
  }

  public record Failed(String reason) implements Decision {
    public DeliveryState state() { return DeliveryState.FAILED; }
  }

  public static Decision decide(Attempt a, Outcome outcome, Instant now) {
    return switch (outcome) {
      case Outcome.Crashed c -> a.crashes() + 1 >= MAX_CRASHES
          ? new Failed(CRASH_REASON)
          : new Retry(now, a.retried(), a.crashes() + 1);
      case Outcome.Response r when r.success() -> new Delivered();
      case Outcome.Response r when r.nonRetryable() -> new Failed("non-retryable error (489)");
      case Outcome.Response r -> retryOrFail(a, RetryAfter.from(r::header, now), now, "status " + r.status());
      case Outcome.NoResponse n -> retryOrFail(a, Optional.empty(), now, n.error());
    };
  }

  private static Decision retryOrFail(Attempt a, Optional<Duration> retryAfter, Instant now, String why) {
    if (a.retried() >= a.maxRetries()) return new Failed("retries exhausted, last attempt: " + why);
    Duration wait = retryAfter.orElseGet(() -> Backoff.delay(a.retryDelay(), a.retried()));
    return new Retry(now.plus(wait), a.retried() + 1, a.crashes());
  }
}
