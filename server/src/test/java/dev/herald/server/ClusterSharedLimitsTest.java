package dev.herald.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import dev.herald.engine.Dispatcher;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Three Herald nodes (in one JVM, each with its own store connections) on one PostgreSQL database:
 * queue parallelism holds across nodes (callbacks keeping their message's slot included), a cron slot
 * fires once across nodes (driven by a shared test clock), and a database restart costs 503s, never an
 * acknowledged message.
 */
@Timeout(240)
class ClusterSharedLimitsTest {
  static final String ADMIN = "jdbc:postgresql://127.0.0.1:5432/test?user=postgres";
  static final String TOKEN = "shared-limits-token";

  /** A wall clock the test can move; every node reads the same one. */
  static final class MovableClock implements InstantSource {
    private final AtomicReference<Instant> now = new AtomicReference<>(Instant.now());

    public Instant instant() {
      return now.get();
    }

    void set(Instant t) {
      now.set(t);
    }
  }

  private String database;
  private HttpServer sink;
  private final List<App> nodes = new ArrayList<>();
  private final List<Path> dirs = new ArrayList<>();
  private final Map<String, AtomicInteger> received = new ConcurrentHashMap<>();
  private final AtomicInteger inFlight = new AtomicInteger();
  private final AtomicInteger maxInFlight = new AtomicInteger();
  private volatile CountDownLatch hold = new CountDownLatch(0);
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @BeforeEach
  void setUp() throws IOException {
    database = "herald_shared_" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
    admin("CREATE DATABASE " + database);
    sink = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 256);
    sink.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
    sink.createContext("/", ex -> {
      ex.getRequestBody().readAllBytes();
      int now = inFlight.incrementAndGet();
      maxInFlight.accumulateAndGet(now, Math::max);
      try {
        hold.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      received.computeIfAbsent(ex.getRequestURI().getPath(), k -> new AtomicInteger()).incrementAndGet();
      inFlight.decrementAndGet();
      ex.sendResponseHeaders(200, -1);
      ex.close();
    });
    sink.start();
  }

  @AfterEach
  void tearDown() throws IOException {
    hold.countDown();
    for (App a : nodes) a.close();
    sink.stop(0);
    admin("DROP DATABASE IF EXISTS " + database + " WITH (FORCE)");
    for (Path d : dirs) deleteTree(d);
  }

  @Test
  void queue_parallelism_holds_across_three_nodes() throws Exception {
    startNodes(3, InstantSource.system());
    hold = new CountDownLatch(1);
    call(0, "POST", "/v2/queues", "{\"queueName\":\"shared\",\"parallelism\":2}");
    for (int i = 0; i < 12; i++) call(i % 3, "POST", "/v2/enqueue/shared/" + sinkUrl("/q" + i), "m" + i);
    await().atMost(Duration.ofSeconds(60)).until(() -> inFlight.get() == 2);
    // Every node has had time to look at the queue; none may have started a third message.
    for (App a : nodes) a.dispatcher().runOnce();
    assertThat(maxInFlight.get()).isEqualTo(2);
    hold.countDown();
    await().atMost(Duration.ofSeconds(90)).until(() -> received.size() == 12);
    assertThat(maxInFlight.get()).isLessThanOrEqualTo(2);
    assertThat(received.values()).allSatisfy(n -> assertThat(n.get()).isEqualTo(1));
  }

  @Test
  void a_callback_keeps_its_messages_queue_slot_across_nodes() throws Exception {
    startNodes(2, InstantSource.system());
    try (TestSink cbSink = TestSink.start()) {
      cbSink.throttle("/cb");
      call(0, "POST", "/v2/queues", "{\"queueName\":\"kept\",\"parallelism\":1}");
      assertThat(call(0, "POST", "/v2/enqueue/kept/" + cbSink.url("/a"), "a", "Upstash-Callback", cbSink.url("/cb"))
          .statusCode()).isEqualTo(200);
      assertThat(call(1, "POST", "/v2/enqueue/kept/" + cbSink.url("/b"), "b").statusCode()).isEqualTo(200);
      cbSink.awaitRequests("/cb", 1, Duration.ofSeconds(60));
      // Every node has looked at the queue while the callback is unanswered; none may have started B.
      for (int round = 0; round < 2; round++) for (App a : nodes) a.dispatcher().runOnce();
      assertThat(cbSink.requests("/b")).isEmpty();
      cbSink.allow("/cb", 1);
      cbSink.awaitRequests("/b", 1, Duration.ofSeconds(60));
      assertThat(cbSink.step("/cb", 0, true)).as("callback answered before B arrived").isLessThan(cbSink.step("/b", 0, false));
    }
  }

  @Test
  void queue_settings_changed_through_one_node_reach_the_others() throws Exception {
    startNodes(2, InstantSource.system());
    call(0, "POST", "/v2/queues", "{\"queueName\":\"tuned\",\"parallelism\":1}");
    // node 1 learns of the queue from a message (its gate then assumes parallelism 1)
    assertThat(call(1, "POST", "/v2/enqueue/tuned/" + sinkUrl("/t"), "t").statusCode()).isEqualTo(200);
    await().atMost(Duration.ofSeconds(60)).until(() -> count("/t") == 1);

    call(0, "POST", "/v2/queues", "{\"queueName\":\"tuned\",\"parallelism\":4}");
    call(0, "POST", "/v2/queues/tuned/pause", "");

    // a paused queue holds its retries on every node, which only a node that knows of the pause can do
    await().atMost(Duration.ofSeconds(60))
        .until(() -> nodes.get(1).dispatcher().queueView("tuned").equals(new Dispatcher.QueueView(4, true)));
    call(0, "POST", "/v2/queues/tuned/resume", "");
    await().atMost(Duration.ofSeconds(60))
        .until(() -> nodes.get(1).dispatcher().queueView("tuned").equals(new Dispatcher.QueueView(4, false)));
  }

  @Test
  void flow_control_parallelism_holds_across_three_nodes() throws Exception {
    startNodes(3, InstantSource.system());
    hold = new CountDownLatch(1);
    for (int i = 0; i < 6; i++) {
      HttpResponse<String> r = call(i % 3, "POST", "/v2/publish/" + sinkUrl("/f" + i), "f" + i,
          "Upstash-Flow-Control-Key", "shared-key", "Upstash-Flow-Control-Value", "parallelism=1");
      assertThat(r.statusCode()).isEqualTo(200);
    }
    await().atMost(Duration.ofSeconds(60)).until(() -> inFlight.get() == 1);
    for (int round = 0; round < 3; round++) for (App a : nodes) a.dispatcher().runOnce();
    assertThat(maxInFlight.get()).as("one key, parallelism 1, three nodes").isEqualTo(1);
    hold.countDown();
    await().atMost(Duration.ofSeconds(90)).until(() -> received.size() == 6);
    assertThat(maxInFlight.get()).isEqualTo(1);
  }

  @Test
  void a_flow_control_key_paused_through_one_node_starts_nothing_on_the_others_until_resumed() throws Exception {
    startNodes(2, InstantSource.system());
    String[] key = {"Upstash-Flow-Control-Key", "halted", "Upstash-Flow-Control-Value", "parallelism=5"};
    // the key exists once a message of it was accepted (here through node 1; node 0 finds it in the store)
    assertThat(call(1, "POST", "/v2/publish/" + sinkUrl("/h0"), "h0", key).statusCode()).isEqualTo(200);
    await().atMost(Duration.ofSeconds(60)).until(() -> count("/h0") == 1);
    assertThat(call(0, "POST", "/v2/flowControl/halted/pause", "").statusCode()).isEqualTo(200);

    for (int i = 1; i <= 3; i++) {
      assertThat(call(1, "POST", "/v2/publish/" + sinkUrl("/h" + i), "h" + i, key).statusCode()).isEqualTo(200);
    }
    // node 1 puts all three on the key's wait list (or starts them), and every node looks at them again
    await().atMost(Duration.ofSeconds(60)).until(() -> count("/h1") + count("/h2") + count("/h3") > 0
        || waitList(1, "halted") == 3);
    for (int round = 0; round < 2; round++) for (App a : nodes) a.dispatcher().runOnce();
    assertThat(count("/h1") + count("/h2") + count("/h3")).as("messages of a paused key started").isZero();
    assertThat(flowKey(1, "halted")).contains("\"isPaused\":true");

    assertThat(call(0, "POST", "/v2/flowControl/halted/resume", "").statusCode()).isEqualTo(200);
    await().atMost(Duration.ofSeconds(60)).until(() -> count("/h1") + count("/h2") + count("/h3") == 3);
    assertThat(flowKey(1, "halted")).contains("\"isPaused\":false");
  }

  @Test
  void a_paused_keys_wait_list_counts_each_message_once_however_often_the_store_is_rescanned() throws Exception {
    MovableClock clock = new MovableClock();
    startNodes(1, clock);
    String[] key = {"Upstash-Flow-Control-Key", "rescanned", "Upstash-Flow-Control-Value", "rate=1, period=60"};
    assertThat(call(0, "POST", "/v2/publish/" + sinkUrl("/w0"), "w0", key).statusCode()).isEqualTo(200);
    await().atMost(Duration.ofSeconds(60)).until(() -> count("/w0") == 1);
    assertThat(call(0, "POST", "/v2/flowControl/rescanned/pause", "").statusCode()).isEqualTo(200);
    assertThat(call(0, "POST", "/v2/publish/" + sinkUrl("/w1"), "w1", key).statusCode()).isEqualTo(200);
    assertThat(call(0, "POST", "/v2/publish/" + sinkUrl("/w2"), "w2", key).statusCode()).isEqualTo(200);
    await().atMost(Duration.ofSeconds(60)).until(() -> waitList(0, "rescanned") == 2);

    // On a shared store the dispatcher reads the due messages again every 2 s; the waiting ones are still there.
    for (int rescan = 0; rescan < 3; rescan++) {
      clock.set(clock.instant().plusSeconds(3));
      nodes.get(0).dispatcher().runOnce();
    }
    assertThat(waitList(0, "rescanned")).as("w1 and w2, once each").isEqualTo(2);

    // Resumed: one start per minute (w0 took this one), w1 then w2, no window spent on a copy of w1.
    assertThat(call(0, "POST", "/v2/flowControl/rescanned/resume", "").statusCode()).isEqualTo(200);
    clock.set(clock.instant().plusSeconds(60));
    await().atMost(Duration.ofSeconds(60)).until(() -> count("/w1") == 1);
    clock.set(clock.instant().plusSeconds(60));
    await().atMost(Duration.ofSeconds(60)).until(() -> count("/w2") == 1);
    assertThat(waitList(0, "rescanned")).isZero();
  }

  @Test
  void a_flow_control_pin_through_one_node_limits_the_others() throws Exception {
    startNodes(2, InstantSource.system());
    String[] key = {"Upstash-Flow-Control-Key", "pinned", "Upstash-Flow-Control-Value", "parallelism=5"};
    assertThat(call(1, "POST", "/v2/publish/" + sinkUrl("/p0"), "p0", key).statusCode()).isEqualTo(200);
    await().atMost(Duration.ofSeconds(60)).until(() -> count("/p0") == 1);
    assertThat(call(0, "POST", "/v2/flowControl/pinned/pin?parallelism=1", "").statusCode()).isEqualTo(200);

    hold = new CountDownLatch(1);
    for (int i = 1; i <= 4; i++) {
      assertThat(call(1, "POST", "/v2/publish/" + sinkUrl("/p" + i), "p" + i, key).statusCode()).isEqualTo(200);
    }
    await().atMost(Duration.ofSeconds(60)).until(() -> inFlight.get() >= 1);
    for (int round = 0; round < 3; round++) for (App a : nodes) a.dispatcher().runOnce();
    assertThat(maxInFlight.get()).as("pinned to parallelism 1 through node 0; messages say 5").isEqualTo(1);
    assertThat(flowKey(1, "pinned")).contains("\"isPinnedParallelism\":true").contains("\"parallelismMax\":1");
    hold.countDown();
    await().atMost(Duration.ofSeconds(90)).until(() -> count("/p1") + count("/p2") + count("/p3") + count("/p4") == 4);
    assertThat(maxInFlight.get()).isEqualTo(1);

    assertThat(call(0, "POST", "/v2/flowControl/pinned/unpin?parallelism=true", "").statusCode()).isEqualTo(200);
    assertThat(flowKey(1, "pinned")).contains("\"isPinnedParallelism\":false");
  }

  @Test
  void a_flow_control_rate_reset_through_one_node_lets_the_others_start() throws Exception {
    startNodes(2, InstantSource.system());
    String[] key = {"Upstash-Flow-Control-Key", "hourly", "Upstash-Flow-Control-Value", "rate=1, period=1h"};
    assertThat(call(1, "POST", "/v2/publish/" + sinkUrl("/r0"), "r0", key).statusCode()).isEqualTo(200);
    await().atMost(Duration.ofSeconds(60)).until(() -> count("/r0") == 1);
    assertThat(call(1, "POST", "/v2/publish/" + sinkUrl("/r1"), "r1", key).statusCode()).isEqualTo(200);
    await().atMost(Duration.ofSeconds(60)).until(() -> waitList(1, "hourly") == 1);
    assertThat(count("/r1")).as("over the key's rate for the hour").isZero();

    assertThat(call(0, "POST", "/v2/flowControl/hourly/resetRate", "").statusCode()).isEqualTo(200);
    await().atMost(Duration.ofSeconds(60)).until(() -> count("/r1") == 1);
  }

  @Test
  void a_cron_slot_fires_once_across_three_nodes() throws Exception {
    MovableClock clock = new MovableClock();
    clock.set(Instant.parse("2030-01-01T00:00:30Z"));
    startNodes(3, clock);
    HttpResponse<String> r = call(0, "POST", "/v2/schedules/" + sinkUrl("/cron"), "tick", "Upstash-Cron", "* * * * *");
    assertThat(r.statusCode()).isEqualTo(200);
    for (int slot = 1; slot <= 3; slot++) {
      clock.set(Instant.parse("2030-01-01T00:00:00Z").plusSeconds(60L * slot + 1));
      List<Thread> racers = new ArrayList<>();
      for (App a : nodes) racers.add(Thread.ofVirtual().start(() -> a.schedules().runOnce()));
      for (Thread t : racers) t.join(30_000);
      int expected = slot;
      await().atMost(Duration.ofSeconds(60)).until(() -> count("/cron") >= expected);
    }
    // a later sentinel proves no extra firing is still on its way
    call(1, "POST", "/v2/publish/" + sinkUrl("/sentinel"), "s");
    await().atMost(Duration.ofSeconds(60)).until(() -> count("/sentinel") == 1);
    assertThat(count("/cron")).isEqualTo(3);
  }

  @Test
  void a_database_restart_costs_503s_but_no_acknowledged_message() throws Exception {
    String ctl = pgCtlCluster();
    startNodes(2, InstantSource.system());
    Set<String> acked = ConcurrentHashMap.newKeySet();
    AtomicInteger refused = new AtomicInteger();
    AtomicInteger other = new AtomicInteger();
    Thread publisher = Thread.ofVirtual().start(() -> {
      for (int i = 0; i < 400; i++) {
        try {
          HttpResponse<String> r = call(i % 2, "POST", "/v2/publish/" + sinkUrl("/r" + i), "r" + i);
          if (r.statusCode() == 200) acked.add("/r" + i);
          else if (r.statusCode() == 503 && r.headers().firstValue("Retry-After").isPresent()) refused.incrementAndGet();
          else other.incrementAndGet();
        } catch (Exception e) {
          other.incrementAndGet();
        }
      }
    });
    await().atMost(Duration.ofSeconds(60)).until(() -> acked.size() >= 50);
    run(ctl, "restart");
    publisher.join(180_000);
    assertThat(other.get()).as("answers other than 200 or 503 + Retry-After").isZero();
    await().atMost(Duration.ofSeconds(120)).until(() -> acked.stream().allMatch(p -> count(p) >= 1));
  }

  private void startNodes(int n, InstantSource clock) throws IOException {
    for (int i = 0; i < n; i++) {
      Path dir = Files.createTempDirectory("herald-shared");
      dirs.add(dir);
      Config c = ConfigLoader.load(null, Map.of(), Map.of(
          "server.port", "0", "server.host", "127.0.0.1", "store.data", dir.toString(),
          "store.url", "postgresql://postgres@127.0.0.1:5432/" + database,
          "egress.allow-private", "true", "auth.token", TOKEN,
          "auth.current-signing-key", "sig_current", "auth.next-signing-key", "sig_next"));
      nodes.add(App.start(c, clock));
    }
  }

  private HttpResponse<String> call(int node, String method, String path, String body, String... headers)
      throws IOException, InterruptedException {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + nodes.get(node).port() + path))
        .timeout(Duration.ofSeconds(30)).header("Authorization", "Bearer " + TOKEN)
        .method(method, HttpRequest.BodyPublishers.ofString(body));
    for (int i = 0; i + 1 < headers.length; i += 2) b.header(headers[i], headers[i + 1]);
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private String flowKey(int node, String key) throws IOException, InterruptedException {
    HttpResponse<String> r = call(node, "GET", "/v2/flowControl/" + key, "");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return r.body();
  }

  private int waitList(int node, String key) throws IOException, InterruptedException {
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"waitListSize\":(\\d+)").matcher(flowKey(node, key));
    assertThat(m.find()).isTrue();
    return Integer.parseInt(m.group(1));
  }

  private String sinkUrl(String path) {
    return "http://127.0.0.1:" + sink.getAddress().getPort() + path;
  }

  private int count(String path) {
    AtomicInteger n = received.get(path);
    return n == null ? 0 : n.get();
  }

  /** The Debian cluster control command, e.g. "pg_ctlcluster --skip-systemctl-redirect 15 main". */
  private static String pgCtlCluster() throws IOException {
    Path etc = Path.of("/etc/postgresql");
    if (!Files.isDirectory(etc)) fail("this test restarts the local PostgreSQL cluster and needs /etc/postgresql");
    try (var versions = Files.list(etc)) {
      String v = versions.map(p -> p.getFileName().toString()).sorted().findFirst()
          .orElseThrow(() -> new IOException("no PostgreSQL version under /etc/postgresql"));
      return "pg_ctlcluster --skip-systemctl-redirect " + v + " main";
    }
  }

  private static void run(String ctl, String action) throws Exception {
    Process p = new ProcessBuilder((ctl + " " + action).split(" ")).inheritIO().start();
    assertThat(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(ctl + " " + action).isZero();
  }

  static void admin(String sql) {
    try (Connection c = DriverManager.getConnection(ADMIN); Statement s = c.createStatement()) {
      s.execute(sql); // generated database name, not input
    } catch (SQLException e) {
      fail("PostgreSQL is required for the cluster tests (" + ADMIN + "): " + e.getMessage(), e);
    }
  }

  private static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root)) return;
    try (var walk = Files.walk(root)) {
      walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }
}
