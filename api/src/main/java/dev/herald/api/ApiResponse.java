package dev.herald.api;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a handler answers: a status, a JSON-serialisable body (or null for none, or {@link Raw} bytes
 * sent as they are) and extra headers.
 */
public record ApiResponse(int status, Object body, Map<String, String> headers) {
  /** A body that is not JSON: sent as is, with its own content type. */
  public record Raw(String contentType, byte[] bytes) {}

  public static ApiResponse raw(int status, String contentType, byte[] bytes) {
    return new ApiResponse(status, new Raw(contentType, bytes), Map.of());
  }

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
