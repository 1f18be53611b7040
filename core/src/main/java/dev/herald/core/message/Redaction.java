package dev.herald.core.message;

import dev.herald.core.ValidationException;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Set;

/**
 * {@code Upstash-Redact-Fields} (spec 2.6): which parts of a stored message the API must never show.
 * Delivery uses the real values; every copy shown to a client shows {@code REDACTED:<sha256 hex>}.
 */
public record Redaction(boolean body, boolean allHeaders, Set<String> headers) {
  public static final Redaction NONE = new Redaction(false, false, Set.of());

  public Redaction {
    headers = Set.copyOf(headers);
  }

  public static Redaction parse(String raw) {
    if (raw == null || raw.isBlank()) return NONE;
    boolean body = false, all = false;
    Set<String> names = new LinkedHashSet<>();
    for (String part : raw.split(",")) {
      String p = part.trim();
      if (p.isEmpty()) continue;
      String lower = p.toLowerCase(Locale.ROOT);
      if (lower.equals("body")) body = true;
      else if (lower.equals("header") || lower.equals("headers")) all = true;
      else if ((lower.startsWith("header[") || lower.startsWith("headers[")) && lower.endsWith("]")) {
        String name = p.substring(p.indexOf('[') + 1, p.length() - 1).trim();
        if (name.isEmpty()) throw new ValidationException("Upstash-Redact-Fields: empty header name in '" + clip(p) + "'");
        names.add(name.toLowerCase(Locale.ROOT));
      } else {
        throw new ValidationException("Upstash-Redact-Fields: unknown field '" + clip(p) + "' (use body, header, header[Name])");
      }
    }
    return new Redaction(body, all, names);
  }

  public boolean any() {
    return body || allHeaders || !headers.isEmpty();
  }

  public boolean header(String name) {
    return allHeaders || headers.contains(name.toLowerCase(Locale.ROOT));
  }

  /** The header map as clients may see it: redacted values replaced by {@code REDACTED:<sha256>}. */
  public java.util.Map<String, java.util.List<String>> apply(Headers h) {
    if (!any()) return h.map();
    java.util.Map<String, java.util.List<String>> out = new java.util.LinkedHashMap<>();
    h.map().forEach((k, v) -> out.put(k, header(k) ? v.stream().map(Redaction::redacted).toList() : v));
    return out;
  }

  public static String redacted(byte[] value) {
    return "REDACTED:" + HexFormat.of().formatHex(dev.herald.core.Sha256.of(value));
  }

  public static String redacted(String value) {
    return redacted(value.getBytes(StandardCharsets.UTF_8));
  }

  /** The form stored with the message, so redaction survives restarts and DLQ moves. */
  public String spec() {
    StringBuilder sb = new StringBuilder();
    if (body) sb.append("body,");
    if (allHeaders) sb.append("header,");
    for (String h : headers) sb.append("header[").append(h).append("],");
    return sb.isEmpty() ? "" : sb.substring(0, sb.length() - 1);
  }

  private static String clip(String s) {
    return s.length() <= 40 ? s : s.substring(0, 40) + "...";
  }
}
