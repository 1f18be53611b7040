package dev.herald.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The contract on PostgreSQL: each test gets its own schema, dropped afterwards, and a session time zone
 * that is not UTC (pgjdbc sends the JVM's zone, and surefire runs the JVM in America/Sao_Paulo). Needs PostgreSQL on 127.0.0.1:5432 (or HERALD_TEST_PG, a JDBC URL); when there is
 * none the tests fail rather than skip, so CI cannot go green without running them.
 */
class PostgresStoreTest extends StoreContract {
  static final String BASE = System.getenv().getOrDefault("HERALD_TEST_PG",
      "jdbc:postgresql://127.0.0.1:5432/test?user=" + System.getenv().getOrDefault("HERALD_TEST_PG_USER", "postgres"));
  private String schema;

  /** A fresh schema on the test database; the URL to reach it . */
  static String freshSchema(String schema) {
    try (Connection c = DriverManager.getConnection(BASE); Statement s = c.createStatement()) {
      s.execute("CREATE SCHEMA " + schema); // generated identifier, not input
    } catch (SQLException e) {
      fail("PostgreSQL is required for these tests and is not reachable at " + BASE + ": " + e.getMessage(), e);
    }
    return BASE + "&currentSchema=" + schema;
  }

  static void dropSchema(String schema) {
    try (Connection c = DriverManager.getConnection(BASE); Statement s = c.createStatement()) {
      s.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
    } catch (SQLException e) {
      throw new IllegalStateException("dropping test schema " + schema, e);
    }
  }

  @Override
  protected Db openFresh(TestClock clock) {
    schema = "herald_t_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    return Db.open(freshSchema(schema), new Db.Options(2, 1000, clock));
  }

  @AfterEach
  void drop() {
    if (db != null) db.close();
    db = null;
    dropSchema(schema);
  }

  @Test
  void the_session_time_zone_is_not_utc() {
    String zone = db.read(tx -> {
      try (Statement s = tx.connection().createStatement(); ResultSet rs = s.executeQuery("SHOW TimeZone")) {
        rs.next();
        return rs.getString(1);
      } catch (SQLException e) {
        throw new IllegalStateException(e);
      }
    });
    assertThat(zone).isNotIn("UTC", "Etc/UTC", "GMT", "Z");
  }

  @Test
  void a_lease_without_a_pinned_clock_runs_on_the_database_clock() throws Exception {
    String url = freshSchemaUrl();
    try (Db live = Db.open(url, new Db.Options(2, 1000, null))) {
      long appNow = System.currentTimeMillis();
      live.writeNow(tx -> {
        tx.messages().insert(aMessage("msg_1"), appNow);
        return tx.messages().claim("msg_1", "lease-a", appNow, 200);
      });
      assertThat(live.<List<dev.herald.core.message.Message>>writeNow(tx -> tx.messages().releaseExpiredLeases("r", 10))).isEmpty();
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      List<dev.herald.core.message.Message> reaped = List.of();
      while (reaped.isEmpty() && System.nanoTime() < until) {
        java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
        reaped = live.writeNow(tx -> tx.messages().releaseExpiredLeases("r", 10));
      }
      assertThat(reaped).extracting(dev.herald.core.message.Message::id).containsExactly("msg_1");
    }
  }

  @Test
  void another_node_hears_about_new_messages() throws Exception {
    String url = freshSchemaUrl();
    try (Db a = Db.open(url, new Db.Options(2, 1000, null)); Db b = Db.open(url, new Db.Options(2, 1000, null))) {
      LinkedBlockingQueue<NewWorkListener.RemoteWork> heardByB = new LinkedBlockingQueue<>();
      LinkedBlockingQueue<NewWorkListener.RemoteWork> heardByA = new LinkedBlockingQueue<>();
      b.listenForNewWork(heardByB::add);
      a.listenForNewWork(heardByA::add);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      NewWorkListener.RemoteWork w = null;
      // LISTEN starts on its own thread: publish until the first wake-up arrives
      for (int i = 0; w == null && System.nanoTime() < deadline; i++) {
        int n = i;
        a.writeNow(tx -> {
          tx.messages().insert(aMessage("msg_" + n, "q" + n, List.of()), 1234 + n);
          return null;
        });
        w = heardByB.poll(200, TimeUnit.MILLISECONDS);
      }
      assertThat(w).isNotNull();
      assertThat(w.queues()).hasSize(1);
      assertThat(w.earliestDue()).isEqualTo(1234 + Long.parseLong(w.queues().get(0).substring(1)));
      assertThat(heardByA.poll(300, TimeUnit.MILLISECONDS)).as("a node ignores its own notifications").isNull();
    }
  }

  @Test
  void only_one_node_at_a_time_holds_the_maintenance_lock() throws Exception {
    String url = freshSchemaUrl();
    try (Db a = Db.open(url, new Db.Options(2, 1000, null)); Db b = Db.open(url, new Db.Options(2, 1000, null))) {
      java.util.concurrent.CountDownLatch aHolds = new java.util.concurrent.CountDownLatch(1);
      java.util.concurrent.CountDownLatch bAsked = new java.util.concurrent.CountDownLatch(1);
      var first = a.write(tx -> {
        boolean got = tx.maintenanceLock();
        aHolds.countDown();
        try {
          bAsked.await(10, TimeUnit.SECONDS); // keep a's transaction (and its lock) open meanwhile
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        return got;
      });
      assertThat(aHolds.await(10, TimeUnit.SECONDS)).isTrue();
      boolean bGot = b.writeNow(tx -> tx.maintenanceLock());
      bAsked.countDown();
      assertThat(first.join()).isTrue();
      assertThat(bGot).as("the other node skips its pass").isFalse();
      assertThat((boolean) b.writeNow(tx -> tx.maintenanceLock())).as("released at commit").isTrue();
    }
  }

  private String freshSchemaUrl() {
    // reuse this test's schema: the contract's store already migrated it
    return BASE + "&currentSchema=" + schema;
  }

}
