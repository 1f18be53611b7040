package dev.herald.api;

import dev.herald.core.message.HeaderParser;
import dev.herald.core.message.MessageOptions;
import dev.herald.engine.Publication;
import dev.herald.engine.PublishResult;
import dev.herald.engine.PublishService;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** POST /v2/publish/{destination} (spec 3.1). */
final class PublishResource {
  private final HeaderParser parser;
  private final PublishService publisher;

  PublishResource(HeaderParser parser, PublishService publisher) {
    this.parser = parser;
    this.publisher = publisher;
  }

  ApiResponse publish(ApiRequest req) {
    Destination dest = Destination.from(req, req.pathVar("destination"));
    MessageOptions options = parser.parse(dest.headers());
    if (!dest.isUrl()) throw ApiException.notFound("url group " + dest.value());
    Publication p = new Publication(dest.value(), null, null, null, null, options, req.body(), req.callerIp());
    List<PublishResult> results = publisher.publish(List.of(p)).join();
    PublishResult r = results.get(0);
    return ApiResponse.of(r.deduplicated() ? 202 : 200, result(r));
  }

  static Map<String, Object> result(PublishResult r) {
    Map<String, Object> o = new LinkedHashMap<>();
    o.put("messageId", r.messageId());
    o.put("url", r.url());
    if (r.deduplicated()) o.put("deduplicated", true);
    return o;
  }
}
