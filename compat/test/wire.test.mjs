// Wire details the SDK hides from its caller (status codes, headers a webhook sender uses),
// checked with plain fetch against the same Herald the SDK talks to.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startHerald, startSink, DEV_TOKEN } from "../lib/support.mjs";

let herald;
let sink;

before(async () => {
  [herald, sink] = await Promise.all([startHerald(), startSink()]);
});

after(async () => {
  await sink?.close();
  await herald?.stop();
});

const publishRaw = (destination, { headers = {}, body = "" } = {}) =>
  fetch(`${herald.baseUrl}/v2/publish/${destination}`, {
    method: "POST",
    headers: { Authorization: `Bearer ${DEV_TOKEN}`, ...headers },
    body,
  });

test("a duplicate publish answers 202 with the existing messageId and deduplicated true", async () => {
  const path = sink.newPath("raw-dedup");
  const headers = { "Upstash-Deduplication-Id": `raw-${Date.now()}` };

  const first = await publishRaw(sink.url(path), { headers, body: "a" });
  const second = await publishRaw(sink.url(path), { headers, body: "a" });

  assert.equal(first.status, 200);
  const firstBody = await first.json();
  assert.equal(second.status, 202);
  assert.deepEqual(await second.json(), { messageId: firstBody.messageId, url: sink.url(path), deduplicated: true });
});

test("a publish without a token answers 401 with a JSON error body", async () => {
  const res = await fetch(`${herald.baseUrl}/v2/publish/${sink.url("/x")}`, { method: "POST", body: "x" });

  assert.equal(res.status, 401);
  assert.match(res.headers.get("content-type"), /^application\/json/);
  assert.equal(typeof (await res.json()).error, "string");
});

test("a bad header answers 400 with a JSON error body naming the header", async () => {
  const res = await publishRaw(sink.url("/x"), { headers: { "Upstash-Retries": "many" } });

  assert.equal(res.status, 400);
  assert.match(res.headers.get("content-type"), /^application\/json/);
  assert.match((await res.json()).error, /retries/i);
});

test("Upstash-Header-Forward forwards the plain headers of a webhook sender but not its token", async () => {
  const path = sink.newPath("header-forward");

  const res = await publishRaw(sink.url(path), {
    headers: { "Upstash-Header-Forward": "true", "X-Webhook-Event": "push", "Content-Type": "application/json" },
    body: '{"event":"push"}',
  });
  assert.equal(res.status, 200);

  const [delivery] = await sink.waitForRequests(path, 1);
  assert.equal(delivery.headers["x-webhook-event"], "push");
  assert.equal(delivery.headers["content-type"], "application/json");
  assert.equal(delivery.text, '{"event":"push"}');
  assert.equal(delivery.headers["authorization"], undefined);
});

test("DELETE /v2/messages/{id} answers {\"cancelled\":1}", async () => {
  const res = await publishRaw(sink.url(sink.newPath("raw-cancel")), { headers: { "Upstash-Delay": "1h" } });
  const { messageId } = await res.json();

  const cancel = await fetch(`${herald.baseUrl}/v2/messages/${messageId}`, {
    method: "DELETE",
    headers: { Authorization: `Bearer ${DEV_TOKEN}` },
  });
  assert.equal(cancel.status, 200);
  assert.deepEqual(await cancel.json(), { cancelled: 1 });
});

test("healthz and readyz answer 200 without a token", async () => {
  assert.equal((await fetch(`${herald.baseUrl}/healthz`)).status, 200);
  assert.equal((await fetch(`${herald.baseUrl}/readyz`)).status, 200);
});
