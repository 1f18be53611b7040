package dev.herald.server;

import java.util.Map;

/**
 * {@link WorkflowProtocolTest} on a PostgreSQL store (a fresh database per test, dropped afterwards):
 * runs, step lists, waits and the workflow DLQ use the same statements on both dialects.
 */
class WorkflowProtocolPostgresTest extends WorkflowProtocolTest {
  private String database; // no initializer: store() sets it while the superclass is being built

  @Override
  Map<String, String> store() {
    database = "herald_wf_" + Long.toHexString(System.nanoTime());
    ClusterSharedLimitsTest.admin("CREATE DATABASE " + database);
    return Map.of("store.url", "postgresql://postgres@127.0.0.1:5432/" + database);
  }

  @Override
  void dropStore() {
    ClusterSharedLimitsTest.admin("DROP DATABASE IF EXISTS " + database + " WITH (FORCE)");
  }
}
