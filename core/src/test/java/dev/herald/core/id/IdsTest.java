package dev.herald.core.id;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.HashSet;
import java.util.Set;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;

class IdsTest {
  private static final Instant NOW = Instant.parse("2025-03-10T12:00:00Z");
  private static final long YEAR_10000_MS = 253_402_300_799_999L;
  private final Ids ids = new Ids();

  @Test
  void each_kind_of_id_has_its_prefix() {
    assertThat(ids.message(NOW)).startsWith("msg_");
    assertThat(ids.dlq(NOW)).startsWith("dlq_");
    assertThat(ids.schedule(NOW)).startsWith("scd_");
    assertThat(ids.jwt(NOW)).startsWith("jwt_");
    assertThat(ids.next("evt_", NOW)).startsWith("evt_");
  }

  @Test
  void message_ids_are_thirty_url_safe_characters() {
    String id = ids.message(NOW);
    assertThat(id).hasSize(30).matches("msg_[0-9A-HJKMNP-TV-Z]{26}");
  }

  @Test
  void ids_made_at_the_same_instant_differ() {
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < 10_000; i++) seen.add(ids.message(NOW));
    assertThat(seen).hasSize(10_000);
  }

  @Test
  void ids_made_at_the_same_instant_share_the_time_part() {
    assertThat(ids.message(NOW).substring(0, 14)).isEqualTo(ids.message(NOW).substring(0, 14));
  }

  @Test
  void ids_sort_by_time_across_the_epoch_and_far_into_the_future() {
    String a = ids.message(Instant.EPOCH);
    String b = ids.message(NOW);
    String c = ids.message(Instant.ofEpochMilli(YEAR_10000_MS));
    assertThat(a).isLessThan(b);
    assertThat(b).isLessThan(c);
  }

  @Property
  void ids_made_at_increasing_instants_sort_increasingly_as_strings(
      @ForAll @LongRange(min = 0, max = YEAR_10000_MS - 1) long ms, @ForAll @LongRange(min = 1, max = 1_000_000_000L) long gap) {
    Instant earlier = Instant.ofEpochMilli(ms);
    Instant later = Instant.ofEpochMilli(Math.min(ms + gap, YEAR_10000_MS));
    assertThat(ids.message(earlier)).isLessThan(ids.message(later));
  }

  @Property
  void one_millisecond_apart_is_enough_to_sort(@ForAll @LongRange(min = 0, max = YEAR_10000_MS - 1) long ms) {
    assertThat(ids.schedule(Instant.ofEpochMilli(ms))).isLessThan(ids.schedule(Instant.ofEpochMilli(ms + 1)));
  }
}
