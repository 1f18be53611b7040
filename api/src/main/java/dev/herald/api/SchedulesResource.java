package dev.herald.api;

import dev.herald.core.message.MessageOptions;
import dev.herald.core.message.Redaction;
import dev.herald.engine.ScheduleService;
import dev.herald.store.Schedules;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** Schedules (spec 6). */
final class SchedulesResource {
  private static final Set<String> NOT_STORED = Set.of("authorization", "host", "content-length", "connection",
      "keep-alive", "transfer-encoding", "te", "upgrade", "expect", "accept-encoding", "user-agent", "accept");

  private final ScheduleService schedules;
  private final EgressCheck egress;

  SchedulesResource(ScheduleService schedules, EgressCheck egress) {
    this.schedules = schedules;
    this.egress = egress;
  }

  /** The request headers worth keeping for later triggers (never the caller's token). */
  static Map<String, List<String>> storedHeaders(Map<String, List<String>> headers) {
    Map<String, List<String>> out = new LinkedHashMap<>();
    headers.forEach((k, v) -> {
      String l = k.toLowerCase(Locale.ROOT);
      if (NOT_STORED.contains(l) || l.startsWith("upstash-telemetry-")) return;
      out.put(k, v);
    });
    return out;
  }

  ApiResponse create(ApiRequest req) {
    Destination dest = Destination.from(req, req.pathVar("destination"));
    Map<String, List<String>> headers = storedHeaders(dest.headers());
    if (dest.isUrl()) egress.url("destination", dest.value());
    String cron = null;
    String id = null;
    for (var e : headers.entrySet()) {
      if (e.getKey().equalsIgnoreCase("upstash-callback") || e.getKey().equalsIgnoreCase("upstash-failure-callback")) {
        e.getValue().forEach(v -> egress.url(e.getKey(), v)); // each firing would be refused: refuse the schedule now
      }
      if (e.getKey().equalsIgnoreCase("upstash-cron")) cron = e.getValue().get(0);
      if (e.getKey().equalsIgnoreCase("upstash-schedule-id")) id = e.getValue().get(0);
    }
    String scheduleId = schedules.create(new ScheduleService.Create(id, dest.value(), dest.isUrl(), cron, headers, req.body(),
        req.callerIp()));
    return ApiResponse.ok(Map.of("scheduleId", scheduleId));
  }

  ApiResponse get(ApiRequest req) {
    String id = req.pathVar("id");
    return schedules.get(id).map(s -> ApiResponse.ok(view(s))).orElseThrow(() -> ApiException.notFound("schedule " + id));
  }

  ApiResponse list(ApiRequest req) {
    return ApiResponse.ok(schedules.list().stream().map(this::view).toList());
  }

  ApiResponse delete(ApiRequest req) {
    String id = req.pathVar("id");
    if (!schedules.delete(id)) throw ApiException.notFound("schedule " + id);
    return ApiResponse.ok(Map.of());
  }

  ApiResponse pause(ApiRequest req) {
    return setPaused(req, true);
  }

  ApiResponse resume(ApiRequest req) {
    return setPaused(req, false);
  }

  private ApiResponse setPaused(ApiRequest req, boolean paused) {
    String id = req.pathVar("id");
    if (!schedules.setPaused(id, paused)) throw ApiException.notFound("schedule " + id);
    return ApiResponse.ok(Map.of());
  }

  private Map<String, Object> view(Schedules.Schedule s) {
    MessageOptions o = schedules.options(s);
    Redaction r = o.redaction();
    Map<String, Object> v = new LinkedHashMap<>();
    v.put("scheduleId", s.id());
    v.put("cron", s.cron());
    v.put("destination", s.destination());
    v.put("createdAt", s.createdAt());
    v.put("method", o.method());
    if (!o.headers().isEmpty()) v.put("header", r.apply(o.headers()));
    MessageView.putBody(v, s.body(), r.body());
    v.put("retries", o.retries());
    if (o.delay() != null) v.put("delay", o.delay().toSeconds());
    if (o.timeout() != null) v.put("timeout", o.timeout().toSeconds());
    if (o.callback() != null) v.put("callback", o.callback());
    if (o.failureCallback() != null) v.put("failureCallback", o.failureCallback());
    if (o.callback() != null && !o.callbackConfig().isEmpty()) v.put("callbackHeader", r.apply(o.callbackConfig()));
    if (o.failureCallback() != null && !o.failureCallbackConfig().isEmpty()) {
      v.put("failureCallbackHeader", r.apply(o.failureCallbackConfig()));
    }
    if (s.callerIp() != null) {
      v.put("callerIP", s.callerIp());
      v.put("callerIp", s.callerIp());
    }
    v.put("isPaused", s.paused());
    if (o.queueName() != null) v.put("queueName", o.queueName());
    if (o.flowControl() != null) {
      v.put("flowControlKey", o.flowControl().key());
      if (o.flowControl().parallelism() > 0) v.put("parallelism", o.flowControl().parallelism());
      if (o.flowControl().rate() > 0) v.put("rate", o.flowControl().rate());
      v.put("period", o.flowControl().period().toSeconds());
    }
    if (o.retryDelay() != null) v.put("retryDelayExpression", o.retryDelay().source());
    if (!o.labels().isEmpty()) {
      v.put("label", o.labels().get(0));
      v.put("labels", o.labels());
    }
    if (s.lastFireAt() != null) v.put("lastScheduleTime", s.lastFireAt());
    v.put("nextScheduleTime", s.nextFireAt());
    if (s.lastStates() != null) v.put("lastScheduleStates", s.lastStates());
    if (s.lastError() != null) v.put("error", s.lastError());
    return v;
  }
}
