package dev.herald.engine;

import dev.herald.core.id.Ids;
import dev.herald.core.message.HeaderParser;
import dev.herald.core.message.Message;
import dev.herald.core.message.MessageOptions;
import dev.herald.store.Db;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Shared benchmark fixtures. Lives in dev.herald.engine to reach the package-private pieces the
 * publish and dispatch paths use (MessageFactory, PublishService.insert, EventLog).
 */
public final class Fixtures {
  public static final String DEST = "http://127.0.0.1:18081/deliver";
  public static final byte[] BODY = ("{\"seq\":12345,\"pubTs\":1795496351005291,\"run\":\"r0-sut-burst-a0\",\"payload\":\""
      + "x".repeat(64) + "\"}").getBytes(StandardCharsets.UTF_8);

  private Fixtures() {}

  public static HeaderParser parser() {
    return new HeaderParser(new HeaderParser.Limits(3, 20, Duration.ofDays(365), Duration.ofHours(2)));
  }

  /** The options of a publish from the shared harness (three forwarded headers, JSON). */
  public static MessageOptions options() {
    Map<String, List<String>> h = new LinkedHashMap<>();
    h.put("Content-Type", List.of("application/json"));
    h.put("Upstash-Forward-X-Pub-Ts", List.of("1795496351005291"));
    h.put("Upstash-Forward-X-Msg-Seq", List.of("12345"));
    h.put("Upstash-Forward-X-Run-Id", List.of("r0-sut-burst-a0"));
    return parser().parse(h);
  }

  /** Makes messages exactly as a publish does. */
  public static final class Maker {
    private final MessageFactory factory;
    private final MessageOptions options = options();

    public Maker(Ids ids) {
      this.factory = new MessageFactory(ids);
    }

    public Message next(Instant now) {
      return factory.create(new Publication(DEST, null, null, null, null, options, BODY, "127.0.0.1"), now, null);
    }
  }

  /** A publish's store write: the message row and its CREATED event. */
  public static void insert(dev.herald.store.Tx tx, Message m, long nowMs) {
    PublishService.insert(tx, m, nowMs);
  }

  /** The dispatcher's claim of one message: lease it, log ACTIVE (Dispatcher.claimAndStart). */
  public static boolean claim(dev.herald.store.Tx tx, String id, String lease, long leaseMillis, long now) {
    return tx.messages().claim(id, lease, now, leaseMillis).map(m -> {
      EventLog.append(tx, now, m, "ACTIVE", null);
      return true;
    }).orElse(false);
  }

  public static Path tempDir(String prefix) {
    try {
      return Files.createTempDirectory(Path.of(System.getProperty("bench.tmp", "/tmp")), prefix);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static Db openDb(Path dir) {
    return Db.openSqlite(dir, 4, 100_000);
  }

  public static void delete(Path dir) {
    try (Stream<Path> s = Files.walk(dir)) {
      s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
