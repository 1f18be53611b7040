package dev.herald.server;

import java.nio.file.Path;
import java.time.InstantSource;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The `herald` command: serve, dev, version. */
@Command(name = "herald", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
    subcommands = {Main.Serve.class, Main.Dev.class, Main.VersionCmd.class, Main.Migrate.class, Main.Train.class},
    description = "A self-hosted HTTP message queue and scheduler that speaks the QStash v2 API.")
public final class Main implements Callable<Integer> {
  /** The QStash dev server's default user (spec 17.1), so QSTASH_DEV=true SDKs adopt `herald dev`. */
  static final String DEV_TOKEN = "eyJVc2VySUQiOiJkZWZhdWx0VXNlciIsIlBhc3N3b3JkIjoiZGVmYXVsdFBhc3N3b3JkIn0=";
  static final String DEV_CURRENT_KEY = "sig_7kYjw48mhY7kAjqNGcy6cr29RJ6r";
  static final String DEV_NEXT_KEY = "sig_5ZB6DVzB1wjE8S6rZ7eenA8Pdnhs";

  public static void main(String[] args) {
    System.exit(new CommandLine(new Main()).setCaseInsensitiveEnumValuesAllowed(true).execute(args));
  }

  @Override
  public Integer call() {
    new CommandLine(this).usage(System.out);
    return 0;
  }

  /** HERALD_* variables that are no setting (misspelt, most likely) are named on stderr, never with their values. */
  static void warnAboutEnvironment() {
    ConfigLoader.unknownEnvironment(System.getenv()).forEach(w -> System.err.println("herald: warning: " + w));
  }

  static String version() {
    String v = Main.class.getPackage().getImplementationVersion();
    return v == null ? "dev" : v;
  }

  static final class Version implements CommandLine.IVersionProvider {
    public String[] getVersion() {
      return new String[] {"herald " + version()};
    }
  }

  abstract static class Run implements Callable<Integer> {
    @Option(names = "--config", description = "TOML config file (see defaults.toml in the docs)")
    Path config;

    @Option(names = "--port", description = "port to listen on (0 = any free port)")
    Integer port;

    @Option(names = "--data", description = "data directory of the embedded store")
    Path data;

    @Option(names = "--store", description = "PostgreSQL URL shared by a cluster (postgresql://user@host:port/db); default: SQLite in --data")
    String store;

    /** Settings the mode forces, over every other source. */
    abstract Map<String, String> modeOverrides();

    /** The mode's defaults: the config file, the environment and the flags all override them. */
    Map<String, String> modeDefaults() {
      return Map.of();
    }

    abstract String mode();

    @Override
    public Integer call() throws Exception {
      Map<String, String> overrides = new LinkedHashMap<>(modeOverrides());
      if (port != null) overrides.put("server.port", port.toString());
      if (data != null) overrides.put("store.data", data.toString());
      if (store != null) overrides.put("store.url", store);
      warnAboutEnvironment();
      Config c;
      try {
        c = ConfigLoader.load(config, System.getenv(), modeDefaults(), overrides);
        check(c);
      } catch (ConfigException e) {
        System.err.println("herald: " + e.getMessage());
        return 2;
      }
      App app;
      try {
        app = App.start(c, InstantSource.system());
      } catch (dev.herald.store.StoreUnavailableException e) { // the store cannot be opened: say why, once
        System.err.println("herald: " + storeProblem(e));
        return 1;
      } catch (dev.herald.api.CannotListenException e) { // port in use, no such address, no permission
        System.err.println("herald: " + e.getMessage());
        return 1;
      }
      CountDownLatch stop = new CountDownLatch(1);
      // SIGTERM/SIGINT are a normal stop: finish in-flight work, close the store, exit 0 (R3).
      sun.misc.Signal.handle(new sun.misc.Signal("TERM"), s -> stop.countDown());
      sun.misc.Signal.handle(new sun.misc.Signal("INT"), s -> stop.countDown());
      java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        if (closed.compareAndSet(false, true)) app.close();
      }, "herald-shutdown"));
      System.out.println("herald " + version() + " (" + mode() + ") running at http://" + displayHost(c.server().host())
          + ":" + app.port() + " with data in " + where(c));
      System.out.flush();
      stop.await();
      if (closed.compareAndSet(false, true)) app.close();
      System.out.println("herald stopped");
      return 0;
    }

    void check(Config c) {}

    static String storeProblem(dev.herald.store.StoreUnavailableException e) {
      return e.getCause() instanceof dev.herald.store.StoreUnavailableException u ? u.getMessage() : e.getMessage();
    }

    static String where(Config c) {
      if (!c.store().url().isBlank()) return "PostgreSQL " + dev.herald.store.Db.redact(c.store().url());
      return Path.of(c.store().data()).toAbsolutePath().normalize().toString();
    }

    /** The host of the start-up line's URL: a wildcard as its loopback, an IPv6 address in brackets. */
    static String displayHost(String host) {
      if (host.equals("0.0.0.0")) return "127.0.0.1";
      if (host.equals("::") || host.equals("[::]")) return "[::1]";
      return host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
    }
  }

  @Command(name = "serve", mixinStandardHelpOptions = true, description = "Run Herald for production (token and signing keys required).")
  static final class Serve extends Run {
    Map<String, String> modeOverrides() {
      return Map.of();
    }

    String mode() {
      return "serve";
    }

    @Override
    void check(Config c) {
      StringBuilder missing = new StringBuilder();
      if (c.auth().token().isBlank()) missing.append(" auth.token (HERALD_TOKEN)");
      if (c.auth().currentSigningKey().isBlank()) missing.append(" auth.current-signing-key (HERALD_CURRENT_SIGNING_KEY)");
      if (c.auth().nextSigningKey().isBlank()) missing.append(" auth.next-signing-key (HERALD_NEXT_SIGNING_KEY)");
      if (!missing.isEmpty()) throw new ConfigException("serve needs these settings:" + missing);
    }
  }

  @Command(name = "dev", mixinStandardHelpOptions = true, description = "Run Herald for local development: 127.0.0.1, the QStash dev user, egress to private networks allowed.")
  static final class Dev extends Run {
    Map<String, String> modeOverrides() {
      Map<String, String> m = new LinkedHashMap<>();
      m.put("server.host", "127.0.0.1");
      m.put("egress.allow-private", "true");
      return m;
    }

    /** The QStash dev server's user, unless the config file, HERALD_* or a flag gives a token or keys. */
    @Override
    Map<String, String> modeDefaults() {
      return Map.of("auth.token", DEV_TOKEN, "auth.current-signing-key", DEV_CURRENT_KEY,
          "auth.next-signing-key", DEV_NEXT_KEY);
    }

    String mode() {
      return "dev";
    }
  }

  @Command(name = "train", mixinStandardHelpOptions = true, description = "Publish and deliver a few thousand messages on loopback in a throwaway store (then half as many through a paused queue), then exit: "
      + "run by the launcher under -XX:AOTCacheOutput to record the JVM's AOT cache (JDK 25+).")
  static final class Train implements Callable<Integer> {
    @Option(names = "--messages", defaultValue = "20000", description = "how many messages (default ${DEFAULT-VALUE})")
    int messages;

    public Integer call() throws Exception {
      long t0 = System.nanoTime();
      int delivered = Training.run(messages);
      System.err.printf("herald: trained on %d messages in %.1f s%n", delivered, (System.nanoTime() - t0) / 1e9);
      return delivered > 0 ? 0 : 1;
    }
  }

  @Command(name = "version", description = "Print the version.")
  static final class VersionCmd implements Callable<Integer> {
    public Integer call() {
      System.out.println("herald " + version());
      return 0;
    }
  }

  @Command(name = "migrate", mixinStandardHelpOptions = true, description = "Create or upgrade the store's schema, then exit.")
  static final class Migrate implements Callable<Integer> {
    @Option(names = "--data", description = "data directory of the embedded store")
    Path data;

    @Option(names = "--config", description = "TOML config file")
    Path config;

    @Option(names = "--store", description = "PostgreSQL URL (postgresql://user@host:port/db); default: SQLite in --data")
    String store;

    public Integer call() {
      Map<String, String> o = new LinkedHashMap<>();
      if (data != null) o.put("store.data", data.toString());
      if (store != null) o.put("store.url", store);
      warnAboutEnvironment();
      Config c;
      try {
        c = ConfigLoader.load(config, System.getenv(), o);
      } catch (ConfigException e) {
        System.err.println("herald: " + e.getMessage());
        return 2;
      }
      try {
        dev.herald.store.Db.open(c.store().location(), new dev.herald.store.Db.Options(1, 100, null)).close();
      } catch (dev.herald.store.StoreUnavailableException e) { // as serve and dev: one line, no stack trace
        System.err.println("herald: " + Run.storeProblem(e));
        return 1;
      }
      System.out.println("herald: schema is up to date in " + Run.where(c));
      return 0;
    }
  }
}
