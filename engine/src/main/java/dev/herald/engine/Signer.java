package dev.herald.engine;

import dev.herald.core.id.Ids;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Instant;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Makes the Upstash-Signature JWT (spec 5.9): HS256 with the current key's UTF-8 bytes as secret,
 * iss=Upstash, sub=the called URL, iat, exp=iat+300, nbf=0, a fresh jti, body=base64url(sha256(body))
 * with padding. Called once per attempt, at send time.
 */
public final class Signer {
  private static final String HEADER = b64url("{\"alg\":\"HS256\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8));
  private final SigningKeys keys;
  private final Ids ids;

  public Signer(SigningKeys keys, Ids ids) {
    this.keys = keys;
    this.ids = ids;
  }

  public String sign(String url, byte[] body, Instant now) {
    long iat = now.getEpochSecond();
    // The claims are built by hand (only sub needs escaping); a JSON tree per attempt showed in profiles.
    StringBuilder claims = new StringBuilder(256)
        .append("{\"iss\":\"Upstash\",\"sub\":");
    jsonString(claims, url);
    claims
        .append(",\"exp\":").append(iat + 300)
        .append(",\"nbf\":0,\"iat\":").append(iat)
        .append(",\"jti\":\"").append(ids.jwt(now))
        .append("\",\"body\":\"").append(sha256Base64Url(body)).append("\"}");
    String unsigned = HEADER + "." + b64url(claims.toString().getBytes(StandardCharsets.UTF_8));
    return unsigned + "." + b64url(mac().doFinal(unsigned.getBytes(StandardCharsets.US_ASCII)));
  }

  private record KeyedMac(String key, Mac prototype) {
    @Override
    public String toString() {
      return "KeyedMac[redacted]"; // never print a signing key
    }
  }

  private volatile KeyedMac keyed;

  /** A Mac for the current key: initialised once per key, cloned per call (clone is cheap, init is not). */
  private Mac mac() {
    String key = keys.get().current();
    KeyedMac k = keyed;
    try {
      if (k == null || !k.key().equals(key)) {
        Mac m = Mac.getInstance("HmacSHA256");
        m.init(new SecretKeySpec(key.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        k = new KeyedMac(key, m);
        keyed = k;
      }
      return (Mac) k.prototype().clone();
    } catch (GeneralSecurityException | CloneNotSupportedException e) {
      throw new IllegalStateException("HmacSHA256 unavailable", e);
    }
  }

  /** base64url of SHA-256, with '=' padding as QStash sends it. */
  public static String sha256Base64Url(byte[] body) {
    return Base64.getUrlEncoder().encodeToString(dev.herald.core.Sha256.of(body));
  }

  /** Appends {@code s} as a JSON string (RFC 8259: quote, backslash and control characters escaped). */
  static void jsonString(StringBuilder out, String s) {
    out.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        default -> {
          if (c < 0x20) out.append(String.format("\\u%04x", (int) c));
          else out.append(c);
        }
      }
    }
    out.append('"');
  }

  private static String b64url(byte[] b) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }
}
