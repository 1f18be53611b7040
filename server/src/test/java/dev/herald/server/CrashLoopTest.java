package dev.herald.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.herald.server.TestSink.Received;
import dev.herald.server.TestSink.Reply;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * R4, a crash loop: Herald is killed (SIGKILL) again and again at random moments while messages are
 * published and delivered, and restarted after each kill: immediate messages, messages whose first
 * attempt fails (500), and messages delayed by 1-3 s, so kills land in publishes, in attempts, between
 * a failure and its retry and before delayed messages are due. Afterwards every acknowledged message
 * was delivered (answered 2xx) at least once, nothing was delivered that was not published, and no
 * acknowledged message is left pending or dead-lettered. 6 kills here; the long tier
 * ({@code -Dherald.crashloop.kills=30}, scripts/battery-long.sh) runs 30.
 */
@Timeout(value = 600, unit = TimeUnit.SECONDS)
class CrashLoopTest {
  private static final int KILLS = Integer.getInteger("herald.crashloop.kills", 6);
  /** Publishes per second per publisher; two publishers (the note's 50 messages a second). */
  private static final int RATE = 25;

  @TempDir
  Path data;

  private final TestSink sink = TestSink.start();
  private final ScheduledExecutorService publishers = Executors.newScheduledThreadPool(2);
  private final AtomicInteger sequence = new AtomicInteger();
  private final Map<String, String> acked = new ConcurrentHashMap<>(); // message id -> body
  private final Set<String> inDoubt = ConcurrentHashMap.newKeySet(); // bodies whose publish got no answer
  private final Map<String, String> pathOf = new ConcurrentHashMap<>(); // body -> sink path
  private volatile Run current;
  private HeraldProcess herald;

  /** One life of the process: where it listens, and a latch opened when it was replaced. */
  private record Run(HeraldProcess process, CountDownLatch over, AtomicInteger acks) {}

  @AfterEach
  void stop() {
    publishers.shutdownNow();
    if (herald != null) herald.close();
    sink.close();
  }

  @Test
  void every_acknowledged_message_is_delivered_and_none_is_stuck_after_repeated_sigkills() throws Exception {
    long seed = Long.getLong("herald.crashloop.seed", System.nanoTime());
    Random random = new Random(seed);
    herald = HeraldProcess.start(data);
    current = new Run(herald, new CountDownLatch(1), new AtomicInteger());
    for (int p = 0; p < 2; p++) publishers.scheduleAtFixedRate(this::publishOne, 0, 1000 / RATE, TimeUnit.MILLISECONDS);

    for (int kill = 0; kill < KILLS; kill++) {
      long killAt = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(1000 + random.nextInt(2001));
      Run run = current;
      // the kill comes 1-3 s into the run, and never before the run acknowledged something (a slow start
      // on a loaded machine would otherwise make runs that test nothing)
      await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(20))
          .until(() -> run.acks().get() >= 10 && System.nanoTime() >= killAt);
      herald.kill();
      herald = herald.restart();
      current = new Run(herald, new CountDownLatch(1), new AtomicInteger());
      run.over().countDown();
    }
    publishers.shutdown();
    assertThat(publishers.awaitTermination(60, TimeUnit.SECONDS)).as("publishers stopped").isTrue();
    Map<String, String> acknowledged = Map.copyOf(acked);

    await().atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofMillis(200))
        .until(() -> deliveredIds().containsAll(acknowledged.keySet()));
    for (String id : acknowledged.keySet()) {
      await().pollDelay(Duration.ZERO).atMost(Duration.ofSeconds(60)).until(() -> get("/v2/messages/" + id).statusCode() == 404);
    }
    assertThat(TestServer.JSON.readTree(get("/v2/dlq").body()).get("messages")).as("dead-lettered").isEmpty();
    for (Received r : sink.requests()) {
      String id = r.header("Upstash-Message-Id");
      String body = new String(r.body());
      if (acknowledged.containsKey(id)) {
        assertThat(body).as("body delivered for %s", id).isEqualTo(acknowledged.get(id));
      } else {
        assertThat(inDoubt).as("delivered %s (%s) was published (seed %d)", id, body, seed).contains(body);
      }
      assertThat(r.path()).as("path of %s", body).isEqualTo(pathOf.get(body));
    }
    System.out.printf("crash loop: %d kills, %d acknowledged, %d in doubt, %d requests to the sink (seed %d)%n",
        KILLS, acknowledged.size(), inDoubt.size(), sink.requests().size(), seed);
  }

  private void publishOne() {
    int n = sequence.getAndIncrement();
    String body = "m-" + n;
    String path;
    List<String> headers = new ArrayList<>();
    switch (n % 10) {
      case 0 -> { // the first attempt fails, the retry comes half a second later
        path = "/flaky/" + n;
        sink.failFirst(path, 1, Reply.of(500));
        headers.addAll(List.of("Upstash-Retry-Delay", "500"));
      }
      case 1 -> {
        path = "/later";
        headers.addAll(List.of("Upstash-Delay", (1 + n % 3) + "s"));
      }
      default -> path = "/now";
    }
    pathOf.put(body, path);
    Run run = current;
    try {
      HttpResponse<String> r = run.process().call("POST", "/v2/publish/" + sink.url(path), body, headers.toArray(String[]::new));
      if (r.statusCode() == 200) {
        acked.put(TestServer.JSON.readTree(r.body()).get("messageId").asString(), body);
        run.acks().incrementAndGet();
      } else {
        inDoubt.add(body); // a 503 while stopping stores nothing (D2); counted as in doubt all the same
      }
    } catch (IOException e) {
      inDoubt.add(body); // killed while publishing: it may or may not have been stored
      awaitNextRun(run);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void awaitNextRun(Run run) {
    try {
      run.over().await(120, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private Set<String> deliveredIds() {
    return sink.succeeded().stream().map(r -> r.header("Upstash-Message-Id")).collect(Collectors.toSet());
  }

  private HttpResponse<String> get(String path) throws IOException, InterruptedException {
    return herald.call("GET", path, "");
  }
}
