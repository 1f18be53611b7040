package dev.herald.core.cron;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.Optional;
import java.util.Set;

/**
 * The obviously-correct, slow reference for {@link CronSchedule#next}: walk the zone's wall clock one minute
 * at a time, and map each matching local minute to the earliest instant whose wall clock reads that minute or
 * later (a gap time becomes the end of the gap; an overlap time its first occurrence).
 */
final class BruteForceCron {
  private static final Duration MINUTE = Duration.ofMinutes(1);
  private final GeneratedCron cron;

  BruteForceCron(GeneratedCron cron) {
    this.cron = cron;
  }

  /** The first fire strictly after {@code after} within {@code years}, if any. */
  Optional<Instant> next(Instant after, int years) {
    LocalDateTime start = LocalDateTime.ofInstant(after, cron.zone()).truncatedTo(ChronoUnit.MINUTES).minusDays(1);
    LocalDateTime end = start.plusYears(years);
    Instant best = null;
    LocalDateTime stop = end;
    // Once something fires, look one more day of wall clock for anything earlier: offsets move by hours at most.
    for (LocalDateTime t = start; t.isBefore(stop); t = t.plusMinutes(1)) {
      if (!matches(t)) continue;
      Instant fire = earliestInstantReading(t);
      if (fire.isAfter(after) && (best == null || fire.isBefore(best))) {
        if (best == null) stop = t.plusDays(1);
        best = fire;
      }
    }
    return Optional.ofNullable(best);
  }

  boolean matches(LocalDateTime t) {
    int dow = t.getDayOfWeek().getValue() % 7;
    boolean domOk = value(2).contains(t.getDayOfMonth());
    boolean dowOk = value(4).contains(dow) || (dow == 0 && value(4).contains(7));
    boolean dayOk = text(2).equals("*") || text(4).equals("*") ? domOk && dowOk : domOk || dowOk;
    return value(0).contains(t.getMinute()) && value(1).contains(t.getHour())
        && value(3).contains(t.getMonthValue()) && dayOk;
  }

  private Instant earliestInstantReading(LocalDateTime local) {
    // atZone gives a valid instant at or after `local` (the earlier one in an overlap); step back while the
    // minute before still reads `local` or later, which walks back to the start of a gap.
    Instant i = local.atZone(cron.zone()).toInstant();
    while (!ZonedDateTime.ofInstant(i.minus(MINUTE), cron.zone()).toLocalDateTime().isBefore(local)) {
      i = i.minus(MINUTE);
    }
    return i;
  }

  private Set<Integer> value(int field) {
    return cron.fields().get(field).values();
  }

  private String text(int field) {
    return cron.fields().get(field).text();
  }
}
