package dev.herald.server;

import dev.herald.store.Db;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.InstantSource;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * GET /metrics (Prometheus text): this node's counters and timings (the engine registers its own:
 * {@code herald_messages_published_total}, {@code herald_attempts_total}, {@code herald_attempt_duration_seconds},
 * ...), the writer's commits, the JVM, and the store's counts, read at most every {@link #STORE_EVERY_MS}
 * however often it is scraped. Names are Micrometer's, made Prometheus's by its registry
 * ({@code herald.attempts} becomes {@code herald_attempts_total}). Labels never carry a URL, a message id or
 * a body; queue names are the only user-chosen label values, at most {@link #MAX_QUEUES} of them.
 */
final class Metrics implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Metrics.class);
  static final long STORE_EVERY_MS = 5000;
  static final int MAX_QUEUES = 200;
  /** One help text for every state (Prometheus has one per metric name). */
  private static final String MESSAGES_HELP = "Messages in the store by state: pending (waiting for their time, "
      + "their turn or a retry) or active (in an attempt); all nodes";

  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final JvmGcMetrics gc = new JvmGcMetrics();
  private final Db db;
  private final InstantSource clock;
  private final MultiGauge queueLag;
  private StoreCounts counts = new StoreCounts(0, 0, 0, Map.of()); // guarded by this
  private long countedAt = Long.MIN_VALUE; // guarded by this

  /** What the store holds, as last read. */
  record StoreCounts(long pending, long active, long dlq, Map<String, Long> queueLags) {}

  Metrics(Db db, InstantSource clock) {
    this.db = db;
    this.clock = clock;
    new JvmMemoryMetrics().bindTo(registry);
    gc.bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ClassLoaderMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    FunctionCounter.builder("herald.store.commits", db.committer(), c -> c.commits())
        .description("Transactions the store's writer committed (each durable one is an fsync)").register(registry);
    FunctionCounter.builder("herald.store.writes", db.committer(), c -> c.ops())
        .description("Write operations those commits carried").register(registry);
    Gauge.builder("herald.messages", this, m -> m.counts().pending()).tag("state", "pending")
        .description(MESSAGES_HELP).register(registry);
    Gauge.builder("herald.messages", this, m -> m.counts().active()).tag("state", "active")
        .description(MESSAGES_HELP).register(registry);
    Gauge.builder("herald.dlq.messages", this, m -> m.counts().dlq())
        .description("Entries in the dead-letter queue (all nodes)").register(registry);
    queueLag = MultiGauge.builder("herald.queue.lag")
        .description("Unfinished messages of each queue with any (all nodes; at most " + MAX_QUEUES + " queues)")
        .register(registry);
  }

  PrometheusMeterRegistry registry() {
    return registry;
  }

  /** The scrape: refreshes the store's counts when they are older than {@link #STORE_EVERY_MS}. */
  byte[] scrape() {
    StoreCounts c = counts();
    queueLag.register(c.queueLags().entrySet().stream()
        .map(e -> MultiGauge.Row.of(Tags.of("queue", e.getKey()), e.getValue())).toList(), true);
    return registry.scrape().getBytes(StandardCharsets.UTF_8);
  }

  synchronized StoreCounts counts() {
    long now = clock.millis();
    if (now - countedAt < STORE_EVERY_MS && countedAt != Long.MIN_VALUE) return counts;
    try {
      counts = db.read(tx -> new StoreCounts(tx.messages().countInState('P'), tx.messages().countInState('A'),
          tx.dlq().count(), tx.messages().queueLags(MAX_QUEUES)));
    } catch (RuntimeException e) {
      log.warn("metrics: could not read the store's counts; showing the last ones: {}", e.getMessage());
    }
    countedAt = now; // a failing store is not asked again on every scrape either
    return counts;
  }

  @Override
  public void close() {
    gc.close();
    registry.close();
  }

  /** The content type of {@link #scrape()}. */
  static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
}
