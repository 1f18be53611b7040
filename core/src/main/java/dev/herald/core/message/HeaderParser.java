package dev.herald.core.message;

import dev.herald.core.ValidationException;
import dev.herald.core.retry.RetryDelayExpression;
import dev.herald.core.time.Durations;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Turns the headers of a publish-style request into {@link MessageOptions}, rejecting anything that
 * would fail later (spec 2.2). Header names are matched case-insensitively; callers pass the request
 * headers as a map whose keys may have any case.
 */
public final class HeaderParser {
  public static final Pattern RESOURCE_NAME = Pattern.compile("^[A-Za-z0-9._-]{1,200}$");
  static final Set<String> METHODS = Set.of("GET", "POST", "PUT", "PATCH", "DELETE");
  /** Never forwarded by Upstash-Header-Forward: ours, hop-by-hop, or ones the HTTP client must own. */
  private static final Set<String> NOT_FORWARDED = Set.of(
      "authorization", "host", "content-length", "connection", "keep-alive", "transfer-encoding", "te",
      "trailer", "upgrade", "expect", "proxy-authorization", "proxy-connection", "accept-encoding");
  /** The JDK HTTP client refuses to set these; forwarding them is never meaningful anyway. */
  public static final Set<String> RESTRICTED = Set.of("connection", "content-length", "expect", "host", "upgrade");

  /** Limits the parser enforces; retries above {@code maxRetries} are clamped (UNSURE-06). */
  public record Limits(int defaultRetries, int maxRetries, Duration maxDelay, Duration maxTimeout) {}

  private final Limits limits;

  public HeaderParser(Limits limits) {
    this.limits = limits;
  }

  public Limits limits() {
    return limits;
  }

  public MessageOptions parse(Map<String, List<String>> raw) {
    return parse(raw, limits.defaultRetries());
  }

  /** @param defaultRetries retries when the header is absent (callbacks inherit the source's) */
  public MessageOptions parse(Map<String, List<String>> raw, int defaultRetries) {
    Map<String, String> h = new LinkedHashMap<>();
    Map<String, List<String>> forwarded = new LinkedHashMap<>();
    Map<String, List<String>> callbackConfig = new LinkedHashMap<>();
    Map<String, List<String>> failureConfig = new LinkedHashMap<>();
    boolean forwardAll = raw.entrySet().stream()
        .anyMatch(e -> e.getKey().equalsIgnoreCase("upstash-header-forward") && joined(e.getValue()).trim().equalsIgnoreCase("true"));
    for (var e : raw.entrySet()) {
      checkHeader(e.getKey(), e.getValue());
      String name = e.getKey().toLowerCase(Locale.ROOT);
      String value = joined(e.getValue());
      if (name.startsWith("upstash-forward-")) {
        String target = e.getKey().substring("upstash-forward-".length());
        if (target.isEmpty()) throw new ValidationException("Upstash-Forward-: header name missing");
        if (!RESTRICTED.contains(target.toLowerCase(Locale.ROOT))) forwarded.put(target, List.of(value));
      } else if (name.startsWith("upstash-callback-")) {
        callbackConfig.put("Upstash-" + e.getKey().substring("upstash-callback-".length()), List.of(value));
      } else if (name.startsWith("upstash-failure-callback-")) {
        failureConfig.put("Upstash-" + e.getKey().substring("upstash-failure-callback-".length()), List.of(value));
      } else if (name.startsWith("upstash-")) {
        h.put(name, value);
      } else if (name.equals("content-type")) {
        forwarded.put("Content-Type", List.of(value));
      } else if (forwardAll && !NOT_FORWARDED.contains(name)) {
        forwarded.put(e.getKey(), e.getValue());
      }
    }
    String method = method(h.get("upstash-method"));
    Duration delay = h.containsKey("upstash-delay") ? Durations.parse("Upstash-Delay", h.get("upstash-delay")) : null;
    if (delay != null && delay.compareTo(limits.maxDelay()) > 0) {
      throw new ValidationException("Upstash-Delay: must be at most " + Durations.format(limits.maxDelay()));
    }
    Instant notBefore = notBefore(h.get("upstash-not-before"));
    int retries = retries(h.get("upstash-retries"), defaultRetries);
    RetryDelayExpression retryDelay = h.containsKey("upstash-retry-delay")
        ? RetryDelayExpression.parse(h.get("upstash-retry-delay")) : null;
    Duration timeout = timeout(h.get("upstash-timeout"));
    String callback = url("Upstash-Callback", h.get("upstash-callback"));
    String failureCallback = url("Upstash-Failure-Callback", h.get("upstash-failure-callback"));
    Headers cbConfig = callbackConfig.isEmpty() ? Headers.EMPTY : Headers.of(callbackConfig);
    Headers fcConfig = failureConfig.isEmpty() ? Headers.EMPTY : Headers.of(failureConfig);
    // validate now, not when the callback fires; errors name the header the client sent
    if (callback != null) validateNested(cbConfig, retries, "Upstash-Callback-");
    if (failureCallback != null) validateNested(fcConfig, retries, "Upstash-Failure-Callback-");
    String dedupId = h.get("upstash-deduplication-id");
    if (dedupId != null && (dedupId.isEmpty() || dedupId.length() > 512)) {
      throw new ValidationException("Upstash-Deduplication-Id: must be 1 to 512 characters");
    }
    boolean contentDedup = bool("Upstash-Content-Based-Deduplication", h.get("upstash-content-based-deduplication"));
    List<String> labels = labels(h.get("upstash-label"));
    Redaction redaction = Redaction.parse(h.get("upstash-redact-fields"));
    FlowControl flow = flowControl(h.get("upstash-flow-control-key"), h.get("upstash-flow-control-value"));
    String cron = h.get("upstash-cron");
    String scheduleId = name("Upstash-Schedule-Id", h.get("upstash-schedule-id"));
    String queueName = name("Upstash-Queue-Name", h.get("upstash-queue-name"));
    Workflow workflow = Workflow.parse(h);
    return new MessageOptions(method, Headers.of(forwarded), delay, notBefore, retries, retryDelay, timeout,
        callback, cbConfig, failureCallback, fcConfig, dedupId, contentDedup, labels, redaction, flow,
        cron == null ? null : cron.trim(), scheduleId, queueName, workflow);
  }

  private void validateNested(Headers config, int retries, String prefix) {
    try {
      parse(config.map(), retries);
    } catch (ValidationException e) {
      throw new ValidationException(e.getMessage().replaceFirst("^Upstash-", prefix));
    }
  }

  private static String joined(List<String> values) {
    return values.size() == 1 ? values.get(0) : String.join(", ", values);
  }

  private static String method(String v) {
    if (v == null) return "POST";
    String m = v.trim().toUpperCase(Locale.ROOT);
    if (!METHODS.contains(m)) throw new ValidationException("Upstash-Method: must be one of GET, POST, PUT, PATCH, DELETE");
    return m;
  }

  private static Instant notBefore(String v) {
    if (v == null) return null;
    try {
      long s = Long.parseLong(v.trim());
      if (s < 0 || s > 253402300799L) throw new NumberFormatException();
      return Instant.ofEpochSecond(s);
    } catch (NumberFormatException e) {
      throw new ValidationException("Upstash-Not-Before: must be a Unix timestamp in seconds");
    }
  }

  private int retries(String v, int defaultRetries) {
    if (v == null) return Math.min(defaultRetries, limits.maxRetries());
    String t = v.trim();
    // A valid count too large for an int is still just "more than the maximum": clamp it like the rest.
    if (!t.isEmpty() && t.chars().allMatch(c -> c >= '0' && c <= '9')) {
      String digits = t.replaceFirst("^0+(?=.)", "");
      return digits.length() > 9 ? limits.maxRetries() : Math.min(Integer.parseInt(digits), limits.maxRetries());
    }
    try {
      int n = Integer.parseInt(t);
      if (n < 0) throw new NumberFormatException();
      return Math.min(n, limits.maxRetries());
    } catch (NumberFormatException e) {
      throw new ValidationException("Upstash-Retries: must be a non-negative integer");
    }
  }

  private Duration timeout(String v) {
    if (v == null) return null;
    Duration d = Durations.parse("Upstash-Timeout", v);
    if (d.isZero()) throw new ValidationException("Upstash-Timeout: must be positive");
    return d.compareTo(limits.maxTimeout()) > 0 ? limits.maxTimeout() : d;
  }

  /** An absolute http(s) URL with a host. Returned byte for byte as given. */
  public static String url(String field, String v) {
    if (v == null) return null;
    if (!isUrl(v)) throw new ValidationException(field + ": must be an absolute http or https URL");
    return v;
  }

  /**
   * A header that will be sent on (forwarded, or kept for a callback) must be one HTTP can carry: a
   * token for a name, and no CR, LF or NUL in a value. A request over HTTP cannot break these rules;
   * the headers of a batch item (JSON) can, and sent on they could add or split headers of the
   * delivery ({@code "Upstash-Forward-Host:evil": ...}).
   */
  private static void checkHeader(String name, List<String> values) {
    if (name.isEmpty() || !isToken(name)) {
      String shown = name.length() > 64 ? name.substring(0, 64) + "..." : name;
      throw new ValidationException("header name '" + shown.replaceAll("[\\x00-\\x1f\\x7f]", "?") + "' is not a valid HTTP header name");
    }
    for (String v : values) {
      for (int i = 0; i < v.length(); i++) {
        char c = v.charAt(i);
        if (c == '\r' || c == '\n' || c == 0) throw new ValidationException(name + ": a header value must not contain CR, LF or NUL");
      }
    }
  }

  /** RFC 9110 section 5.6.2: {@code 1*tchar}. */
  private static boolean isToken(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      boolean tchar = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
      if (!tchar) return false;
    }
    return true;
  }

  public static boolean isUrl(String v) {
    String lower = v.toLowerCase(Locale.ROOT);
    if (!lower.startsWith("http://") && !lower.startsWith("https://")) return false;
    if (v.length() > 8192) return false;
    for (int i = 0; i < v.length(); i++) {
      char c = v.charAt(i);
      if (c <= ' ' || c == 127) return false;
    }
    try {
      java.net.URI u = new java.net.URI(v);
      String host = host(u);
      return host != null && port(u) != 0 && !ambiguousIpv4(host);
    } catch (java.net.URISyntaxException e) {
      return false;
    }
  }

  /**
   * A dotted IPv4 address with a leading zero ({@code 0177.0.0.1}): Java reads it as decimal (177.0.0.1),
   * curl and the C library as octal (127.0.0.1). Refused, so that no reader can disagree on where it goes.
   */
  private static boolean ambiguousIpv4(String host) {
    String[] parts = host.split("\\.", -1);
    if (parts.length != 4) return false;
    for (String p : parts) {
      if (p.isEmpty() || !p.chars().allMatch(c -> c >= '0' && c <= '9')) return false;
    }
    for (String p : parts) {
      if (p.length() > 1 && p.charAt(0) == '0') return true;
    }
    return false;
  }

  /**
   * A host name with an underscore (a Docker Compose service, say): resolvers take it, {@code java.net.URI}
   * does not. Only names with an underscore are read this way; every other spelling URI refuses as a host
   * ({@code 0x7f.1}, {@code 127.1}) stays refused.
   */
  private static final java.util.regex.Pattern REGISTRY_HOST =
      java.util.regex.Pattern.compile("(?=.*_)[A-Za-z0-9_-]+(\\.[A-Za-z0-9_-]+)*");

  /**
   * The host of an http(s) URL, or null. {@code java.net.URI} reads {@code http://my_app:3000/} as a
   * "registry" authority with no host, because an underscore is not allowed in a host name by RFC 2396;
   * resolvers and HTTP clients take it (Docker names services this way), so Herald does too.
   */
  public static String host(java.net.URI u) {
    if (u.getHost() != null) return u.getHost().isEmpty() ? null : u.getHost();
    String authority = hostAndPort(u);
    if (authority == null) return null;
    int colon = authority.lastIndexOf(':');
    String h = colon < 0 ? authority : authority.substring(0, colon);
    return !h.isEmpty() && REGISTRY_HOST.matcher(h).matches() ? h : null;
  }

  /** The port of an http(s) URL: -1 when it names none, 0 when it is not a valid port (1 to 65535). */
  public static int port(java.net.URI u) {
    int p;
    if (u.getHost() != null) {
      p = u.getPort();
    } else {
      String authority = hostAndPort(u);
      int colon = authority == null ? -1 : authority.lastIndexOf(':');
      if (colon < 0) return -1;
      try {
        p = Integer.parseInt(authority.substring(colon + 1));
      } catch (NumberFormatException e) {
        return 0;
      }
    }
    return p == -1 ? -1 : p > 0 && p <= 65535 ? p : 0;
  }

  /** A registry authority without its user info; null when there is none. */
  private static String hostAndPort(java.net.URI u) {
    String a = u.getRawAuthority();
    if (a == null) return null;
    return a.substring(a.lastIndexOf('@') + 1);
  }

  private static boolean bool(String field, String v) {
    if (v == null) return false;
    String t = v.trim().toLowerCase(Locale.ROOT);
    if (t.equals("true")) return true;
    if (t.equals("false")) return false;
    throw new ValidationException(field + ": must be true or false");
  }

  private static List<String> labels(String v) {
    if (v == null) return List.of();
    List<String> out = new ArrayList<>();
    for (String p : v.split(",")) {
      String l = p.trim();
      if (l.isEmpty()) continue;
      name("Upstash-Label", l);
      if (!out.contains(l)) out.add(l);
    }
    return out;
  }

  private static FlowControl flowControl(String key, String value) {
    if (key == null && value == null) return null;
    if (key == null) throw new ValidationException("Upstash-Flow-Control-Key: required with Upstash-Flow-Control-Value");
    return FlowControl.parse(name("Upstash-Flow-Control-Key", key.trim()), value);
  }

  /** Resource names (queues, groups, schedule ids, labels, keys): {@code [A-Za-z0-9._-]+}. */
  public static String name(String field, String v) {
    if (v == null) return null;
    if (!RESOURCE_NAME.matcher(v).matches()) {
      throw new ValidationException(field + ": must match [A-Za-z0-9._-]+ (at most 200 characters)");
    }
    return v;
  }
}
