package dev.herald.store;

import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.List;

/**
 * Builds WHERE clauses for list filters from fixed column names and bound parameters only (never
 * concatenates values). Semantics: any-of within one filter, all-of across filters (spec 1.6).
 */
final class Filters {
  private Filters() {}

  /**
   * The most values one filter takes. A query must stay within the databases' limits on bound
   * parameters and expression depth (SQLite refused a thousand labels: "Expression tree is too large").
   */
  static final int MAX_VALUES = 500;

  private static void bounded(String column, List<?> values) {
    if (values.size() > MAX_VALUES) {
      throw new dev.herald.core.ValidationException("too many values to filter " + column + " by: " + values.size()
          + " (at most " + MAX_VALUES + ")");
    }
  }

  static void anyOf(StringBuilder sql, List<Object> args, String column, List<?> values) {
    if (values == null || values.isEmpty()) return;
    bounded(column, values);
    sql.append(" AND ").append(column).append(" IN (");
    for (int i = 0; i < values.size(); i++) {
      sql.append(i == 0 ? "?" : ", ?");
      args.add(values.get(i));
    }
    sql.append(')');
  }

  /**
   * The filters on what a message and each of its log entries both carry, under the same column names
   * in {@code messages} and {@code events}: destination, topic, queue, schedule, labels, flow-control
   * key, caller IP.
   */
  static void messageFacts(StringBuilder sql, List<Object> args, List<String> urls, List<String> topicNames,
      List<String> queueNames, List<String> scheduleIds, List<String> labels, List<String> flowKeys,
      List<String> callerIps) {
    anyOf(sql, args, "url", urls);
    anyOf(sql, args, "topic_name", topicNames);
    anyOf(sql, args, "queue_name", queueNames);
    anyOf(sql, args, "schedule_id", scheduleIds);
    labels(sql, args, labels);
    anyOf(sql, args, "flow_key", flowKeys);
    anyOf(sql, args, "caller_ip", callerIps);
  }

  /** Labels are stored as ",a,b,"; a row matches when it has any of the given labels. */
  static void labels(StringBuilder sql, List<Object> args, List<String> labels) {
    if (labels == null || labels.isEmpty()) return;
    bounded("labels", labels);
    sql.append(" AND (");
    for (int i = 0; i < labels.size(); i++) {
      // replace() is case-sensitive on both databases (LIKE is not on SQLite) and needs no escaping.
      sql.append(i == 0 ? "" : " OR ").append("replace(labels, ?, '') <> labels");
      args.add("," + labels.get(i) + ",");
    }
    sql.append(')');
  }

  static void range(StringBuilder sql, List<Object> args, String column, Long from, Long to) {
    if (from != null) {
      sql.append(" AND ").append(column).append(" >= ?");
      args.add(from);
    }
    if (to != null) {
      sql.append(" AND ").append(column).append(" <= ?");
      args.add(to);
    }
  }

  static void bind(PreparedStatement ps, List<Object> args) throws SQLException {
    for (int i = 0; i < args.size(); i++) {
      Object a = args.get(i);
      if (a instanceof Long l) ps.setLong(i + 1, l);
      else if (a instanceof Integer n) ps.setInt(i + 1, n);
      else if (a instanceof byte[] b) ps.setBytes(i + 1, b); // a message id as SQLite stores it (StoredIds)
      else ps.setString(i + 1, (String) a);
    }
  }
}
