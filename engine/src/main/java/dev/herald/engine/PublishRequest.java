package dev.herald.engine;

import dev.herald.core.message.MessageOptions;

/**
 * One thing to publish as a client said it: a destination that is a URL or a URL-group name, the
 * validated options and the body. {@code queueName} enqueues; {@code scheduleId} marks schedule output.
 */
public record PublishRequest(String destination, boolean isUrl, MessageOptions options, byte[] body, String callerIp,
    String queueName, String scheduleId) {}
