package dev.herald.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.herald.store.FlowKeys;
import dev.herald.store.Messages;
import java.time.Instant;
import java.time.InstantSource;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class FlowGateTest {
  private static final long HOUR = 3_600_000;
  private final AtomicLong now = new AtomicLong(1_000_000_000_000L);
  private final FlowGate gate = new FlowGate(new InstantSource() {
    @Override
    public Instant instant() {
      return Instant.ofEpochMilli(now.get());
    }
  });

  private static Messages.Due due(String id, String key, int parallelism, int rate, int periodSeconds) {
    return new Messages.Due(id, 0, null, false, key, parallelism, rate, periodSeconds);
  }

  private void later(long ms) {
    now.addAndGet(ms);
  }

  @Test
  void a_key_nothing_happened_to_for_the_idle_time_is_forgotten_and_comes_back_fresh() {
    gate.register(due("m1", "user-1", 2, 0, 1));
    later(HOUR - 1);
    assertThat(gate.forgetIdle(now.get(), HOUR)).as("not idle long enough").isZero();
    later(2);
    assertThat(gate.forgetIdle(now.get(), HOUR)).isEqualTo(1);
    assertThat(gate.exists("user-1")).isFalse();
    assertThat(gate.views()).isEmpty();

    gate.register(due("m2", "user-1", 3, 0, 1)); // its next message: listed again, with that message's limits
    assertThat(gate.view("user-1").parallelism()).isEqualTo(3);
    assertThat(gate.view("user-1").inFlight()).isZero();
  }

  @Test
  void a_key_with_work_in_flight_or_waiting_or_a_running_window_or_a_control_is_kept() {
    assertThat(gate.tryStart(due("m1", "busy", 1, 0, 1), now.get())).isTrue(); // in flight
    assertThat(gate.tryStart(due("m2", "busy", 1, 0, 1), now.get())).isFalse(); // waiting behind it
    assertThat(gate.tryStart(due("m3", "weekly", 0, 5, 604_800), now.get())).isTrue();
    gate.ended("weekly"); // done, but its week-long rate window still counts 1 start
    gate.register(due("m4", "paused", 1, 0, 1));
    gate.apply(new FlowKeys.Control("paused", true, null, null, null, 0, 1));

    later(2 * HOUR);
    assertThat(gate.forgetIdle(now.get(), HOUR)).isZero();
    assertThat(gate.view("weekly").startedInWindow()).isEqualTo(1);

    gate.ended("busy"); // m1 ends: m2 may go
    assertThat(gate.releasable(now.get(), 10)).extracting(Messages.Due::id).containsExactly("m2");
    gate.ended("busy");
    later(2 * HOUR);
    assertThat(gate.forgetIdle(now.get(), HOUR)).as("busy is idle now").isEqualTo(1);
    assertThat(gate.exists("busy")).isFalse();
    assertThat(gate.exists("weekly")).isTrue();
    assertThat(gate.exists("paused")).isTrue();
  }

  @Test
  void the_last_activity_counts_not_the_first() {
    gate.register(due("m1", "k", 1, 0, 1));
    later(HOUR / 2);
    assertThat(gate.tryStart(due("m1", "k", 1, 0, 1), now.get())).isTrue();
    later(HOUR);
    gate.ended("k");
    later(HOUR / 2);
    assertThat(gate.forgetIdle(now.get(), HOUR)).as("ended half an hour ago").isZero();
    later(HOUR);
    assertThat(gate.forgetIdle(now.get(), HOUR)).isEqualTo(1);
  }

  @Test
  void a_message_offered_again_while_it_waits_keeps_one_place_on_the_wait_list() {
    // The dispatcher's rescans (every 2 s on PostgreSQL) offer a waiting message again: it stayed pending.
    gate.register(due("m1", "held", 1, 1, 60));
    gate.apply(new FlowKeys.Control("held", true, null, null, null, 0, 1));
    for (int rescan = 0; rescan < 3; rescan++) assertThat(gate.tryStart(due("m1", "held", 1, 1, 60), now.get())).isFalse();
    assertThat(gate.tryStart(due("m2", "held", 1, 1, 60), now.get())).isFalse();
    assertThat(gate.tryStart(due("m1", "held", 1, 1, 60), now.get())).isFalse();
    assertThat(gate.view("held").waiting()).isEqualTo(2);

    gate.apply(new FlowKeys.Control("held", false, null, null, null, 0, 2)); // resumed: one start per minute
    assertThat(gate.releasable(now.get(), 10)).extracting(Messages.Due::id).containsExactly("m1");
    gate.ended("held");
    later(60_000);
    assertThat(gate.releasable(now.get(), 10)).as("the next window goes to m2, not to a copy of m1")
        .extracting(Messages.Due::id).containsExactly("m2");
    assertThat(gate.view("held").waiting()).isZero();
  }

  @Test
  void a_message_gone_from_the_store_leaves_the_wait_list_and_a_start_that_did_not_happen_gives_its_rate_slot_back() {
    // one start per minute: m1 starts, m2 and m3 wait
    assertThat(gate.tryStart(due("m1", "gone", 0, 1, 60), now.get())).isTrue();
    assertThat(gate.tryStart(due("m2", "gone", 0, 1, 60), now.get())).isFalse();
    assertThat(gate.tryStart(due("m3", "gone", 0, 1, 60), now.get())).isFalse();
    assertThat(gate.waitingHeads(50, 500)).containsExactly("m2", "m3");
    assertThat(gate.waitingHeads(1, 500)).containsExactly("m2");

    // m2 was delivered through another node (or cancelled): the store no longer has it pending
    assertThat(gate.dropWaiting(java.util.List.of("m2", "unknown"))).isEqualTo(1);
    assertThat(gate.view("gone").waiting()).isEqualTo(1);

    // m1's claim found it gone: nothing was sent, so the window still has room, and m3 goes now
    gate.notStarted("gone");
    assertThat(gate.view("gone").inFlight()).isZero();
    assertThat(gate.releasable(now.get(), 10)).extracting(Messages.Due::id).containsExactly("m3");
  }
}
