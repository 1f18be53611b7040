package dev.herald.engine;

import java.net.InetAddress;
import java.net.UnknownHostException;

/** An address range such as 10.1.2.0/24 or fd00::/8 (or one address). */
record Cidr(byte[] network, int bits) {
  static boolean looksLikeCidr(String s) {
    return s.contains("/") || s.chars().allMatch(c -> Character.isDigit(c) || c == '.') || s.contains(":");
  }

  static Cidr parse(String s) {
    String[] parts = s.trim().split("/", 2);
    try {
      byte[] addr = InetAddress.getByName(parts[0]).getAddress();
      int bits = parts.length == 2 ? Integer.parseInt(parts[1]) : addr.length * 8;
      if (bits < 0 || bits > addr.length * 8) throw new IllegalArgumentException("bad prefix length in " + s);
      return new Cidr(addr, bits);
    } catch (UnknownHostException | NumberFormatException e) {
      throw new IllegalArgumentException("not an address range: " + s);
    }
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
