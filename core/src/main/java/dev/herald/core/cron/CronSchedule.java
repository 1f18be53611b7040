package dev.herald.core.cron;

import dev.herald.core.ValidationException;
import dev.herald.core.cron.CronField.Kind;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.time.zone.ZoneRules;
import java.util.List;
import java.util.Set;

/**
 * A parsed {@code Upstash-Cron} expression (spec 16): five fields (minute hour day-of-month month day-of-week)
 * read on the wall clock of its zone, UTC unless a {@code CRON_TZ=Area/City } or {@code TZ=Area/City } prefix
 * names another. When both day fields are restricted a day matches if either does (Vixie cron).
 *
 * <p>Wall-clock times that do not exist or exist twice are mapped to one instant each: a matching local time
 * fires at the earliest instant whose wall clock reads that time or later. So a time inside a spring-forward
 * gap fires once, at the end of the gap, and a time inside a fall-back overlap fires once, at its first
 * occurrence. Immutable and thread-safe.
 */
public final class CronSchedule {
  private static final int MAX_LENGTH = 256;
  // Expressions that can fire at all fire at least every 8 years (Feb 29 across a non-leap 2100);
  // the bound only stops a search that a bug would otherwise never finish.
  private static final int SEARCH_YEARS = 10;
  private static final Set<String> ZONE_IDS = ZoneId.getAvailableZoneIds();
  private static final java.util.Map<String, String> FIXED_IANA = java.util.Map.of("EST", "-05:00", "MST", "-07:00", "HST", "-10:00");
  private static final int[] MAX_DAYS = {0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

  private final String expression;
  private final ZoneId zone;
  private final CronField minutes;
  private final CronField hours;
  private final CronField daysOfMonth;
  private final CronField months;
  private final CronField daysOfWeek;

  private CronSchedule(String expression, ZoneId zone, List<CronField> fields) {
    this.expression = expression;
    this.zone = zone;
    this.minutes = fields.get(0);
    this.hours = fields.get(1);
    this.daysOfMonth = fields.get(2);
    this.months = fields.get(3);
    this.daysOfWeek = fields.get(4);
  }

  /** Parses and checks an expression; invalid or never-firing ones are a {@link ValidationException}. */
  public static CronSchedule parse(String expression) {
    if (expression == null || expression.isBlank()) throw error("empty expression");
    String text = expression.strip();
    if (text.length() > MAX_LENGTH) throw error("expression longer than " + MAX_LENGTH + " characters");
    ZoneId zone = ZoneOffset.UTC;
    String rest = text;
    String prefix = text.startsWith("CRON_TZ=") ? "CRON_TZ=" : text.startsWith("TZ=") ? "TZ=" : null;
    if (prefix != null) {
      String[] parts = text.substring(prefix.length()).split("\\s+", 2);
      zone = zoneNamed(parts[0]);
      rest = parts.length > 1 ? parts[1] : "";
    }
    if (rest.startsWith("@")) throw error("descriptors such as @daily are not supported");
    String[] texts = rest.isEmpty() ? new String[0] : rest.split("\\s+");
    if (texts.length != 5) {
      throw error("expected 5 fields (minute hour day-of-month month day-of-week), got " + texts.length);
    }
    Kind[] kinds = Kind.values();
    CronField[] fields = new CronField[5];
    for (int i = 0; i < 5; i++) fields[i] = CronField.parse(texts[i], kinds[i]);
    CronSchedule schedule = new CronSchedule(text, zone, List.of(fields));
    if (!schedule.canFire()) throw error("expression never fires (no such day)");
    return schedule;
  }

  /** The trimmed expression as given, prefix included. */
  public String expression() {
    return expression;
  }

  /** The zone whose wall clock the fields are read on; UTC without a prefix. */
  public ZoneId zone() {
    return zone;
  }

  /** The first fire instant strictly after {@code after}. */
  public Instant next(Instant after) {
    ZoneRules rules = zone.getRules();
    // No matching wall-clock time before after's own local minute can fire after it: local time only runs
    // backwards in a fall-back overlap, and there we fire at the first occurrence, which is not later.
    LocalDateTime local = LocalDateTime.ofInstant(after, zone).truncatedTo(ChronoUnit.MINUTES);
    LocalDateTime limit = local.plusYears(SEARCH_YEARS);
    while (true) {
      local = nextMatch(local, limit);
      Instant fire = fireInstant(local, rules);
      if (fire.isAfter(after)) return fire;
      local = local.plusMinutes(1);
    }
  }

  /** The earliest instant whose wall clock reads {@code local} or later (see the class comment). */
  private static Instant fireInstant(LocalDateTime local, ZoneRules rules) {
    List<ZoneOffset> offsets = rules.getValidOffsets(local);
    if (offsets.isEmpty()) return rules.getTransition(local).getInstant(); // in a gap: its end
    // In an overlap there are two offsets; the larger one gives the earlier (first) occurrence.
    Instant first = local.toInstant(offsets.get(0));
    for (ZoneOffset offset : offsets) {
      Instant candidate = local.toInstant(offset);
      if (candidate.isBefore(first)) first = candidate;
    }
    return first;
  }

  /** The first local minute at or after {@code from} that the fields match, skipping whole months/days/hours. */
  private LocalDateTime nextMatch(LocalDateTime from, LocalDateTime limit) {
    LocalDateTime t = from;
    while (t.isBefore(limit)) {
      if (!months.has(t.getMonthValue())) {
        t = t.toLocalDate().withDayOfMonth(1).plusMonths(1).atStartOfDay();
      } else if (!dayMatches(t.toLocalDate())) {
        t = t.toLocalDate().plusDays(1).atStartOfDay();
      } else if (!hours.has(t.getHour())) {
        t = t.truncatedTo(ChronoUnit.HOURS).plusHours(1);
      } else if (!minutes.has(t.getMinute())) {
        t = t.plusMinutes(1);
      } else {
        return t;
      }
    }
    throw new IllegalStateException("cron expression '" + expression + "' has no fire time before " + limit);
  }

  private boolean dayMatches(LocalDate date) {
    boolean dom = daysOfMonth.has(date.getDayOfMonth());
    boolean dow = daysOfWeek.has(date.getDayOfWeek().getValue() % 7); // java: Monday=1..Sunday=7; cron: Sunday=0
    if (daysOfMonth.star() || daysOfWeek.star()) return dom && dow;
    return dom || dow;
  }

  /**
   * Whether some date can match. Only a restricted day-of-month on its own can be impossible ("0 0 31 2 *");
   * a restricted day-of-week matches in every month, and with both restricted either one is enough.
   */
  private boolean canFire() {
    if (daysOfMonth.star() || !daysOfWeek.star()) return true;
    for (int month = 1; month <= 12; month++) {
      if (!months.has(month)) continue;
      for (int day = 1; day <= MAX_DAYS[month]; day++) if (daysOfMonth.has(day)) return true;
    }
    return false;
  }

  private static ZoneId zoneNamed(String name) {
    // Only IANA region names: ZoneId.of would also take "+05:00" or "UTC+1", which the spec does not offer.
    if (ZONE_IDS.contains(name)) return ZoneId.of(name);
    // EST, MST and HST are IANA zones (fixed offsets) that java.time keeps only among its short ids
    if (FIXED_IANA.containsKey(name)) return ZoneId.of(FIXED_IANA.get(name));
    throw error("unknown time zone '" + name + "'");
  }

  private static ValidationException error(String detail) {
    return new ValidationException("Upstash-Cron: " + detail);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof CronSchedule other && expression.equals(other.expression);
  }

  @Override
  public int hashCode() {
    return expression.hashCode();
  }

  @Override
  public String toString() {
    return expression;
  }
}
