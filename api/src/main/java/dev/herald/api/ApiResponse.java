package dev.herald.api;

import java.util.LinkedHashMap;
import java.util.Map;

/** What a handler answers: a status, a JSON-serialisable body (or null for none) and extra headers. */
public record ApiResponse(int status, Object body, Map<String, String> headers) {
  public static ApiResponse ok(Object body) {
    return new ApiResponse(200, body, Map.of());
  }

  public static ApiResponse of(int status, Object body) {
    return new ApiResponse(status, body, Map.of());
  }

  public static ApiResponse error(int status, String message) {
    Map<String, Object> b = new LinkedHashMap<>();
    b.put("error", message);
    return new ApiResponse(status, b, Map.of());
  }

  public ApiResponse withHeader(String name, String value) {
    Map<String, String> h = new LinkedHashMap<>(headers);
    h.put(name, value);
    return new ApiResponse(status, body, h);
  }
}
