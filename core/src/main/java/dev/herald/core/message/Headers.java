package dev.herald.core.message;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An immutable, ordered header map with canonical names ({@code content-type} -> {@code Content-Type},
 * like Go's textproto.CanonicalMIMEHeaderKey, which the SDK tests compare against).
 */
public record Headers(Map<String, List<String>> map) {
  public static final Headers EMPTY = new Headers(Map.of());

  public Headers {
    LinkedHashMap<String, List<String>> copy = new LinkedHashMap<>();
    map.forEach((k, v) -> copy.merge(canonical(k), List.copyOf(v), (a, b) -> {
      List<String> all = new ArrayList<>(a);
      all.addAll(b);
      return List.copyOf(all);
    }));
    map = Collections.unmodifiableMap(copy);
  }

  public static Headers of(Map<String, List<String>> map) {
    return map.isEmpty() ? EMPTY : new Headers(map);
  }

  public String first(String name) {
    List<String> v = map.get(canonical(name));
    return v == null || v.isEmpty() ? null : v.get(0);
  }

  public boolean isEmpty() {
    return map.isEmpty();
  }

  public static String canonical(String name) {
    char[] c = name.toCharArray();
    boolean upper = true;
    for (int i = 0; i < c.length; i++) {
      char ch = c[i];
      if (!isTokenChar(ch)) return name; // not a token; leave as is, like Go does
      c[i] = upper ? Character.toUpperCase(ch) : Character.toLowerCase(ch);
      upper = ch == '-';
    }
    return new String(c);
  }

  /** RFC 7230 tchar, the bytes Go's textproto accepts in a header name. */
  private static boolean isTokenChar(char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9')
        || (ch < 128 && "!#$%&'*+-.^_`|~".indexOf(ch) >= 0);
  }
}
