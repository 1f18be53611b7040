package dev.herald.core.id;

import java.security.SecureRandom;
import java.time.Instant;

/**
 * Time-sortable, URL-safe ids: prefix + 10 chars of milliseconds + 16 chars of randomness, in Crockford
 * base32. Monotonic within a process (like ULID's monotonic mode): an id made later never sorts before
 * one made earlier, even in the same millisecond or when the wall clock steps back. Queues rely on this
 * for FIFO order. Thread-safe.
 */
public final class Ids {
  private static final char[] ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ".toCharArray();
  private static final long LOW_MASK = (1L << 40) - 1;
  private final SecureRandom random = new SecureRandom();
  private long lastMs = -1;
  private long hi;
  private long lo;

  public String next(String prefix, Instant now) {
    long ms;
    long h;
    long l;
    synchronized (this) {
      ms = Math.max(now.toEpochMilli(), lastMs);
      if (ms == lastMs) {
        lo = (lo + 1) & LOW_MASK;
        if (lo == 0) hi = (hi + 1) & LOW_MASK;
      } else {
        lastMs = ms;
        hi = random.nextLong() & LOW_MASK;
        lo = random.nextLong() & (LOW_MASK >>> 1); // leave room to count up within the millisecond
      }
      h = hi;
      l = lo;
    }
    char[] out = new char[26];
    for (int i = 9; i >= 0; i--) { out[i] = ALPHABET[(int) (ms & 31)]; ms >>>= 5; }
    for (int i = 17; i >= 10; i--) { out[i] = ALPHABET[(int) (h & 31)]; h >>>= 5; }
    for (int i = 25; i >= 18; i--) { out[i] = ALPHABET[(int) (l & 31)]; l >>>= 5; }
    return prefix + new String(out);
  }

  public String message(Instant now) { return next("msg_", now); }

  public String dlq(Instant now) { return next("dlq_", now); }

  public String schedule(Instant now) { return next("scd_", now); }

  /**
   * A JWT id (jti): unique, time-prefixed, but not ordered, so it takes no lock and no SecureRandom
   * call (one is made per delivery attempt).
   */
  public String jwt(Instant now) {
    long ms = now.toEpochMilli();
    java.util.concurrent.ThreadLocalRandom r = java.util.concurrent.ThreadLocalRandom.current();
    long h = r.nextLong() & LOW_MASK;
    long l = r.nextLong() & LOW_MASK;
    char[] out = new char[26];
    for (int i = 9; i >= 0; i--) { out[i] = ALPHABET[(int) (ms & 31)]; ms >>>= 5; }
    for (int i = 17; i >= 10; i--) { out[i] = ALPHABET[(int) (h & 31)]; h >>>= 5; }
    for (int i = 25; i >= 18; i--) { out[i] = ALPHABET[(int) (l & 31)]; l >>>= 5; }
    return "jwt_" + new String(out);
  }
}
