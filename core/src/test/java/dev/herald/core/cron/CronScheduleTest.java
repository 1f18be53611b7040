package dev.herald.core.cron;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class CronScheduleTest {

  private static Instant next(String expression, String after) {
    return CronSchedule.parse(expression).next(Instant.parse(after));
  }

  @Nested
  class Syntax {
    @Test
    void every_minute_fires_at_the_next_whole_minute() {
      assertThat(next("* * * * *", "2024-05-01T10:07:30Z")).isEqualTo("2024-05-01T10:08:00Z");
    }

    @Test
    void the_next_fire_is_strictly_after_the_given_instant() {
      assertThat(next("5 * * * *", "2024-05-01T10:05:00Z")).isEqualTo("2024-05-01T11:05:00Z");
    }

    @Test
    void a_star_step_fires_on_multiples_of_the_step() {
      assertThat(next("*/15 * * * *", "2024-05-01T10:07:00Z")).isEqualTo("2024-05-01T10:15:00Z");
    }

    @Test
    void a_list_fires_on_each_listed_value() {
      assertThat(next("0,30 * * * *", "2024-05-01T10:10:00Z")).isEqualTo("2024-05-01T10:30:00Z");
    }

    @Test
    void a_range_past_its_end_rolls_over_to_the_next_day() {
      assertThat(next("0 9-17 * * *", "2024-05-01T17:30:00Z")).isEqualTo("2024-05-02T09:00:00Z");
    }

    @Test
    void a_range_with_a_step_fires_inside_the_range_only() {
      assertThat(next("0-30/10 * * * *", "2024-05-01T10:05:00Z")).isEqualTo("2024-05-01T10:10:00Z");
      assertThat(next("0-30/10 * * * *", "2024-05-01T10:31:00Z")).isEqualTo("2024-05-01T11:00:00Z");
    }

    @Test
    void a_start_with_a_step_runs_to_the_end_of_the_field() {
      assertThat(next("5/20 * * * *", "2024-05-01T10:30:00Z")).isEqualTo("2024-05-01T10:45:00Z");
    }

    @Test
    void month_and_day_names_are_accepted_in_any_case() {
      // 2025-01-06 is the first Monday in January after May 2024.
      assertThat(next("0 12 * jan-MAR Mon", "2024-05-01T00:00:00Z")).isEqualTo("2025-01-06T12:00:00Z");
    }

    @Test
    void both_zero_and_seven_mean_sunday() {
      // 2024-06-12 is a Wednesday; the Sunday after is the 16th.
      assertThat(next("0 0 * * 7", "2024-06-12T00:00:00Z")).isEqualTo("2024-06-16T00:00:00Z");
      assertThat(next("0 0 * * 0", "2024-06-12T00:00:00Z")).isEqualTo("2024-06-16T00:00:00Z");
      assertThat(next("0 0 * * 5-7", "2024-06-15T00:00:00Z")).isEqualTo("2024-06-16T00:00:00Z");
    }

    @Test
    void leading_and_trailing_whitespace_is_trimmed_and_inner_runs_are_allowed() {
      CronSchedule schedule = CronSchedule.parse("  \t0  4 *\t* *  \n");
      assertThat(schedule.expression()).isEqualTo("0  4 *\t* *");
      assertThat(schedule.next(Instant.parse("2024-05-01T00:00:00Z"))).isEqualTo("2024-05-01T04:00:00Z");
    }
  }

  @Nested
  class Days {
    // September 2024 starts on a Sunday: Fridays are the 6th, 13th, 20th.

    @Test
    void a_restricted_day_of_month_alone_must_match() {
      assertThat(next("0 0 13 * *", "2024-09-01T00:00:00Z")).isEqualTo("2024-09-13T00:00:00Z");
    }

    @Test
    void a_restricted_day_of_week_alone_must_match() {
      assertThat(next("0 0 * * FRI", "2024-09-01T00:00:00Z")).isEqualTo("2024-09-06T00:00:00Z");
    }

    @Test
    void when_both_day_fields_are_restricted_either_one_matching_is_enough() {
      assertThat(next("0 0 13 * FRI", "2024-09-01T00:00:00Z")).isEqualTo("2024-09-06T00:00:00Z");
      assertThat(next("0 0 13 * FRI", "2024-09-10T00:00:00Z")).isEqualTo("2024-09-13T00:00:00Z");
    }

    @Test
    void a_stepped_day_of_month_counts_as_restricted() {
      // */10 is 1, 11, 21, 31; Monday the 2nd matches through the day-of-week field.
      assertThat(next("0 0 */10 * MON", "2024-09-01T00:00:00Z")).isEqualTo("2024-09-02T00:00:00Z");
    }

    @Test
    void february_29_fires_only_in_leap_years() {
      assertThat(next("0 0 29 2 *", "2024-03-01T00:00:00Z")).isEqualTo("2028-02-29T00:00:00Z");
      assertThat(next("0 0 29 2 *", "2024-02-28T23:59:00Z")).isEqualTo("2024-02-29T00:00:00Z");
    }

    @Test
    void february_29_skips_the_non_leap_year_2100() {
      assertThat(next("0 0 29 2 *", "2096-03-01T00:00:00Z")).isEqualTo("2104-02-29T00:00:00Z");
    }

    @Test
    void day_31_skips_months_that_are_shorter() {
      assertThat(next("0 0 31 * *", "2024-04-01T00:00:00Z")).isEqualTo("2024-05-31T00:00:00Z");
    }

    @Test
    void an_impossible_day_of_month_is_still_fine_when_the_day_of_week_can_match() {
      // 2025-02-03 is the first Monday of February 2025.
      assertThat(next("0 0 31 2 MON", "2025-01-01T00:00:00Z")).isEqualTo("2025-02-03T00:00:00Z");
    }
  }

  @Nested
  class Zones {
    @Test
    void without_a_prefix_the_zone_is_utc() {
      assertThat(CronSchedule.parse("0 4 * * *").zone()).isEqualTo(ZoneOffset.UTC);
    }

    @Test
    void cron_tz_reads_the_fields_on_that_zones_wall_clock() {
      CronSchedule schedule = CronSchedule.parse("CRON_TZ=America/New_York 0 4 * * *");
      assertThat(schedule.zone()).isEqualTo(ZoneId.of("America/New_York"));
      assertThat(schedule.expression()).isEqualTo("CRON_TZ=America/New_York 0 4 * * *");
      assertThat(schedule.next(Instant.parse("2024-07-01T00:00:00Z"))).isEqualTo("2024-07-01T08:00:00Z");
      assertThat(schedule.next(Instant.parse("2024-01-01T00:00:00Z"))).isEqualTo("2024-01-01T09:00:00Z");
    }

    @Test
    void the_fixed_offset_iana_zones_est_mst_and_hst_are_accepted() { // java.time lists them only as short ids
      assertThat(next("CRON_TZ=EST 0 9 * * *", "2024-07-01T00:00:00Z")).isEqualTo("2024-07-01T14:00:00Z"); // no DST
      assertThat(next("CRON_TZ=MST 0 9 * * *", "2024-07-01T00:00:00Z")).isEqualTo("2024-07-01T16:00:00Z");
      assertThat(next("TZ=HST 0 9 * * *", "2024-07-01T00:00:00Z")).isEqualTo("2024-07-01T19:00:00Z");
      assertThat(CronSchedule.parse("CRON_TZ=EST 0 9 * * *").expression()).isEqualTo("CRON_TZ=EST 0 9 * * *");
    }

    @Test
    void tz_is_accepted_as_a_synonym() {
      assertThat(next("TZ=Asia/Kolkata 30 9 * * *", "2024-05-01T00:00:00Z")).isEqualTo("2024-05-01T04:00:00Z");
    }

    @Test
    void the_local_date_decides_the_day_fields() {
      // 23:00 on Monday 2024-09-02 in New York is already Tuesday in UTC.
      assertThat(next("CRON_TZ=America/New_York 0 23 * * MON", "2024-09-01T00:00:00Z"))
          .isEqualTo("2024-09-03T03:00:00Z");
    }
  }

  @Nested
  class DaylightSaving {
    // New York: 2024-03-10 02:00 EST -> 03:00 EDT (07:00Z); 2024-11-03 02:00 EDT -> 01:00 EST (06:00Z).
    // Berlin:   2024-03-31 02:00 CET -> 03:00 CEST (01:00Z); 2024-10-27 03:00 CEST -> 02:00 CET (01:00Z).
    // Lord Howe: 2024-10-06 02:00 +10:30 -> 02:30 +11 (2024-10-05T15:30Z), a 30-minute gap.

    @Test
    void a_time_in_the_new_york_spring_gap_fires_once_when_the_gap_ends() {
      CronSchedule schedule = CronSchedule.parse("CRON_TZ=America/New_York 30 2 * * *");
      Instant fire = schedule.next(Instant.parse("2024-03-09T12:00:00Z"));
      assertThat(fire).isEqualTo("2024-03-10T07:00:00Z"); // 03:00 EDT
      assertThat(schedule.next(fire)).isEqualTo("2024-03-11T06:30:00Z"); // 02:30 EDT the day after
    }

    @Test
    void many_times_in_one_gap_fire_only_once() {
      CronSchedule schedule = CronSchedule.parse("CRON_TZ=America/New_York */15 2 * * *");
      Instant fire = schedule.next(Instant.parse("2024-03-10T05:00:00Z"));
      assertThat(fire).isEqualTo("2024-03-10T07:00:00Z");
      assertThat(schedule.next(fire)).isEqualTo("2024-03-11T06:00:00Z");
    }

    @Test
    void a_time_in_the_new_york_fall_overlap_fires_once_at_its_first_occurrence() {
      CronSchedule schedule = CronSchedule.parse("CRON_TZ=America/New_York 30 1 * * *");
      Instant fire = schedule.next(Instant.parse("2024-11-03T04:00:00Z"));
      assertThat(fire).isEqualTo("2024-11-03T05:30:00Z"); // 01:30 EDT
      assertThat(schedule.next(fire)).isEqualTo("2024-11-04T06:30:00Z"); // not 01:30 EST on the 3rd
    }

    @Test
    void an_hourly_schedule_does_not_repeat_the_hour_that_the_overlap_repeats() {
      CronSchedule schedule = CronSchedule.parse("CRON_TZ=America/New_York 0 * * * *");
      assertThat(schedule.next(Instant.parse("2024-11-03T05:00:00Z"))).isEqualTo("2024-11-03T07:00:00Z");
    }

    @Test
    void a_time_in_the_berlin_spring_gap_fires_once_when_the_gap_ends() {
      CronSchedule schedule = CronSchedule.parse("CRON_TZ=Europe/Berlin 30 2 * * *");
      Instant fire = schedule.next(Instant.parse("2024-03-30T12:00:00Z"));
      assertThat(fire).isEqualTo("2024-03-31T01:00:00Z"); // 03:00 CEST
      assertThat(schedule.next(fire)).isEqualTo("2024-04-01T00:30:00Z");
    }

    @Test
    void a_time_in_the_berlin_fall_overlap_fires_once_at_its_first_occurrence() {
      CronSchedule schedule = CronSchedule.parse("CRON_TZ=Europe/Berlin 30 2 * * *");
      Instant fire = schedule.next(Instant.parse("2024-10-26T12:00:00Z"));
      assertThat(fire).isEqualTo("2024-10-27T00:30:00Z"); // 02:30 CEST
      assertThat(schedule.next(fire)).isEqualTo("2024-10-28T01:30:00Z");
    }

    @Test
    void asking_from_inside_the_second_pass_of_an_overlap_skips_to_after_it() {
      CronSchedule schedule = CronSchedule.parse("CRON_TZ=Europe/Berlin 45 2 * * *");
      // 01:40Z is 02:40 CET, the second pass; 02:45 local already fired at 00:45Z.
      assertThat(schedule.next(Instant.parse("2024-10-27T01:40:00Z"))).isEqualTo("2024-10-28T01:45:00Z");
    }

    @Test
    void a_half_hour_gap_in_lord_howe_fires_once_when_it_ends() {
      CronSchedule schedule = CronSchedule.parse("CRON_TZ=Australia/Lord_Howe 15 2 * * *");
      Instant fire = schedule.next(Instant.parse("2024-10-05T00:00:00Z"));
      assertThat(fire).isEqualTo("2024-10-05T15:30:00Z"); // 02:30 +11
      assertThat(schedule.next(fire)).isEqualTo("2024-10-06T15:15:00Z");
    }

    @Test
    void a_gap_time_and_the_time_the_gap_ends_share_one_fire() {
      // 02:00 and 02:30 fall in the gap and 03:00 is where it ends: all three are 07:00Z, fired once.
      CronSchedule schedule = CronSchedule.parse("CRON_TZ=America/New_York 0,30 2-3 * * *");
      assertThat(schedule.next(Instant.parse("2024-03-10T06:59:00Z"))).isEqualTo("2024-03-10T07:00:00Z");
      assertThat(schedule.next(Instant.parse("2024-03-10T07:00:00Z"))).isEqualTo("2024-03-10T07:30:00Z");
    }
  }
}
