package dev.herald.engine;

import dev.herald.core.message.HostSyntax;
import java.net.InetAddress;

/** An address range such as 10.1.2.0/24 or fd00::/8 (or one address). */
record Cidr(byte[] network, int bits) {
  /**
   * One {@code egress.allow} entry: an address range ({@code 10.1.2.0/24}, {@code fd00::/8}) or one
   * address ({@code 10.1.2.3}, {@code ::1}) as a range; a host name ({@code hooks.internal},
   * {@code my_app}) as null. Anything else is an IllegalArgumentException saying what is wrong (the
   * caller names the entry). Never looks a name up.
   */
  static Cidr parseRule(String rule) {
    String s = rule.trim();
    if (s.isEmpty()) throw new IllegalArgumentException("is empty");
    int slash = s.indexOf('/');
    String address = slash < 0 ? s : s.substring(0, slash);
    byte[] addr = HostSyntax.ipLiteral(address);
    if (addr == null) {
      if (slash >= 0) throw new IllegalArgumentException("is not an address range (write e.g. 10.1.2.0/24 or fd00::/8)");
      if (s.contains(":") || s.chars().allMatch(c -> (c >= '0' && c <= '9') || c == '.')) {
        throw new IllegalArgumentException("is not an IP address (IPv4 is four numbers 0-255 without leading zeros)");
      }
      if (!HostSyntax.isHostName(s)) {
        throw new IllegalArgumentException("is not a host name (labels of letters, digits, '-' and '_', separated by dots)");
      }
      return null;
    }
    int max = addr.length * 8;
    if (slash < 0) return new Cidr(addr, max);
    String prefix = s.substring(slash + 1);
    if (!prefix.matches("[0-9]{1,3}") || Integer.parseInt(prefix) > max) {
      throw new IllegalArgumentException("has a bad prefix length (allowed /0 to /" + max + ")");
    }
    return new Cidr(addr, Integer.parseInt(prefix));
  }

  boolean contains(InetAddress a) {
    byte[] b = a.getAddress();
    if (b.length != network.length) return false;
    int full = bits / 8, rest = bits % 8;
    for (int i = 0; i < full; i++) if (b[i] != network[i]) return false;
    if (rest == 0) return true;
    int mask = (0xff << (8 - rest)) & 0xff;
    return (b[full] & mask) == (network[full] & mask);
  }
}
