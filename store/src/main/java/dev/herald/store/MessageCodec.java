package dev.herald.store;

import dev.herald.core.message.Headers;
import dev.herald.core.message.Message;
import dev.herald.core.message.Workflow;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Maps a {@link Message} to the columns we filter on plus one binary {@code spec} column for the rest,
 * so adding a message field does not need a migration. The body stays a BLOB, byte for byte.
 *
 * <p>The spec is a version byte, a bit set of the fields present, then each present field in bit order:
 * strings (see below), numbers as zig-zag varints, header maps as a count then
 * (name, count, values...). A field that is null, empty or 0 is absent and reads back as such
 * (a timeout is absent only when null). The bit
 * of a field is on disk: a new field takes the next free bit, never an old one. (It replaced JSON,
 * which took about twice the bytes and was the largest cost of decoding a claimed message.)
 *
 * <p>A string is {@code varint(length << 1)} plus UTF-8, or {@code varint(index << 1 | 1)}
 * for an entry of {@link #TABLE}: methods and the most common header names and values, which nearly
 * every message repeats (like HPACK's static table). The table is on disk too: append, never reorder.
 */
final class MessageCodec {
  private static final int VERSION = 2;
  /** Strings stored as their index. Append only: the index of an entry is on disk. */
  private static final List<String> TABLE = List.of("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS",
      "Content-Type", "content-type", "application/json", "application/json; charset=utf-8",
      "application/json;charset=UTF-8", "text/plain", "text/plain;charset=UTF-8", "text/plain; charset=utf-8",
      "application/x-www-form-urlencoded", "application/octet-stream", "text/html", "Authorization",
      "authorization", "User-Agent", "user-agent", "Accept", "accept", "*/*", "Content-Encoding", "gzip",
      "X-Request-Id", "Idempotency-Key");
  private static final Map<String, Integer> INDEX = new java.util.HashMap<>();

  static {
    for (int i = 0; i < TABLE.size(); i++) INDEX.put(TABLE.get(i), i);
  }
  private static final int ENDPOINT = 0, METHOD = 1, HEADERS = 2, MAX_RETRIES = 3, RETRY_DELAY = 4, TIMEOUT = 5,
      CALLBACK = 6, CALLBACK_CONFIG = 7, FAILURE_CALLBACK = 8, FAILURE_CALLBACK_CONFIG = 9, LABELS = 10, REDACT = 11,
      FLOW_PARALLELISM = 12, FLOW_RATE = 13, FLOW_PERIOD = 14, NOT_BEFORE = 15, SOURCE_MESSAGE_ID = 16,
      WORKFLOW = 17;

  static final String COLUMNS =
      "id, retried, crashes, created_at, url, topic_name, queue_name, schedule_id, caller_ip, flow_key, spec, body";

  private MessageCodec() {}

  static byte[] spec(Message m) {
    Out o = new Out();
    long present = 0;
    present |= o.string(ENDPOINT, m.endpointName());
    present |= o.string(METHOD, m.method());
    present |= o.headers(HEADERS, m.headers().map());
    present |= o.number(MAX_RETRIES, m.maxRetries());
    present |= o.string(RETRY_DELAY, m.retryDelayExpression());
    present |= o.nullable(TIMEOUT, m.timeoutMillis());
    present |= o.string(CALLBACK, m.callback());
    present |= o.headers(CALLBACK_CONFIG, m.callbackConfig().map());
    present |= o.string(FAILURE_CALLBACK, m.failureCallback());
    present |= o.headers(FAILURE_CALLBACK_CONFIG, m.failureCallbackConfig().map());
    present |= o.strings(LABELS, m.labels());
    present |= o.string(REDACT, m.redact());
    present |= o.number(FLOW_PARALLELISM, m.flowParallelism());
    present |= o.number(FLOW_RATE, m.flowRate());
    present |= o.number(FLOW_PERIOD, m.flowPeriodSeconds());
    present |= o.number(NOT_BEFORE, m.notBefore().toEpochMilli());
    present |= o.string(SOURCE_MESSAGE_ID, m.sourceMessageId());
    present |= o.workflow(WORKFLOW, m.workflow());
    Out head = new Out();
    head.write(VERSION);
    head.varint(present);
    byte[] out = new byte[head.size() + o.size()];
    System.arraycopy(head.buf(), 0, out, 0, head.size());
    System.arraycopy(o.buf(), 0, out, head.size(), o.size());
    return out;
  }

  /**
   * The spec and the body in one value ({@code varint spec length, spec, body}): what a message's final
   * log entry carries for its CREATED entry (see {@link CreatedDetail}); the rest is in the entry's columns.
   */
  static byte[] packed(Message m) {
    byte[] spec = spec(m);
    Out o = new Out();
    o.varint(spec.length);
    o.write(spec, 0, spec.length);
    o.write(m.body(), 0, m.body().length);
    return o.toByteArray();
  }

  /** Reads {@link #packed}; {@code createdAt} is the time of the CREATED entry. */
  static Message unpacked(byte[] packed, String id, long createdAt, String url, String topic, String queue,
      String scheduleId, String callerIp, String flowKey) {
    In in = new In(packed);
    int n = (int) in.varint();
    int from = in.i;
    byte[] spec = java.util.Arrays.copyOfRange(packed, from, from + n);
    byte[] body = java.util.Arrays.copyOfRange(packed, from + n, packed.length);
    return decode(id, 0, 0, createdAt, url, topic, queue, scheduleId, callerIp, flowKey, spec, body);
  }

  static String labels(List<String> labels) {
    return labels.isEmpty() ? null : "," + String.join(",", labels) + ",";
  }

  /** Reads a row selected with {@link #COLUMNS} (in that order, starting at column 1). */
  static Message read(ResultSet rs) throws SQLException {
    return decode(StoredIds.read(rs, 1), rs.getInt(2), rs.getInt(3), rs.getLong(4), rs.getString(5), rs.getString(6),
        rs.getString(7), rs.getString(8), rs.getString(9), rs.getString(10), rs.getBytes(11), rs.getBytes(12));
  }

  static Message decode(String id, int retried, int crashes, long createdAt, String url, String topic, String queue,
      String scheduleId, String callerIp, String flowKey, byte[] spec, byte[] body) {
    In in = new In(spec);
    int version = in.read();
    if (version != VERSION) throw new IllegalStateException("message " + id + ": unknown spec version " + version);
    long p = in.varint();
    String endpoint = has(p, ENDPOINT) ? in.string() : null;
    String method = has(p, METHOD) ? in.string() : null;
    Map<String, List<String>> headers = has(p, HEADERS) ? in.headers() : Map.of();
    int maxRetries = has(p, MAX_RETRIES) ? (int) in.number() : 0;
    String retryDelay = has(p, RETRY_DELAY) ? in.string() : null;
    Long timeout = has(p, TIMEOUT) ? in.number() : null;
    String callback = has(p, CALLBACK) ? in.string() : null;
    Map<String, List<String>> callbackConfig = has(p, CALLBACK_CONFIG) ? in.headers() : Map.of();
    String failureCallback = has(p, FAILURE_CALLBACK) ? in.string() : null;
    Map<String, List<String>> failureCallbackConfig = has(p, FAILURE_CALLBACK_CONFIG) ? in.headers() : Map.of();
    List<String> labels = has(p, LABELS) ? in.strings() : List.of();
    String redact = has(p, REDACT) ? in.string() : null;
    int flowParallelism = has(p, FLOW_PARALLELISM) ? (int) in.number() : 0;
    int flowRate = has(p, FLOW_RATE) ? (int) in.number() : 0;
    long flowPeriod = has(p, FLOW_PERIOD) ? in.number() : 0;
    long notBefore = has(p, NOT_BEFORE) ? in.number() : 0;
    String source = has(p, SOURCE_MESSAGE_ID) ? in.string() : null;
    Workflow workflow = has(p, WORKFLOW) ? in.workflow() : null;
    return new Message(id, url, topic, endpoint, queue, scheduleId, method, Headers.of(headers), body, maxRetries,
        retryDelay, timeout, callback, Headers.of(callbackConfig), failureCallback, Headers.of(failureCallbackConfig),
        labels, redact, flowKey, flowParallelism, flowRate, flowPeriod, Instant.ofEpochMilli(notBefore),
        Instant.ofEpochMilli(createdAt), callerIp, retried, crashes, source, workflow);
  }

  private static boolean has(long present, int bit) {
    return (present & (1L << bit)) != 0;
  }

  private static final class Out extends ByteArrayOutputStream {
    Out() {
      super(128);
    }

    byte[] buf() {
      return buf;
    }

    void varint(long v) {
      while ((v & ~0x7FL) != 0) {
        write((int) ((v & 0x7F) | 0x80));
        v >>>= 7;
      }
      write((int) v);
    }

    void text(String s) {
      Integer t = INDEX.get(s);
      if (t != null) {
        varint((long) t << 1 | 1);
        return;
      }
      byte[] b = s.getBytes(StandardCharsets.UTF_8);
      varint((long) b.length << 1);
      write(b, 0, b.length);
    }

    long string(int bit, String s) {
      if (s == null) return 0; // an empty string is kept: it reads back empty, not null
      text(s);
      return 1L << bit;
    }

    long number(int bit, long v) {
      if (v == 0) return 0;
      varint((v << 1) ^ (v >> 63));
      return 1L << bit;
    }

    long nullable(int bit, Long v) {
      if (v == null) return 0; // 0 is kept: it reads back 0, not null
      varint((v << 1) ^ (v >> 63));
      return 1L << bit;
    }

    long strings(int bit, List<String> values) {
      if (values.isEmpty()) return 0;
      varint(values.size());
      for (String s : values) text(s);
      return 1L << bit;
    }

    /** Run id, workflow URL ("" when absent), call type, flags (1 init, 2 invoke), run creation time. */
    long workflow(int bit, Workflow w) {
      if (w == null) return 0;
      text(w.runId());
      text(w.url() == null ? "" : w.url());
      text(w.callType());
      varint((w.init() ? 1 : 0) | (w.invoke() ? 2 : 0));
      varint(w.createdAt());
      return 1L << bit;
    }

    long headers(int bit, Map<String, List<String>> h) {
      if (h.isEmpty()) return 0;
      varint(h.size());
      h.forEach((k, v) -> {
        text(k);
        varint(v.size());
        for (String s : v) text(s);
      });
      return 1L << bit;
    }
  }

  private static final class In {
    private final byte[] b;
    private int i;

    In(byte[] b) {
      this.b = b;
    }

    int read() {
      return b[i++] & 0xFF;
    }

    long varint() {
      long v = 0;
      for (int shift = 0; ; shift += 7) {
        int x = read();
        v |= (long) (x & 0x7F) << shift;
        if ((x & 0x80) == 0) return v;
      }
    }

    long number() {
      long z = varint();
      return (z >>> 1) ^ -(z & 1);
    }

    String string() {
      long v = varint();
      if ((v & 1) == 1) return TABLE.get((int) (v >>> 1));
      int n = (int) (v >>> 1);
      String s = new String(b, i, n, StandardCharsets.UTF_8);
      i += n;
      return s;
    }

    List<String> strings() {
      int n = (int) varint();
      List<String> out = new ArrayList<>(n);
      for (int k = 0; k < n; k++) out.add(string());
      return out;
    }

    Workflow workflow() {
      String runId = string();
      String url = string();
      String callType = string();
      int flags = (int) varint();
      long createdAt = varint();
      return new Workflow(runId, url.isEmpty() ? null : url, callType, (flags & 1) != 0, (flags & 2) != 0, createdAt);
    }

    Map<String, List<String>> headers() {
      int n = (int) varint();
      Map<String, List<String>> out = new LinkedHashMap<>();
      for (int k = 0; k < n; k++) out.put(string(), strings());
      return out;
    }
  }
}
