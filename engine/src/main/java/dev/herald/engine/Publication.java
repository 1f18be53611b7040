package dev.herald.engine;

import dev.herald.core.message.MessageOptions;

/**
 * One message to create: a resolved URL (a URL-group publish becomes one Publication per endpoint)
 * plus the validated options and the body.
 */
public record Publication(String url, String topicName, String endpointName, String queueName, String scheduleId,
    MessageOptions options, byte[] body, String callerIp) {}
