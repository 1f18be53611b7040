package dev.herald.api;

import dev.herald.store.Db;
import dev.herald.store.Events;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** GET /v2/logs and GET /v2/events (spec 10). Lenient about unknown parameters, like the cloud. */
final class LogsResource {
  private final Db db;

  LogsResource(Db db) {
    this.db = db;
  }

  ApiResponse events(ApiRequest req) {
    return ApiResponse.ok(page(req, false));
  }

  ApiResponse logs(ApiRequest req) {
    return ApiResponse.ok(page(req, true));
  }

  private Map<String, Object> page(ApiRequest req, boolean bothNames) {
    int count = Queries.count(req, 100, 1000);
    long cursor = cursor(req.queryFirst("cursor"));
    Events.Filter f = new Events.Filter(Queries.list(req, "messageIds", "messageId"), states(req), req.queryList("url"),
        Queries.list(req, "topicName", "urlGroup"), req.queryList("queueName"), req.queryList("scheduleId"),
        req.queryList("label"), req.queryList("flowControlKey"), Queries.list(req, "callerIp", "callerIP"),
        Queries.millis(req, "fromDate"), Queries.millis(req, "toDate"), "earliestFirst".equals(req.queryFirst("order")));
    List<Events.Event> rows = rows(f, cursor, count + 1, req.queryList("host"), req.queryList("path"));
    boolean more = rows.size() > count;
    if (more) rows = rows.subList(0, count);
    List<Map<String, Object>> entries = rows.stream().map(LogsResource::view).toList();
    Map<String, Object> o = new LinkedHashMap<>();
    if (more) o.put("cursor", Long.toString(rows.get(rows.size() - 1).id()));
    o.put("events", entries);
    if (bothNames) o.put("logs", entries);
    return o;
  }

  /** Host and path are parts of the URL: matched here, over as many pages as needed (bounded). */
  private List<Events.Event> rows(Events.Filter f, long cursor, int want, List<String> hosts, List<String> paths) {
    if (hosts.isEmpty() && paths.isEmpty()) return db.read(tx -> tx.events().list(f, cursor, want));
    List<Events.Event> out = new ArrayList<>();
    long at = cursor;
    for (int page = 0; page < 50 && out.size() < want; page++) {
      long from = at;
      List<Events.Event> batch = db.read(tx -> tx.events().list(f, from, 500));
      for (Events.Event e : batch) {
        if (out.size() < want && dev.herald.engine.UrlFilter.matches(e.url(), hosts, paths)) out.add(e);
      }
      if (batch.size() < 500) break;
      at = batch.get(batch.size() - 1).id();
    }
    return out;
  }


  /** Cursors are entry ids; a plain millisecond timestamp (the SDK docs' seed) means "from the start". */
  private static long cursor(String raw) {
    if (raw == null || raw.isBlank()) return 0;
    try {
      long c = Long.parseLong(raw.trim());
      return c > 1_000_000_000_000L ? 0 : c;
    } catch (NumberFormatException e) {
      throw ApiException.badRequest("cursor: invalid");
    }
  }

  private static List<String> states(ApiRequest req) {
    List<String> out = new ArrayList<>();
    for (String s : req.queryList("state")) {
      switch (s) {
        case "IN_PROGRESS" -> out.addAll(List.of("ACTIVE", "RETRY", "ERROR"));
        case "CANCELLED" -> out.add("CANCELED");
        default -> out.add(s);
      }
    }
    return out;
  }

  static Map<String, Object> view(Events.Event e) {
    Map<String, Object> o = new LinkedHashMap<>();
    o.put("time", e.time());
    o.put("messageId", e.messageId());
    o.put("state", e.state());
    o.put("url", e.url());
    if (e.topicName() != null) o.put("topicName", e.topicName());
    if (e.queueName() != null) o.put("queueName", e.queueName());
    if (e.scheduleId() != null) o.put("scheduleId", e.scheduleId());
    if (e.labels() != null) {
      List<String> labels = List.of(e.labels().substring(1, e.labels().length() - 1).split(","));
      o.put("label", labels.get(0));
      o.put("labels", labels);
    }
    o.putAll(e.detail());
    if (o.containsKey("responseHeaders")) o.put("responseHeader", o.get("responseHeaders"));
    if (o.containsKey("retryDelayExpression")) o.put("retryDelayExpr", o.get("retryDelayExpression"));
    return o;
  }
}
