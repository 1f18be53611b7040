package dev.herald.core;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * SHA-256 of byte strings (signatures, token checks, dedup keys, redaction). A digest is cloned from a
 * prototype: {@code MessageDigest.getInstance} looks up the provider on every call, which showed in the
 * delivery and publish profiles.
 */
public final class Sha256 {
  private static final MessageDigest PROTOTYPE = newDigest();

  private Sha256() {}

  /** The digest of the parts, concatenated. */
  public static byte[] of(byte[]... parts) {
    MessageDigest md;
    try {
      md = (MessageDigest) PROTOTYPE.clone();
    } catch (CloneNotSupportedException e) {
      md = newDigest();
    }
    for (byte[] p : parts) md.update(p);
    return md.digest();
  }

  private static MessageDigest newDigest() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 unavailable", e);
    }
  }
}
