package dev.herald.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.UUID;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A store made by the previous release (migrated to V2) with workflow DLQ entries in it, opened by this
 * one: V3 fills the columns its filters read from what the entries already hold.
 */
@Timeout(60)
class MigrationUpgradeTest {
  @TempDir Path dir;

  @Test
  void sqlite_v3_fills_the_failure_state_and_run_creation_time_of_existing_workflow_dlq_entries() throws SQLException {
    String url = "jdbc:sqlite:" + dir.resolve("herald.db").toAbsolutePath();
    Flyway.configure().dataSource(url, null, null).locations("classpath:db/migration/sqlite").target("2").load().migrate();
    try (Connection c = DriverManager.getConnection(url)) {
      fillV2(c);
    }
    try (Db db = Db.openSqlite(dir, 1, 10)) {
      assertUpgraded(db);
    }
  }

  @Test
  void postgres_v3_fills_the_failure_state_and_run_creation_time_of_existing_workflow_dlq_entries() throws SQLException {
    String schema = "herald_m_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    String url = PostgresStoreTest.freshSchema(schema);
    try {
      Flyway.configure().dataSource(url, null, null).locations("classpath:db/migration/postgresql").target("2").load().migrate();
      try (Connection c = DriverManager.getConnection(url)) {
        fillV2(c);
      }
      try (Db db = Db.open(url, new Db.Options(1, 10, null))) {
        assertUpgraded(db);
      }
    } finally {
      PostgresStoreTest.dropSchema(schema);
    }
  }

  /** Two workflow entries as V2 stored them (one with a failure function's outcome) and a plain one. */
  private static void fillV2(Connection c) throws SQLException {
    try (PreparedStatement run = c.prepareStatement("INSERT INTO workflow_runs (run_id, url, state, created_at, trigger_id, "
        + "initial_body, settings) VALUES ('wfr_1', 'https://example.com/wf', 'RUN_FAILED', 1700000000123, 'msg_t', ?, ?)")) {
      run.setBytes(1, new byte[0]);
      run.setBytes(2, "{}".getBytes(StandardCharsets.UTF_8));
      run.executeUpdate();
    }
    String insert = "INSERT INTO dlq (dlq_id, message_id, entered_at, created_at, url, response_status, spec, response, body, "
        + "workflow_run_id, failure_callback) VALUES (?, ?, 1, 1, 'https://example.com/wf', 500, ?, ?, ?, ?, ?)";
    Object[][] rows = {
        {"dlq_1", "msg_1", "wfr_1", "{\"state\":\"CALLBACK_FAIL\",\"responseStatus\":500}"},
        {"dlq_2", "msg_2", "wfr_1", null},
        {"dlq_3", "msg_3", null, null}};
    for (Object[] r : rows) {
      try (PreparedStatement ps = c.prepareStatement(insert)) {
        ps.setString(1, (String) r[0]);
        ps.setString(2, (String) r[1]);
        ps.setBytes(3, new byte[] {0});
        ps.setBytes(4, "{}".getBytes(StandardCharsets.UTF_8));
        ps.setBytes(5, new byte[0]);
        ps.setString(6, (String) r[2]);
        ps.setBytes(7, r[3] == null ? null : ((String) r[3]).getBytes(StandardCharsets.UTF_8));
        ps.executeUpdate();
      }
    }
  }

  private static void assertUpgraded(Db db) {
    String rows = db.read(tx -> {
      StringBuilder sb = new StringBuilder();
      try (PreparedStatement ps = tx.connection().prepareStatement(
          "SELECT dlq_id, failure_state, workflow_created_at FROM dlq ORDER BY dlq_id"); ResultSet rs = ps.executeQuery()) {
        while (rs.next()) sb.append(rs.getString(1)).append(' ').append(rs.getString(2)).append(' ').append(rs.getString(3)).append(';');
      } catch (SQLException e) {
        throw new IllegalStateException(e);
      }
      return sb.toString();
    });
    assertThat(rows).isEqualTo("dlq_1 CALLBACK_FAIL 1700000000123;dlq_2 null 1700000000123;dlq_3 null null;");
  }
}
