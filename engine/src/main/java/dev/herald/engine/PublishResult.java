package dev.herald.engine;

/** What the client is told about one created (or deduplicated) message. */
public record PublishResult(String messageId, String url, boolean deduplicated) {}
