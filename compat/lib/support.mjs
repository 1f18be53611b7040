// Test support for the SDK compatibility suite: a real Herald process, a local HTTP sink that
// records what it receives, and bounded polling helpers. No mocks, no fixed sleeps.
import { spawn, execFileSync } from "node:child_process";
import { createServer } from "node:http";
import { mkdtempSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { setTimeout as delay } from "node:timers/promises";
import { randomBytes } from "node:crypto";

export const DEV_TOKEN =
  "eyJVc2VySUQiOiJkZWZhdWx0VXNlciIsIlBhc3N3b3JkIjoiZGVmYXVsdFBhc3N3b3JkIn0=";
export const DEV_CURRENT_SIGNING_KEY = "sig_7kYjw48mhY7kAjqNGcy6cr29RJ6r";
export const DEV_NEXT_SIGNING_KEY = "sig_5ZB6DVzB1wjE8S6rZ7eenA8Pdnhs";

export const COMPAT_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const REPO_ROOT = resolve(COMPAT_DIR, "..");
const HERALD_JAR = join(REPO_ROOT, "server", "target", "herald.jar");
const STARTUP_TIMEOUT_MS = 60_000;
const SHUTDOWN_TIMEOUT_MS = 10_000;

// The Receiver and Client fall back to dev credentials when QSTASH_DEV is set; the suite sets
// its configuration explicitly, so an inherited QSTASH_DEV must not leak into the tests.
delete process.env.QSTASH_DEV;

/** Polls `predicate` (sync or async) until it returns a truthy value, which is returned. */
export async function waitFor(predicate, timeoutMs = 10_000, { intervalMs = 25, what = "condition" } = {}) {
  const deadline = Date.now() + timeoutMs;
  let lastError;
  for (;;) {
    try {
      const value = await predicate();
      if (value) return value;
      lastError = undefined;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const cause = lastError ? ` (last error: ${lastError.message})` : "";
      const label = typeof what === "function" ? what() : what;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${label}${cause}`);
    }
    await delay(intervalMs);
  }
}

/** Resolves to the error `promiseFn()` rejects with, polling until it rejects (bounded). */
export async function waitForRejection(promiseFn, timeoutMs = 10_000, what = "the call to reject") {
  return waitFor(
    async () => {
      try {
        await promiseFn();
        return undefined;
      } catch (error) {
        return error;
      }
    },
    timeoutMs,
    { what },
  );
}

function javaHome() {
  if (process.env.JAVA_HOME) return process.env.JAVA_HOME;
  return execFileSync(join(REPO_ROOT, "scripts", "find-jdk.sh"), { encoding: "utf8" }).trim();
}

// HERALD_COMPAT_STORE=postgresql (PostgreSQL on 127.0.0.1:5432, user postgres, trust auth) or
// =postgresql://user@host:port runs every Herald on a fresh PostgreSQL database of its own instead
// of SQLite. Unset (or "sqlite"), nothing changes. The database is made and dropped with `psql`.
const STORE = process.env.HERALD_COMPAT_STORE ?? "";
const POSTGRES = /^postgres(ql)?(:|$)/.test(STORE)
  ? new URL(STORE.includes("://") ? STORE.replace(/^postgres(ql)?:/, "postgresql:") : "postgresql://postgres@127.0.0.1:5432")
  : null;
if (STORE && STORE !== "sqlite" && !POSTGRES) {
  throw new Error(`HERALD_COMPAT_STORE=${STORE}: expected sqlite, postgresql or postgresql://user@host:port`);
}
const liveDatabases = new Map(); // database name -> its Herald's child process, until dropped

function psql(sql) {
  const args = ["-h", POSTGRES.hostname, "-p", POSTGRES.port || "5432", "-U", decodeURIComponent(POSTGRES.username || "postgres")];
  execFileSync("psql", [...args, "-d", "postgres", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-c", sql], {
    stdio: ["ignore", "ignore", "pipe"],
    env: { ...process.env, PGPASSWORD: decodeURIComponent(POSTGRES.password) || process.env.PGPASSWORD || "" },
  });
}

/** A new, empty database; returns Herald's `--store` URL for it. */
function createDatabase() {
  const name = `herald_compat_${process.pid}_${randomBytes(4).toString("hex")}`;
  psql(`CREATE DATABASE ${name}`);
  const url = new URL(POSTGRES.href);
  url.pathname = `/${name}`;
  return { name, url: url.href };
}

function dropDatabase(name) {
  liveDatabases.delete(name);
  psql(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
}

if (POSTGRES) {
  // A test file that ends without stopping its Herald (a failure, a timeout, Ctrl-C) still leaves
  // no database behind: stop the process, then drop what it used.
  process.once("exit", () => {
    for (const [name, child] of liveDatabases) {
      child.kill("SIGKILL");
      try {
        dropDatabase(name);
      } catch (error) {
        process.stderr.write(`compat: could not drop database ${name}: ${error.message}\n`);
      }
    }
  });
  for (const signal of ["SIGINT", "SIGTERM"]) {
    process.once(signal, () => process.exit(128 + (signal === "SIGINT" ? 2 : 15)));
  }
}

/**
 * Starts `herald dev --port 0` with a fresh data directory (and, with HERALD_COMPAT_STORE, a fresh
 * PostgreSQL database) and resolves once it prints `running at http://127.0.0.1:<port>`. `stop()`
 * kills it and removes the directory (and drops the database).
 */
export async function startHerald() {
  if (!existsSync(HERALD_JAR)) {
    throw new Error(`${HERALD_JAR} is missing; build it with ./herald version (compat/run.sh does)`);
  }
  const dataDir = mkdtempSync(join(tmpdir(), "herald-compat-"));
  const database = POSTGRES ? createDatabase() : null;
  const java = join(javaHome(), "bin", "java");
  const child = spawn(
    java,
    [
      "-XX:+UseSerialGC", "--enable-native-access=ALL-UNNAMED", "-jar", HERALD_JAR, "dev", "--port", "0", "--data", dataDir,
      ...(database ? ["--store", database.url] : []),
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  if (database) liveDatabases.set(database.name, child);
  let output = "";
  child.stdout.on("data", (chunk) => (output += chunk));
  child.stderr.on("data", (chunk) => (output += chunk));
  const exited = new Promise((resolveExit) => child.once("exit", (code, signal) => resolveExit({ code, signal })));

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), SHUTDOWN_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dataDir, { recursive: true, force: true });
    if (database && liveDatabases.has(database.name)) dropDatabase(database.name);
  };

  try {
    const baseUrl = await Promise.race([
      waitFor(() => /running at (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1], STARTUP_TIMEOUT_MS, {
        what: "Herald to print 'running at'",
      }),
      exited.then(({ code, signal }) => {
        throw new Error(`Herald exited early (code ${code}, signal ${signal}):\n${output}`);
      }),
    ]);
    return { baseUrl, port: Number(new URL(baseUrl).port), dataDir, store: database?.url, output: () => output, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * A local HTTP destination on 127.0.0.1 that records every request (method, url, headers,
 * raw body) and answers 200 unless told otherwise per path with `respondWith`. `delayResponses`
 * holds the answers of one path back, and `maxInFlight` reports the most requests to a path that
 * were open (received, not yet answered) at the same time.
 */
export async function startSink() {
  const requests = [];
  const scripted = new Map(); // path -> array of statuses, consumed one per request
  const delays = new Map(); // path -> ms to wait before answering
  const inFlight = new Map(); // path -> requests received but not answered yet
  const peakInFlight = new Map(); // path -> highest inFlight seen

  const server = createServer((req, res) => {
    const chunks = [];
    req.on("data", (chunk) => chunks.push(chunk));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const path = new URL(req.url, "http://sink").pathname;
      requests.push({
        method: req.method,
        url: req.url,
        path,
        headers: req.headers,
        body,
        text: body.toString("utf8"),
        receivedAt: Date.now(),
      });
      const queue = scripted.get(path);
      const status = queue && queue.length > 0 ? queue.shift() : 200;
      const open = (inFlight.get(path) ?? 0) + 1;
      inFlight.set(path, open);
      peakInFlight.set(path, Math.max(open, peakInFlight.get(path) ?? 0));
      const answer = () => {
        inFlight.set(path, inFlight.get(path) - 1);
        res.writeHead(status, { "Content-Type": "text/plain" });
        res.end(status >= 200 && status < 300 ? "ok" : "sink says no");
      };
      const holdMs = delays.get(path) ?? 0;
      if (holdMs > 0) setTimeout(answer, holdMs);
      else answer();
    });
  });
  await new Promise((resolveListen) => server.listen(0, "127.0.0.1", resolveListen));
  const origin = `http://127.0.0.1:${server.address().port}`;
  let counter = 0;

  return {
    origin,
    requests,
    /** A fresh, unique path on the sink, so tests never see each other's deliveries. */
    newPath(name = "hook") {
      counter += 1;
      return `/${name}-${counter}-${Math.random().toString(36).slice(2, 8)}`;
    },
    url(path) {
      return origin + path;
    },
    /** Answer the next requests to `path` with these statuses, then 200 again. */
    respondWith(path, ...statuses) {
      scripted.set(path, [...(scripted.get(path) ?? []), ...statuses]);
    },
    /** Answer every request to `path` only after `ms` milliseconds. */
    delayResponses(path, ms) {
      delays.set(path, ms);
    },
    /** The most requests to `path` that were open at the same time. */
    maxInFlight(path) {
      return peakInFlight.get(path) ?? 0;
    },
    requestsTo(path) {
      return requests.filter((r) => r.path === path);
    },
    async waitForRequests(path, count, timeoutMs = 15_000) {
      await waitFor(() => this.requestsTo(path).length >= count, timeoutMs, {
        what: () => `${count} request(s) to ${path} (got ${this.requestsTo(path).length})`,
      });
      return this.requestsTo(path);
    },
    close() {
      server.closeAllConnections?.();
      return new Promise((resolveClose) => server.close(resolveClose));
    },
  };
}
