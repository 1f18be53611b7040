package dev.herald.api;

import dev.herald.engine.MessageService;
import dev.herald.store.Messages;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import tools.jackson.databind.JsonNode;

/** GET and DELETE /v2/messages/{id} (spec 4.2, 4.3). */
final class MessagesResource {
  private final MessageService messages;

  MessagesResource(MessageService messages) {
    this.messages = messages;
  }

  ApiResponse get(ApiRequest req) {
    String id = req.pathVar("id");
    return messages.find(id).map(m -> ApiResponse.ok(MessageView.of(m)))
        .orElseThrow(() -> ApiException.notFound("message " + id));
  }

  private static final Set<String> BULK = Set.of("messageIds", "topicName", "queueName", "url", "host", "path", "label",
      "flowControlKey", "scheduleId", "callerIp", "callerIP", "fromDate", "toDate", "count", "qstash_token");

  /** DELETE /v2/messages: by ids, by filters, or everything when nothing is given (spec 4.4). */
  ApiResponse cancelMany(ApiRequest req) {
    Queries.onlyKnown(req, BULK);
    Queries.count(req, 100, Integer.MAX_VALUE); // validated, not a limit (UNSURE-22)
    Map<String, List<String>> f = new java.util.HashMap<>();
    for (String k : BULK) f.put(k, new ArrayList<>(req.queryList(k)));
    Long from = Queries.millis(req, "fromDate");
    Long to = Queries.millis(req, "toDate");
    if (req.body().length > 0) {
      JsonNode body;
      body = req.json();
      if (!body.isObject()) throw ApiException.badRequest("body: expected a JSON object");
      for (var e : body.properties()) {
        String k = e.getKey();
        JsonNode v = e.getValue();
        if (k.equals("fromDate") || k.equals("toDate")) {
          if (!v.isIntegralNumber()) throw ApiException.badRequest("body: " + k + " must be a number of milliseconds");
          if (k.equals("fromDate")) from = v.asLong();
          else to = v.asLong();
        } else if (f.containsKey(k)) {
          for (JsonNode x : v.isArray() ? v : List.of(v)) {
            if (!x.isString()) throw ApiException.badRequest("body: " + k + " must be a string or an array of strings");
            f.get(k).add(x.asString());
          }
        } else {
          throw ApiException.badRequest("unknown field '" + Queries.clip(k) + "' in body");
        }
      }
      // {"messageIds": []} names no message: it cancels none (only no selection at all means every message)
      if (body.has("messageIds") && f.get("messageIds").isEmpty()) return ApiResponse.ok(Map.of("cancelled", 0));
    }
    f.get("callerIp").addAll(f.get("callerIP"));
    Messages.Filter filter = new Messages.Filter(f.get("messageIds"), f.get("topicName"), f.get("queueName"), f.get("url"),
        f.get("label"), f.get("flowControlKey"), f.get("scheduleId"), f.get("callerIp"), from, to);
    int n = messages.cancelMatching(filter, f.get("host"), f.get("path"));
    return ApiResponse.ok(Map.of("cancelled", n));
  }

  ApiResponse cancel(ApiRequest req) {
    String id = req.pathVar("id");
    if (!messages.cancel(id)) throw ApiException.notFound("message " + id);
    return ApiResponse.ok(Map.of("cancelled", 1));
  }
}
