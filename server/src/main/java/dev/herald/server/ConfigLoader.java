package dev.herald.server;

import dev.herald.core.ValidationException;
import dev.herald.core.message.HostSyntax;
import dev.herald.core.time.Durations;
import dev.herald.engine.EgressGuard;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import tools.jackson.databind.JsonNode;
import tools.jackson.dataformat.toml.TomlMapper;

/**
 * Loads {@link Config}: defaults.toml from the jar, then the config file, then HERALD_* environment,
 * then flags. Every key must exist in defaults.toml (unknown keys are errors, so typos do not pass
 * silently); every value is checked against its range, and errors name the key.
 */
public final class ConfigLoader {
  /** Short environment names from the docs, mapped to their keys. */
  private static final Map<String, String> ENV_ALIASES = Map.of(
      "HERALD_PORT", "server.port",
      "HERALD_HOST", "server.host",
      "HERALD_DATA", "store.data",
      "HERALD_STORE", "store.url",
      "HERALD_TOKEN", "auth.token",
      "HERALD_CURRENT_SIGNING_KEY", "auth.current-signing-key",
      "HERALD_NEXT_SIGNING_KEY", "auth.next-signing-key",
      "HERALD_EGRESS_ALLOW", "egress.allow");

  private static final Duration SECOND = Duration.ofSeconds(1);
  private static final Duration MINUTE = Duration.ofMinutes(1);
  private static final Duration DAY = Duration.ofDays(1);
  private static final Duration TEN_YEARS = Duration.ofDays(3650);

  /**
   * HERALD_* variables that are not settings and are read by someone else: the launcher `herald`
   * (JVM options, the AOT cache), the PostgreSQL tests and the compat suite (its store). They must not
   * draw a warning.
   */
  private static final Set<String> NOT_SETTINGS = Set.of("HERALD_JAVA_OPTS", "HERALD_JAVA_OPTS_EXTRA", "HERALD_AOT",
      "HERALD_TEST_PG", "HERALD_TEST_PG_USER", "HERALD_COMPAT_STORE");

  private final Map<String, Object> values = new LinkedHashMap<>();

  private ConfigLoader() {}

  /**
   * @param file optional config file
   * @param env the environment (System.getenv() in production)
   * @param overrides flag values by key (e.g. "server.port" -> "9090"), strongest
   */
  public static Config load(Path file, Map<String, String> env, Map<String, String> overrides) {
    return load(file, env, Map.of(), overrides);
  }

  /**
   * @param modeDefaults a mode's own defaults (e.g. {@code herald dev}'s token and signing keys): above
   *     defaults.toml, below the config file, the environment and the flags
   */
  public static Config load(Path file, Map<String, String> env, Map<String, String> modeDefaults,
      Map<String, String> overrides) {
    ConfigLoader l = withDefaults();
    modeDefaults.forEach(l::set);
    if (file != null) {
      if (!Files.isRegularFile(file)) throw new ConfigException("config file not found: " + file);
      try {
        l.flatten("", new TomlMapper().readTree(Files.readAllBytes(file)), false);
      } catch (ConfigException e) {
        throw new ConfigException("config file " + file + ": " + e.getMessage());
      } catch (tools.jackson.core.JacksonException e) {
        // the parser's own message quotes the file around the error, and the file holds the secrets:
        // say what and where, never the text
        var at = e.getLocation();
        throw new ConfigException("cannot read config file " + file + ": not valid TOML"
            + (at == null || at.getLineNr() < 1 ? "" : " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")"));
      } catch (IOException | RuntimeException e) {
        throw new ConfigException("cannot read config file " + file + ": " + e.getClass().getSimpleName());
      }
    }
    env.forEach((name, value) -> {
      String key = ENV_ALIASES.get(name);
      if (key == null && name.startsWith("HERALD_")) key = l.keyForEnv(name);
      if (key != null) l.set(key, value);
    });
    overrides.forEach(l::set);
    return l.build();
  }

  /**
   * One line per HERALD_* variable that is no setting, so a misspelt one does not pass silently:
   * {@code HERALD_SERVR_PORT is not a setting (ignored); did you mean HERALD_SERVER_PORT?}. A warning, not an
   * error like an unknown key in the config file: the environment is shared with other software. Only
   * names are shown, never values, which may be secrets.
   */
  public static List<String> unknownEnvironment(Map<String, String> env) {
    ConfigLoader l = withDefaults();
    List<String> known = new ArrayList<>(ENV_ALIASES.keySet());
    l.values.keySet().forEach(key -> known.add("HERALD_" + key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_')));
    List<String> warnings = new ArrayList<>();
    env.keySet().stream().sorted().forEach(name -> {
      if (!name.startsWith("HERALD_") || NOT_SETTINGS.contains(name) || ENV_ALIASES.containsKey(name)
          || l.keyForEnv(name) != null) return;
      String near = EditDistance.closest(name, known);
      warnings.add(name + " is not a setting (ignored)" + (near == null ? "" : "; did you mean " + near + "?"));
    });
    return warnings;
  }

  private static ConfigLoader withDefaults() {
    ConfigLoader l = new ConfigLoader();
    try (InputStream in = ConfigLoader.class.getResourceAsStream("/defaults.toml")) {
      l.flatten("", new TomlMapper().readTree(in), true);
    } catch (IOException e) {
      throw new IllegalStateException("defaults.toml missing from the jar", e);
    }
    return l;
  }

  private void flatten(String prefix, JsonNode node, boolean defining) {
    for (var e : node.properties()) {
      String key = prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey();
      JsonNode v = e.getValue();
      if (v.isObject()) {
        flatten(key, v, defining);
        continue;
      }
      if (!defining && !values.containsKey(key)) throw new ConfigException("unknown setting '" + key + "'");
      if (v.isNumber() && !v.isIntegralNumber()) throw new ConfigException(key + ": must be a whole number, not " + v.asString());
      values.put(key, v.isArray() ? toList(v) : v.isNumber() ? (Object) v.asLong() : v.isBoolean() ? v.asBoolean() : v.asString());
    }
  }

  private static List<String> toList(JsonNode v) {
    List<String> out = new ArrayList<>();
    v.forEach(x -> out.add(x.asString()));
    return out;
  }

  private String keyForEnv(String name) {
    String rest = name.substring("HERALD_".length()).toLowerCase().replace('_', '-');
    for (String key : values.keySet()) {
      if (key.replace('.', '-').equals(rest)) return key;
    }
    return null; // not a setting: ignored here, named by unknownEnvironment
  }

  private void set(String key, String raw) {
    if (!values.containsKey(key)) throw new ConfigException("unknown setting '" + key + "'");
    Object current = values.get(key);
    if (current instanceof List) {
      values.put(key, raw.isBlank() ? List.of() : List.of(raw.split("\\s*,\\s*")));
    } else if (current instanceof Long) {
      try {
        values.put(key, Long.parseLong(raw.trim()));
      } catch (NumberFormatException e) {
        throw new ConfigException(key + ": '" + raw + "' is not a whole number");
      }
    } else if (current instanceof Boolean) {
      if (!raw.trim().equalsIgnoreCase("true") && !raw.trim().equalsIgnoreCase("false")) {
        throw new ConfigException(key + ": must be true or false");
      }
      values.put(key, Boolean.parseBoolean(raw.trim()));
    } else {
      values.put(key, raw);
    }
  }

  private Config build() {
    return new Config(
        new Config.Server(host("server.host"), (int) range("server.port", 0, 65535),
            duration("server.idle-timeout", SECOND, DAY), (int) range("server.max-connections", 1, 1_000_000),
            duration("server.read-timeout", SECOND, DAY), duration("server.shutdown-grace", SECOND, Duration.ofHours(1))),
        new Config.Store(string("store.data"), string("store.url"), (int) range("store.readers", 1, 64),
            (int) range("store.write-queue", 100, 1_000_000)),
        new Config.Auth(string("auth.token"), string("auth.current-signing-key"), string("auth.next-signing-key")),
        new Config.Limits(range("limits.max-body-bytes", 1024, 104_857_600),
            range("limits.max-inflight-body-bytes", 1_048_576, 17_179_869_184L), (int) range("limits.max-headers-bytes", 1024, 1_048_576),
            (int) range("limits.max-request-line-bytes", 1024, 1_048_576), (int) range("limits.default-retries", 0, 100),
            (int) range("limits.max-retries", 0, 100), duration("limits.max-delay", SECOND, TEN_YEARS),
            duration("limits.max-attempt-timeout", SECOND, DAY),
            (int) range("limits.max-batch-items", 1, 100_000), (int) range("limits.max-queue-parallelism", 1, 100_000),
            (int) range("limits.max-response-bytes", 0, 10_485_760)),
        new Config.Delivery((int) range("delivery.concurrency", 1, 100_000),
            duration("delivery.connect-timeout", Duration.ofMillis(100), Duration.ofMinutes(10)),
            duration("delivery.lookahead", SECOND, Duration.ofHours(1)), (int) range("delivery.index-capacity", 1000, 10_000_000),
            duration("delivery.lease-margin", SECOND, DAY)),
        new Config.Retention(duration("retention.dedup-window", SECOND, Duration.ofDays(90)),
            duration("retention.dlq", MINUTE, TEN_YEARS), duration("retention.logs", MINUTE, TEN_YEARS),
            duration("retention.flow-keys", MINUTE, Duration.ofDays(30))),
        new Config.Egress(bool("egress.allow-private"), egressAllow()),
        new Config.Metrics(bool("metrics.enabled")));
  }

  private String string(String key) {
    Object v = values.get(key);
    if (!(v instanceof String s)) throw new ConfigException(key + ": must be a string");
    return s;
  }

  /** An IP address ({@code 0.0.0.0}, {@code ::}, {@code [::1]}) or a host name; whether it can be bound is known at start. */
  private String host(String key) {
    String h = string(key);
    if (HostSyntax.ipLiteral(h) == null && !HostSyntax.isHostName(h)) {
      throw new ConfigException(key + ": '" + h + "' is not an IP address or a host name (e.g. 0.0.0.0, ::, 127.0.0.1, localhost)");
    }
    return h;
  }

  private long range(String key, long min, long max) {
    Object v = values.get(key);
    if (!(v instanceof Long n)) throw new ConfigException(key + ": must be a whole number from " + min + " to " + max);
    if (n < min || n > max) throw new ConfigException(key + ": " + n + " is out of range (allowed " + min + " to " + max + ")");
    return n;
  }

  /**
   * A duration from {@code min} to {@code max}, both as defaults.toml documents them. The bounds keep every
   * use in range: a due time or a purge cut-off in milliseconds since 1970, a lease, a socket timeout.
   */
  private Duration duration(String key, Duration min, Duration max) {
    String raw = String.valueOf(values.get(key));
    String allowed = Durations.format(min) + " to " + Durations.format(max);
    Duration d;
    try {
      d = Durations.parse(key, raw);
    } catch (ValidationException e) { // not a duration, or longer than any duration Herald reads (100 years)
      throw new ConfigException(key + ": '" + raw + "' is not a duration from " + allowed + " (write e.g. 30s, 5m, 2h, 7d)");
    }
    if (d.compareTo(min) < 0 || d.compareTo(max) > 0) {
      throw new ConfigException(key + ": " + raw.trim() + " is out of range (allowed " + allowed + ")");
    }
    return d;
  }

  private boolean bool(String key) {
    Object v = values.get(key);
    if (!(v instanceof Boolean b)) throw new ConfigException(key + ": must be true or false");
    return b;
  }

  /** Each entry is read by the guard's own parser, so an entry the guard would refuse stops the start here. */
  private List<String> egressAllow() {
    List<String> entries = list("egress.allow");
    for (String entry : entries) {
      try {
        EgressGuard.checkRule(entry);
      } catch (IllegalArgumentException e) {
        throw new ConfigException("egress.allow: '" + entry + "' " + e.getMessage());
      }
    }
    return entries;
  }

  @SuppressWarnings("unchecked")
  private List<String> list(String key) {
    Object v = values.get(key);
    if (!(v instanceof List)) throw new ConfigException(key + ": must be a list");
    return (List<String>) v;
  }
}
