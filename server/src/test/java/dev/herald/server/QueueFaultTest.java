package dev.herald.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.herald.server.TestSink.Reply;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * R19, a queue under faults: Herald as a real process, every tenth message failing its first attempt, and a
 * SIGKILL while the attempt of a message in the middle of the queue is in flight (the sink holds it, so the
 * kill always lands there). Each message has its own sink path, so the sink's record of arrivals and answers
 * gives the order without a clock. With parallelism 1 the successes come in enqueue order, a message starts
 * only after the one before it was delivered, and the crash repeats only the head, once. With parallelism 3
 * no more than three attempts of the queue are ever in flight, across the crash too.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class QueueFaultTest {
  private static final int N = 100;
  private static final int HELD = 55; // in flight at the kill
  private static final Duration WAIT = Duration.ofSeconds(90);

  @TempDir
  Path data;

  private final TestSink sink = TestSink.start();
  private HeraldProcess herald;

  @AfterEach
  void stop() {
    if (herald != null) herald.close();
    sink.close();
  }

  @Test
  void with_parallelism_one_successes_keep_enqueue_order_through_failures_and_a_sigkill_and_only_the_head_repeats()
      throws Exception {
    herald = HeraldProcess.start(data);
    enqueueAllAndCrashAtTheHeldOne("fifo", 1);

    await().atMost(WAIT).pollInterval(Duration.ofMillis(100)).until(() -> delivered() == N);
    TreeMap<Integer, Integer> successes = new TreeMap<>(); // the sink's step of each 2xx answer -> seq
    for (int seq = 0; seq < N; seq++) {
      for (int n = 0; n < sink.requests(path(seq)).size(); n++) {
        int step = sink.step(path(seq), n, true);
        if (step >= 0 && status(seq, n) == 200) successes.put(step, seq);
      }
    }
    List<Integer> order = new ArrayList<>(successes.values());
    assertThat(order).as("2xx answers in the order the sink gave them").isSorted();
    assertThat(order.stream().distinct().toList()).hasSize(N);
    assertThat(order.stream().filter(s -> s != HELD)).as("only the head at the crash may repeat").doesNotHaveDuplicates();
    assertThat(Collections.frequency(order, HELD)).as("deliveries of the head at the crash").isBetween(1, 2);
    for (int seq = 0; seq + 1 < N; seq++) {
      assertThat(sink.step(path(seq + 1), 0, false)).as("message %d starts after %d was delivered", seq + 1, seq)
          .isGreaterThan(sink.step(path(seq), firstSuccess(seq), true));
    }
    assertThat(sink.maxInFlight()).isEqualTo(1);
  }

  @Test
  void with_parallelism_three_no_more_than_three_attempts_are_in_flight_through_failures_and_a_sigkill()
      throws Exception {
    herald = HeraldProcess.start(data);
    enqueueAllAndCrashAtTheHeldOne("par3", 3);

    await().atMost(WAIT).pollInterval(Duration.ofMillis(100)).until(() -> delivered() == N);
    assertThat(sink.maxInFlight()).isBetween(2, 3);
  }

  /** Enqueues N messages (every tenth fails its first attempt), SIGKILLs Herald while HELD's attempt is held, restarts. */
  private void enqueueAllAndCrashAtTheHeldOne(String queue, int parallelism) throws Exception {
    for (int seq = 0; seq < N; seq += 10) sink.failFirst(path(seq), 1, Reply.of(500));
    sink.hold(path(HELD));
    HttpResponse<String> q = send("POST", "/v2/queues", "{\"queueName\":\"" + queue + "\",\"parallelism\":" + parallelism + "}");
    assertThat(q.statusCode()).as(q.body()).isEqualTo(200);
    for (int seq = 0; seq < N; seq++) {
      HttpResponse<String> r = send("POST", "/v2/enqueue/" + queue + "/" + sink.url(path(seq)), "m" + seq,
          "Upstash-Retries", "3", "Upstash-Retry-Delay", "50");
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    }

    sink.awaitRequests(path(HELD), 1, WAIT);
    herald.kill();
    sink.release(path(HELD)); // its 200 goes to a dead process: Herald cannot know it was delivered
    herald = herald.restart();
  }

  private static String path(int seq) {
    return "/q/" + seq;
  }

  /** What the sink answers to the n-th attempt of message seq. */
  private static int status(int seq, int n) {
    return seq % 10 == 0 && n == 0 ? 500 : 200;
  }

  private static int firstSuccess(int seq) {
    return seq % 10 == 0 ? 1 : 0;
  }

  /** Messages whose destination answered 2xx at least once. */
  private long delivered() {
    int count = 0;
    for (int seq = 0; seq < N; seq++) {
      if (sink.step(path(seq), firstSuccess(seq), true) >= 0) count++;
    }
    return count;
  }

  private HttpResponse<String> send(String method, String path, String body, String... headers)
      throws IOException, InterruptedException {
    return herald.call(method, path, body, headers);
  }
}
