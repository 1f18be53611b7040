package dev.herald.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.herald.store.Messages;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The queue gate's slot bookkeeping: a queued message and the callbacks that keep its slot (spec 8.5). */
@Timeout(10)
class QueueGateTest {
  private final QueueGate gate = new QueueGate();

  @Test
  void a_message_and_its_callbacks_hold_one_slot_until_the_last_of_them_ends() {
    gate.configure("q", 2, false);
    gate.started("q", "msg_a");
    gate.kept("q", "msg_a", List.of("msg_cb1")); // the callback of a first attempt; A retries
    assertThat(gate.inProgress("q")).isEqualTo(1);
    gate.kept("q", "msg_a", List.of("msg_cb2", "msg_fcb")); // A's final outcome
    gate.finished("q", "msg_a");
    assertThat(gate.inProgress("q")).isEqualTo(1);
    assertThat(room()).isEqualTo(1);

    assertThat(gate.callbackFinished("msg_cb1")).isTrue();
    assertThat(gate.callbackFinished("msg_cb2")).isTrue();
    assertThat(gate.inProgress("q")).isEqualTo(1);
    assertThat(gate.callbackFinished("msg_fcb")).isTrue();
    assertThat(gate.inProgress("q")).isZero();
    assertThat(gate.callbackFinished("msg_fcb")).as("once").isFalse();
    assertThat(gate.callbackFinished("msg_other")).as("a callback of no queued message").isFalse();
  }

  @Test
  void a_message_enqueued_into_a_paused_queue_asks_for_no_wake_up_and_is_looked_at_after_the_resume() {
    gate.configure("q", 1, true);
    assertThat(gate.touched("q")).as("paused: nothing can start").isFalse();
    assertThat(gate.withRoom(false)).isEmpty();
    gate.configure("q", 1, false);
    assertThat(gate.withRoom(false)).as("the resume finds the queue still marked").extracting(QueueGate.Room::queue)
        .containsExactly("q");
    assertThat(gate.touched("q")).isTrue();
    assertThat(gate.touched("new")).as("a queue the gate was not told about yet").isTrue();
  }

  @Test
  void resync_forgets_holders_that_ended_on_another_node_and_learns_new_ones() {
    gate.configure("q", 1, false);
    gate.started("q", "msg_a"); // its retry was then delivered by another node, which wrote a callback
    gate.resync(List.of(new Messages.SlotHolder("msg_cb", new Messages.QueueSlot("q", "msg_a"))));
    assertThat(gate.inProgress("q")).isEqualTo(1);
    assertThat(gate.callbackFinished("msg_cb")).isTrue();
    assertThat(room()).isEqualTo(1);

    gate.started("q", "msg_b");
    gate.resync(List.of());
    assertThat(gate.inProgress("q")).isZero();
  }

  @Test
  void a_deleted_queue_takes_no_late_callbacks() {
    gate.configure("q", 1, false);
    gate.started("q", "msg_a");
    gate.remove("q");
    gate.kept("q", "msg_a", List.of("msg_cb"));
    gate.configure("q", 1, false); // made again under the same name
    assertThat(gate.inProgress("q")).isZero();
    assertThat(gate.callbackFinished("msg_cb")).isFalse();
  }

  private int room() {
    return gate.withRoom(true).stream().filter(r -> r.queue().equals("q")).mapToInt(QueueGate.Room::room).sum();
  }
}
