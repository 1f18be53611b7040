package dev.herald.api;

import dev.herald.engine.MessageService;
import java.util.Map;

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

  ApiResponse cancel(ApiRequest req) {
    String id = req.pathVar("id");
    if (!messages.cancel(id)) throw ApiException.notFound("message " + id);
    return ApiResponse.ok(Map.of("cancelled", 1));
  }
}
