package dev.herald.engine;

import dev.herald.core.id.Ids;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * Makes the Upstash-Signature JWT (spec 5.9): HS256 with the current key's UTF-8 bytes as secret,
 * iss=Upstash, sub=the called URL, iat, exp=iat+300, nbf=0, a fresh jti, body=base64url(sha256(body))
 * with padding. Called once per attempt, at send time.
 */
public final class Signer {
  private static final String HEADER = b64url("{\"alg\":\"HS256\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8));
  private static final JsonMapper JSON = JsonMapper.builder().build();
  private final SigningKeys keys;
  private final Ids ids;

  public Signer(SigningKeys keys, Ids ids) {
    this.keys = keys;
    this.ids = ids;
  }

  public String sign(String url, byte[] body, Instant now) {
    long iat = now.getEpochSecond();
    ObjectNode claims = JSON.createObjectNode();
    claims.put("iss", "Upstash");
    claims.put("sub", url);
    claims.put("exp", iat + 300);
    claims.put("nbf", 0);
    claims.put("iat", iat);
    claims.put("jti", ids.jwt(now));
    claims.put("body", sha256Base64Url(body));
    String unsigned = HEADER + "." + b64url(JSON.writeValueAsBytes(claims));
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(keys.get().current().getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      return unsigned + "." + b64url(mac.doFinal(unsigned.getBytes(StandardCharsets.US_ASCII)));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 unavailable", e);
    }
  }

  /** base64url of SHA-256, with '=' padding as QStash sends it. */
  public static String sha256Base64Url(byte[] body) {
    try {
      return Base64.getUrlEncoder().encodeToString(MessageDigest.getInstance("SHA-256").digest(body));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String b64url(byte[] b) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }
}
