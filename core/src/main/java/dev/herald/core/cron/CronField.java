package dev.herald.core.cron;

import dev.herald.core.ValidationException;
import java.util.List;
import java.util.Locale;

/**
 * One parsed cron field: the set of allowed values as a bit mask, and whether the field was written as a bare
 * {@code *}. The star flag matters only for day-of-month and day-of-week (the Vixie "either matches" rule).
 */
record CronField(long bits, boolean star) {

  /** What a field may hold. Day-of-week allows 7 so that both 0 and 7 can mean Sunday. */
  enum Kind {
    MINUTE("minute", 0, 59, List.of()),
    HOUR("hour", 0, 23, List.of()),
    DAY_OF_MONTH("day-of-month", 1, 31, List.of()),
    MONTH("month", 1, 12,
        List.of("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")),
    DAY_OF_WEEK("day-of-week", 0, 7, List.of("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"));

    final String label;
    final int min;
    final int max;
    final List<String> names; // names.get(i) stands for min + i

    Kind(String label, int min, int max, List<String> names) {
      this.label = label;
      this.min = min;
      this.max = max;
      this.names = names;
    }
  }

  boolean has(int value) {
    return (bits & (1L << value)) != 0;
  }

  static CronField parse(String text, Kind kind) {
    long bits = 0;
    for (String item : text.split(",", -1)) bits |= parseItem(item, kind);
    // Sunday is stored once, as 0, so matching never has to know about 7.
    if (kind == Kind.DAY_OF_WEEK && (bits & (1L << 7)) != 0) bits = (bits & ~(1L << 7)) | 1L;
    return new CronField(bits, text.equals("*"));
  }

  private static long parseItem(String item, Kind kind) {
    if (item.isEmpty()) throw error(kind, "empty list item");
    int slash = item.indexOf('/');
    String range = slash < 0 ? item : item.substring(0, slash);
    int step = slash < 0 ? 1 : number(item.substring(slash + 1), kind, "step");
    if (step == 0) throw error(kind, "step must be at least 1");
    int lo;
    int hi;
    if (range.equals("*")) {
      lo = kind.min;
      hi = kind.max;
    } else {
      int dash = range.indexOf('-');
      lo = value(dash < 0 ? range : range.substring(0, dash), kind);
      // "a/n" means a through the maximum, as in robfig/cron and cronie; a bare "a" is just a.
      hi = dash >= 0 ? value(range.substring(dash + 1), kind) : slash >= 0 ? kind.max : lo;
      if (lo > hi) throw error(kind, "range " + range + " runs backwards");
    }
    long bits = 0;
    for (int v = lo; v <= hi; v += step) bits |= 1L << v;
    return bits;
  }

  private static int value(String token, Kind kind) {
    int named = kind.names.indexOf(token.toUpperCase(Locale.ROOT));
    if (named >= 0) return kind.min + named;
    int v = number(token, kind, "value");
    if (v < kind.min || v > kind.max) {
      throw error(kind, "value " + token + " is outside " + kind.min + "-" + kind.max);
    }
    return v;
  }

  private static int number(String token, Kind kind, String what) {
    // Only plain digits: "?", "L", "W", "#", signs and stray letters all end up here and are refused.
    if (token.isEmpty() || token.length() > 4 || !token.chars().allMatch(c -> c >= '0' && c <= '9')) {
      throw error(kind, "invalid " + what + " '" + token + "'");
    }
    return Integer.parseInt(token);
  }

  private static ValidationException error(Kind kind, String detail) {
    return new ValidationException("Upstash-Cron: " + kind.label + ": " + detail);
  }
}
