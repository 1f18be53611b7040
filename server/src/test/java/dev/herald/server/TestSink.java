package dev.herald.server;

import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A local destination that records every request it receives (method, path and query, headers by
 * lower-case name, body, arrival time) and answers as scripted per path: 200 unless told otherwise.
 */
final class TestSink implements AutoCloseable {
  /** One request as the sink saw it. */
  record Received(String method, String path, String pathAndQuery, Map<String, List<String>> headers, byte[] body,
      Instant at) {
    String header(String name) {
      List<String> v = headers.get(name.toLowerCase(Locale.ROOT));
      return v == null || v.isEmpty() ? null : v.get(0);
    }
  }

  /** One thing the sink did, in the order it did them: request {@code n} (0-based) to {@code path} arrived, or was answered. */
  record Step(String path, int n, boolean answered) {}

  /** What to answer. */
  record Reply(int status, Map<String, String> headers, byte[] body) {
    static Reply of(int status) {
      return new Reply(status, Map.of(), new byte[0]);
    }

    Reply with(String name, String value) {
      Map<String, String> h = new LinkedHashMap<>(headers);
      h.put(name, value);
      return new Reply(status, h, body);
    }

    Reply withBody(String text) {
      return new Reply(status, headers, text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
  }

  /** Chooses the reply for the n-th (0-based) request to a path. */
  interface Script {
    Reply reply(int n);
  }

  private final HttpServer server;
  private final List<Received> received = new CopyOnWriteArrayList<>();
  private final List<Received> succeeded = new CopyOnWriteArrayList<>();
  private final Map<String, Script> scripts = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();
  private final Map<String, CountDownLatch> gates = new ConcurrentHashMap<>();
  private final Map<String, Duration> delays = new ConcurrentHashMap<>();
  private final Map<String, Semaphore> permits = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> inFlight = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> maxInFlight = new ConcurrentHashMap<>();
  private final AtomicInteger inFlightAll = new AtomicInteger();
  private final AtomicInteger maxInFlightAll = new AtomicInteger();
  private final Map<String, byte[]> bodies = new ConcurrentHashMap<>();
  private final List<Step> steps = Collections.synchronizedList(new ArrayList<>());

  private TestSink(HttpServer server) {
    this.server = server;
  }

  static TestSink start() {
    return startOn(0);
  }

  /** A sink on a chosen port of the loopback address (0: any free one), e.g. a destination coming back up. */
  static TestSink startOn(int port) {
    try {
      HttpServer s = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1000);
      TestSink sink = new TestSink(s);
      s.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
      s.createContext("/", sink::handle);
      s.start();
      return sink;
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  String url(String pathAndQuery) {
    return "http://127.0.0.1:" + server.getAddress().getPort() + pathAndQuery;
  }

  /** Scripts the answers of one path. */
  TestSink on(String path, Script script) {
    scripts.put(path, script);
    return this;
  }

  /** Fails the first {@code n} requests to {@code path} with {@code status}, then answers 200. */
  TestSink failFirst(String path, int n, Reply failure) {
    return on(path, i -> i < n ? failure : Reply.of(200));
  }

  /** Holds every request to {@code path} (recorded on arrival) until {@link #release} or 60 s. */
  TestSink hold(String path) {
    gates.put(path, new CountDownLatch(1));
    return this;
  }

  /** Answers every request to {@code path} only after {@code delay}: a slow destination. */
  TestSink slow(String path, Duration delay) {
    delays.put(path, delay);
    return this;
  }

  /** Holds every request to {@code path} until {@link #allow} lets it through (one permit each), or 60 s. */
  TestSink throttle(String path) {
    permits.put(path, new Semaphore(0));
    return this;
  }

  /** Lets {@code n} more held requests to a {@link #throttle}d path be answered. */
  void allow(String path, int n) {
    permits.get(path).release(n);
  }

  /** Requests to {@code path} received and not yet answered. */
  int inFlight(String path) {
    AtomicInteger n = inFlight.get(path);
    return n == null ? 0 : n.get();
  }

  /** The most requests to {@code path} that were ever received and not yet answered at the same time. */
  int maxInFlight(String path) {
    AtomicInteger n = maxInFlight.get(path);
    return n == null ? 0 : n.get();
  }

  /** The most requests, to any path, that were ever received and not yet answered at the same time. */
  int maxInFlight() {
    return maxInFlightAll.get();
  }

  /** Answers every request to {@code path} with this response body (status as scripted). */
  TestSink respondWith(String path, byte[] body) {
    bodies.put(path, body);
    return this;
  }

  /** The port the sink listens on. */
  int port() {
    return server.getAddress().getPort();
  }

  void release(String path) {
    CountDownLatch g = gates.remove(path);
    if (g != null) g.countDown();
  }

  private void handle(HttpExchange ex) throws IOException {
    try (ex; InputStream in = ex.getRequestBody()) {
      byte[] body = in.readAllBytes();
      String path = ex.getRequestURI().getRawPath();
      String query = ex.getRequestURI().getRawQuery();
      Map<String, List<String>> headers = new LinkedHashMap<>();
      ex.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(Locale.ROOT), List.copyOf(v)));
      Received got = new Received(ex.getRequestMethod(), path, query == null ? path : path + "?" + query, headers, body,
          Instant.now());
      received.add(got);
      int n;
      synchronized (steps) { // the n-th arrival is the n-th step of its path
        n = counts.computeIfAbsent(path, p -> new AtomicInteger()).getAndIncrement();
        steps.add(new Step(path, n, false));
      }
      AtomicInteger now = inFlight.computeIfAbsent(path, p -> new AtomicInteger());
      maxInFlight.computeIfAbsent(path, p -> new AtomicInteger()).accumulateAndGet(now.incrementAndGet(), Math::max);
      maxInFlightAll.accumulateAndGet(inFlightAll.incrementAndGet(), Math::max);
      try {
        awaitGate(path);
        awaitPermit(path);
        pause(delays.get(path));
      } finally {
        now.decrementAndGet(); // before answering: the sender may start its next request as soon as it has the answer
        inFlightAll.decrementAndGet();
      }
      Reply r = scripts.getOrDefault(path, i -> Reply.of(200)).reply(n);
      r.headers().forEach((k, v) -> ex.getResponseHeaders().add(k, v));
      byte[] reply = bodies.getOrDefault(path, r.body());
      steps.add(new Step(path, n, true)); // before the answer leaves: whatever its caller does next comes later
      if (r.status() / 100 == 2) succeeded.add(got);
      if (reply.length == 0) {
        ex.sendResponseHeaders(r.status(), -1);
      } else {
        ex.sendResponseHeaders(r.status(), reply.length);
        try (OutputStream out = ex.getResponseBody()) {
          out.write(reply);
        } catch (IOException e) {
          // the caller stopped reading (it caps what it reads): nothing to record
        }
      }
    }
  }

  private void awaitPermit(String path) {
    Semaphore s = permits.get(path);
    if (s == null) return;
    try {
      s.tryAcquire(60, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void awaitGate(String path) {
    CountDownLatch g = gates.get(path);
    if (g == null) return;
    try {
      g.await(60, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void pause(Duration d) {
    if (d == null) return;
    try {
      Thread.sleep(d); // the destination's own slowness, not a wait of the test
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Where the arrival ({@code answered} false) or the answer of request {@code n} to {@code path} is in the
   * order of everything the sink did; -1 if it has not happened. Compares events without a clock.
   */
  int step(String path, int n, boolean answered) {
    return steps.indexOf(new Step(path, n, answered));
  }

  List<Received> requests() {
    return List.copyOf(received);
  }

  List<Received> requests(String path) {
    List<Received> out = new ArrayList<>();
    for (Received r : received) if (r.path().equals(path)) out.add(r);
    return out;
  }

  /** The requests the sink answered with a 2xx (also when the caller was gone by then). */
  List<Received> succeeded() {
    return List.copyOf(succeeded);
  }

  /** The requests to {@code path} the sink answered with a 2xx (also when the caller was gone by then). */
  List<Received> succeeded(String path) {
    List<Received> out = new ArrayList<>();
    for (Received r : succeeded) if (r.path().equals(path)) out.add(r);
    return out;
  }

  /** Waits until {@code path} has received at least {@code n} requests; returns them all. */
  List<Received> awaitRequests(String path, int n, Duration timeout) {
    await().atMost(timeout).pollInterval(Duration.ofMillis(10)).until(() -> requests(path).size() >= n);
    return requests(path);
  }

  List<Received> awaitRequests(int n, Duration timeout) {
    await().atMost(timeout).pollInterval(Duration.ofMillis(10)).until(() -> received.size() >= n);
    return requests();
  }

  @Override
  public void close() {
    gates.values().forEach(CountDownLatch::countDown);
    permits.values().forEach(p -> p.release(10_000));
    server.stop(0);
  }
}
