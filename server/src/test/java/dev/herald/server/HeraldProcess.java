package dev.herald.server;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Herald as a real child JVM ({@code Main dev --port 0 --data dir}), on this test's class path. The
 * port comes from the "running at" line. {@link #kill()} is SIGKILL; {@link #restart()} starts a new
 * process on the same data directory,
 * same mode, environment and JVM flags.
 */
final class HeraldProcess implements AutoCloseable {
  private static final Pattern RUNNING = Pattern.compile("running at http://127\\.0\\.0\\.1:(\\d+)");
  private static final Duration START_TIMEOUT = Duration.ofSeconds(30);

  private final Path data;
  private final List<String> args;
  private final Map<String, String> env;
  private final List<String> jvmFlags;
  private final Process process;
  private final List<String> output = new CopyOnWriteArrayList<>();
  private final CompletableFuture<Integer> port = new CompletableFuture<>();

  private HeraldProcess(Path data) {
    this(data, List.of("dev", "--port", "0", "--data", data.toString()), Map.of(), List.of());
  }

  private HeraldProcess(Path data, List<String> args, Map<String, String> env, List<String> jvmFlags) {
    this.data = data;
    this.args = List.copyOf(args);
    this.env = Map.copyOf(env);
    this.jvmFlags = List.copyOf(jvmFlags);
    this.process = launch(args, env, jvmFlags);
    Thread.ofPlatform().daemon(true).name("herald-child-output").start(this::drain);
    try {
      port.get(START_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    } catch (InterruptedException | ExecutionException | TimeoutException e) {
      process.destroyForcibly();
      throw new IllegalStateException("herald did not start; output:\n" + String.join("\n", output), e);
    }
  }

  static HeraldProcess start(Path data) {
    return new HeraldProcess(data);
  }

  /** {@code herald dev --port 0 --data dir} with the given HERALD_* environment. */
  static HeraldProcess start(Path data, Map<String, String> env) {
    return new HeraldProcess(data, List.of("dev", "--port", "0", "--data", data.toString()), env, List.of());
  }

  /** {@code herald dev --port 0 --data dir <extra...>} (e.g. {@code --config file}) with no HERALD_* environment. */
  static HeraldProcess dev(Path data, String... extra) {
    List<String> args = new java.util.ArrayList<>(List.of("dev", "--port", "0", "--data", data.toString()));
    args.addAll(List.of(extra));
    return new HeraldProcess(data, args, Map.of(), List.of());
  }

  /**
   * {@code herald serve --port 0 --data dir} (production mode: egress guard on) with the given
   * HERALD_* environment and extra JVM flags (e.g. a logback configuration).
   */
  static HeraldProcess serve(Path data, Map<String, String> env, List<String> jvmFlags) {
    return new HeraldProcess(data, List.of("serve", "--port", "0", "--data", data.toString()), env, jvmFlags);
  }

  /** Runs {@code herald <args>} to completion; returns the exit code and the combined output. */
  static Result run(Duration timeout, String... args) {
    return run(timeout, Map.of(), args);
  }

  /** Runs {@code herald <args>} to completion with the given HERALD_* environment (and no other). */
  static Result run(Duration timeout, Map<String, String> env, String... args) {
    Process p = launch(List.of(args), env, List.of());
    try {
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly();
        throw new IllegalStateException("herald " + String.join(" ", args) + " did not exit; output:\n" + out);
      }
      return new Result(p.exitValue(), out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  record Result(int exitCode, String output) {}

  /**
   * Starts {@code herald <args>} and waits until it exits or says it is running. One that runs is
   * stopped (SIGTERM) at once: its result has the "running at" line and the exit code of the stop. For
   * starts that must be refused.
   */
  static Result startOrExit(Duration timeout, String... args) {
    Process p = launch(List.of(args), Map.of(), List.of());
    List<String> lines = new CopyOnWriteArrayList<>();
    CompletableFuture<Void> running = new CompletableFuture<>();
    Thread reader = Thread.ofPlatform().daemon(true).name("herald-child-output").start(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
        for (String line; (line = r.readLine()) != null; ) {
          lines.add(line);
          if (RUNNING.matcher(line).find()) running.complete(null);
        }
      } catch (IOException e) {
        // the process is gone: its output ends here
      }
    });
    try {
      CompletableFuture.anyOf(running, p.onExit()).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      if (p.isAlive()) p.toHandle().destroy();
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) throw new TimeoutException("still running");
      reader.join(timeout.toMillis());
      return new Result(p.exitValue(), String.join("\n", lines));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("herald " + String.join(" ", args) + " neither ran nor exited; output:\n"
          + String.join("\n", lines), e);
    } finally {
      p.destroyForcibly();
    }
  }

  private static Process launch(List<String> args, Map<String, String> env, List<String> jvmFlags) {
    String java = ProcessHandle.current().info().command().orElseThrow();
    String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    List<String> cmd = new ArrayList<>(List.of(java, "-Xmx256m", "-Duser.timezone=America/Sao_Paulo",
        "--enable-native-access=ALL-UNNAMED"));
    cmd.addAll(jvmFlags);
    cmd.addAll(List.of("-cp", cp, "dev.herald.server.Main"));
    cmd.addAll(args);
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().keySet().removeIf(k -> k.startsWith("HERALD_")); // the child sees only what the test says
    pb.environment().putAll(env);
    try {
      return pb.start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void drain() {
    try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = r.readLine()) != null) {
        output.add(line);
        Matcher m = RUNNING.matcher(line);
        if (m.find()) port.complete(Integer.parseInt(m.group(1)));
      }
    } catch (IOException e) {
      // the process died; its output ends here
    } finally {
      port.completeExceptionally(new IllegalStateException("herald exited before it was running"));
    }
  }

  String base() {
    return "http://127.0.0.1:" + port.join();
  }

  /** One client for every process test: HTTP/1.1 (as the SDKs), bounded connects. */
  private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();

  /**
   * {@code method path} on this process with its token (HERALD_TOKEN if it was started with one, else the
   * dev token), {@code headers} as name, value pairs; an empty body is none. Bounded at 20 s.
   */
  HttpResponse<String> call(String method, String path, String body, String... headers)
      throws IOException, InterruptedException {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base() + path)).timeout(Duration.ofSeconds(20))
        .header("Authorization", "Bearer " + env.getOrDefault("HERALD_TOKEN", Main.DEV_TOKEN))
        .method(method, body.isEmpty() ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    for (int i = 0; i < headers.length; i += 2) b.header(headers[i], headers[i + 1]);
    return CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  int port() {
    return port.join();
  }

  Path data() {
    return data;
  }

  List<String> output() {
    return List.copyOf(output);
  }

  /** SIGKILL on Linux: no shutdown hooks, no flushing, no goodbye. */
  void kill() {
    process.destroyForcibly();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) throw new IllegalStateException("herald survived SIGKILL");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Kills this process if it still runs, then starts a new one on the same data directory. */
  HeraldProcess restart() {
    if (process.isAlive()) kill();
    return new HeraldProcess(data, args, env, jvmFlags);
  }

  /** SIGTERM, then waits for the exit; returns the exit code. What the process prints while it stops is kept. */
  int stop(Duration grace) {
    terminate();
    return awaitExit(grace);
  }

  /** SIGTERM, without waiting: the stop goes on while the test talks to the process. */
  void terminate() {
    process.toHandle().destroy(); // Process.destroy() would also close our end of its output, losing the last lines
  }

  /** Waits for the process to end (after {@link #terminate()}); returns the exit code. */
  int awaitExit(Duration grace) {
    try {
      if (!process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
        throw new IllegalStateException("herald did not stop within " + grace + "; output:\n" + String.join("\n", output));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return process.exitValue();
  }

  @Override
  public void close() {
    if (!process.isAlive()) return;
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) kill();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      kill();
    }
  }
}
