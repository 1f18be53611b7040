// SDK dev mode (spec §17.2): with QSTASH_DEV=true the SDK ignores baseUrl/token, probes
// GET http://127.0.0.1:$QSTASH_DEV_PORT/v2/keys with the dev user's token and, when the answer
// carries the dev user's signing keys, adopts the running server instead of downloading
// Upstash's dev binary. The SDK runs in a child process so its dev-mode environment cannot leak
// into the other tests; outbound requests to anything but loopback are blocked there, so an
// attempted download fails the test instead of reaching the internet.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Receiver } from "@upstash/qstash";
import { startHerald, startSink, DEV_CURRENT_SIGNING_KEY, DEV_NEXT_SIGNING_KEY, COMPAT_DIR } from "../lib/support.mjs";

const CHILD_TIMEOUT_MS = 60_000;

// Runs inside the child: block non-loopback traffic, then use the SDK exactly as an app would.
const CHILD_SCRIPT = `
import http from "node:http";
import https from "node:https";
import { syncBuiltinESMExports } from "node:module";

const outbound = [];
const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]", "::1"]);
const hostOf = (target) => {
  if (typeof target === "string") return new URL(target).hostname;
  if (target instanceof URL) return target.hostname;
  return target?.hostname ?? target?.host ?? "localhost";
};
const guard = (original) => function (target, ...rest) {
  const host = hostOf(target);
  if (!LOOPBACK.has(host)) {
    outbound.push(String(target?.href ?? target?.hostname ?? target));
    throw new Error("outbound network blocked by the compat test: " + host);
  }
  return original.call(this, target, ...rest);
};
for (const mod of [http, https]) {
  mod.get = guard(mod.get);
  mod.request = guard(mod.request);
}
syncBuiltinESMExports();
const realFetch = globalThis.fetch;
globalThis.fetch = (input, init) => {
  const url = new URL(input instanceof Request ? input.url : String(input));
  if (!LOOPBACK.has(url.hostname)) {
    outbound.push(url.href);
    return Promise.reject(new Error("outbound network blocked by the compat test: " + url.hostname));
  }
  return realFetch(input, init);
};

const { Client } = await import("@upstash/qstash");
const client = new Client({ baseUrl: "https://qstash.invalid", token: "ignored-in-dev-mode" });
let result;
try {
  const published = await client.publishJSON({ url: process.env.SINK_URL, body: { from: "dev mode" } });
  result = { published, outbound };
} catch (error) {
  result = { error: String(error?.stack ?? error), outbound };
}
console.log("COMPAT_RESULT " + JSON.stringify(result));
`;

let herald;
let sink;
let home;

before(async () => {
  [herald, sink] = await Promise.all([startHerald(), startSink()]);
  home = mkdtempSync(join(tmpdir(), "herald-compat-home-"));
});

after(async () => {
  await sink?.close();
  await herald?.stop();
  if (home) rmSync(home, { recursive: true, force: true });
});

function runChild(env) {
  return new Promise((resolveRun, rejectRun) => {
    const child = spawn(process.execPath, ["--input-type=module", "-e", CHILD_SCRIPT], {
      cwd: COMPAT_DIR,
      env,
      stdio: ["ignore", "pipe", "pipe"],
      timeout: CHILD_TIMEOUT_MS,
      killSignal: "SIGKILL",
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.on("error", rejectRun);
    child.on("exit", (code, signal) => resolveRun({ code, signal, stdout, stderr }));
  });
}

test("QSTASH_DEV=true makes a default Client adopt Herald on QSTASH_DEV_PORT without downloading", async () => {
  const path = sink.newPath("dev-mode");
  const env = { ...process.env, QSTASH_DEV: "true", QSTASH_DEV_PORT: String(herald.port), SINK_URL: sink.url(path), HOME: home };
  delete env.NODE_ENV; // dev mode is a no-op under NODE_ENV=production
  delete env.QSTASH_URL;
  delete env.QSTASH_TOKEN;

  const run = await runChild(env);

  const line = run.stdout.split("\n").find((l) => l.startsWith("COMPAT_RESULT "));
  assert.ok(line, `the child printed a result (exit ${run.code}/${run.signal})\nstdout:\n${run.stdout}\nstderr:\n${run.stderr}`);
  const result = JSON.parse(line.slice("COMPAT_RESULT ".length));
  assert.equal(result.error, undefined, `publishing in dev mode failed:\n${result.error}\nstderr:\n${run.stderr}`);
  assert.deepEqual(result.outbound, [], "the SDK made no request beyond loopback");
  assert.match(run.stdout, new RegExp(`Server already running at http://127\\.0\\.0\\.1:${herald.port}`));
  assert.equal(existsSync(join(home, ".cache", "upstash", "qstash-dev")), false, "no dev binary cache was created");
  assert.equal(run.code, 0);

  const [delivery] = await sink.waitForRequests(path, 1);
  assert.equal(delivery.headers["upstash-message-id"], result.published.messageId);
  assert.equal(delivery.text, JSON.stringify({ from: "dev mode" }));
  const receiver = new Receiver({ currentSigningKey: DEV_CURRENT_SIGNING_KEY, nextSigningKey: DEV_NEXT_SIGNING_KEY });
  assert.equal(await receiver.verify({ signature: delivery.headers["upstash-signature"], body: delivery.text, url: sink.url(path) }), true);
});
