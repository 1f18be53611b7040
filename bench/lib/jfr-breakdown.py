#!/usr/bin/env python3
"""Inclusive breakdown of JFR execution samples (Java + native) by area and by top frame.
Usage: jfr print --events jdk.ExecutionSample,jdk.NativeMethodSample --stack-depth 96 rec.jfr | jfr-breakdown.py"""
import re, sys, collections
AREAS = [  # first match wins, checked against every frame of the stack, outermost last
  ("sqlite (JNI, incl. fsync)", ("org.sqlite.",)),
  ("group committer (non-sqlite)", ("dev.herald.store.GroupCommitter",)),
  ("signer (JWT per attempt)", ("dev.herald.engine.Signer.",)),
  ("outbound HTTP (JDK HttpClient)", ("jdk.internal.net.http.", "java.net.http.")),
  ("sender (request build)", ("dev.herald.engine.Sender.",)),
  ("event log detail JSON", ("dev.herald.store.Events.",)),
  ("header parsing", ("dev.herald.core.message.HeaderParser.",)),
  ("API resources", ("dev.herald.api.",)),
  ("inbound HTTP (Helidon)", ("io.helidon.",)),
  ("dispatcher", ("dev.herald.engine.Dispatcher",)),
  ("JSON (Jackson, other)", ("tools.jackson.",)),
  ("virtual-thread scheduling", ("java.lang.VirtualThread", "java.util.concurrent.ForkJoin")),
]
samples, cur, kind = [], None, None
for line in sys.stdin:
    if line.startswith("jdk.ExecutionSample") or line.startswith("jdk.NativeMethodSample"):
        if cur is not None: samples.append((kind, cur))
        cur, kind = [], line.split()[0]
    m = re.match(r"\s+([\w$.<>/]+)\(", line)
    if m and cur is not None and "line:" in line or (m and cur is not None):
        cur.append(m.group(1))
if cur is not None: samples.append((kind, cur))
IDLE = ("sun.nio.ch.EPoll.wait", "sun.nio.ch.Net.accept", "sun.nio.ch.Net.poll", "java.lang.Thread.sleep",
        "jdk.internal.misc.Unsafe.park", "java.lang.Object.wait")
idle = sum(1 for k, st in samples if st and st[0].startswith(IDLE))
samples = [(k, st) for k, st in samples if not (st and st[0].startswith(IDLE))]  # blocked, not burning CPU
tot = len(samples)
print(f"dropped {idle} samples of threads blocked in epoll/accept/park (not CPU)")
areas, tops, kinds = collections.Counter(), collections.Counter(), collections.Counter()
for kind, st in samples:
    kinds[kind] += 1
    if st: tops[st[0]] += 1
    area = "other"
    for name, pfx in AREAS:
        if any(f.startswith(p) for f in st for p in pfx): area = name; break
    areas[area] += 1
print(f"samples: {tot} {dict(kinds)}")
print("\nby area (inclusive, first matching area):")
for a, n in areas.most_common(): print(f"  {100*n/tot:5.1f}%  {n:6d}  {a}")
print("\ntop frames:")
for f, n in tops.most_common(25): print(f"  {100*n/tot:5.1f}%  {n:6d}  {f}")
