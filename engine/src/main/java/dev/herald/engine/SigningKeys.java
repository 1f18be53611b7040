package dev.herald.engine;

import dev.herald.store.Db;
import java.security.SecureRandom;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The current and next signing keys (spec 12). Rotation makes next the current and generates a new
 * next; it is persisted so a restart keeps the rotated pair. Keys never reach logs.
 */
public final class SigningKeys {
  public record Pair(String current, String next) {
    @Override
    public String toString() {
      return "Pair[redacted]";
    }
  }

  private static final char[] ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".toCharArray();
  private final Db db;
  private final AtomicReference<Pair> keys;
  private final SecureRandom random = new SecureRandom();

  /** Loads the stored pair if a rotation happened before, else uses (and stores) the configured pair. */
  public SigningKeys(Db db, Pair configured) {
    this.db = db;
    Pair stored = db.read(tx -> {
      var c = tx.settings().get("signing.current");
      var n = tx.settings().get("signing.next");
      var basis = tx.settings().get("signing.configured");
      // A rotated pair wins only while the operator has not configured a different pair since.
      if (c.isPresent() && n.isPresent() && basis.isPresent() && basis.get().equals(fingerprint(configured))) {
        return new Pair(c.get(), n.get());
      }
      return null;
    });
    this.keys = new AtomicReference<>(stored != null ? stored : configured);
  }

  public Pair get() {
    return keys.get();
  }

  public Pair rotate() {
    Pair old = keys.get();
    Pair rotated = new Pair(old.next(), newKey());
    Pair configuredBasis = old;
    db.writeNow(tx -> {
      if (tx.settings().get("signing.configured").isEmpty()) tx.settings().put("signing.configured", fingerprint(configuredBasis));
      tx.settings().put("signing.current", rotated.current());
      tx.settings().put("signing.next", rotated.next());
      return null;
    });
    keys.set(rotated);
    return rotated;
  }

  private String newKey() {
    StringBuilder sb = new StringBuilder("sig_");
    for (int i = 0; i < 28; i++) sb.append(ALNUM[random.nextInt(ALNUM.length)]);
    return sb.toString();
  }

  private static String fingerprint(Pair p) {
    return Signer.sha256Base64Url((p.current() + "\n" + p.next()).getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }
}
