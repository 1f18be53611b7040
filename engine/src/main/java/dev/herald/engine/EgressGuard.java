package dev.herald.engine;

import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.List;

/**
 * Decides which destination addresses Herald may call (SSRF guard). In dev mode everything is allowed.
 * In serve mode loopback, link-local (cloud metadata), private, multicast, unspecified and unique-local
 * addresses are refused unless an allow rule covers them. The check resolves the host at attempt time.
 */
public final class EgressGuard {
  private final boolean allowPrivate;
  private final List<Cidr> allow;
  private final List<String> allowHosts;

  public EgressGuard(boolean allowPrivate, List<String> rules) {
    this.allowPrivate = allowPrivate;
    this.allow = rules.stream().filter(Cidr::looksLikeCidr).map(Cidr::parse).toList();
    this.allowHosts = rules.stream().filter(r -> !Cidr.looksLikeCidr(r)).map(String::toLowerCase).toList();
  }

  public static EgressGuard allowAll() {
    return new EgressGuard(true, List.of());
  }

  /** Null when the call may go ahead, else the reason it may not. */
  public String check(URI uri) {
    if (allowPrivate) return null;
    String host = uri.getHost();
    if (host == null) return "destination has no host";
    String h = host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
    if (allowHosts.contains(h.toLowerCase())) return null;
    try {
      for (InetAddress a : InetAddress.getAllByName(h)) {
        if (forbidden(a) && allow.stream().noneMatch(c -> c.contains(a))) {
          return "egress to " + a.getHostAddress() + " is not allowed (set egress.allow to permit it)";
        }
      }
      return null;
    } catch (UnknownHostException e) {
      return "unknown host " + h;
    }
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
    return (b[0] & 0xfe) == 0xfc; // fc00::/7 unique local
  }
}
