package dev.herald.api;

import dev.herald.core.message.HeaderParser;
import dev.herald.core.message.MessageOptions;
import dev.herald.engine.PublishOutcome;
import dev.herald.engine.PublishRequest;
import dev.herald.engine.PublishResult;
import dev.herald.engine.PublishService;
import dev.herald.engine.ScheduleService;
import dev.herald.engine.UrlGroupService;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** POST /v2/publish/{destination} (spec 3.1) and POST /v2/enqueue/{queue}/{destination} (spec 3.2). */
final class PublishResource {
  private final HeaderParser parser;
  private final PublishService publisher;
  private final ScheduleService schedules;
  private final UrlGroupService groups;
  private final EgressCheck egress;

  PublishResource(HeaderParser parser, PublishService publisher, ScheduleService schedules, UrlGroupService groups,
      EgressCheck egress) {
    this.parser = parser;
    this.publisher = publisher;
    this.schedules = schedules;
    this.groups = groups;
    this.egress = egress;
  }

  ApiResponse publish(ApiRequest req) {
    return handle(req, null);
  }

  ApiResponse enqueue(ApiRequest req) {
    return handle(req, HeaderParser.name("queue name", req.pathVar("queue")));
  }

  private ApiResponse handle(ApiRequest req, String queue) {
    Destination asSent = Destination.from(req, req.pathVar("destination"));
    // a schedule stores the request as sent and takes the group's defaults as they are at each firing
    Destination dest = asSent.isUrl() ? asSent : asSent.withDefaults(groups.defaultHeaders(asSent.value()));
    MessageOptions options = parser.parse(dest.headers());
    if (dest.isUrl()) egress.url("destination", dest.value());
    egress.options(options);
    if (options.cron() != null && queue == null) {
      // Upstash-Cron on publish creates a schedule (UNSURE-08)
      String id = schedules.create(new ScheduleService.Create(options.scheduleId(), dest.value(), dest.isUrl(), options.cron(),
          SchedulesResource.storedHeaders(asSent.headers()), req.body(), req.callerIp()));
      return ApiResponse.ok(Map.of("scheduleId", id));
    }
    PublishRequest r = new PublishRequest(dest.value(), dest.isUrl(), options, req.body(), req.callerIp(), queue, null);
    PublishOutcome out = publisher.publish(List.of(r)).join().get(0);
    return switch (out) {
      case PublishOutcome.Rejected rej -> throw new ApiException(rej.status(), rej.error());
      case PublishOutcome.Accepted a when a.urlGroup() -> ApiResponse.ok(a.results().stream().map(PublishResource::result).toList());
      case PublishOutcome.Accepted a -> {
        PublishResult res = a.results().get(0);
        yield ApiResponse.of(res.deduplicated() ? 202 : 200, result(res));
      }
    };
  }

  static Map<String, Object> result(PublishResult r) {
    Map<String, Object> o = new LinkedHashMap<>();
    o.put("messageId", r.messageId());
    o.put("url", r.url());
    if (r.deduplicated()) o.put("deduplicated", true);
    return o;
  }
}
