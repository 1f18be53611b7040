package dev.herald.engine;

import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Decides which destination addresses Herald may call (SSRF guard). In dev mode everything is allowed.
 * In serve mode loopback, link-local (cloud metadata), private, CGNAT, multicast, unspecified and
 * unique-local addresses are refused unless an {@code egress.allow} rule covers them.
 *
 * <p>Host names are checked where they are resolved: {@link GuardedResolverProvider} filters every
 * name lookup of the JVM through {@link #active()}, so the address the HTTP client connects to is
 * the address that was checked (a DNS answer that changes between check and connect cannot slip
 * through). Literal IPs need no lookup and are checked here, before the attempt and at publish time.
 *
 * <p>The active guard is process-wide state because the JDK's resolver hook is process-wide; the
 * composition root installs it at start and removes it at stop.
 */
public final class EgressGuard {
  private static volatile EgressGuard active;

  private final boolean allowPrivate;
  private final List<Cidr> allow;
  private final Set<String> allowHosts;

  public EgressGuard(boolean allowPrivate, List<String> rules) {
    this(allowPrivate, rules, Set.of());
  }

  /**
   * @param rules {@code egress.allow} entries, each as {@link #checkRule} accepts it
   * @param exemptHosts names Herald itself must resolve freely (e.g. the PostgreSQL host)
   */
  public EgressGuard(boolean allowPrivate, List<String> rules, Set<String> exemptHosts) {
    this.allowPrivate = allowPrivate;
    java.util.List<Cidr> ranges = new java.util.ArrayList<>();
    java.util.HashSet<String> hosts = new java.util.HashSet<>();
    for (String rule : rules) {
      Cidr range;
      try {
        range = Cidr.parseRule(rule);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("egress.allow: '" + rule + "' " + e.getMessage(), e);
      }
      if (range != null) ranges.add(range);
      else hosts.add(rule.trim().toLowerCase(Locale.ROOT));
    }
    exemptHosts.forEach(h -> hosts.add(h.toLowerCase(Locale.ROOT)));
    this.allow = List.copyOf(ranges);
    this.allowHosts = Set.copyOf(hosts);
  }

  /**
   * Checks one {@code egress.allow} entry the way the constructor reads it: a range ({@code 10.1.2.0/24},
   * {@code fd00::/8}), an IP address, or a host name (underscores allowed). Throws
   * IllegalArgumentException saying what is wrong with it (the entry itself is not repeated).
   */
  public static void checkRule(String rule) {
    Cidr.parseRule(rule);
  }

  public static EgressGuard allowAll() {
    return new EgressGuard(true, List.of());
  }

  /** Makes this guard the one name lookups are filtered by (serve mode); {@code null} removes it. */
  public static void install(EgressGuard guard) {
    if (guard != null && !guard.allowPrivate) {
      // Lookups must reach the resolver every time: a cached answer would skip the check.
      java.security.Security.setProperty("networkaddress.cache.ttl", "0");
      java.security.Security.setProperty("networkaddress.cache.negative.ttl", "0");
    }
    active = guard;
  }

  static EgressGuard active() {
    return active;
  }

  public boolean allowsPrivate() {
    return allowPrivate;
  }

  /** Null when the call may go ahead, else the reason it may not. Names are checked when resolved. */
  public String check(URI uri) {
    if (allowPrivate) return null;
    String host = dev.herald.core.message.HeaderParser.host(uri);
    if (host == null) return "destination has no host";
    return literalRefused(host);
  }

  /**
   * For a literal IP host: the reason it is refused, or null (also null for names). {@code localhost}
   * counts as a literal: the JDK answers it with the loopback address without asking the resolver, so
   * the connect-time check in {@link GuardedResolverProvider} never sees it.
   */
  public String literalRefused(String host) {
    if (allowPrivate) return null;
    String h = host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
    if (h.equalsIgnoreCase("localhost")) {
      InetAddress loopback = InetAddress.getLoopbackAddress();
      return allowed(h, loopback) ? null : refusal(loopback);
    }
    if (!isLiteral(h)) return null;
    try {
      InetAddress a = InetAddress.getByName(h); // a literal: no lookup happens
      return allowed(h, a) ? null : refusal(a);
    } catch (UnknownHostException e) {
      return "invalid address " + h;
    }
  }

  /** Whether {@code host} resolving to {@code a} may be called. */
  boolean allowed(String host, InetAddress a) {
    if (allowPrivate || !forbidden(a)) return true;
    if (host != null && allowHosts.contains(host.toLowerCase(Locale.ROOT))) return true;
    return allow.stream().anyMatch(c -> c.contains(a));
  }

  static String refusal(InetAddress a) {
    return "egress to " + a.getHostAddress() + " is not allowed (add it to egress.allow to permit it)";
  }

  private static boolean isLiteral(String h) {
    return h.contains(":") || h.chars().allMatch(c -> (c >= '0' && c <= '9') || c == '.');
  }

  /** True for addresses a public webhook sender must not reach. */
  public static boolean forbidden(InetAddress a) {
    if (a.isLoopbackAddress() || a.isLinkLocalAddress() || a.isSiteLocalAddress() || a.isAnyLocalAddress()
        || a.isMulticastAddress()) return true;
    byte[] b = a.getAddress();
    if (b.length == 4) {
      int first = b[0] & 0xff, second = b[1] & 0xff;
      return first == 0 || (first == 100 && second >= 64 && second < 128) // CGNAT
          || (first == 192 && second == 0 && (b[2] & 0xff) == 0) || first >= 240;
    }
    if (isMappedV4(b) || isNat64(b)) return forbiddenV4(java.util.Arrays.copyOfRange(b, 12, 16));
    if ((b[0] & 0xff) == 0x20 && (b[1] & 0xff) == 0x02) return forbiddenV4(java.util.Arrays.copyOfRange(b, 2, 6)); // 6to4
    if (isCompatibleV4(b)) return true; // ::/96, deprecated IPv4-compatible (::127.0.0.1)
    return (b[0] & 0xfe) == 0xfc; // fc00::/7 unique local
  }

  private static boolean forbiddenV4(byte[] v4) {
    try {
      return forbidden(InetAddress.getByAddress(v4));
    } catch (UnknownHostException e) {
      return true;
    }
  }

  /** 64:ff9b::/96, the NAT64 well-known prefix: a gateway would forward to the embedded IPv4 address. */
  private static boolean isNat64(byte[] b) {
    if (b[0] != 0 || (b[1] & 0xff) != 0x64 || (b[2] & 0xff) != 0xff || (b[3] & 0xff) != 0x9b) return false;
    for (int i = 4; i < 12; i++) if (b[i] != 0) return false;
    return true;
  }

  private static boolean isCompatibleV4(byte[] b) {
    for (int i = 0; i < 12; i++) if (b[i] != 0) return false;
    return true;
  }

  private static boolean isMappedV4(byte[] b) {
    for (int i = 0; i < 10; i++) if (b[i] != 0) return false;
    return (b[10] & 0xff) == 0xff && (b[11] & 0xff) == 0xff;
  }
}
