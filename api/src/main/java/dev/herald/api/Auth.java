package dev.herald.api;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;

/**
 * Checks the QStash token (Bearer header or {@code qstash_token} query). Compares SHA-256 digests
 * with {@link MessageDigest#isEqual} so neither the length nor the content leaks through timing.
 * Tokens are never logged.
 */
public final class Auth {
  private final List<byte[]> tokenHashes;

  public Auth(List<String> tokens) {
    this.tokenHashes = tokens.stream().map(Auth::sha256).toList();
  }

  public boolean allows(ApiRequest req) {
    String token = null;
    // one Authorization field only (RFC 9110 11.6.2): with two, "the first one" would be a guess
    long fields = req.headers().entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase("authorization"))
        .mapToLong(e -> e.getValue().size()).sum();
    if (fields > 1) return false;
    String authz = req.header("authorization");
    if (authz != null && authz.regionMatches(true, 0, "Bearer ", 0, 7)) token = authz.substring(7).trim();
    if (token == null) token = req.queryFirst("qstash_token");
    if (token == null || token.isEmpty()) return false;
    byte[] h = sha256(token);
    boolean ok = false;
    for (byte[] t : tokenHashes) ok |= MessageDigest.isEqual(t, h);
    return ok;
  }

  private static byte[] sha256(String s) {
    return dev.herald.core.Sha256.of(s.getBytes(StandardCharsets.UTF_8));
  }
}
