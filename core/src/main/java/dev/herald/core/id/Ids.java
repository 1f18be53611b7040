package dev.herald.core.id;

import java.security.SecureRandom;
import java.time.Instant;

/**
 * Time-sortable, URL-safe ids: prefix + 10 chars of milliseconds + 16 random chars, in Crockford base32
 * (so string order is creation order to the millisecond). Thread-safe.
 */
public final class Ids {
  private static final char[] ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ".toCharArray();
  private final SecureRandom random = new SecureRandom();

  public String next(String prefix, Instant now) {
    char[] out = new char[26];
    long ms = now.toEpochMilli();
    for (int i = 9; i >= 0; i--) {
      out[i] = ALPHABET[(int) (ms & 31)];
      ms >>>= 5;
    }
    byte[] r = new byte[10];
    random.nextBytes(r);
    long hi = 0, lo = 0;
    for (int i = 0; i < 5; i++) hi = (hi << 8) | (r[i] & 0xff);
    for (int i = 5; i < 10; i++) lo = (lo << 8) | (r[i] & 0xff);
    for (int i = 17; i >= 10; i--) { out[i] = ALPHABET[(int) (hi & 31)]; hi >>>= 5; }
    for (int i = 25; i >= 18; i--) { out[i] = ALPHABET[(int) (lo & 31)]; lo >>>= 5; }
    return prefix + new String(out);
  }

  public String message(Instant now) { return next("msg_", now); }

  public String dlq(Instant now) { return next("dlq_", now); }

  public String schedule(Instant now) { return next("scd_", now); }

  public String jwt(Instant now) { return next("jwt_", now); }
}
