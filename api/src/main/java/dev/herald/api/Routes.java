package dev.herald.api;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * The one table of endpoints. Matching works on the raw path (spec 1.5): fixed segments are
 * case-insensitive, {@code {x}} takes one segment, {@code {x...}} takes the rest of the raw path
 * (slashes, {@code //} and all). A trailing slash on a path is ignored.
 */
public final class Routes {
  /** A handler of one endpoint. */
  public interface Handler extends Function<ApiRequest, ApiResponse> {}

  record Route(Set<String> methods, String[] segments, Handler handler, boolean authenticated) {}

  /** The outcome of matching: the route, 405 (path known, method not) or 404. */
  public sealed interface Match {}

  public record Found(Handler handler, boolean authenticated) implements Match {}

  public record MethodNotAllowed() implements Match {}

  public record NotFound() implements Match {}

  private final List<Route> routes = new ArrayList<>();

  public Routes add(String methods, String pattern, Handler handler) {
    return add(methods, pattern, handler, true);
  }

  public Routes open(String methods, String pattern, Handler handler) {
    return add(methods, pattern, handler, false);
  }

  private Routes add(String methods, String pattern, Handler handler, boolean authenticated) {
    routes.add(new Route(Set.of(methods.split(",")), split(pattern), handler, authenticated));
    return this;
  }

  public Match match(ApiRequest req) {
    boolean pathMatched = false;
    for (Route r : routes) {
      Map<String, String> vars = matchPath(r.segments(), req.rawPath());
      if (vars == null) continue;
      pathMatched = true;
      if (!r.methods().contains(req.method())) continue;
      req.pathVars(vars);
      return new Found(r.handler(), r.authenticated());
    }
    return pathMatched ? new MethodNotAllowed() : new NotFound();
  }

  private static String[] split(String pattern) {
    return pattern.substring(1).split("/");
  }

  static Map<String, String> matchPath(String[] pattern, String rawPath) {
    if (!rawPath.startsWith("/")) return null;
    Map<String, String> vars = new LinkedHashMap<>();
    int pos = 1;
    for (int i = 0; i < pattern.length; i++) {
      String p = pattern[i];
      if (p.startsWith("{") && p.endsWith("...}")) {
        if (pos > rawPath.length()) return null;
        String rest = rawPath.substring(pos);
        if (rest.isEmpty()) return null;
        vars.put(p.substring(1, p.length() - 4), rest);
        return vars;
      }
      if (pos > rawPath.length()) return null;
      int slash = rawPath.indexOf('/', pos);
      String seg = slash < 0 ? rawPath.substring(pos) : rawPath.substring(pos, slash);
      if (p.startsWith("{")) {
        if (seg.isEmpty()) return null;
        try {
          vars.put(p.substring(1, p.length() - 1), java.net.URLDecoder.decode(seg.replace("+", "%2B"),
              java.nio.charset.StandardCharsets.UTF_8));
        } catch (IllegalArgumentException e) {
          throw ApiException.badRequest("malformed path");
        }
      } else if (!p.equalsIgnoreCase(seg)) {
        return null;
      }
      pos = slash < 0 ? rawPath.length() + 1 : slash + 1;
    }
    // all pattern segments used: the path must be finished (a single trailing slash is tolerated)
    return pos >= rawPath.length() ? vars : null;
  }
}
