package dev.herald.engine;

import java.net.URI;
import java.util.List;

/** The {@code host} and {@code path} filters of bulk cancel and logs (spec 4.4, 10): parts of the URL. */
public final class UrlFilter {
  private UrlFilter() {}

  /** True when no filter is given, or the URL's host is one of {@code hosts} and its path one of {@code paths}. */
  public static boolean matches(String url, List<String> hosts, List<String> paths) {
    if (hosts.isEmpty() && paths.isEmpty()) return true;
    try {
      URI u = URI.create(url);
      return (hosts.isEmpty() || hosts.contains(dev.herald.core.message.HeaderParser.host(u))) && (paths.isEmpty() || paths.contains(u.getRawPath()));
    } catch (IllegalArgumentException | NullPointerException e) {
      return false;
    }
  }
}
