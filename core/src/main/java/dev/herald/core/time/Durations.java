package dev.herald.core.time;

import dev.herald.core.ValidationException;
import java.time.Duration;

/**
 * QStash durations (spec 1.7): one or more {@code <integer><unit>} groups with units d, h, m, s, ms
 * ({@code 1d10h30m}, {@code 500ms}); a bare integer means seconds. Fractions and negatives are rejected.
 */
public final class Durations {
  private static final long MAX_MILLIS = Duration.ofDays(365L * 100).toMillis();

  private Durations() {}

  public static Duration parse(String field, String raw) {
    if (raw == null) throw new ValidationException(field + ": missing duration");
    String s = raw.trim();
    if (s.isEmpty()) throw new ValidationException(field + ": empty duration");
    if (allDigits(s)) return Duration.ofMillis(checked(field, raw, parseLong(field, raw, s), 1000));
    long total = 0;
    int i = 0;
    while (i < s.length()) {
      int start = i;
      while (i < s.length() && isDigit(s.charAt(i))) i++;
      if (start == i) throw invalid(field, raw);
      long n = parseLong(field, raw, s.substring(start, i));
      int unitStart = i;
      while (i < s.length() && s.charAt(i) >= 'a' && s.charAt(i) <= 'z') i++;
      long unitMillis = switch (s.substring(unitStart, i)) {
        case "d" -> 86_400_000L;
        case "h" -> 3_600_000L;
        case "m" -> 60_000L;
        case "s" -> 1000L;
        case "ms" -> 1L;
        default -> throw invalid(field, raw);
      };
      total = checked(field, raw, total + checked(field, raw, n, unitMillis), 1);
    }
    return Duration.ofMillis(total);
  }

  /**
   * The shortest spelling {@link #parse} reads back as {@code d} ({@code 365d}, {@code 1h30m}, {@code 100ms},
   * {@code 0s}), for messages that name a limit. Sub-millisecond parts are dropped.
   */
  public static String format(Duration d) {
    long ms = d.toMillis();
    if (ms == 0) return "0s";
    StringBuilder out = new StringBuilder();
    long[] units = {86_400_000L, 3_600_000L, 60_000L, 1000L, 1L};
    String[] names = {"d", "h", "m", "s", "ms"};
    for (int i = 0; i < units.length; i++) {
      if (ms >= units[i]) {
        out.append(ms / units[i]).append(names[i]);
        ms %= units[i];
      }
    }
    return out.toString();
  }

  private static long checked(String field, String raw, long n, long unitMillis) {
    if (n > MAX_MILLIS / unitMillis) throw new ValidationException(field + ": duration too large: " + clip(raw));
    return n * unitMillis;
  }

  private static long parseLong(String field, String raw, String digits) {
    if (digits.length() > 15) throw new ValidationException(field + ": duration too large: " + clip(raw));
    return Long.parseLong(digits);
  }

  private static boolean allDigits(String s) {
    for (int i = 0; i < s.length(); i++) if (!isDigit(s.charAt(i))) return false;
    return true;
  }

  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }

  private static ValidationException invalid(String field, String raw) {
    return new ValidationException(field + ": invalid duration '" + clip(raw) + "' (use e.g. 10s, 5m, 2h, 1d, 500ms)");
  }

  static String clip(String s) {
    return s.length() <= 64 ? s : s.substring(0, 64) + "...";
  }
}
