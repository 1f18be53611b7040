package dev.herald.core.message;

import java.time.Instant;
import java.util.List;

/**
 * A stored message: what to deliver, where, and how to retry it, plus where it is in its life.
 * {@code retried} is the number of attempts already made (the next attempt's Upstash-Retried).
 * {@code crashes} counts attempts cut short by our own crash (they do not use up retries).
 */
public record Message(
    String id,
    String url,
    String topicName,
    String endpointName,
    String queueName,
    String scheduleId,
    String method,
    Headers headers,
    byte[] body,
    int maxRetries,
    String retryDelayExpression,
    Long timeoutMillis,
    String callback,
    Headers callbackConfig,
    String failureCallback,
    Headers failureCallbackConfig,
    List<String> labels,
    String redact,
    String flowControlKey,
    int flowParallelism,
    int flowRate,
    long flowPeriodSeconds,
    Instant notBefore,
    Instant createdAt,
    String callerIp,
    int retried,
    int crashes,
    /** Set when this message is itself a (failure) callback: the message it reports on. */
    String sourceMessageId,
    /** The workflow run this message belongs to (spec 13); null outside workflows. */
    Workflow workflow) {

  public Message {
    labels = List.copyOf(labels);
    if (body == null) body = new byte[0];
  }

  /** The same message with another body (the log keeps only the first bytes of a large one). */
  public Message withBody(byte[] b) {
    return withHeadersAndBody(headers, b);
  }

  /** The same message with other headers and body (what a workflow message sends: spec 13.4). */
  public Message withHeadersAndBody(Headers h, byte[] b) {
    return new Message(id, url, topicName, endpointName, queueName, scheduleId, method, h, b, maxRetries,
        retryDelayExpression, timeoutMillis, callback, callbackConfig, failureCallback, failureCallbackConfig, labels,
        redact, flowControlKey, flowParallelism, flowRate, flowPeriodSeconds, notBefore, createdAt, callerIp, retried,
        crashes, sourceMessageId, workflow);
  }

  public Message withWorkflow(Workflow w) {
    return new Message(id, url, topicName, endpointName, queueName, scheduleId, method, headers, body, maxRetries,
        retryDelayExpression, timeoutMillis, callback, callbackConfig, failureCallback, failureCallbackConfig, labels,
        redact, flowControlKey, flowParallelism, flowRate, flowPeriodSeconds, notBefore, createdAt, callerIp, retried,
        crashes, sourceMessageId, w);
  }

  /** The same message delivered the way its workflow run says (spec 13: steps follow the trigger's settings). */
  public Message withRunSettings(int retries, String retryDelay, Long timeout, String failureCb, Headers failureCbConfig,
      String flowKey, int flowPar, int flowRt, long flowPeriod, List<String> runLabels) {
    return new Message(id, url, topicName, endpointName, queueName, scheduleId, method, headers, body, retries,
        retryDelay, timeout, callback, callbackConfig, failureCb, failureCbConfig, runLabels, redact, flowKey, flowPar,
        flowRt, flowPeriod, notBefore, createdAt, callerIp, retried, crashes, sourceMessageId, workflow);
  }

  public Message withRetried(int r, int c) {
    return new Message(id, url, topicName, endpointName, queueName, scheduleId, method, headers, body, maxRetries,
        retryDelayExpression, timeoutMillis, callback, callbackConfig, failureCallback, failureCallbackConfig, labels,
        redact, flowControlKey, flowParallelism, flowRate, flowPeriodSeconds, notBefore, createdAt, callerIp, r, c,
        sourceMessageId, workflow);
  }
}
