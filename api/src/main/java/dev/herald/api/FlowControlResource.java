package dev.herald.api;

import dev.herald.core.message.HeaderParser;
import dev.herald.engine.FlowControlView;
import java.util.LinkedHashMap;
import java.util.Map;

/** Flow-control keys (spec 11.2-11.5). */
final class FlowControlResource {
  private final FlowControlView flows;
  private final int globalParallelism;

  FlowControlResource(FlowControlView flows, int globalParallelism) {
    this.flows = flows;
    this.globalParallelism = globalParallelism;
  }

  ApiResponse list(ApiRequest req) {
    String search = req.queryFirst("search");
    return ApiResponse.ok(flows.all().stream().filter(k -> search == null || k.key().contains(search))
        .map(FlowControlResource::view).toList());
  }

  ApiResponse get(ApiRequest req) {
    FlowControlView.Key k = flows.get(key(req));
    if (k == null) throw ApiException.notFound("flow control key " + key(req));
    return ApiResponse.ok(view(k));
  }

  ApiResponse pause(ApiRequest req) {
    flows.pause(known(req), true);
    return ApiResponse.ok(Map.of());
  }

  ApiResponse resume(ApiRequest req) {
    flows.pause(known(req), false);
    return ApiResponse.ok(Map.of());
  }

  ApiResponse pin(ApiRequest req) {
    Integer p = positive(req, "parallelism");
    Integer r = positive(req, "rate");
    Integer period = positive(req, "period");
    flows.pin(known(req), p, r, period == null ? null : period.longValue());
    return ApiResponse.ok(Map.of());
  }

  ApiResponse unpin(ApiRequest req) {
    boolean parallelism = flag(req, "parallelism");
    boolean rate = flag(req, "rate");
    flows.unpin(known(req), parallelism, rate);
    return ApiResponse.ok(Map.of());
  }

  /** An optional true/false query parameter; anything else is a 400, not a silent false. */
  private static boolean flag(ApiRequest req, String name) {
    String v = req.queryFirst(name);
    if (v == null || v.equals("false")) return false;
    if (v.equals("true")) return true;
    throw ApiException.badRequest(name + ": must be true or false");
  }

  static ApiResponse missingKey(ApiRequest req) {
    throw ApiException.badRequest("flow control key: required");
  }

  ApiResponse resetRate(ApiRequest req) {
    flows.resetRate(known(req));
    return ApiResponse.ok(Map.of());
  }

  ApiResponse global(ApiRequest req) {
    Map<String, Object> o = new LinkedHashMap<>();
    o.put("parallelismMax", globalParallelism);
    o.put("parallelismCount", flows.totalInFlight());
    return ApiResponse.ok(o);
  }

  private static String key(ApiRequest req) {
    return HeaderParser.name("flow control key", req.pathVar("key"));
  }

  private String known(ApiRequest req) {
    String k = key(req);
    if (!flows.exists(k)) throw ApiException.notFound("flow control key " + k);
    return k;
  }

  private static Integer positive(ApiRequest req, String name) {
    String v = req.queryFirst(name);
    if (v == null) return null;
    try {
      int n = Integer.parseInt(v);
      if (n < 1) throw new NumberFormatException();
      return n;
    } catch (NumberFormatException e) {
      throw ApiException.badRequest(name + ": must be a positive integer");
    }
  }

  private static Map<String, Object> view(FlowControlView.Key k) {
    Map<String, Object> o = new LinkedHashMap<>();
    o.put("flowControlKey", k.key());
    o.put("waitListSize", k.waiting());
    o.put("parallelismMax", k.parallelism());
    o.put("parallelismCount", k.inFlight());
    o.put("rateMax", k.rate());
    o.put("rateCount", k.startedInWindow());
    o.put("ratePeriod", k.periodSeconds());
    o.put("ratePeriodStart", k.windowStart() / 1000);
    o.put("isPaused", k.paused());
    o.put("isPinnedParallelism", k.pinnedParallelism());
    o.put("isPinnedRate", k.pinnedRate());
    return o;
  }
}
