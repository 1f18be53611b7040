package dev.herald.core.retry;

import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * Reads how long a destination asked us to wait (spec 5.3) from {@code Retry-After} and the
 * {@code X-RateLimit-Reset*} family. Accepts integer seconds, an HTTP date, an epoch-seconds
 * timestamp (common for X-RateLimit-Reset) and Go-style durations ({@code 6m5s}, {@code 1.5h}).
 * A wait longer than one day is ignored, as QStash does (spec 5.3): the message's own back-off applies
 * then. Dates in the past mean "now".
 */
public final class RetryAfter {
  public static final List<String> HEADERS =
      List.of("retry-after", "x-ratelimit-reset", "x-ratelimit-reset-requests", "x-ratelimit-reset-tokens");
  private static final long EPOCH_SECONDS_THRESHOLD = 1_000_000_000L;
  /** Stands for any wait too long to be worth writing down (it is ignored like every wait over a day). */
  static final Duration TOO_LONG = Duration.ofDays(36_500);

  private RetryAfter() {}

  /** @param header returns the first value of a (lower-case) response header, or null */
  public static Optional<Duration> from(Function<String, String> header, Instant now) {
    for (String name : HEADERS) {
      String v = header.apply(name);
      if (v == null) continue;
      Optional<Duration> d = parse(v, now);
      if (d.isPresent() && d.get().compareTo(Backoff.CAP) <= 0) return d; // a longer one is as good as none
    }
    return Optional.empty();
  }

  /** The wait one header value asks for (at most {@link #TOO_LONG}); {@link #from} ignores it above a day. */
  public static Optional<Duration> parse(String raw, Instant now) {
    String v = raw.trim();
    if (v.isEmpty() || v.length() > 64) return Optional.empty();
    Duration d;
    if (v.chars().allMatch(c -> c >= '0' && c <= '9')) {
      if (v.length() > 12) return Optional.of(TOO_LONG);
      long n = Long.parseLong(v);
      d = n >= EPOCH_SECONDS_THRESHOLD ? Duration.between(now, Instant.ofEpochSecond(n)) : Duration.ofSeconds(n);
    } else {
      d = httpDate(v, now).or(() -> goDuration(v)).orElse(null);
      if (d == null) return Optional.empty();
    }
    if (d.isNegative()) d = Duration.ZERO;
    return Optional.of(d);
  }

  private static Optional<Duration> httpDate(String v, Instant now) {
    try {
      return Optional.of(Duration.between(now, ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant()));
    } catch (DateTimeParseException e) {
      return Optional.empty();
    }
  }

  /** Go's time.ParseDuration grammar: [0-9.]+ followed by ns, us, µs, μs, ms, s, m, h, repeated. */
  static Optional<Duration> goDuration(String v) {
    double nanos = 0;
    int i = 0;
    if (v.isEmpty()) return Optional.empty();
    while (i < v.length()) {
      int start = i;
      while (i < v.length() && ((v.charAt(i) >= '0' && v.charAt(i) <= '9') || v.charAt(i) == '.')) i++;
      if (start == i) return Optional.empty();
      double n;
      try {
        n = Double.parseDouble(v.substring(start, i));
      } catch (NumberFormatException e) {
        return Optional.empty();
      }
      int u = i;
      while (i < v.length() && !((v.charAt(i) >= '0' && v.charAt(i) <= '9') || v.charAt(i) == '.')) i++;
      double unit = switch (v.substring(u, i)) {
        case "ns" -> 1;
        case "us", "\u00b5s", "\u03bcs" -> 1e3; // micro sign and Greek mu, both accepted by Go
        case "ms" -> 1e6;
        case "s" -> 1e9;
        case "m" -> 60e9;
        case "h" -> 3600e9;
        default -> -1;
      };
      if (unit < 0) return Optional.empty();
      nanos += n * unit;
    }
    if (nanos > Backoff.CAP.toNanos()) return Optional.of(TOO_LONG);
    return Optional.of(Duration.ofNanos((long) nanos));
  }
}
