package dev.herald.engine;

import dev.herald.core.ValidationException;
import dev.herald.core.cron.CronSchedule;
import dev.herald.core.id.Ids;
import dev.herald.core.message.HeaderParser;
import dev.herald.core.message.MessageOptions;
import dev.herald.store.Db;
import dev.herald.store.Messages;
import dev.herald.store.Schedules;
import dev.herald.store.UrlGroups;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Cron schedules (spec 6). {@link #runOnce()} fires due slots: for each, in one transaction, it
 * publishes the schedule's message(s) and moves {@code next_fire_at} with a compare-and-set, so a slot
 * fires once even when several processes race. After downtime, missed slots coalesce into one run
 * (the next slot is computed from now, not from the missed slot).
 */
public final class ScheduleService {
  private static final Logger log = LoggerFactory.getLogger(ScheduleService.class);

  /** A schedule to create or overwrite, as the client sent it. */
  public record Create(String scheduleId, String destination, boolean isUrl, String cron, Map<String, List<String>> headers,
      byte[] body, String callerIp) {}

  private final Db db;
  private final InstantSource clock;
  private final Ids ids;
  private final HeaderParser parser;
  private final PublishService publisher;

  public ScheduleService(Db db, InstantSource clock, Ids ids, HeaderParser parser, PublishService publisher) {
    this.db = db;
    this.clock = clock;
    this.ids = ids;
    this.parser = parser;
    this.publisher = publisher;
  }

  /** Validates everything now (cron, headers, id) and creates or replaces the schedule; returns its id. */
  public String create(Create c) {
    if (c.cron() == null || c.cron().isBlank()) throw new ValidationException("Upstash-Cron: required");
    CronSchedule cron = CronSchedule.parse(c.cron());
    parser.parse(c.headers());
    String id = c.scheduleId() != null ? HeaderParser.name("Upstash-Schedule-Id", c.scheduleId()) : ids.schedule(clock.instant());
    Instant now = clock.instant();
    long next = cron.next(now).toEpochMilli();
    db.write(tx -> {
      var existing = tx.schedules().find(id);
      tx.schedules().put(new Schedules.Schedule(id, c.destination(), cron.expression(),
          existing.map(Schedules.Schedule::paused).orElse(false), next, existing.map(Schedules.Schedule::lastFireAt).orElse(null),
          existing.map(Schedules.Schedule::lastStates).orElse(null), null,
          existing.map(Schedules.Schedule::createdAt).orElse(now.toEpochMilli()), c.callerIp(), c.headers(), c.body()));
      return null;
    }).join();
    return id;
  }

  public Optional<Schedules.Schedule> get(String id) {
    long now = clock.millis();
    return db.read(tx -> tx.schedules().find(id)).map(s -> shown(s, now));
  }

  public List<Schedules.Schedule> list() {
    long now = clock.millis();
    return db.read(tx -> tx.schedules().all()).stream().map(s -> shown(s, now)).toList();
  }

  /**
   * A paused schedule keeps the slot it was paused at, which soon lies in the past; it is shown with
   * the slot it would fire at if resumed now (what resume sets), not a time that will never come.
   */
  private static Schedules.Schedule shown(Schedules.Schedule s, long now) {
    if (!s.paused() || s.nextFireAt() > now) return s;
    long next;
    try {
      next = CronSchedule.parse(s.cron()).next(java.time.Instant.ofEpochMilli(now)).toEpochMilli();
    } catch (RuntimeException e) {
      return s; // an unusable cron (see fire): shown as stored
    }
    return new Schedules.Schedule(s.id(), s.destination(), s.cron(), true, next, s.lastFireAt(), s.lastStates(),
        s.lastError(), s.createdAt(), s.callerIp(), s.headers(), s.body());
  }

  public boolean delete(String id) {
    return db.write(tx -> tx.schedules().delete(id)).join();
  }

  public boolean setPaused(String id, boolean paused) {
    return db.write(tx -> {
      var s = tx.schedules().find(id);
      if (s.isEmpty()) return false;
      long next = CronSchedule.parse(s.get().cron()).next(clock.instant()).toEpochMilli();
      return tx.schedules().setPaused(id, paused, next);
    }).join();
  }

  /** The options a schedule's messages get (for the schedule object of GET). */
  public MessageOptions options(Schedules.Schedule s) {
    return parser.parse(s.headers());
  }

  /** Fires every due slot; returns how many schedules fired. */
  public int runOnce() {
    Instant now = clock.instant();
    List<Schedules.Schedule> due = db.read(tx -> tx.schedules().due(now.toEpochMilli(), 100));
    int fired = 0;
    for (Schedules.Schedule s : due) if (fire(s, now)) fired++;
    return fired;
  }

  /** Milliseconds until the next slot of any schedule (for the loop's wait). */
  public long nextFire() {
    return db.read(tx -> tx.schedules().nextFire());
  }

  private boolean fire(Schedules.Schedule s, Instant now) {
    long nowMs = now.toEpochMilli();
    List<Messages.Due> dues = new ArrayList<>();
    long next;
    try {
      next = CronSchedule.parse(s.cron()).next(now).toEpochMilli();
    } catch (RuntimeException e) {
      log.error("schedule {} has an unusable cron; pausing it", s.id(), e);
      db.writeNow(tx -> tx.schedules().setPaused(s.id(), true, s.nextFireAt()));
      return false;
    }
    boolean fired;
    try {
      fired = db.writeNow(tx -> {
      Map<String, String> states = new LinkedHashMap<>();
      String error = null;
      try {
        boolean isUrl = HeaderParser.isUrl(s.destination());
        // a URL group's default headers as they are now, like any publish to it (spec 7.5)
        var headers = isUrl ? s.headers() : UrlGroups.withDefaults(s.headers(),
            tx.urlGroups().find(s.destination()).map(UrlGroups.Group::headers).orElse(Map.of()));
        MessageOptions o = parser.parse(headers);
        PublishOutcome out = publisher.publishOne(tx,
            new PublishRequest(s.destination(), isUrl, o, s.body(), s.callerIp(), o.queueName(), s.id()), now, nowMs, dues);
        switch (out) {
          case PublishOutcome.Accepted a -> a.results().forEach(r -> states.put(r.messageId(), "IN_PROGRESS"));
          case PublishOutcome.Rejected r -> error = r.error();
        }
      } catch (ValidationException e) {
        error = e.getMessage();
      }
      if (!tx.schedules().advance(s.id(), s.nextFireAt(), next, nowMs, states, error)) {
        throw new SlotTaken(); // someone else fired this slot: roll our messages back
      }
      return true;
      });
    } catch (SlotTaken e) {
      return false;
    }
    if (fired) dues.forEach(publisher.newWork()::created);
    return fired;
  }

  /** Thrown inside the firing transaction to undo it when the compare-and-set loses. */
  private static final class SlotTaken extends RuntimeException {
    SlotTaken() {
      super(null, null, false, false);
    }
  }
}
