package dev.herald.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.herald.core.message.Headers;
import dev.herald.core.message.Message;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The behaviour of the store, written once and run against every database (STYLE.md section 4).
 * Subclasses only say how to open a fresh, migrated store whose lease clock is {@code clock}.
 */
@Timeout(60)
abstract class StoreContract {
  static final Instant T0 = Instant.parse("2026-03-29T00:30:00Z"); // a DST night in Europe, on purpose
  protected TestClock clock;
  protected Db db;

  protected abstract Db openFresh(TestClock clock);

  @BeforeEach
  void open() {
    clock = new TestClock(T0);
    db = openFresh(clock);
  }

  @AfterEach
  void close() {
    if (db != null) db.close();
  }

  long now() {
    return clock.millis();
  }

  static Message aMessage(String id) {
    return aMessage(id, null, List.of());
  }

  static Message aMessage(String id, String queue, List<String> labels) {
    return new Message(id, "https://example.com/hook", null, null, queue, null, "POST",
        Headers.of(Map.of("Content-Type", List.of("application/json"))), new byte[] {0, (byte) 0xff, 'x', 10}, 3, null,
        null, null, Headers.EMPTY, null, Headers.EMPTY, labels, null, null, 0, 0, 0, T0, T0, "127.0.0.1", 0, 0, null, null);
  }

  void insert(Message m, long dueAt) {
    db.writeNow(tx -> {
      tx.messages().insert(m, dueAt);
      return null;
    });
  }

  // ---- messages: insert, claim, fenced finish / retry, cancel

  @Test
  void an_inserted_message_reads_back_byte_for_byte() {
    insert(aMessage("msg_1", null, List.of("a", "b")), now());
    Message m = db.read(tx -> tx.messages().find("msg_1")).orElseThrow();
    assertThat(m.body()).containsExactly(0, (byte) 0xff, 'x', 10);
    assertThat(m.labels()).containsExactly("a", "b");
    assertThat(m.headers().first("Content-Type")).isEqualTo("application/json");
    assertThat(m.createdAt()).isEqualTo(T0);
  }

  @Test
  void a_message_with_every_field_set_reads_back_equal_from_the_messages_and_the_dlq() {
    Message m = new Message("msg_1", "https://example.com/hook?a=1", "group", "ep1", "q", "scd_1", "PUT",
        Headers.of(Map.of("X-Multi", List.of("a", "ü"), "Content-Type", List.of("text/plain"))), "héllo".getBytes(
            java.nio.charset.StandardCharsets.UTF_8), 7, "pow(2, retried) * 1000", 0L, "https://example.com/cb",
        Headers.of(Map.of("Upstash-Forward-A", List.of("1"))), "https://example.com/fcb",
        Headers.of(Map.of("Upstash-Retries", List.of("2"))), List.of("l1", "l2"), "body,header[X-Multi]", "key",
        3, 10, 60, T0.plusSeconds(3600), T0, "10.0.0.1", 0, 0, "msg_0",
        new dev.herald.core.message.Workflow("wfr_1", "https://example.com/wf", "fromCallback", false, true, 1234L));
    insert(m, now());
    Message back = db.read(tx -> tx.messages().find("msg_1")).orElseThrow();
    assertThat(back).usingRecursiveComparison().isEqualTo(m);
    db.writeNow(tx -> {
      tx.dlq().insert("dlq_1", m, now(), new Dlq.LastResponse(500, Map.of(), new byte[0], null));
      return null;
    });
    Message fromDlq = db.read(tx -> tx.dlq().find("dlq_1")).orElseThrow().message();
    assertThat(fromDlq).usingRecursiveComparison().ignoringFields("retried", "crashes").isEqualTo(m);
  }

  @Test
  void a_due_message_is_claimed_once() {
    insert(aMessage("msg_1"), now());
    assertThat(db.<Optional<Message>>writeNow(tx -> tx.messages().claim("msg_1", "lease-a", now(), 60_000))).isPresent();
    assertThat(db.<Optional<Message>>writeNow(tx -> tx.messages().claim("msg_1", "lease-b", now(), 60_000))).isEmpty();
  }

  @Test
  void claim_skips_messages_that_are_not_due_yet() {
    insert(aMessage("msg_1"), now() + 10_000);
    assertThat(db.<Optional<Message>>writeNow(tx -> tx.messages().claim("msg_1", "lease-a", now(), 60_000))).isEmpty();
    clock.advance(Duration.ofSeconds(10));
    assertThat(db.<Optional<Message>>writeNow(tx -> tx.messages().claim("msg_1", "lease-a", now(), 60_000))).isPresent();
  }

  @Test
  void finish_needs_the_current_lease() {
    insert(aMessage("msg_1"), now());
    db.writeNow(tx -> tx.messages().claim("msg_1", "lease-a", now(), 60_000));
    assertThat(db.<Boolean>writeNow(tx -> tx.messages().finish("msg_1", "lease-other"))).isFalse();
    assertThat(db.<Boolean>writeNow(tx -> tx.messages().finish("msg_1", "lease-a"))).isTrue();
    assertThat(db.<Optional<Message>>read(tx -> tx.messages().find("msg_1"))).isEmpty();
  }

  @Test
  void retry_later_is_fenced_and_makes_the_message_pending_again() {
    insert(aMessage("msg_1"), now());
    db.writeNow(tx -> tx.messages().claim("msg_1", "lease-a", now(), 60_000));
    assertThat(db.<Boolean>writeNow(tx -> tx.messages().retryLater("msg_1", "lease-b", now() + 5000, 1, 0))).isFalse();
    assertThat(db.<Boolean>writeNow(tx -> tx.messages().retryLater("msg_1", "lease-a", now() + 5000, 1, 0))).isTrue();
    Message m = db.read(tx -> tx.messages().find("msg_1")).orElseThrow();
    assertThat(m.retried()).isEqualTo(1);
    assertThat(db.<Optional<Message>>writeNow(tx -> tx.messages().claim("msg_1", "lease-c", now(), 60_000)))
        .as("not before its retry time, even from a stale index entry").isEmpty();
    assertThat(db.<Optional<Message>>writeNow(tx -> tx.messages().claim("msg_1", "lease-c", now() + 5000, 60_000))).isPresent();
  }

  @Test
  void cancel_removes_a_claimed_message_and_its_owner_is_fenced_out() {
    insert(aMessage("msg_1"), now());
    db.writeNow(tx -> tx.messages().claim("msg_1", "lease-a", now(), 60_000));
    assertThat(db.<Optional<Message>>writeNow(tx -> tx.messages().cancel("msg_1"))).map(Message::id).contains("msg_1");
    assertThat(db.<Boolean>writeNow(tx -> tx.messages().finish("msg_1", "lease-a"))).isFalse();
    assertThat(db.<Optional<Message>>writeNow(tx -> tx.messages().cancel("msg_1"))).isEmpty();
  }

  @Test
  void due_pages_by_due_time_then_id_and_leaves_fresh_queued_messages_to_their_queue() {
    long t = now();
    insert(aMessage("msg_3"), t + 1);
    insert(aMessage("msg_2"), t + 1);
    insert(aMessage("msg_1"), t + 2);
    insert(aMessage("msg_0"), t + 100);
    insert(aMessage("msg_q", "q1", List.of()), t);
    List<Messages.Due> first = db.read(tx -> tx.messages().due(Long.MIN_VALUE, "", t + 50, 2));
    assertThat(first).extracting(Messages.Due::id).containsExactly("msg_2", "msg_3");
    Messages.Due last = first.get(1);
    List<Messages.Due> next = db.read(tx -> tx.messages().due(last.dueAt(), last.id(), t + 50, 10));
    assertThat(next).extracting(Messages.Due::id).containsExactly("msg_1");
    assertThat(db.<List<Messages.Due>>read(tx -> tx.messages().nextInQueue("q1", t, 10))).extracting(Messages.Due::id).containsExactly("msg_q");
    assertThat(db.<Long>read(tx -> tx.messages().countInQueue("q1"))).isEqualTo(1);
  }

  @Test
  void a_queue_hands_out_its_fresh_messages_in_id_order() {
    insert(aMessage("msg_b", "q", List.of()), now());
    insert(aMessage("msg_a", "q", List.of()), now());
    insert(aMessage("msg_c", "q", List.of()), now() + 1000);
    assertThat(db.<List<Messages.Due>>read(tx -> tx.messages().nextInQueue("q", now(), 10))).extracting(Messages.Due::id)
        .containsExactly("msg_a", "msg_b");
  }

  @Test
  void callbacks_keep_their_queued_messages_slot_after_it_finished_and_a_slot_counts_once() {
    putQueue("q", 1);
    Messages.QueueSlot slotOfA = new Messages.QueueSlot("q", "msg_a");
    insert(aMessage("msg_a", "q", List.of()), now());
    insert(aMessage("msg_b", "q", List.of()), now());
    db.writeNow(tx -> tx.messages().claim("msg_a", "lease-a", now(), 60_000));
    assertThat(hasRoom("q")).isFalse();
    insertKeeping(aMessage("msg_cb1"), slotOfA); // the callback of A's first attempt; A is still retrying
    assertThat(slots()).containsExactlyInAnyOrder(new Messages.SlotHolder("msg_a", slotOfA),
        new Messages.SlotHolder("msg_cb1", slotOfA));
    putQueue("q", 2);
    assertThat(hasRoom("q")).as("A and its callback hold one slot of two").isTrue();
    putQueue("q", 1);

    db.writeNow(tx -> tx.messages().finish("msg_a", "lease-a"));
    insertKeeping(aMessage("msg_fcb"), slotOfA); // written with A's final outcome
    assertThat(slots()).extracting(Messages.SlotHolder::id).containsExactlyInAnyOrder("msg_cb1", "msg_fcb");
    assertThat(hasRoom("q")).as("A finished, its callbacks have not").isFalse();
    assertThat(db.<Long>read(tx -> tx.messages().countInQueue("q"))).as("callbacks are no messages of the queue").isEqualTo(1);
    assertThat(db.<List<Messages.Due>>read(tx -> tx.messages().due(Long.MIN_VALUE, "", now(), 10)))
        .as("callbacks are due like any message").extracting(Messages.Due::id).containsExactlyInAnyOrder("msg_cb1", "msg_fcb");

    db.writeNow(tx -> tx.messages().claim("msg_cb1", "lease-c", now(), 60_000));
    db.writeNow(tx -> tx.messages().finish("msg_cb1", "lease-c"));
    assertThat(hasRoom("q")).isFalse();
    db.writeNow(tx -> tx.messages().cancel("msg_fcb"));
    assertThat(hasRoom("q")).isTrue();
    assertThat(slots()).isEmpty();
  }

  @Test
  void a_deleted_queues_callbacks_stop_keeping_its_slots() {
    putQueue("q", 1);
    insertKeeping(aMessage("msg_cb"), new Messages.QueueSlot("q", "msg_a"));
    assertThat(hasRoom("q")).isFalse();
    db.writeNow(tx -> {
      tx.messages().releaseSlots("q");
      return null;
    });
    assertThat(hasRoom("q")).isTrue();
    assertThat(slots()).isEmpty();
    assertThat(db.<Optional<Message>>read(tx -> tx.messages().find("msg_cb"))).as("still delivered").isPresent();
  }

  private void putQueue(String name, int parallelism) {
    db.writeNow(tx -> {
      tx.queues().put(new Queues.Queue(name, parallelism, false, now(), now()));
      return null;
    });
  }

  private void insertKeeping(Message callback, Messages.QueueSlot slot) {
    db.writeNow(tx -> {
      tx.messages().insert(callback, now(), slot);
      return null;
    });
  }

  private boolean hasRoom(String queue) {
    return db.writeNow(tx -> tx.messages().queueHasRoom(queue));
  }

  private List<Messages.SlotHolder> slots() {
    return db.read(tx -> tx.messages().slotHolders());
  }

  // ---- leases on the database clock

  @Test
  void an_expired_lease_is_released_once_and_the_late_owner_cannot_finish() {
    insert(aMessage("msg_1"), now());
    insert(aMessage("msg_2"), now());
    db.writeNow(tx -> tx.messages().claim("msg_1", "lease-a", now(), 1000));
    db.writeNow(tx -> tx.messages().claim("msg_2", "lease-a", now(), 60_000));
    clock.advance(Duration.ofMillis(500));
    assertThat(db.<List<Message>>writeNow(tx -> tx.messages().releaseExpiredLeases("reaper-1", 10))).isEmpty();
    clock.advance(Duration.ofMillis(501));
    List<Message> reaped = db.writeNow(tx -> tx.messages().releaseExpiredLeases("reaper-1", 10));
    assertThat(reaped).extracting(Message::id).containsExactly("msg_1");
    assertThat(db.<List<Message>>writeNow(tx -> tx.messages().releaseExpiredLeases("reaper-2", 10))).as("taken once").isEmpty();
    assertThat(db.<Boolean>writeNow(tx -> tx.messages().finish("msg_1", "lease-a"))).as("late node is fenced out").isFalse();
    assertThat(db.<Boolean>writeNow(tx -> tx.messages().retryLater("msg_1", "reaper-1", now(), 0, 1))).isTrue();
    assertThat(db.<Optional<Message>>read(tx -> tx.messages().find("msg_1")).orElseThrow().crashes()).isEqualTo(1);
    assertThat(db.<Optional<Message>>writeNow(tx -> tx.messages().claim("msg_1", "lease-b", now(), 1000))).isPresent();
  }

  @Test
  void a_failed_write_rolls_back_alone_and_the_rest_of_the_batch_commits() {
    insert(aMessage("msg_1"), now());
    assertThatThrownBy(() -> db.writeNow(tx -> {
      tx.messages().insert(aMessage("msg_2"), now());
      tx.messages().insert(aMessage("msg_1"), now()); // duplicate key
      return null;
    })).isInstanceOf(StoreException.class);
    insert(aMessage("msg_3"), now());
    assertThat(db.<Optional<Message>>read(tx -> tx.messages().find("msg_2"))).isEmpty();
    assertThat(db.<Long>read(tx -> tx.messages().countPending())).isEqualTo(2);
  }

  // ---- dedup and settings: upserts

  @Test
  void a_dedup_key_is_replaced_and_expires() {
    db.writeNow(tx -> {
      tx.dedup().put("k", "msg_1", now() + 1000);
      tx.dedup().put("k", "msg_2", now() + 2000);
      return null;
    });
    assertThat(db.<Optional<String>>read(tx -> tx.dedup().find("k", now()))).contains("msg_2");
    assertThat(db.<Optional<String>>read(tx -> tx.dedup().find("k", now() + 2000))).isEmpty();
    assertThat(db.<Integer>writeNow(tx -> tx.dedup().purgeExpired(now() + 2000, 10))).isEqualTo(1);
  }

  @Test
  void a_setting_is_replaced() {
    db.writeNow(tx -> {
      tx.settings().put("signing", "one");
      tx.settings().put("signing", "two");
      return null;
    });
    assertThat(db.<Optional<String>>read(tx -> tx.settings().get("signing"))).contains("two");
  }

  // ---- events

  @Test
  void events_filter_by_label_exactly_and_page_by_id() {
    db.writeNow(tx -> {
      tx.events().append(now(), subject("msg_1", ",Alpha,beta,"), "CREATED", Map.of());
      tx.events().append(now() + 1, subject("msg_2", ",alpha,"), "CREATED", Map.of("k", "v"));
      tx.events().append(now() + 2, subject("msg_2", ",alpha,"), "DELIVERED", null);
      tx.events().append(now() + 3, subject("msg_3", ",alphabet,"), "CREATED", null);
      return null;
    });
    List<Events.Event> alpha = db.read(tx -> tx.events().list(filter(List.of(",alpha,"), null, false), 0, 10));
    assertThat(alpha).extracting(Events.Event::messageId).containsExactly("msg_2", "msg_2");
    List<Events.Event> created = db.read(tx -> tx.events().list(filter(null, List.of("CREATED"), true), 0, 2));
    assertThat(created).extracting(Events.Event::messageId).containsExactly("msg_1", "msg_2");
    assertThat(created.get(1).detail()).containsEntry("k", "v");
    long cursor = created.get(1).id();
    assertThat(db.<List<Events.Event>>read(tx -> tx.events().list(filter(null, List.of("CREATED"), true), cursor, 2)))
        .extracting(Events.Event::messageId).containsExactly("msg_3");
  }

  @Test
  void a_created_entry_shows_its_message_while_pending_and_after_the_message_is_finished() {
    Message m = aMessage("msg_1", "orders", List.of("alpha", "beta"));
    Events.Subject s = subject("msg_1", ",alpha,beta,");
    db.writeNow(tx -> {
      tx.messages().insert(m, now()); // the row is the CREATED entry: nothing is appended for it
      return null;
    });
    List<Events.Event> before = db.read(tx -> tx.events().list(filter(null, null, true), 0, 10));
    assertThat(before).extracting(Events.Event::state).containsExactly("CREATED");
    assertThat(before.get(0).time()).isEqualTo(m.createdAt().toEpochMilli());
    assertThat(before.get(0).url()).isEqualTo(m.url());
    Map<String, Object> pending = createdDetailOf("msg_1");
    assertThat(pending).containsEntry("method", "POST").containsEntry("maxRetries", 3)
        .containsEntry("body", java.util.Base64.getEncoder().encodeToString(m.body()))
        .containsEntry("header", Map.of("Content-Type", List.of("application/json")));

    db.writeNow(tx -> {
      tx.messages().claim("msg_1", "lease-a", now(), 60_000).orElseThrow();
      tx.events().append(now(), s, "ACTIVE", null);
      assertThat(tx.messages().finish("msg_1", "lease-a")).isTrue();
      tx.events().append(now() + 1, s, "DELIVERED", Map.of("responseStatus", 200), m);
      return null;
    });
    assertThat(db.<Optional<Message>>read(tx -> tx.messages().find("msg_1"))).isEmpty();
    assertThat(createdDetailOf("msg_1")).isEqualTo(pending);
    List<Events.Event> all = db.read(tx -> tx.events().list(filter(null, null, true), 0, 10));
    assertThat(all).extracting(Events.Event::state).containsExactly("CREATED", "ACTIVE", "DELIVERED");
    assertThat(all.get(0).id()).as("the entry written when the row went keeps the id it was listed under")
        .isEqualTo(before.get(0).id());
    assertThat(all.get(0)).as("and everything else it showed").isEqualTo(before.get(0));
    var byCaller = new Events.Filter(null, List.of("CREATED"), null, null, null, null, null, null, List.of("127.0.0.1"),
        null, null, true);
    assertThat(db.<List<Events.Event>>read(tx -> tx.events().list(byCaller, 0, 10))).as("the caller IP was copied too")
        .extracting(Events.Event::messageId).containsExactly("msg_1");
    assertThat(all.get(0).time()).isEqualTo(m.createdAt().toEpochMilli());
    assertThat(all.get(2).detail()).as("the final entry shows only its own detail").isEqualTo(Map.of("responseStatus", 200));
  }

  @Test
  void pending_created_entries_merge_with_stored_entries_in_id_order_under_every_filter_and_cursor() {
    db.writeNow(tx -> {
      tx.messages().insert(aMessage("msg_1"), now());
      tx.events().append(now(), subject("msg_1", null), "ACTIVE", null);
      tx.messages().insert(aMessage("msg_2"), now());
      tx.events().append(now(), subject("msg_1", null), "RETRY", Map.of("nextDeliveryTime", 5));
      tx.messages().insert(aMessage("msg_3"), now());
      return null;
    });
    List<Events.Event> newest = db.read(tx -> tx.events().list(filter(null, null, false), 0, 10));
    assertThat(newest).extracting(e -> e.messageId() + " " + e.state())
        .containsExactly("msg_3 CREATED", "msg_1 RETRY", "msg_2 CREATED", "msg_1 ACTIVE", "msg_1 CREATED");
    assertThat(newest).extracting(Events.Event::id).isSortedAccordingTo(java.util.Comparator.reverseOrder());
    long third = newest.get(2).id();
    assertThat(db.<List<Events.Event>>read(tx -> tx.events().list(filter(null, null, false), third, 10)))
        .extracting(e -> e.messageId() + " " + e.state()).containsExactly("msg_1 ACTIVE", "msg_1 CREATED");
    assertThat(db.<List<Events.Event>>read(tx -> tx.events().list(filter(null, null, true), third, 1)))
        .extracting(e -> e.messageId() + " " + e.state()).containsExactly("msg_1 RETRY");
    assertThat(db.<List<Events.Event>>read(tx -> tx.events().list(filter(null, List.of("RETRY", "ACTIVE"), false), 0, 10)))
        .extracting(Events.Event::state).containsExactly("RETRY", "ACTIVE");
    Events.Filter byId = new Events.Filter(List.of("msg_2"), null, null, null, null, null, null, null, null,
        null, null, false);
    assertThat(db.<List<Events.Event>>read(tx -> tx.events().list(byId, 0, 10)))
        .extracting(e -> e.messageId() + " " + e.state()).containsExactly("msg_2 CREATED");
  }

  private Map<String, Object> createdDetailOf(String id) {
    List<Events.Event> created = db.read(tx -> tx.events().list(filter(null, List.of("CREATED"), true), 0, 10));
    assertThat(created).extracting(Events.Event::messageId).containsExactly(id);
    return created.get(0).detail();
  }

  private static Events.Subject subject(String id, String labels) {
    return new Events.Subject(id, "https://example.com", null, null, null, labels, null, "127.0.0.1");
  }

  private static Events.Filter filter(List<String> labels, List<String> states, boolean earliestFirst) {
    List<String> bare = labels == null ? null : labels.stream().map(l -> l.replace(",", "")).toList();
    return new Events.Filter(null, states, null, null, null, null, bare, null, null, null, null, earliestFirst);
  }

  // ---- DLQ

  @Test
  void the_dlq_lists_with_filters_and_cursor_and_deletes() {
    db.writeNow(tx -> {
      tx.dlq().insert("dlq_1", aMessage("msg_1", null, List.of("x")), now(), new Dlq.LastResponse(500, Map.of(), new byte[] {1}, null));
      tx.dlq().insert("dlq_2", aMessage("msg_2"), now(), new Dlq.LastResponse(404, Map.of(), new byte[0], "boom"));
      tx.dlq().insert("dlq_3", aMessage("msg_3"), now() + 5, new Dlq.LastResponse(500, Map.of(), new byte[0], null));
      return null;
    });
    Dlq.Filter status500 = new Dlq.Filter(null, null, null, null, null, null, null, null, List.of(500), null, null, null, false);
    assertThat(db.<List<Dlq.Entry>>read(tx -> tx.dlq().list(status500, null, 10))).extracting(Dlq.Entry::dlqId).containsExactly("dlq_1", "dlq_3");
    assertThat(db.<List<Dlq.Entry>>read(tx -> tx.dlq().list(Dlq.Filter.ALL, "dlq_1", 1))).extracting(Dlq.Entry::dlqId).containsExactly("dlq_2");
    Dlq.Filter labelX = new Dlq.Filter(null, null, null, null, null, null, List.of("x"), null, null, null, null, null, false);
    assertThat(db.<List<Dlq.Entry>>read(tx -> tx.dlq().list(labelX, null, 10))).extracting(Dlq.Entry::dlqId).containsExactly("dlq_1");
    Dlq.Entry e = db.read(tx -> tx.dlq().find("dlq_2")).orElseThrow();
    assertThat(e.response().error()).isEqualTo("boom");
    assertThat(e.message().body()).containsExactly(0, (byte) 0xff, 'x', 10);
    assertThat(db.<Boolean>writeNow(tx -> tx.dlq().delete("dlq_2"))).isTrue();
    assertThat(db.<Integer>writeNow(tx -> tx.dlq().purgeOlderThan(now() + 1, 10))).isEqualTo(1);
  }

  // ---- flow-control keys

  @Test
  void the_newest_unfinished_message_of_each_flow_key_is_read_in_one_query() {
    insert(withFlowKey("msg_1", "a", 2), now());
    insert(withFlowKey("msg_2", "b", 3), now());
    insert(withFlowKey("msg_3", "a", 5), now()); // a's newest: its limits apply
    insert(aMessage("msg_4"), now());
    assertThat(db.<List<Messages.Due>>read(tx -> tx.messages().newestPerFlowKey()))
        .extracting(d -> d.flowKey() + " " + d.id() + " " + d.flowParallelism())
        .containsExactlyInAnyOrder("a msg_3 5", "b msg_2 3");
    assertThat(db.<Optional<Messages.Due>>read(tx -> tx.messages().newestWithFlowKey("a"))).get()
        .extracting(Messages.Due::id).isEqualTo("msg_3");
  }

  private static Message withFlowKey(String id, String key, int parallelism) {
    Message m = aMessage(id);
    return new Message(m.id(), m.url(), m.topicName(), m.endpointName(), m.queueName(), m.scheduleId(), m.method(),
        m.headers(), m.body(), m.maxRetries(), m.retryDelayExpression(), m.timeoutMillis(), m.callback(),
        m.callbackConfig(), m.failureCallback(), m.failureCallbackConfig(), m.labels(), m.redact(), key, parallelism, 0, 0,
        m.notBefore(), m.createdAt(), m.callerIp(), m.retried(), m.crashes(), m.sourceMessageId(), m.workflow());
  }

  @Test
  void a_flow_keys_control_state_is_stored_and_has_the_last_word_at_claim() {
    Messages.Due d = new Messages.Due("msg_f", now(), null, false, "fk", 5, 2, 60); // parallelism 5, 2 a minute
    assertThat(flowKeyAllows(d)).isTrue();
    assertThat(db.<List<FlowKeys.Control>>read(tx -> tx.flowKeys().controlled())).as("claimed, not controlled").isEmpty();
    assertThat(db.<Optional<FlowKeys.Control>>read(tx -> tx.flowKeys().find("fk")))
        .contains(new FlowKeys.Control("fk", false, null, null, null, 0, 0));

    assertThat(db.<FlowKeys.Control>writeNow(tx -> tx.flowKeys().setPaused("fk", true)))
        .isEqualTo(new FlowKeys.Control("fk", true, null, null, null, 0, 1));
    assertThat(flowKeyAllows(d)).as("paused").isFalse();
    db.writeNow(tx -> tx.flowKeys().setPaused("fk", false));
    assertThat(flowKeyAllows(d)).isTrue();
    assertThat(flowKeyAllows(d)).as("two started this minute").isFalse();
    assertThat(db.<FlowKeys.Control>writeNow(tx -> tx.flowKeys().resetRate("fk")).rateResets()).isEqualTo(1);
    assertThat(flowKeyAllows(d)).as("a fresh window").isTrue();

    // a pin replaces the messages' limits and starts a fresh window; a rate pinned without a period keeps the current one
    assertThat(db.<FlowKeys.Control>writeNow(tx -> tx.flowKeys().pin("fk", 1, 1, null, 60)))
        .isEqualTo(new FlowKeys.Control("fk", false, 1, 1, 60L, 2, 4));
    assertThat(flowKeyAllows(d)).isTrue();
    assertThat(flowKeyAllows(d)).as("pinned rate 1 a minute, not the message's 2").isFalse();
    db.writeNow(tx -> tx.flowKeys().unpin("fk", false, true));
    insert(withFlowKey(aMessage("msg_a"), "fk"), now());
    assertThat(db.<Optional<Message>>writeNow(tx -> tx.messages().claim("msg_a", "lease", now(), 60_000))).isPresent();
    assertThat(flowKeyAllows(d)).as("one ACTIVE, pinned parallelism 1").isFalse();
    assertThat(db.<FlowKeys.Control>writeNow(tx -> tx.flowKeys().unpin("fk", true, false)))
        .isEqualTo(new FlowKeys.Control("fk", false, null, null, null, 2, 6));
    assertThat(flowKeyAllows(d)).as("the message's parallelism 5 again").isTrue();

    // a period pinned alone waits for a rate pin; another key stays uncontrolled
    db.writeNow(tx -> tx.flowKeys().pin("other", null, null, 30L, 1));
    assertThat(db.<FlowKeys.Control>writeNow(tx -> tx.flowKeys().pin("other", null, 3, null, 1)))
        .isEqualTo(new FlowKeys.Control("other", false, null, 3, 30L, 2, 2));
    db.writeNow(tx -> tx.flowKeys().setPaused("fk", true));
    assertThat(db.<List<FlowKeys.Control>>read(tx -> tx.flowKeys().controlled())).extracting(FlowKeys.Control::key)
        .containsExactlyInAnyOrder("fk", "other");
    assertThat(db.<List<FlowKeys.Control>>read(tx -> tx.flowKeys().all())).extracting(FlowKeys.Control::paused)
        .containsExactly(true, false);
  }

  @Test
  void rows_of_keys_idle_since_the_cut_and_never_controlled_are_purged() {
    flowKeyAllows(new Messages.Due("msg_1", now(), null, false, "idle", 5, 0, 1)); // parallelism only: no window
    flowKeyAllows(new Messages.Due("msg_2", now(), null, false, "windowed", 0, 3, 604_800)); // a week-long window
    flowKeyAllows(new Messages.Due("msg_3", now(), null, false, "paused", 5, 0, 1));
    db.writeNow(tx -> tx.flowKeys().setPaused("paused", false)); // controlled once: stays
    clock.advance(java.time.Duration.ofDays(9));
    flowKeyAllows(new Messages.Due("msg_4", now(), null, false, "recent", 5, 0, 1));
    long cut = now() - java.time.Duration.ofDays(8).toMillis();

    assertThat(db.<Integer>writeNow(tx -> tx.flowKeys().purgeIdle(cut, 10))).isEqualTo(2);
    assertThat(db.<List<FlowKeys.Control>>read(tx -> tx.flowKeys().all())).extracting(FlowKeys.Control::key)
        .containsExactly("paused", "recent");
    // a purged key starts afresh at its next claim
    assertThat(flowKeyAllows(new Messages.Due("msg_5", now(), null, false, "windowed", 0, 3, 604_800))).isTrue();
    assertThat(db.<Integer>writeNow(tx -> tx.flowKeys().purgeIdle(cut, 10))).as("just used").isZero();
  }

  private List<String> running(List<String> urls, boolean exact, List<String> labels, Long afterCreated, String afterId) {
    Workflows.RunFilter f = new Workflows.RunFilter(urls, exact, null, null, labels, List.of());
    return db.<List<Workflows.Run>>read(tx -> tx.workflows().running(f, afterCreated, afterId, 10)).stream()
        .map(Workflows.Run::runId).toList();
  }

  private boolean flowKeyAllows(Messages.Due d) {
    return db.writeNow(tx -> tx.messages().flowKeyAllows(d, now()));
  }

  private static Message withFlowKey(Message m, String key) {
    return new Message(m.id(), m.url(), m.topicName(), m.endpointName(), m.queueName(), m.scheduleId(), m.method(),
        m.headers(), m.body(), m.maxRetries(), m.retryDelayExpression(), m.timeoutMillis(), m.callback(),
        m.callbackConfig(), m.failureCallback(), m.failureCallbackConfig(), m.labels(), m.redact(), key, 5, 0, 0,
        m.notBefore(), m.createdAt(), m.callerIp(), m.retried(), m.crashes(), m.sourceMessageId(), m.workflow());
  }

  // ---- queues, URL groups, schedules

  @Test
  void a_queue_is_created_once_updated_and_deleted() {
    db.writeNow(tx -> {
      tx.queues().ensure("q", now());
      tx.queues().ensure("q", now() + 5);
      return null;
    });
    assertThat(db.<Optional<Queues.Queue>>read(tx -> tx.queues().find("q"))).contains(new Queues.Queue("q", 1, false, now(), now()));
    db.writeNow(tx -> {
      tx.queues().put(new Queues.Queue("q", 4, true, now() + 9, now() + 9));
      return null;
    });
    assertThat(db.<Optional<Queues.Queue>>read(tx -> tx.queues().find("q"))).contains(new Queues.Queue("q", 4, true, now(), now() + 9));
    assertThat(db.<Boolean>writeNow(tx -> tx.queues().delete("q"))).isTrue();
    assertThat(db.<List<Queues.Queue>>read(tx -> tx.queues().all())).isEmpty();
  }

  @Test
  void a_url_group_keeps_its_endpoints_in_order() {
    var g = new UrlGroups.Group("g", List.of(new UrlGroups.Endpoint("b", "https://b"), new UrlGroups.Endpoint(null, "https://a")),
        now(), now());
    db.writeNow(tx -> {
      tx.urlGroups().put(g);
      return null;
    });
    assertThat(db.<Optional<UrlGroups.Group>>read(tx -> tx.urlGroups().find("g"))).contains(g);
    assertThat(db.<List<UrlGroups.Group>>read(tx -> tx.urlGroups().all())).hasSize(1);
  }

  @Test
  void a_url_group_keeps_its_default_headers_until_they_are_replaced() {
    var g = new UrlGroups.Group("g", List.of(new UrlGroups.Endpoint(null, "https://a")),
        Map.of("Upstash-Retries", List.of("2"), "Upstash-Forward-X", List.of("1", "2")), now(), now());
    db.writeNow(tx -> {
      tx.urlGroups().put(g);
      return null;
    });
    assertThat(db.<Optional<UrlGroups.Group>>read(tx -> tx.urlGroups().find("g"))).contains(g);
    var cleared = new UrlGroups.Group("g", g.endpoints(), Map.of(), g.createdAt(), now() + 1);
    db.writeNow(tx -> {
      tx.urlGroups().put(cleared);
      return null;
    });
    assertThat(db.<List<UrlGroups.Group>>read(tx -> tx.urlGroups().all())).containsExactly(cleared);
  }

  @Test
  void advancing_a_schedule_is_a_compare_and_set_on_its_slot() {
    long slot = now();
    var s = new Schedules.Schedule("scd_1", "https://example.com", "* * * * *", false, slot, null, null, null, now(),
        null, Map.of("Upstash-Retries", List.of("1")), new byte[] {1, 2});
    db.writeNow(tx -> {
      tx.schedules().put(s);
      return null;
    });
    assertThat(db.<List<Schedules.Schedule>>read(tx -> tx.schedules().due(slot, 10))).extracting(Schedules.Schedule::id).containsExactly("scd_1");
    assertThat(db.<Boolean>writeNow(tx -> tx.schedules().advance("scd_1", slot, slot + 60_000, slot, Map.of("msg_1", "CREATED"), null))).isTrue();
    assertThat(db.<Boolean>writeNow(tx -> tx.schedules().advance("scd_1", slot, slot + 60_000, slot, Map.of(), null)))
        .as("the same slot fires once").isFalse();
    Schedules.Schedule after = db.read(tx -> tx.schedules().find("scd_1")).orElseThrow();
    assertThat(after.nextFireAt()).isEqualTo(slot + 60_000);
    assertThat(after.lastFireAt()).isEqualTo(slot);
    assertThat(after.lastStates()).containsEntry("msg_1", "CREATED");
    assertThat(db.<Long>read(tx -> tx.schedules().nextFire())).isEqualTo(slot + 60_000);
    assertThat(db.<Boolean>writeNow(tx -> tx.schedules().setPaused("scd_1", true, 0))).isTrue();
    assertThat(db.<Long>read(tx -> tx.schedules().nextFire())).isEqualTo(Long.MAX_VALUE);
  }

  // ---- workflow runs (spec 13)

  private static Workflows.Run aRun(String id, long createdAt) {
    return new Workflows.Run(id, "https://example.com/wf", Workflows.STARTED, createdAt, null, "msg_trigger_" + id,
        "127.0.0.1", List.of("l1"), null, "{\"n\":1}".getBytes(java.nio.charset.StandardCharsets.UTF_8), null, null,
        "{}".getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  @Test
  void a_run_is_created_once_keeps_its_messages_in_order_and_ends_once() {
    assertThat(db.<Boolean>writeNow(tx -> tx.workflows().create(aRun("wfr_1", now())))).isTrue();
    assertThat(db.<Boolean>writeNow(tx -> tx.workflows().create(aRun("wfr_1", now() + 1)))).as("a duplicate trigger").isFalse();
    db.writeNow(tx -> {
      tx.workflows().addMessage("wfr_1", "msg_b", "step", now(), new byte[] {2});
      tx.workflows().addMessage("wfr_1", "msg_a", "toCallback", now(), new byte[0]);
      tx.workflows().addMessage("wfr_other", "msg_x", "step", now(), new byte[] {9});
      tx.workflows().addMessage("wfr_1", "msg_c", "fromCallback", now(), new byte[] {3});
      return null;
    });
    assertThat(db.<List<Workflows.RunMessage>>read(tx -> tx.workflows().messages("wfr_1")))
        .extracting(Workflows.RunMessage::messageId).as("publish order, not id order").containsExactly("msg_b", "msg_a", "msg_c");
    Workflows.Run run = db.read(tx -> tx.workflows().find("wfr_1")).orElseThrow();
    assertThat(run.createdAt()).isEqualTo(now());
    assertThat(run.labels()).containsExactly("l1");
    assertThat(run.active()).isTrue();

    assertThat(db.<Boolean>writeNow(tx -> tx.workflows().end("wfr_1", Workflows.SUCCESS, now() + 5, new byte[] {7}, null))).isTrue();
    assertThat(db.<Boolean>writeNow(tx -> tx.workflows().end("wfr_1", Workflows.CANCELED, now() + 6, null, null)))
        .as("an ended run stays as it ended").isFalse();
    Workflows.Run ended = db.read(tx -> tx.workflows().find("wfr_1")).orElseThrow();
    assertThat(ended.state()).isEqualTo(Workflows.SUCCESS);
    assertThat(ended.completedAt()).isEqualTo(now() + 5);
    assertThat(ended.response()).containsExactly(7);
  }

  @Test
  void runs_list_newest_first_with_filters_and_a_keyset_cursor_and_old_ended_runs_go() {
    db.writeNow(tx -> {
      tx.workflows().create(aRun("wfr_a", now()));
      tx.workflows().create(aRun("wfr_b", now() + 10));
      tx.workflows().create(aRun("wfr_c", now() + 20));
      tx.workflows().end("wfr_a", Workflows.FAILED, now() + 30, null, "dlq_1");
      return null;
    });
    var all = new Workflows.Filter(null, null, null, null, null, null, null);
    assertThat(db.<List<Workflows.Run>>read(tx -> tx.workflows().list(all, null, null, 2)))
        .extracting(Workflows.Run::runId).containsExactly("wfr_c", "wfr_b");
    assertThat(db.<List<Workflows.Run>>read(tx -> tx.workflows().list(all, now() + 10, "wfr_b", 10)))
        .extracting(Workflows.Run::runId).containsExactly("wfr_a");
    var failed = new Workflows.Filter(null, null, Workflows.FAILED, null, null, "l1", null);
    assertThat(db.<List<Workflows.Run>>read(tx -> tx.workflows().list(failed, null, null, 10)))
        .extracting(Workflows.Run::dlqId).containsExactly("dlq_1");
    var anyOf = new Workflows.Filter(null, List.of("https://nowhere/", "https://example.com/wf"), null, null, null,
        List.of("nope", "l1"), null, List.of("10.0.0.1", "127.0.0.1"), null);
    assertThat(db.<List<Workflows.Run>>read(tx -> tx.workflows().list(anyOf, null, null, 10))).as("any of several values")
        .extracting(Workflows.Run::runId).containsExactly("wfr_c", "wfr_b", "wfr_a");
    var otherIp = new Workflows.Filter(null, List.of(), null, null, null, List.of(), null, List.of("10.0.0.1"), null);
    assertThat(db.<List<Workflows.Run>>read(tx -> tx.workflows().list(otherIp, null, null, 10))).isEmpty();

    assertThat(db.<List<String>>read(tx -> tx.workflows().endedBefore(now() + 31, 10))).containsExactly("wfr_a");
    assertThat(db.<List<String>>read(tx -> tx.workflows().quietSince(now() + 31, 10))).as("nothing added to them: quiet")
        .containsExactly("wfr_b", "wfr_c");
    db.writeNow(tx -> {
      tx.workflows().addMessage("wfr_b", "msg_late", "step", now() + 40, new byte[0]);
      tx.workflows().delete("wfr_a");
      return null;
    });
    assertThat(db.<List<String>>read(tx -> tx.workflows().quietSince(now() + 31, 10))).containsExactly("wfr_c");
    var byMessage = new Workflows.Filter(null, List.of(), null, null, null, List.of(), null, List.of(),
        List.of("msg_none", "msg_late"));
    assertThat(db.<List<Workflows.Run>>read(tx -> tx.workflows().list(byMessage, null, null, 10))).as("the run of a message")
        .extracting(Workflows.Run::runId).containsExactly("wfr_b");
    assertThat(running(List.of("https://example.com/"), false, List.of("l1"), null, null)).containsExactly("wfr_b", "wfr_c");
    assertThat(running(List.of("https://example.com/"), false, List.of("l1"), now() + 10, "wfr_b")).as("the next page")
        .containsExactly("wfr_c");
    assertThat(running(List.of("https://example.com/w"), true, List.of(), null, null)).as("exact match").isEmpty();
    assertThat(running(List.of("https://example.com/%"), false, List.of(), null, null)).as("no wildcards").isEmpty();
    assertThat(running(List.of("https://nowhere/", "https://example.com/"), false, List.of("nope", "l1"), null, null))
        .as("any of the values").containsExactly("wfr_b", "wfr_c");
    assertThat(db.<Optional<Workflows.Run>>read(tx -> tx.workflows().find("wfr_a"))).isEmpty();
    assertThat(db.<Optional<Workflows.Run>>read(tx -> tx.workflows().find("wfr_b"))).as("still running").isPresent();
  }

  @Test
  void a_waiter_is_taken_once_and_an_early_event_is_kept_for_its_run() {
    var w = new Workflows.Waiter(0, "evt", "wfr_1", "https://example.com/wf", now() + 1000, now(),
        Map.of("Upstash-Workflow-Runid", List.of("wfr_1")), null, null, null, "{\"stepId\":1}".getBytes(
            java.nio.charset.StandardCharsets.UTF_8));
    db.writeNow(tx -> {
      tx.workflows().addWaiter(w);
      tx.workflows().addWaiter(new Workflows.Waiter(0, "evt", "wfr_2", w.url(), now() + 5000, now(), Map.of(), null, null,
          null, w.step()));
      return null;
    });
    assertThat(db.<List<Workflows.Waiter>>read(tx -> tx.workflows().waiters("evt", null))).hasSize(2);
    List<Workflows.Waiter> mine = db.read(tx -> tx.workflows().waiters("evt", "wfr_1"));
    assertThat(mine).singleElement().satisfies(x -> assertThat(x.headers()).containsEntry("Upstash-Workflow-Runid", List.of("wfr_1")));
    assertThat(db.<List<Workflows.Waiter>>read(tx -> tx.workflows().expiredWaiters(now() + 1000, 10)))
        .extracting(Workflows.Waiter::runId).containsExactly("wfr_1");
    long id = mine.get(0).id();
    assertThat(db.<Boolean>writeNow(tx -> tx.workflows().removeWaiter(id))).isTrue();
    assertThat(db.<Boolean>writeNow(tx -> tx.workflows().removeWaiter(id))).as("a notify and a timeout race: one wins").isFalse();

    db.writeNow(tx -> {
      tx.workflows().putEvent("wfr_1", "later", now(), new byte[] {1});
      tx.workflows().putEvent("wfr_1", "later", now(), new byte[] {2});
      return null;
    });
    assertThat(db.<Optional<byte[]>>writeNow(tx -> tx.workflows().takeEvent("wfr_1", "later"))).hasValueSatisfying(
        d -> assertThat(d).containsExactly(2));
    assertThat(db.<Optional<byte[]>>writeNow(tx -> tx.workflows().takeEvent("wfr_1", "later"))).isEmpty();
  }
}
