package dev.herald.store;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.function.Consumer;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Listens for other nodes' "new work" notifications on a dedicated PostgreSQL connection and hands
 * them to the dispatcher. One platform thread; it reconnects after a failure (waiting a little longer
 * each time, up to 5 s) and then reports {@link RemoteWork#everything()}, since notifications sent while
 * it was away are gone. Its own node's notifications are ignored.
 */
public final class NewWorkListener implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(NewWorkListener.class);

  /** Another node committed messages: the earliest due time, and queues that got fresh messages. */
  public record RemoteWork(long earliestDue, List<String> queues) {
    public static RemoteWork everything() {
      return new RemoteWork(Long.MIN_VALUE, List.of());
    }
  }

  private final Db.PgUrl url;
  private final String nodeId;
  private final Consumer<RemoteWork> onWork;
  private final Thread thread;
  private volatile boolean running = true;

  NewWorkListener(Db.PgUrl url, String nodeId, Consumer<RemoteWork> onWork) {
    this.url = url;
    this.nodeId = nodeId;
    this.onWork = onWork;
    this.thread = Thread.ofPlatform().name("herald-listen").daemon(true).unstarted(this::run);
  }

  void start() {
    thread.start();
  }

  private void run() {
    long backoff = 100;
    boolean first = true;
    while (running) {
      try (Connection c = url.connect()) {
        try (Statement s = c.createStatement()) {
          s.execute("LISTEN " + Dialect.CHANNEL); // a constant identifier: LISTEN takes no parameters
        }
        if (!first) onWork.accept(RemoteWork.everything());
        first = false;
        backoff = 100;
        PGConnection pg = c.unwrap(PGConnection.class);
        while (running) {
          PGNotification[] ns = pg.getNotifications(500);
          if (ns == null) continue;
          for (PGNotification n : ns) {
            RemoteWork w = parse(n.getParameter());
            if (w != null) onWork.accept(w);
          }
        }
      } catch (SQLException | RuntimeException e) {
        if (!running) return;
        first = false;
        log.warn("listening for new work failed ({}); reconnecting in {} ms", e.getMessage(), backoff);
        sleep(backoff);
        backoff = Math.min(5000, backoff * 2);
      }
    }
  }

  /** "node due queue,queue"; null for our own or unreadable payloads. */
  RemoteWork parse(String payload) {
    String[] parts = payload.split(" ", 3);
    if (parts.length < 2 || parts[0].equals(nodeId)) return null;
    try {
      long due = Long.parseLong(parts[1]);
      List<String> queues = parts.length < 3 || parts[2].isEmpty() ? List.of() : List.of(parts[2].split(","));
      return new RemoteWork(due, queues);
    } catch (NumberFormatException e) {
      return null;
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    running = false;
    try {
      thread.join(2000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
