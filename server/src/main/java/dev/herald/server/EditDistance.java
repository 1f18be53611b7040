package dev.herald.server;

import java.util.List;

/** How many typing mistakes apart two names are, to suggest the setting a misspelt variable meant. */
final class EditDistance {
  private EditDistance() {}

  /** The candidate nearest to {@code name}, or null when none is a plausible typo of it (a few edits for its length). */
  static String closest(String name, List<String> candidates) {
    int limit = Math.min(3, 1 + name.length() / 8);
    String best = null;
    int bestDistance = limit + 1;
    for (String c : candidates) {
      int d = between(name, c);
      if (d < bestDistance) {
        best = c;
        bestDistance = d;
      }
    }
    return best;
  }

  /** Insertions, deletions, substitutions and swaps of neighbours (optimal string alignment), case-insensitive. */
  static int between(String a, String b) {
    a = a.toUpperCase(java.util.Locale.ROOT);
    b = b.toUpperCase(java.util.Locale.ROOT);
    int[][] d = new int[a.length() + 1][b.length() + 1];
    for (int i = 0; i <= a.length(); i++) d[i][0] = i;
    for (int j = 0; j <= b.length(); j++) d[0][j] = j;
    for (int i = 1; i <= a.length(); i++) {
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
        if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
          d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
        }
      }
    }
    return d[a.length()][b.length()];
  }
}
