package dev.herald.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.OutputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * R6, disk full. The data directory lives on a 16 MiB tmpfs mounted for the test (needs root, so it
 * is in the long tier: {@code scripts/battery-long.sh} sets {@code -Dherald.battery=long}). A filler
 * file takes the free space; publishes then get 503 + Retry-After and nothing else; once the filler is
 * deleted publishes succeed again without a restart, and every acknowledged message is delivered.
 */
@EnabledIfSystemProperty(named = "herald.battery", matches = "long")
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class DiskFullTest {
  private final TestSink sink = TestSink.start();
  private Path mount;
  private TestServer herald;

  @AfterEach
  void stop() throws Exception {
    if (herald != null) herald.close();
    sink.close();
    if (mount != null) {
      new ProcessBuilder("umount", mount.toString()).inheritIO().start().waitFor(30, TimeUnit.SECONDS);
      Files.deleteIfExists(mount);
    }
  }

  @Test
  void a_full_disk_answers_503_with_retry_after_and_recovers_without_a_restart() throws Exception {
    mount = Files.createTempDirectory("herald-diskfull");
    Process p = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", mount.toString())
        .redirectErrorStream(true).start();
    boolean mounted = p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
    if (!mounted) {
      Files.deleteIfExists(mount);
      mount = null;
    }
    Assumptions.assumeTrue(mounted, "mounting a tmpfs is not permitted here");
    herald = TestServer.start(Map.of("store.data", mount.resolve("data").toString()));
    Map<String, String> acked = new ConcurrentHashMap<>();
    byte[] body = new byte[64 * 1024];
    for (int i = 0; i < 20; i++) publish(body, i, acked); // some data before the disk fills

    Path filler = mount.resolve("filler");
    fill(filler);
    List<HttpResponse<String>> whileFull = new ArrayList<>();
    for (int i = 0; i < 200 && whileFull.stream().noneMatch(r -> r.statusCode() == 503); i++) {
      whileFull.add(publish(body, 1000 + i, acked));
    }
    for (int i = 0; i < 20; i++) whileFull.add(publish(body, 2000 + i, acked));
    List<HttpResponse<String>> refused = whileFull.stream().filter(r -> r.statusCode() != 200).toList();
    assertThat(refused).as("some publishes were refused while the disk was full").isNotEmpty();
    for (HttpResponse<String> r : refused) {
      assertThat(r.statusCode()).as(r.body()).isEqualTo(503);
      assertThat(r.headers().firstValue("Retry-After")).isPresent();
      assertThat(TestServer.json(r).get("error").asString()).isNotBlank();
    }
    assertThat(herald.get("/healthz").statusCode()).isEqualTo(200);

    Files.delete(filler);
    int[] n = {3000};
    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
        .until(() -> publish(body, n[0]++, acked).statusCode() == 200);
    for (int i = 0; i < 10; i++) assertThat(publish(body, 4000 + i, acked).statusCode()).isEqualTo(200);

    await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(200))
        .until(() -> delivered().containsAll(acked.keySet()));
    System.out.println("disk full: acked " + acked.size() + ", refused while full " + refused.size());
  }

  private HttpResponse<String> publish(byte[] body, int seq, Map<String, String> acked) {
    HttpResponse<String> r = herald.send(herald.request("/v2/publish/" + sink.url("/df"))
        .header("Upstash-Forward-Seq", Integer.toString(seq)).POST(HttpRequest.BodyPublishers.ofByteArray(body)));
    if (r.statusCode() == 200) acked.put(TestServer.json(r).get("messageId").asString(), Integer.toString(seq));
    return r;
  }

  private static void fill(Path filler) {
    byte[] chunk = new byte[64 * 1024];
    try (OutputStream out = Files.newOutputStream(filler)) {
      while (true) out.write(chunk);
    } catch (IOException e) {
      // No space left on device: the disk is full
    }
  }

  private Set<String> delivered() {
    return sink.requests("/df").stream().map(r -> r.header("Upstash-Message-Id")).collect(Collectors.toSet());
  }
}
