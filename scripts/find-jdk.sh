#!/usr/bin/env bash
# Prints the home of a JDK >= 21: JAVA_HOME if it is new enough, else the newest under /usr/lib/jvm.
# Exits 1 with a clear message on stderr when there is none.
set -euo pipefail

java_major() { # $1 = .../bin/java; reads the JDK's release file (fast), else asks the JVM
  local home; home="$(dirname "$(dirname "$1")")"
  if [[ -f "$home/release" ]]; then
    local v; v="$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$home/release" | head -1)"
    if [[ "$v" =~ ^[0-9]+$ ]]; then echo "$v"; return; fi
  fi
  "$1" -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ {print $2; exit}' | cut -d. -f1
}

if [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/javac" ]]; then
  v="$(java_major "$JAVA_HOME/bin/java" || true)"
  if [[ "$v" =~ ^[0-9]+$ ]] && (( v >= 21 )); then echo "$JAVA_HOME"; exit 0; fi
fi
best="" best_v=0
for home in /usr/lib/jvm/*; do
  [[ -x "$home/bin/java" && -x "$home/bin/javac" ]] || continue
  v="$(java_major "$home/bin/java" || true)"
  [[ "$v" =~ ^[0-9]+$ ]] || continue
  if (( v >= 21 && v > best_v )); then best="$home"; best_v=$v; fi
done
if [[ -n "$best" ]]; then echo "$best"; exit 0; fi
echo "herald: no JDK 21 or newer found (looked at JAVA_HOME and /usr/lib/jvm/*)." >&2
echo "herald: install one (e.g. 'apt-get install openjdk-21-jdk', or Temurin 21+) or set JAVA_HOME." >&2
exit 1
