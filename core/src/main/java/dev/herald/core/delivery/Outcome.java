package dev.herald.core.delivery;

import java.util.List;
import java.util.Map;

/** What one delivery attempt produced. */
public sealed interface Outcome {
  /** The destination answered with an HTTP status (any status, 2xx or not). */
  record Response(int status, Map<String, List<String>> headers, byte[] body) implements Outcome {
    public Response {
      headers = Map.copyOf(headers);
    }

    public boolean success() {
      return status >= 200 && status <= 299;
    }

    public String header(String lowerCaseName) {
      for (var e : headers.entrySet()) {
        if (e.getKey().equalsIgnoreCase(lowerCaseName) && !e.getValue().isEmpty()) return e.getValue().get(0);
      }
      return null;
    }

    /** 489 plus {@code Upstash-NonRetryable-Error: true}: straight to the DLQ (spec 5.4). */
    public boolean nonRetryable() {
      return status == 489 && "true".equalsIgnoreCase(String.valueOf(header("upstash-nonretryable-error")).trim());
    }
  }

  /** No HTTP answer: refused, reset, timed out, TLS failure, blocked by the egress guard. */
  record NoResponse(String error) implements Outcome {}

  /** The attempt was cut short by Herald's own crash; found on restart as a voided lease. */
  record Crashed() implements Outcome {}
}
