package dev.herald.server;

import java.time.Duration;
import java.util.List;

/** Herald's settings, validated once at start. See defaults.toml for what each one does. */
public record Config(Server server, Store store, Auth auth, Limits limits, Delivery delivery, Retention retention,
    Egress egress, Metrics metrics) {

  public record Server(String host, int port, Duration idleTimeout, int maxConnections, Duration readTimeout,
      Duration shutdownGrace) {}

  public record Store(String data, String url, int readers, int writeQueue) {
    /** Where {@code Db.open} finds the store: the PostgreSQL URL if set, else the SQLite directory. */
    public String location() {
      return url.isBlank() ? data : url;
    }
  }

  public record Auth(String token, String currentSigningKey, String nextSigningKey) {
    @Override
    public String toString() {
      return "Auth[redacted]";
    }
  }

  public record Limits(long maxBodyBytes, long maxInflightBodyBytes, int maxHeadersBytes, int maxRequestLineBytes, int defaultRetries,
      int maxRetries, Duration maxDelay, Duration maxAttemptTimeout, int maxBatchItems, int maxQueueParallelism,
      int maxResponseBytes) {}

  public record Delivery(int concurrency, Duration connectTimeout, Duration lookahead, int indexCapacity,
      Duration leaseMargin) {}

  public record Retention(Duration dedupWindow, Duration dlq, Duration logs, Duration flowKeys) {}

  public record Egress(boolean allowPrivate, List<String> allow) {}

  public record Metrics(boolean enabled) {}
}
