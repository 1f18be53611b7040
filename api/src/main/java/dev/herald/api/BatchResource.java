package dev.herald.api;

import dev.herald.core.ValidationException;
import dev.herald.core.message.HeaderParser;
import dev.herald.core.message.MessageOptions;
import dev.herald.engine.PublishOutcome;
import dev.herald.engine.PublishRequest;
import dev.herald.engine.PublishService;
import dev.herald.engine.UrlGroupService;
import dev.herald.store.Json;
import dev.herald.store.UrlGroups;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.JsonNode;

/**
 * POST /v2/batch (spec 3.3): one answer per item, in order. Items that fail validation get
 * {"error": ...} and the rest proceed; every accepted item is stored in one commit.
 */
final class BatchResource {
  private final HeaderParser parser;
  private final PublishService publisher;
  private final int maxItems;
  private final UrlGroupService groups;
  private final EgressCheck egress;

  BatchResource(HeaderParser parser, PublishService publisher, UrlGroupService groups, int maxItems, EgressCheck egress) {
    this.parser = parser;
    this.publisher = publisher;
    this.groups = groups;
    this.maxItems = maxItems;
    this.egress = egress;
  }

  ApiResponse batch(ApiRequest req) {
    JsonNode items = items(req, maxItems, "messages");
    List<Object> answers = new ArrayList<>();
    List<PublishRequest> accepted = new ArrayList<>();
    List<Integer> slots = new ArrayList<>();
    for (JsonNode item : items) {
      try {
        accepted.add(request(item, req.callerIp()));
        slots.add(answers.size());
        answers.add(null);
      } catch (ValidationException | ApiException e) {
        answers.add(Map.of("error", e.getMessage()));
      }
    }
    List<PublishOutcome> outcomes = accepted.isEmpty() ? List.of() : publisher.publish(accepted).join();
    for (int i = 0; i < outcomes.size(); i++) {
      answers.set(slots.get(i), switch (outcomes.get(i)) {
        case PublishOutcome.Rejected r -> Map.of("error", r.error());
        case PublishOutcome.Accepted a when a.urlGroup() -> a.results().stream().map(PublishResource::result).toList();
        case PublishOutcome.Accepted a -> PublishResource.result(a.results().get(0));
      });
    }
    return ApiResponse.ok(answers);
  }

  private PublishRequest request(JsonNode item, String callerIp) {
    if (!item.isObject()) throw new ValidationException("item: expected an object");
    JsonNode d = item.get("destination");
    if (d == null || !d.isString() || d.asString().isBlank()) throw new ValidationException("destination: required");
    String dest = d.asString();
    boolean isUrl = dest.regionMatches(true, 0, "http://", 0, 7) || dest.regionMatches(true, 0, "https://", 0, 8);
    if (isUrl) {
      HeaderParser.url("destination", dest);
      egress.url("destination", dest);
    }
    else HeaderParser.name("destination", dest);
    var headers = headers(item);
    if (!isUrl) headers = UrlGroups.withDefaults(headers, groups.defaultHeaders(dest));
    MessageOptions options = parser.parse(headers);
    egress.options(options);
    JsonNode q = item.get("queue");
    if (q != null && !q.isNull() && !q.isString()) throw new ValidationException("queue: expected a string");
    String queue = q == null || q.isNull() ? null : HeaderParser.name("queue", q.asString());
    return new PublishRequest(dest, isUrl, options, body(item), callerIp, queue, null);
  }

  /** The request's body as a JSON array of at most {@code max} items ({@code what} names them in errors). */
  static JsonNode items(ApiRequest req, int max, String what) {
    JsonNode items;
    try {
      items = Json.MAPPER.readTree(req.body());
    } catch (RuntimeException e) {
      throw ApiException.badRequest("body: invalid JSON, expected an array of " + what);
    }
    if (items == null || !items.isArray()) throw ApiException.badRequest("body: expected a JSON array of " + what);
    if (items.size() > max) throw ApiException.badRequest("batch: at most " + max + " items (limits.max-batch-items)");
    return items;
  }

  /** An item's {@code headers} object; a value is a string or an array of strings. */
  static Map<String, List<String>> headers(JsonNode item) {
    Map<String, List<String>> headers = new LinkedHashMap<>();
    JsonNode h = item.get("headers");
    if (h != null && !h.isNull()) {
      if (!h.isObject()) throw new ValidationException("headers: expected an object");
      for (var e : h.properties()) {
        List<String> values = new ArrayList<>();
        if (e.getValue().isArray()) e.getValue().forEach(v -> values.add(v.asString()));
        else values.add(e.getValue().asString());
        headers.put(e.getKey(), values);
      }
    }
    return headers;
  }

  /** An item's {@code body}: a string as is; anything else (the workflow SDK's context.call sends an object) as its JSON. */
  static byte[] body(JsonNode item) {
    JsonNode b = item.get("body");
    return b == null || b.isNull() ? new byte[0]
        : (b.isString() ? b.asString() : Json.MAPPER.writeValueAsString(b)).getBytes(StandardCharsets.UTF_8);
  }
}
