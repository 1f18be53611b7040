package dev.herald.api;

import dev.herald.core.message.HeaderParser;
import dev.herald.engine.QueueService;
import java.util.LinkedHashMap;
import java.util.Map;
import tools.jackson.databind.JsonNode;

/** Queues (spec 8). */
final class QueuesResource {
  private final QueueService queues;
  private final int maxParallelism;

  QueuesResource(QueueService queues, int maxParallelism) {
    this.queues = queues;
    this.maxParallelism = maxParallelism;
  }

  ApiResponse upsert(ApiRequest req) {
    JsonNode body;
    body = req.json();
    if (body == null || !body.isObject()) throw ApiException.badRequest("body: expected {\"queueName\": ..., \"parallelism\": ...}");
    JsonNode n = body.get("queueName");
    if (n == null || !n.isString()) throw ApiException.badRequest("queueName: required");
    String name = HeaderParser.name("queueName", n.asString());
    int parallelism = 1;
    JsonNode p = body.get("parallelism");
    if (p != null && !p.isNull()) {
      if (!p.isIntegralNumber() || p.asInt() < 1) throw ApiException.badRequest("parallelism: must be a positive integer");
      parallelism = p.asInt();
      if (parallelism > maxParallelism) {
        throw new ApiException(412, "parallelism: at most " + maxParallelism + " (limits.max-queue-parallelism)");
      }
    }
    JsonNode paused = body.get("paused");
    if (paused != null && !paused.isNull() && !paused.isBoolean()) throw ApiException.badRequest("paused: must be true or false");
    Boolean pausedValue = paused == null || paused.isNull() ? null : paused.asBoolean();
    queues.upsert(name, parallelism, pausedValue);
    return ApiResponse.ok(Map.of());
  }

  ApiResponse get(ApiRequest req) {
    String name = HeaderParser.name("queueName", req.pathVar("queue"));
    return queues.get(name).map(v -> ApiResponse.ok(view(v))).orElseThrow(() -> ApiException.notFound("queue " + name));
  }

  ApiResponse list(ApiRequest req) {
    return ApiResponse.ok(queues.list().stream().map(QueuesResource::view).toList());
  }

  ApiResponse delete(ApiRequest req) {
    String name = HeaderParser.name("queueName", req.pathVar("queue"));
    if (!queues.delete(name)) throw ApiException.notFound("queue " + name);
    return ApiResponse.ok(Map.of());
  }

  ApiResponse pause(ApiRequest req) {
    queues.setPaused(HeaderParser.name("queueName", req.pathVar("queue")), true);
    return ApiResponse.ok(Map.of());
  }

  ApiResponse resume(ApiRequest req) {
    queues.setPaused(HeaderParser.name("queueName", req.pathVar("queue")), false);
    return ApiResponse.ok(Map.of());
  }

  private static Map<String, Object> view(QueueService.View v) {
    Map<String, Object> o = new LinkedHashMap<>();
    o.put("name", v.queue().name());
    o.put("createdAt", v.queue().createdAt());
    o.put("updatedAt", v.queue().updatedAt());
    o.put("parallelism", v.queue().parallelism());
    o.put("lag", v.lag());
    o.put("paused", v.queue().paused());
    return o;
  }
}
