package dev.herald.core.cron;

import java.time.ZoneId;
import java.util.List;
import java.util.Set;

/**
 * A cron expression built by a property test, kept next to the value sets it means. The sets are worked out
 * from the parts the generator picked, not by parsing the text, so they can check the parser.
 */
record GeneratedCron(String prefix, ZoneId zone, List<Field> fields) {

  /** One field's text and the numbers it allows (day-of-week may hold 7 for Sunday). */
  record Field(String text, Set<Integer> values) {}

  String text() {
    StringBuilder sb = new StringBuilder(prefix);
    for (Field f : fields) sb.append(sb.isEmpty() ? "" : " ").append(f.text());
    return sb.toString();
  }

  @Override
  public String toString() {
    return text();
  }
}
