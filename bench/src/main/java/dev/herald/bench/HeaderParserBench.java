package dev.herald.bench;

import dev.herald.core.message.HeaderParser;
import dev.herald.core.message.MessageOptions;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/** HeaderParser.parse of the headers a typical publish carries (the harness's publisher plus a few options). */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class HeaderParserBench {
  private HeaderParser parser;
  private Map<String, List<String>> plain;
  private Map<String, List<String>> rich;

  @Setup
  public void setup() {
    parser = new HeaderParser(new HeaderParser.Limits(3, 20, Duration.ofDays(365), Duration.ofHours(2)));
    plain = new LinkedHashMap<>();
    plain.put("Host", List.of("127.0.0.1:8080"));
    plain.put("Authorization", List.of("Bearer eyJVc2VySUQiOiJkZWZhdWx0VXNlciIsIlBhc3N3b3JkIjoiZGVmYXVsdFBhc3N3b3JkIn0="));
    plain.put("Content-Type", List.of("application/json"));
    plain.put("Upstash-Forward-X-Pub-Ts", List.of("1795496351005291"));
    plain.put("Upstash-Forward-X-Msg-Seq", List.of("12345"));
    plain.put("Upstash-Forward-X-Run-Id", List.of("r0-sut-burst-a0"));
    plain.put("Content-Length", List.of("150"));
    rich = new LinkedHashMap<>(plain);
    rich.put("Upstash-Delay", List.of("2s"));
    rich.put("Upstash-Retries", List.of("5"));
    rich.put("Upstash-Timeout", List.of("30s"));
    rich.put("Upstash-Callback", List.of("https://example.com/callback"));
    rich.put("Upstash-Label", List.of("orders,eu"));
    rich.put("Upstash-Method", List.of("POST"));
  }

  /** What the shared harness's publisher sends: content type + three forwarded headers. */
  @Benchmark
  public MessageOptions parseBenchHeaders() {
    return parser.parse(plain);
  }

  /** The same plus delay, retries, timeout, callback, labels and method. */
  @Benchmark
  public MessageOptions parseRichHeaders() {
    return parser.parse(rich);
  }
}
