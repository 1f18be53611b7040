package dev.herald.core.message;

import dev.herald.core.ValidationException;
import dev.herald.core.time.Durations;
import java.time.Duration;
import java.util.Locale;

/**
 * Flow-control limits for one key (spec 11): at most {@code parallelism} in flight and at most {@code rate}
 * starts per {@code period}. Zero means "no limit" for that dimension.
 */
public record FlowControl(String key, int parallelism, int rate, Duration period) {
  public static final Duration MAX_PERIOD = Duration.ofDays(7);

  public FlowControl {
    if (parallelism < 0 || rate < 0) throw new ValidationException("Upstash-Flow-Control-Value: values must be positive");
    if (period.compareTo(MAX_PERIOD) > 0) throw new ValidationException("Upstash-Flow-Control-Value: period must be at most 7d");
  }

  /** Parses {@code parallelism=3, rate=10, period=1m} (any non-empty subset; bare integer period = seconds). */
  public static FlowControl parse(String key, String value) {
    if (value == null || value.isBlank()) {
      throw new ValidationException("Upstash-Flow-Control-Value: required with Upstash-Flow-Control-Key");
    }
    int parallelism = 0, rate = 0;
    Duration period = Duration.ofSeconds(1);
    boolean any = false;
    for (String item : value.split(",")) {
      String it = item.trim();
      if (it.isEmpty()) continue;
      int eq = it.indexOf('=');
      if (eq < 0) throw new ValidationException("Upstash-Flow-Control-Value: expected name=value, got '" + clip(it) + "'");
      String name = it.substring(0, eq).trim().toLowerCase(Locale.ROOT);
      String v = it.substring(eq + 1).trim();
      switch (name) {
        case "parallelism" -> parallelism = positive("parallelism", v);
        case "rate" -> rate = positive("rate", v);
        case "period" -> period = Durations.parse("Upstash-Flow-Control-Value period", v);
        default -> throw new ValidationException("Upstash-Flow-Control-Value: unknown item '" + clip(name) + "'");
      }
      any = true;
    }
    if (!any) throw new ValidationException("Upstash-Flow-Control-Value: needs parallelism, rate or period");
    // Periods are stored in whole seconds, so 500ms would silently become a zero-length window.
    if (period.compareTo(Duration.ofSeconds(1)) < 0) {
      throw new ValidationException("Upstash-Flow-Control-Value: period must be at least 1s");
    }
    return new FlowControl(key, parallelism, rate, period);
  }

  private static int positive(String name, String v) {
    try {
      int n = Integer.parseInt(v);
      if (n < 1) throw new NumberFormatException();
      return n;
    } catch (NumberFormatException e) {
      throw new ValidationException("Upstash-Flow-Control-Value: " + name + " must be a positive integer");
    }
  }

  private static String clip(String s) {
    return s.length() <= 40 ? s : s.substring(0, 40) + "...";
  }
}
