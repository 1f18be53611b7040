package dev.herald.api;

import dev.herald.engine.SigningKeys;
import java.util.LinkedHashMap;
import java.util.Map;

/** GET /v2/keys, POST /v2/keys/rotate and its alias /v2/rotate (spec 12). */
final class KeysResource {
  private final SigningKeys keys;

  KeysResource(SigningKeys keys) {
    this.keys = keys;
  }

  ApiResponse get(ApiRequest req) {
    return ApiResponse.ok(view(keys.get()));
  }

  ApiResponse rotate(ApiRequest req) {
    return ApiResponse.ok(view(keys.rotate()));
  }

  private static Map<String, Object> view(SigningKeys.Pair p) {
    Map<String, Object> o = new LinkedHashMap<>();
    o.put("current", p.current());
    o.put("next", p.next());
    return o;
  }
}
