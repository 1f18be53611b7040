package dev.herald.api;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** Typed reading of list/bulk query parameters, with the spec's errors (spec 1.6, 1.9). */
final class Queries {
  private Queries() {}

  /** Destructive bulk endpoints refuse parameters they do not know (a misspelt filter must not mean "all"). */
  static void onlyKnown(ApiRequest req, Set<String> known) {
    for (String k : req.query().keySet()) {
      if (!known.contains(k)) throw ApiException.badRequest("unknown query parameter '" + clip(k) + "'");
    }
  }

  static Long millis(ApiRequest req, String name) {
    String v = req.queryFirst(name);
    if (v == null || v.isBlank()) return null;
    try {
      return Long.parseLong(v.trim());
    } catch (NumberFormatException e) {
      throw ApiException.badRequest(name + ": must be a Unix time in milliseconds");
    }
  }

  static int count(ApiRequest req, int def, int max) {
    String v = req.queryFirst("count");
    if (v == null || v.isBlank()) return def;
    try {
      int n = Integer.parseInt(v.trim());
      if (n < 1) throw new NumberFormatException();
      return Math.min(n, max);
    } catch (NumberFormatException e) {
      throw ApiException.badRequest("count: must be a positive integer");
    }
  }

  static List<Integer> ints(ApiRequest req, String name) {
    List<Integer> out = new ArrayList<>();
    for (String v : req.queryList(name)) {
      try {
        out.add(Integer.parseInt(v));
      } catch (NumberFormatException e) {
        throw ApiException.badRequest(name + ": must be an integer");
      }
    }
    return out;
  }

  /** Both spellings of a parameter (e.g. callerIp and callerIP). */
  static List<String> list(ApiRequest req, String... names) {
    List<String> out = new ArrayList<>();
    for (String n : names) out.addAll(req.queryList(n));
    return out;
  }

  static String clip(String s) {
    return s.length() <= 40 ? s : s.substring(0, 40) + "...";
  }
}
