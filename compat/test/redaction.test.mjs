// Redaction (spec §2.6): with the SDK's `redact` option (Upstash-Redact-Fields) the destination
// gets the real values, while messages.get, logs and DLQ entries never contain them — checked on
// the raw JSON text of every response.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { Client } from "@upstash/qstash";
import { startHerald, startSink, waitFor, DEV_TOKEN } from "../lib/support.mjs";

let herald;
let sink;
let client;

before(async () => {
  [herald, sink] = await Promise.all([startHerald(), startSink()]);
  client = new Client({ baseUrl: herald.baseUrl, token: DEV_TOKEN });
});

after(async () => {
  await sink?.close();
  await herald?.stop();
});

const secret = (name) => `${name}-${Math.random().toString(36).slice(2, 10)}`;

/** The raw text of an authenticated GET, so nothing the SDK drops can hide a leak. */
async function rawGet(pathAndQuery) {
  const res = await fetch(`${herald.baseUrl}${pathAndQuery}`, { headers: { Authorization: `Bearer ${DEV_TOKEN}` } });
  assert.equal(res.status, 200, `GET ${pathAndQuery}`);
  return res.text();
}

function assertHidden(text, secrets, where) {
  for (const value of secrets) {
    assert.ok(!text.includes(value), `${where} must not contain ${value}: ${text}`);
    const encoded = Buffer.from(value).toString("base64");
    assert.ok(!text.includes(encoded), `${where} must not contain base64 of ${value}`);
  }
}

test("a redacted body and Authorization header are delivered but never shown by messages.get", async () => {
  const path = sink.newPath("redacted-pending");
  const body = secret("body-secret");
  const token = secret("auth-secret");

  const res = await client.publish({
    url: sink.url(path),
    body,
    delay: "3s",
    headers: { Authorization: `Bearer ${token}`, "X-Visible": "plain" },
    redact: { body: true, header: ["Authorization"] },
  });

  const raw = await rawGet(`/v2/messages/${res.messageId}`);
  assertHidden(raw, [body, token], "GET /v2/messages/{id}");
  const message = JSON.parse(raw);
  assert.match(message.body, /^REDACTED/, "the body is replaced by a REDACTED marker");
  assert.match(message.header.Authorization[0], /^REDACTED/);
  assert.deepEqual(message.header["X-Visible"], ["plain"], "headers that are not redacted stay visible");
  assertHidden(JSON.stringify(await client.messages.get(res.messageId)), [body, token], "messages.get");

  const [delivery] = await sink.waitForRequests(path, 1);
  assert.equal(delivery.text, body, "the destination receives the real body");
  assert.equal(delivery.headers["authorization"], `Bearer ${token}`, "and the real header");
  assert.equal(delivery.headers["x-visible"], "plain");
});

test("logs of a redacted message never contain the secrets", async () => {
  const path = sink.newPath("redacted-logs");
  const body = secret("log-body-secret");
  const token = secret("log-auth-secret");

  const res = await client.publish({
    url: sink.url(path),
    body,
    headers: { Authorization: `Bearer ${token}` },
    redact: { body: true, header: ["Authorization"] },
  });

  await sink.waitForRequests(path, 1);
  const raw = await waitFor(
    async () => {
      const text = await rawGet(`/v2/events?messageId=${res.messageId}`);
      return JSON.parse(text).events.some((e) => e.state === "DELIVERED") ? text : undefined;
    },
    15_000,
    { what: "the DELIVERED log" },
  );
  assertHidden(raw, [body, token], "GET /v2/events");
  assertHidden(await rawGet(`/v2/logs?messageId=${res.messageId}`), [body, token], "GET /v2/logs");
});

test("the DLQ entry of a redacted message hides the secrets, and a DLQ retry delivers the real values", async () => {
  const path = sink.newPath("redacted-dlq");
  sink.respondWith(path, 500);
  const body = secret("dlq-body-secret");
  const token = secret("dlq-auth-secret");

  const res = await client.publish({
    url: sink.url(path),
    body,
    retries: 0,
    headers: { Authorization: `Bearer ${token}` },
    redact: { body: true, header: ["Authorization"] },
  });

  const entry = await waitFor(
    async () => (await client.dlq.listMessages({ filter: { messageId: res.messageId } })).messages[0],
    15_000,
    { what: "the DLQ entry" },
  );
  assertHidden(await rawGet(`/v2/dlq?messageId=${res.messageId}`), [body, token], "GET /v2/dlq");
  assertHidden(await rawGet(`/v2/dlq/${entry.dlqId}`), [body, token], "GET /v2/dlq/{dlqId}");
  assertHidden(await rawGet(`/v2/events?messageId=${res.messageId}`), [body, token], "logs of the failed message");

  const { responses } = await client.dlq.retry(entry.dlqId);
  const deliveries = await sink.waitForRequests(path, 2);
  assert.equal(deliveries[1].headers["upstash-message-id"], responses[0].messageId);
  assert.equal(deliveries[1].text, body, "a DLQ retry re-delivers the original body");
  assert.equal(deliveries[1].headers["authorization"], `Bearer ${token}`);
});

test("redacting all headers hides every forwarded header but leaves the body visible", async () => {
  const path = sink.newPath("redacted-headers");
  const first = secret("header-one");
  const second = secret("header-two");

  const res = await client.publish({
    url: sink.url(path),
    body: "visible body",
    delay: "1h",
    headers: { "X-One": first, "X-Two": second },
    redact: { header: true },
  });

  const raw = await rawGet(`/v2/messages/${res.messageId}`);
  assertHidden(raw, [first, second], "GET /v2/messages/{id}");
  assert.equal(JSON.parse(raw).body, "visible body");
  await client.messages.cancel(res.messageId);
});

test("the raw Upstash-Redact-Fields spellings headers[Name] and header[name] are accepted", async () => {
  const path = sink.newPath("redacted-raw");
  const token = secret("raw-secret");

  const publish = await fetch(`${herald.baseUrl}/v2/publish/${sink.url(path)}`, {
    method: "POST",
    headers: {
      Authorization: `Bearer ${DEV_TOKEN}`,
      "Upstash-Delay": "1h",
      "Upstash-Forward-X-Api-Key": token,
      "Upstash-Redact-Fields": "body, headers[x-api-key]",
    },
    body: "raw body",
  });
  assert.equal(publish.status, 200);
  const { messageId } = await publish.json();

  const raw = await rawGet(`/v2/messages/${messageId}`);
  assertHidden(raw, [token, "raw body"], "GET /v2/messages/{id}");
  await client.messages.cancel(messageId);
});
