package dev.herald.api;

import dev.herald.core.message.HeaderParser;
import dev.herald.engine.UrlGroupService;
import dev.herald.store.UrlGroups;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import tools.jackson.databind.JsonNode;

/** URL groups, called topics on the wire (spec 7). */
final class TopicsResource {
  /** Most bytes of names and values a group's default headers may hold together. */
  static final int MAX_DEFAULT_HEADER_BYTES = 16_384;
  /** Headers that only make sense on one request: as a group default every publish would share them. */
  private static final Set<String> PER_REQUEST = Set.of("upstash-cron", "upstash-schedule-id", "upstash-deduplication-id",
      "upstash-not-before");

  private final UrlGroupService groups;
  private final HeaderParser parser;
  private final EgressCheck egress;

  TopicsResource(UrlGroupService groups, HeaderParser parser, EgressCheck egress) {
    this.groups = groups;
    this.parser = parser;
    this.egress = egress;
  }

  /**
   * PATCH /v2/topics/{group} (spec 7.5): replaces the group's default headers with
   * {@code {"headers": {"Name": "value" | ["value", ...]}}}; {@code {"headers": {}}} removes them. They are
   * checked as a publish would check them, so a bad default is a 400 here, not on every publish after.
   */
  ApiResponse patch(ApiRequest req) {
    String name = name(req);
    JsonNode body = req.json();
    if (body == null || !body.isObject() || !body.has("headers") || !body.get("headers").isObject()) {
      throw ApiException.badRequest("body: expected {\"headers\": {\"Name\": \"value\"}}");
    }
    Map<String, List<String>> headers = new LinkedHashMap<>();
    int bytes = 0;
    for (var e : body.get("headers").properties()) {
      String key = e.getKey();
      if (PER_REQUEST.contains(key.toLowerCase(Locale.ROOT))) {
        throw ApiException.badRequest("headers: " + key + " belongs to one request and cannot be a group default");
      }
      if (headers.keySet().stream().anyMatch(k -> k.equalsIgnoreCase(key))) {
        throw ApiException.badRequest("headers: " + key + " is given twice");
      }
      List<String> values = new ArrayList<>();
      JsonNode v = e.getValue();
      if (v.isString()) values.add(v.asString());
      else if (v.isArray() && !v.isEmpty()) {
        for (JsonNode x : v) {
          if (!x.isString()) throw ApiException.badRequest("headers: the values of " + key + " must be strings");
          values.add(x.asString());
        }
      } else {
        throw ApiException.badRequest("headers: " + key + " must be a string or a non-empty array of strings");
      }
      bytes += key.length();
      for (String x : values) bytes += x.length();
      if (bytes > MAX_DEFAULT_HEADER_BYTES) {
        throw ApiException.badRequest("headers: at most " + MAX_DEFAULT_HEADER_BYTES + " bytes of names and values");
      }
      headers.put(key, values);
    }
    egress.options(parser.parse(headers)); // what every publish to the group would check
    groups.setHeaders(name, headers);
    return ApiResponse.ok(Map.of());
  }

  ApiResponse upsert(ApiRequest req) {
    List<UrlGroups.Endpoint> eps = endpoints(req);
    // a group exists while it has endpoints (removing the last one deletes it, spec 7.2)
    if (eps.isEmpty()) throw ApiException.badRequest("endpoints: at least one endpoint is required");
    eps.forEach(e -> egress.url("endpoint url", e.url()));
    groups.upsert(name(req), eps);
    return ApiResponse.ok(Map.of());
  }

  ApiResponse remove(ApiRequest req) {
    groups.remove(name(req), endpoints(req));
    return ApiResponse.ok(Map.of());
  }

  ApiResponse get(ApiRequest req) {
    String name = name(req);
    return groups.get(name).map(g -> ApiResponse.ok(view(g))).orElseThrow(() -> ApiException.notFound("url group " + name));
  }

  ApiResponse list(ApiRequest req) {
    return ApiResponse.ok(groups.list().stream().map(TopicsResource::view).toList());
  }

  ApiResponse delete(ApiRequest req) {
    String name = name(req);
    if (!groups.delete(name)) throw ApiException.notFound("url group " + name);
    return ApiResponse.ok(Map.of());
  }

  private static String name(ApiRequest req) {
    return HeaderParser.name("url group name", req.pathVar("group"));
  }

  private static List<UrlGroups.Endpoint> endpoints(ApiRequest req) {
    JsonNode body;
    body = req.json();
    if (body == null || !body.has("endpoints") || !body.get("endpoints").isArray()) {
      throw ApiException.badRequest("body: expected {\"endpoints\": [{\"url\": ..., \"name\": ...}]}");
    }
    List<UrlGroups.Endpoint> out = new ArrayList<>();
    for (JsonNode e : body.get("endpoints")) {
      if (!e.isObject()) throw ApiException.badRequest("endpoints: each item must be an object");
      String url = optionalString(e, "url");
      String n = optionalString(e, "name");
      out.add(new UrlGroups.Endpoint(n, url));
    }
    return out;
  }

  /** A field that is absent, null or a string; anything else (a number, an object) is refused. */
  private static String optionalString(JsonNode item, String field) {
    JsonNode v = item.get(field);
    if (v == null || v.isNull()) return null;
    if (!v.isString()) throw ApiException.badRequest("endpoints: " + field + " must be a string");
    return v.asString();
  }

  private static Map<String, Object> view(UrlGroups.Group g) {
    Map<String, Object> o = new LinkedHashMap<>();
    o.put("name", g.name());
    o.put("createdAt", g.createdAt());
    o.put("updatedAt", g.updatedAt());
    if (!g.headers().isEmpty()) o.put("headers", g.headers());
    o.put("endpoints", g.endpoints().stream().map(e -> {
      Map<String, Object> m = new LinkedHashMap<>();
      if (e.name() != null) m.put("name", e.name());
      m.put("url", e.url());
      return m;
    }).toList());
    return o;
  }
}
