package dev.herald.core.message;

import dev.herald.core.retry.RetryDelayExpression;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * Everything the Upstash-* headers of one publish (or batch item, or schedule) say, already validated.
 * Null means "not given". {@code callbackConfig}/{@code failureCallbackConfig} hold the
 * {@code Upstash-Callback-<X>} headers rewritten to {@code Upstash-<X>} (spec 2.3): they are parsed again,
 * with this same parser, when the callback message is created.
 */
public record MessageOptions(
    String method,
    Headers headers,
    Duration delay,
    Instant notBefore,
    int retries,
    RetryDelayExpression retryDelay,
    Duration timeout,
    String callback,
    Headers callbackConfig,
    String failureCallback,
    Headers failureCallbackConfig,
    String deduplicationId,
    boolean contentBasedDeduplication,
    List<String> labels,
    Redaction redaction,
    FlowControl flowControl,
    String cron,
    String scheduleId,
    String queueName,
    /** The Upstash-Workflow-* part (spec 13); null for a message outside any workflow run. */
    Workflow workflow) {

  public MessageOptions {
    labels = List.copyOf(labels);
  }

  /** When the first attempt is due: Not-Before wins over Delay; past values mean now. */
  public Instant firstDue(Instant now) {
    if (notBefore != null) return notBefore.isBefore(now) ? now : notBefore;
    return delay == null ? now : now.plus(delay);
  }
}
