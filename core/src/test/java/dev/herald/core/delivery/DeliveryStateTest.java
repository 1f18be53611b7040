package dev.herald.core.delivery;

import static dev.herald.core.delivery.DeliveryState.ACTIVE;
import static dev.herald.core.delivery.DeliveryState.CANCELED;
import static dev.herald.core.delivery.DeliveryState.DELIVERED;
import static dev.herald.core.delivery.DeliveryState.FAILED;
import static dev.herald.core.delivery.DeliveryState.PENDING;
import static org.assertj.core.api.Assertions.assertThat;

import dev.herald.core.retry.RetryDelayExpression;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DeliveryStateTest {
  private static final Instant NOW = Instant.parse("2025-03-10T12:00:00Z");

  private static List<Outcome> everyKindOfOutcome() {
    return List.of(
        new Outcome.Response(200, Map.of(), new byte[0]),
        new Outcome.Response(204, Map.of("Retry-After", List.of("5")), new byte[0]),
        new Outcome.Response(302, Map.of(), new byte[0]),
        new Outcome.Response(429, Map.of("Retry-After", List.of("5")), new byte[0]),
        new Outcome.Response(489, Map.of("Upstash-NonRetryable-Error", List.of("true")), new byte[0]),
        new Outcome.Response(489, Map.of(), new byte[0]),
        new Outcome.Response(500, Map.of(), new byte[0]),
        new Outcome.NoResponse("connection refused"),
        new Outcome.Crashed());
  }

  private static List<Transitions.Attempt> everyKindOfAttempt() {
    List<Transitions.Attempt> out = new ArrayList<>();
    for (int retried : new int[] {0, 1, 3})
      for (int crashes : new int[] {0, Transitions.MAX_CRASHES - 1})
        for (RetryDelayExpression e : new RetryDelayExpression[] {null, RetryDelayExpression.parse("1000")})
          out.add(new Transitions.Attempt(retried, 3, e, crashes));
    return out;
  }

  @Test
  void every_decision_after_an_attempt_is_a_legal_move_and_only_from_active() {
    for (DeliveryState from : DeliveryState.values()) {
      for (Outcome outcome : everyKindOfOutcome()) {
        for (Transitions.Attempt attempt : everyKindOfAttempt()) {
          DeliveryState to = Transitions.decide(attempt, outcome, NOW).state();
          String what = from + " + " + outcome + " + " + attempt + " -> " + to;
          // Attempts only ever finish on ACTIVE messages; from there every decision must be allowed.
          if (from == ACTIVE) assertThat(from.next()).as(what).contains(to);
          // A final state can never be left, whatever an attempt reports.
          if (from.isFinal()) assertThat(from.next()).as(what).doesNotContain(to);
        }
      }
    }
  }

  @Test
  void the_allowed_moves_are_exactly_these() {
    assertThat(PENDING.next()).containsExactlyInAnyOrder(ACTIVE, CANCELED, FAILED);
    assertThat(ACTIVE.next()).containsExactlyInAnyOrder(PENDING, DELIVERED, FAILED, CANCELED);
    assertThat(DELIVERED.next()).isEmpty();
    assertThat(FAILED.next()).isEmpty();
    assertThat(CANCELED.next()).isEmpty();
  }

  @Test
  void delivered_failed_and_canceled_are_final() {
    assertThat(List.of(DeliveryState.values())).filteredOn(DeliveryState::isFinal)
        .containsExactlyInAnyOrder(DELIVERED, FAILED, CANCELED);
  }

  @Test
  void no_state_moves_to_itself() {
    for (DeliveryState s : DeliveryState.values()) assertThat(s.next()).as(s.name()).doesNotContain(s);
  }

  @Test
  void every_non_final_state_can_reach_a_final_state() {
    for (DeliveryState s : DeliveryState.values()) {
      if (!s.isFinal()) assertThat(s.next()).as(s.name()).anyMatch(DeliveryState::isFinal);
    }
  }

  @Test
  void the_next_set_cannot_be_changed_by_a_caller() {
    PENDING.next().clear();
    assertThat(PENDING.next()).isNotEmpty();
  }
}
