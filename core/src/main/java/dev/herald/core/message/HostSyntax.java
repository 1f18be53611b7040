package dev.herald.core.message;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.regex.Pattern;

/**
 * How a host is spelled in settings ({@code server.host}, {@code egress.allow}): an IP literal or a
 * host name. Checked on the text alone, never by a name lookup, so start-up does not wait for DNS and a
 * setting means the same thing on every machine.
 */
public final class HostSyntax {
  /** Letters, digits, '-' and '_' (Docker Compose names services {@code my_app}: CONTRIBUTING item 39). */
  private static final Pattern LABEL = Pattern.compile("[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?");

  private HostSyntax() {}

  /**
   * The address an IP literal names: a dotted IPv4 address (four numbers 0-255) or an IPv6 address, with
   * or without brackets, without a zone. Null for anything else, including {@code 127.1} and
   * {@code 0177.0.0.1}, which readers disagree on (Java reads the second as decimal, libc as octal).
   */
  public static byte[] ipLiteral(String s) {
    if (s.contains(":")) return ipv6(s.startsWith("[") && s.endsWith("]") ? s.substring(1, s.length() - 1) : s);
    return ipv4(s);
  }

  /** Whether {@code s} is a host name: dot-separated labels of 1-63 characters, at most 253 in all, not a number. */
  public static boolean isHostName(String s) {
    if (s.isEmpty() || s.length() > 253 || s.chars().allMatch(c -> (c >= '0' && c <= '9') || c == '.')) return false;
    for (String label : s.split("\\.", -1)) {
      if (!LABEL.matcher(label).matches()) return false;
    }
    return true;
  }

  private static byte[] ipv4(String s) {
    String[] parts = s.split("\\.", -1);
    if (parts.length != 4) return null;
    byte[] out = new byte[4];
    for (int i = 0; i < 4; i++) {
      String p = parts[i];
      if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(c -> c >= '0' && c <= '9')) return null;
      if (p.length() > 1 && p.charAt(0) == '0') return null;
      int n = Integer.parseInt(p);
      if (n > 255) return null;
      out[i] = (byte) n;
    }
    return out;
  }

  private static byte[] ipv6(String s) {
    if (s.isEmpty() || s.contains("%") || s.contains("[") || s.contains("]")) return null;
    try {
      // in brackets the JDK parses it as a literal or refuses it; it never asks a resolver
      return InetAddress.getByName("[" + s + "]").getAddress();
    } catch (UnknownHostException e) {
      return null;
    }
  }
}
