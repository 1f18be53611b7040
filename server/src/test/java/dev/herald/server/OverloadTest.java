package dev.herald.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Overload (D2, D9): with a tiny write queue and a 1 MiB budget for request bodies in memory, a burst
 * of concurrent 512 KiB publishes gets either a 2xx or a 503 with Retry-After, nothing else; every
 * acknowledged message is delivered; and the test JVM (-Xmx1g) does not run out of memory.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class OverloadTest {
  private static final int CLIENTS = 32;
  private static final int PER_CLIENT = 4;
  private final TestSink sink = TestSink.start();
  private final TestServer herald = TestServer.start(Map.of("store.write-queue", "100",
      "limits.max-inflight-body-bytes", "1048576"));

  @AfterEach
  void stop() {
    herald.close();
    sink.close();
  }

  @Test
  void a_burst_over_the_limits_gets_only_2xx_or_503_and_every_2xx_is_delivered() throws Exception {
    byte[] body = new byte[512 * 1024];
    Map<String, Integer> acked = new ConcurrentHashMap<>();
    Map<Integer, Integer> statuses = new ConcurrentHashMap<>();
    List<String> unexpected = java.util.Collections.synchronizedList(new ArrayList<>());
    try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
      List<Future<?>> all = new ArrayList<>();
      for (int c = 0; c < CLIENTS; c++) {
        int client = c;
        all.add(pool.submit(() -> {
          for (int i = 0; i < PER_CLIENT; i++) {
            byte[] mine = body.clone();
            mine[0] = (byte) client;
            mine[1] = (byte) i;
            HttpResponse<String> r = herald.send(herald.request("/v2/publish/" + sink.url("/burst"))
                .POST(HttpRequest.BodyPublishers.ofByteArray(mine)));
            statuses.merge(r.statusCode(), 1, Integer::sum);
            if (r.statusCode() == 200) {
              acked.put(TestServer.json(r).get("messageId").asString(), client * 1000 + i);
            } else if (r.statusCode() != 503 || r.headers().firstValue("Retry-After").isEmpty()
                || !TestServer.json(r).has("error")) {
              unexpected.add(r.statusCode() + " " + r.headers().map() + " " + r.body());
            }
          }
          return null;
        }));
      }
      for (Future<?> f : all) f.get(150, TimeUnit.SECONDS);
    }

    System.out.println("overload statuses: " + statuses);
    assertThat(unexpected).as("answers other than 200 or 503 + Retry-After + JSON error").isEmpty();
    assertThat(acked).as("statuses %s", statuses).isNotEmpty();
    await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(100))
        .until(() -> delivered().containsAll(acked.keySet()));
    for (TestSink.Received r : sink.requests("/burst")) {
      Integer who = acked.get(r.header("Upstash-Message-Id"));
      assertThat(r.body()).hasSize(body.length);
      assertThat(r.body()[0] * 1000 + r.body()[1]).isEqualTo(who);
    }
    assertThat(herald.get("/readyz").statusCode()).isEqualTo(200);
  }

  private Set<String> delivered() {
    return sink.requests("/burst").stream().map(r -> r.header("Upstash-Message-Id")).collect(Collectors.toSet());
  }
}
