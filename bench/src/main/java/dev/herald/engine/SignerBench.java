package dev.herald.engine;

import dev.herald.core.id.Ids;
import dev.herald.store.Db;
import java.nio.file.Path;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/** Signer.sign: the Upstash-Signature JWT made for every delivery attempt (150-byte body). */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class SignerBench {
  private Path dir;
  private Db db;
  private Signer signer;

  @Setup
  public void setup() {
    dir = Fixtures.tempDir("herald-jmh-signer");
    db = Fixtures.openDb(dir);
    SigningKeys keys = new SigningKeys(db, new SigningKeys.Pair("sig_7kYjw48HDGWho7XhSxUQKBvsSUjF", "sig_5ZB6DVzB1wjE8S6rZ7eenA8Pdnhs"));
    signer = new Signer(keys, new Ids());
  }

  @TearDown
  public void tearDown() {
    db.close();
    Fixtures.delete(dir);
  }

  @Benchmark
  public String sign() {
    return signer.sign(Fixtures.DEST, Fixtures.BODY, Instant.now());
  }

  /** The body hash alone (part of sign), to separate it from JSON + HMAC costs. */
  @Benchmark
  public String bodyHash() {
    return Signer.sha256Base64Url(Fixtures.BODY);
  }
}
