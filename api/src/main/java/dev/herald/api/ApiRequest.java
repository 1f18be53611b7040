package dev.herald.api;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A request as the resources see it: raw path and query (destinations live in them undecoded),
 * headers by lower-case name, the body (already capped), path variables and the caller's IP.
 */
public final class ApiRequest {
  private final String method;
  private final String rawPath;
  private final String rawQuery;
  private final Map<String, List<String>> headers;
  private final byte[] body;
  private final String callerIp;
  private Map<String, String> pathVars = Map.of();
  private Map<String, List<String>> query;

  public ApiRequest(String method, String rawPath, String rawQuery, Map<String, List<String>> headers, byte[] body,
      String callerIp) {
    this.method = method;
    this.rawPath = rawPath;
    this.rawQuery = rawQuery == null ? "" : rawQuery;
    this.headers = headers;
    this.body = body;
    this.callerIp = callerIp;
  }

  public String method() { return method; }

  public String rawPath() { return rawPath; }

  public String rawQuery() { return rawQuery; }

  /** Headers with their original names (case preserved), for the Upstash-* parser. */
  public Map<String, List<String>> headers() { return headers; }

  public byte[] body() { return body; }

  /** The body read as JSON (null or missing when empty); not JSON at all is a 400 naming it. */
  tools.jackson.databind.JsonNode json() {
    return json(body);
  }

  static tools.jackson.databind.JsonNode json(byte[] body) {
    try {
      return dev.herald.store.Json.MAPPER.readTree(body);
    } catch (RuntimeException e) {
      throw ApiException.badRequest("body: invalid JSON");
    }
  }

  public String callerIp() { return callerIp; }

  public String header(String name) {
    for (var e : headers.entrySet()) {
      if (e.getKey().equalsIgnoreCase(name) && !e.getValue().isEmpty()) return e.getValue().get(0);
    }
    return null;
  }

  void pathVars(Map<String, String> vars) { this.pathVars = vars; }

  /** The same request with its body read (authentication and routing happen before the body is read). */
  ApiRequest withBody(byte[] body) {
    ApiRequest r = new ApiRequest(method, rawPath, rawQuery, headers, body, callerIp);
    r.pathVars = pathVars;
    r.query = query;
    return r;
  }

  public String pathVar(String name) { return pathVars.get(name); }

  /** Decoded query parameters; repeated keys and comma-separated values both become lists (spec 1.6). */
  public Map<String, List<String>> query() {
    if (query == null) query = parseQuery(rawQuery);
    return query;
  }

  public List<String> queryList(String name) {
    List<String> raw = query().get(name);
    if (raw == null) return List.of();
    List<String> out = new ArrayList<>();
    for (String v : raw) {
      for (String p : v.split(",")) {
        String t = p.trim();
        if (!t.isEmpty()) out.add(t);
      }
    }
    return out;
  }

  public String queryFirst(String name) {
    List<String> v = query().get(name);
    return v == null || v.isEmpty() ? null : v.get(0);
  }

  static Map<String, List<String>> parseQuery(String raw) {
    Map<String, List<String>> out = new LinkedHashMap<>();
    if (raw == null || raw.isEmpty()) return out;
    for (String pair : raw.split("&")) {
      if (pair.isEmpty()) continue;
      int eq = pair.indexOf('=');
      String k = decode(eq < 0 ? pair : pair.substring(0, eq));
      String v = eq < 0 ? "" : decode(pair.substring(eq + 1));
      out.computeIfAbsent(k, x -> new ArrayList<>()).add(v);
    }
    return out;
  }

  static String decode(String s) {
    try {
      return URLDecoder.decode(s, StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw ApiException.badRequest("malformed query string");
    }
  }

  static String lower(String s) {
    return s.toLowerCase(Locale.ROOT);
  }
}
