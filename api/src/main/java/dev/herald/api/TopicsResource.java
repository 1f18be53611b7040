package dev.herald.api;

import dev.herald.core.message.HeaderParser;
import dev.herald.engine.UrlGroupService;
import dev.herald.store.UrlGroups;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.JsonNode;

/** URL groups, called topics on the wire (spec 7). */
final class TopicsResource {
  private final UrlGroupService groups;
  private final EgressCheck egress;

  TopicsResource(UrlGroupService groups, EgressCheck egress) {
    this.groups = groups;
    this.egress = egress;
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
    o.put("endpoints", g.endpoints().stream().map(e -> {
      Map<String, Object> m = new LinkedHashMap<>();
      if (e.name() != null) m.put("name", e.name());
      m.put("url", e.url());
      return m;
    }).toList());
    return o;
  }
}
