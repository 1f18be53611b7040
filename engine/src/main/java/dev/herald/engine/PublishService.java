package dev.herald.engine;

import dev.herald.core.id.Ids;
import dev.herald.core.message.Message;
import dev.herald.core.message.MessageOptions;
import dev.herald.store.Db;
import dev.herald.store.Tx;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;

/**
 * Accepts messages: deduplicates, stores and logs them in one group-committed transaction, and only
 * completes after the commit is on disk. Everything in one call is one commit (a URL-group fan-out,
 * a batch). Thread-safe.
 */
public final class PublishService {
  private final Db db;
  private final InstantSource clock;
  private final MessageFactory factory;
  private final Duration dedupWindow;
  private volatile NewWork newWork = (id, due) -> {};

  public PublishService(Db db, InstantSource clock, Ids ids, Duration dedupWindow) {
    this.db = db;
    this.clock = clock;
    this.factory = new MessageFactory(ids);
    this.dedupWindow = dedupWindow;
  }

  public void onNewWork(NewWork listener) {
    this.newWork = listener;
  }

  public CompletableFuture<List<PublishResult>> publish(List<Publication> pubs) {
    Instant now = clock.instant();
    List<Message> messages = new ArrayList<>(pubs.size());
    List<String> keys = new ArrayList<>(pubs.size());
    for (Publication p : pubs) {
      messages.add(factory.create(p, now, null));
      keys.add(dedupKey(p));
    }
    long nowMs = now.toEpochMilli();
    List<Long> dues = new ArrayList<>();
    return db.write(tx -> {
      List<PublishResult> results = new ArrayList<>(messages.size());
      for (int i = 0; i < messages.size(); i++) {
        Message m = messages.get(i);
        String key = keys.get(i);
        if (key != null) {
          var existing = tx.dedup().find(key, nowMs);
          if (existing.isPresent()) {
            results.add(new PublishResult(existing.get(), m.url(), true));
            dues.add(null);
            continue;
          }
          tx.dedup().put(key, m.id(), nowMs + dedupWindow.toMillis());
        }
        insert(tx, m, nowMs);
        dues.add(m.notBefore().toEpochMilli());
        results.add(new PublishResult(m.id(), m.url(), false));
      }
      return results;
    }).thenApply(results -> {
      for (int i = 0; i < results.size(); i++) {
        if (dues.get(i) != null) newWork.created(results.get(i).messageId(), dues.get(i));
      }
      return results;
    });
  }

  /** Inserts a message and its CREATED event in the caller's transaction (also used for callbacks). */
  static void insert(Tx tx, Message m, long nowMs) {
    tx.messages().insert(m, m.notBefore().toEpochMilli());
    EventLog.append(tx, nowMs, m, "CREATED", null);
  }

  /** Dedup scope is the destination: the same id sent to two endpoints of a group makes two messages. */
  private static String dedupKey(Publication p) {
    MessageOptions o = p.options();
    if (o.deduplicationId() != null) return "id:" + sha256(p.url() + "\n" + o.deduplicationId());
    if (!o.contentBasedDeduplication()) return null;
    StringBuilder sb = new StringBuilder(p.url()).append('\n').append(o.method()).append('\n');
    for (Map.Entry<String, List<String>> h : new TreeMap<>(o.headers().map()).entrySet()) {
      sb.append(h.getKey()).append(':').append(String.join(",", h.getValue())).append('\n');
    }
    return "content:" + sha256(sb.toString(), p.body());
  }

  private static String sha256(String s) {
    return sha256(s, new byte[0]);
  }

  private static String sha256(String s, byte[] body) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      md.update(s.getBytes(StandardCharsets.UTF_8));
      md.update(body);
      return HexFormat.of().formatHex(md.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
