package dev.herald.engine;

import dev.herald.core.ValidationException;
import dev.herald.core.delivery.Outcome;
import dev.herald.core.id.Ids;
import dev.herald.core.message.HeaderParser;
import dev.herald.core.message.Headers;
import dev.herald.core.message.Message;
import dev.herald.core.message.MessageOptions;
import dev.herald.store.Json;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds callback and failure-callback messages (spec 5.6, 5.7). They are ordinary messages: stored in
 * the same transaction as the attempt's result, signed, retried and logged like any other. Those of a
 * queued message are not queued, but keep its queue slot until they end (spec 8.5, {@link Outcomes}).
 */
final class Callbacks {
  private static final Logger log = LoggerFactory.getLogger(Callbacks.class);
  private final HeaderParser parser;
  private final MessageFactory factory;

  Callbacks(HeaderParser parser, Ids ids) {
    this.parser = parser;
    this.factory = new MessageFactory(ids);
  }

  /** The callback after an attempt, if the message has one. {@code retried} = Upstash-Retried of that attempt. */
  Optional<Message> callback(Message source, Outcome outcome, Instant now) {
    if (source.callback() == null) return Optional.empty();
    return build(source.callback(), source.callbackConfig(), source, outcome, null, now);
  }

  /** @param extra fields added to the payload (a workflow run's, spec 13.6) */
  Optional<Message> failureCallback(Message source, Outcome outcome, String dlqId, Map<String, Object> extra, Instant now) {
    if (source.failureCallback() == null) return Optional.empty();
    return build(source.failureCallback(), source.failureCallbackConfig(), source, outcome, dlqId, extra, now);
  }

  private Optional<Message> build(String url, Headers config, Message source, Outcome outcome, String dlqId, Instant now) {
    return build(url, config, source, outcome, dlqId, Map.of(), now);
  }

  private Optional<Message> build(String url, Headers config, Message source, Outcome outcome, String dlqId,
      Map<String, Object> extra, Instant now) {
    MessageOptions options;
    try {
      Map<String, List<String>> h = new LinkedHashMap<>(config.map());
      if (h.keySet().stream().noneMatch(k -> k.equalsIgnoreCase("Content-Type"))) {
        h.put("Content-Type", List.of("application/json"));
      }
      if (source.redact() != null && h.keySet().stream().noneMatch(k -> k.equalsIgnoreCase("Upstash-Redact-Fields"))) {
        // the payload carries the source's headers and body: its stored copy must not show what the source hides
        h.put("Upstash-Redact-Fields", List.of("body"));
      }
      options = parser.parse(h, source.maxRetries());
    } catch (ValidationException e) {
      // validated at publish time; a config that stopped parsing (limits changed) must not block the source
      log.warn("callback config of {} no longer valid, callback skipped: {}", source.id(), e.getMessage());
      return Optional.empty();
    }
    Map<String, Object> payload = payload(source, outcome, dlqId);
    payload.putAll(extra);
    byte[] body = Json.MAPPER.writeValueAsBytes(payload);
    Publication p = new Publication(url, null, null, null, null, options, body, source.callerIp());
    return Optional.of(factory.create(p, now, source.id()));
  }

  static Map<String, Object> payload(Message m, Outcome outcome, String dlqId) {
    Map<String, Object> b = new LinkedHashMap<>();
    Base64.Encoder b64 = Base64.getEncoder();
    switch (outcome) {
      case Outcome.Response r -> {
        b.put("status", r.status());
        b.put("header", Headers.of(r.headers()).map());
        b.put("body", b64.encodeToString(r.body()));
      }
      case Outcome.NoResponse n -> {
        b.put("status", 0);
        b.put("header", Map.of());
        b.put("body", b64.encodeToString(n.error().getBytes(java.nio.charset.StandardCharsets.UTF_8)));
      }
      case Outcome.Crashed c -> {
        b.put("status", 0);
        b.put("header", Map.of());
        b.put("body", "");
      }
    }
    b.put("retried", m.retried());
    b.put("maxRetries", m.maxRetries());
    b.put("sourceMessageId", m.id());
    if (m.topicName() != null) b.put("topicName", m.topicName());
    if (m.endpointName() != null) b.put("endpointName", m.endpointName());
    b.put("url", m.url());
    b.put("method", m.method());
    b.put("sourceHeader", m.headers().map());
    b.put("sourceBody", b64.encodeToString(m.body()));
    b.put("notBefore", m.notBefore().toEpochMilli());
    b.put("createdAt", m.createdAt().toEpochMilli());
    if (m.scheduleId() != null) b.put("scheduleId", m.scheduleId());
    if (m.callerIp() != null) b.put("callerIP", m.callerIp());
    if (dlqId != null) b.put("dlqId", dlqId);
    return b;
  }
}
