package dev.herald.api;

import dev.herald.core.message.HeaderParser;
import dev.herald.store.UrlGroups;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The destination of a publish-style request, read from the raw request target (spec 1.5): the rest
 * of the path after the fixed prefix, plus the request's query string minus {@code qstash_token} and
 * {@code upstash-*} keys (which are applied as headers; a real header wins). Kept byte for byte.
 */
record Destination(String value, boolean isUrl, Map<String, List<String>> headers) {

  static Destination from(ApiRequest req, String rawRest) {
    Map<String, List<String>> headers = new LinkedHashMap<>(req.headers());
    List<String> kept = new ArrayList<>();
    for (String pair : req.rawQuery().isEmpty() ? new String[0] : req.rawQuery().split("&")) {
      if (pair.isEmpty()) continue;
      int eq = pair.indexOf('=');
      String key = ApiRequest.decode(eq < 0 ? pair : pair.substring(0, eq));
      String lower = key.toLowerCase(Locale.ROOT);
      if (lower.equals("qstash_token")) continue;
      if (lower.startsWith("upstash-")) {
        boolean present = headers.keySet().stream().anyMatch(k -> k.equalsIgnoreCase(key));
        if (!present) headers.put(key, List.of(eq < 0 ? "" : ApiRequest.decode(pair.substring(eq + 1))));
        continue;
      }
      kept.add(pair);
    }
    String dest = rawRest;
    String lowerDest = dest.toLowerCase(Locale.ROOT);
    if (lowerDest.startsWith("http%3a") || lowerDest.startsWith("https%3a")) {
      dest = ApiRequest.decode(dest); // a client that encoded the whole URL
    }
    if (!kept.isEmpty()) dest = dest + (dest.contains("?") ? "&" : "?") + String.join("&", kept);
    boolean isUrl = dest.toLowerCase(Locale.ROOT).startsWith("http://") || dest.toLowerCase(Locale.ROOT).startsWith("https://");
    if (isUrl && !HeaderParser.isUrl(dest)) throw ApiException.badRequest("invalid destination URL");
    if (!isUrl && dest.equals("api/llm")) {
      throw new ApiException(400, "the hosted LLM API is not supported by Herald; publish to the provider's URL instead");
    }
    if (!isUrl) {
      if (dest.contains("/") || dest.contains("?") || !HeaderParser.RESOURCE_NAME.matcher(dest).matches()) {
        throw ApiException.badRequest("invalid destination: must be an http(s) URL or a URL group name");
      }
    }
    return new Destination(dest, isUrl, headers);
  }

  /**
   * This destination with a URL group's default headers (spec 7.5) added where the request carries
   * neither the header nor its {@code upstash-*} query key: the request always wins.
   */
  Destination withDefaults(Map<String, List<String>> defaults) {
    return defaults.isEmpty() ? this : new Destination(value, isUrl, UrlGroups.withDefaults(headers, defaults));
  }
}
