package dev.herald.core.cron;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.herald.core.ValidationException;
import dev.herald.core.cron.CronField.Kind;
import dev.herald.core.cron.GeneratedCron.Field;
import java.time.Instant;
import java.time.ZoneId;
import java.time.zone.ZoneOffsetTransition;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.TreeSet;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;

class CronSchedulePropertyTest {
  private static final List<String> ZONES =
      List.of("UTC", "America/New_York", "Europe/Berlin", "Australia/Lord_Howe", "Asia/Kolkata");
  private static final long FROM = Instant.parse("2020-01-01T00:00:00Z").getEpochSecond();
  private static final long TO = Instant.parse("2031-01-01T00:00:00Z").getEpochSecond();
  private static final int REFERENCE_YEARS = 9; // longer than the 8-year worst case of a Feb 29 schedule

  @Property(tries = 400)
  void next_agrees_with_a_minute_by_minute_walk_of_the_wall_clock(
      @ForAll("anyExpression") GeneratedCron cron, @ForAll("starts") long seconds, @ForAll("nearTransition") boolean near) {
    assertAgreesWithReference(cron, start(cron.zone(), seconds, near));
  }

  @Property(tries = 300)
  void next_agrees_with_the_walk_around_daylight_saving_changes(
      @ForAll("nightExpression") GeneratedCron cron, @ForAll("starts") long seconds) {
    assertAgreesWithReference(cron, start(cron.zone(), seconds, true));
  }

  @Property(tries = 200)
  void the_text_is_kept_as_given_and_the_zone_as_named(@ForAll("anyExpression") GeneratedCron cron) {
    CronSchedule schedule;
    try {
      schedule = CronSchedule.parse(" " + cron.text() + " ");
    } catch (ValidationException neverFires) {
      return;
    }
    assertThat(schedule.expression()).isEqualTo(cron.text());
    assertThat(schedule.zone().normalized()).isEqualTo(cron.zone().normalized());
  }

  /** Three fires in a row, each from the previous one, must match the reference; so must "never fires". */
  private static void assertAgreesWithReference(GeneratedCron cron, Instant start) {
    BruteForceCron reference = new BruteForceCron(cron);
    CronSchedule schedule;
    try {
      schedule = CronSchedule.parse(cron.text());
    } catch (ValidationException rejected) {
      assertThat(rejected.getMessage()).contains("never fires");
      assertThat(reference.next(Instant.parse("2020-01-01T00:00:00Z"), REFERENCE_YEARS)).isEmpty();
      return;
    }
    Instant after = start;
    for (int i = 0; i < 3; i++) {
      Optional<Instant> expected = reference.next(after, REFERENCE_YEARS);
      assertThat(expected).as("reference fire after %s", after).isPresent();
      Instant actual = schedule.next(after);
      assertThat(actual).as("next after %s", after).isEqualTo(expected.get());
      after = actual;
    }
  }

  /** A start instant, sometimes pulled to within three hours of the zone's next offset change. */
  private static Instant start(ZoneId zone, long seconds, boolean nearTransition) {
    Instant start = Instant.ofEpochSecond(seconds);
    if (!nearTransition) return start;
    ZoneOffsetTransition t = zone.getRules().nextTransition(start);
    if (t == null) return start;
    long jitter = Math.floorMod(seconds, 6 * 3600L) - 3 * 3600L;
    // Whole minutes half the time, so "strictly after a fire instant" is exercised too.
    if (seconds % 2 == 0) jitter -= Math.floorMod(jitter, 60L);
    return t.getInstant().plusSeconds(jitter);
  }

  @Provide
  Arbitrary<Long> starts() {
    return Arbitraries.longs().between(FROM, TO);
  }

  @Provide
  Arbitrary<Boolean> nearTransition() {
    return Arbitraries.of(true, false);
  }

  @Provide
  Arbitrary<GeneratedCron> anyExpression() {
    return expression(field(Kind.MINUTE, 1), field(Kind.HOUR, 1), field(Kind.DAY_OF_MONTH, 4),
        field(Kind.MONTH, 4), field(Kind.DAY_OF_WEEK, 4));
  }

  /** Times in the small hours, where the offset changes happen, on every day. */
  @Provide
  Arbitrary<GeneratedCron> nightExpression() {
    Arbitrary<Field> hours = Arbitraries.integers().between(0, 4).list().ofMinSize(1).ofMaxSize(3).map(hs -> {
      TreeSet<Integer> set = new TreeSet<>(hs);
      return new Field(String.join(",", set.stream().map(String::valueOf).toList()), set);
    });
    return expression(field(Kind.MINUTE, 1), hours, Arbitraries.just(all(Kind.DAY_OF_MONTH)),
        Arbitraries.just(all(Kind.MONTH)),
        Arbitraries.just(all(Kind.DAY_OF_WEEK)));
  }

  private static Arbitrary<GeneratedCron> expression(Arbitrary<Field> minute, Arbitrary<Field> hour,
      Arbitrary<Field> dom, Arbitrary<Field> month, Arbitrary<Field> dow) {
    Arbitrary<String> zone = Arbitraries.of(ZONES);
    Arbitrary<String> prefixWord = Arbitraries.of("CRON_TZ=", "TZ=", "");
    return Combinators.combine(zone, prefixWord, minute, hour, dom, month, dow).as((z, p, mi, h, d, mo, w) -> {
      // No prefix means UTC, so only UTC may go without one.
      String prefix = p.isEmpty() ? (z.equals("UTC") ? "" : "CRON_TZ=" + z + " ") : p + z + " ";
      return new GeneratedCron(prefix.strip(), ZoneId.of(z), List.of(mi, h, d, mo, w));
    });
  }

  /** A field of one to three comma-joined items; {@code starWeight} makes a bare "*" that much likelier. */
  private static Arbitrary<Field> field(Kind kind, int starWeight) {
    Arbitrary<Field> list = item(kind).list().ofMinSize(1).ofMaxSize(3).map(items -> {
      TreeSet<Integer> values = new TreeSet<>();
      items.forEach(f -> values.addAll(f.values()));
      return new Field(String.join(",", items.stream().map(Field::text).toList()), values);
    });
    return Arbitraries.frequencyOf(
        Tuple.of(starWeight, Arbitraries.just(all(kind))), Tuple.of(3, list));
  }

  private static Field all(Kind kind) {
    return new Field("*", range(kind.min, kind.max, 1));
  }

  /** One item: a value, a range, a stepped star, a stepped range or a stepped start, as numbers or names. */
  private static Arbitrary<Field> item(Kind kind) {
    Arbitrary<Integer> v = Arbitraries.integers().between(kind.min, kind.max);
    Arbitrary<Integer> step = Arbitraries.integers().between(1, kind.max - kind.min + 2);
    Arbitrary<Boolean> named = Arbitraries.of(true, false);
    return Combinators.combine(Arbitraries.integers().between(0, 4), v, v, step, named)
        .as((shape, x, y, n, useNames) -> {
          int lo = Math.min(x, y);
          int hi = Math.max(x, y);
          return switch (shape) {
            case 0 -> new Field(show(kind, x, useNames), range(x, x, 1));
            case 1 -> new Field(show(kind, lo, useNames) + "-" + show(kind, hi, useNames), range(lo, hi, 1));
            case 2 -> new Field("*/" + n, range(kind.min, kind.max, n));
            case 3 -> new Field(show(kind, lo, useNames) + "-" + show(kind, hi, useNames) + "/" + n, range(lo, hi, n));
            default -> new Field(show(kind, x, useNames) + "/" + n, range(x, kind.max, n));
          };
        });
  }

  private static String show(Kind kind, int value, boolean useNames) {
    int index = value - kind.min;
    if (!useNames || index >= kind.names.size()) return String.valueOf(value);
    String name = kind.names.get(index);
    // Mixed case on purpose: names are case-insensitive.
    return value % 2 == 0 ? name.toLowerCase(Locale.ROOT) : name.charAt(0) + name.substring(1).toLowerCase(Locale.ROOT);
  }

  private static TreeSet<Integer> range(int lo, int hi, int step) {
    TreeSet<Integer> values = new TreeSet<>();
    for (int v = lo; v <= hi; v += step) values.add(v);
    return values;
  }

  @Property(tries = 50)
  void an_expression_with_six_fields_is_always_rejected(@ForAll("anyExpression") GeneratedCron cron) {
    List<Field> six = new ArrayList<>(cron.fields());
    six.add(0, new Field("0", null));
    GeneratedCron seconds = new GeneratedCron(cron.prefix(), cron.zone(), six);
    assertThatThrownBy(() -> CronSchedule.parse(seconds.text())).isInstanceOf(ValidationException.class);
  }
}
