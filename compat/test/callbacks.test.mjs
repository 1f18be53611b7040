// Callbacks and failure callbacks (spec §2.3, §5.6, §5.7): a signed callback after every attempt
// carrying the response and the source message, one failure callback with the DLQ id, and the
// generic Upstash-Callback-* / Upstash-Failure-Callback-* configuration prefixes.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { Client, Receiver } from "@upstash/qstash";
import { startHerald, startSink, DEV_TOKEN, DEV_CURRENT_SIGNING_KEY, DEV_NEXT_SIGNING_KEY } from "../lib/support.mjs";

let herald;
let sink;
let client;
const receiver = new Receiver({ currentSigningKey: DEV_CURRENT_SIGNING_KEY, nextSigningKey: DEV_NEXT_SIGNING_KEY });

before(async () => {
  [herald, sink] = await Promise.all([startHerald(), startSink()]);
  client = new Client({ baseUrl: herald.baseUrl, token: DEV_TOKEN });
});

after(async () => {
  await sink?.close();
  await herald?.stop();
});

const base64 = (text) => Buffer.from(text, "utf8").toString("base64");
const decode64 = (value) => Buffer.from(value, "base64").toString("utf8");

/** The value of `name` in a header map, whatever the key's case. */
function headerValue(map, name) {
  const key = Object.keys(map ?? {}).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : map[key];
}

/** Proves nothing more arrives at `path`: a sentinel published now with `delay` arrives first. */
async function assertNoMoreRequests(path, expected, delay = "1s") {
  const sentinel = sink.newPath("sentinel");
  await client.publish({ url: sink.url(sentinel), body: "sentinel", delay });
  await sink.waitForRequests(sentinel, 1, 30_000);
  assert.equal(sink.requestsTo(path).length, expected, `exactly ${expected} request(s) to ${path}`);
}

test("a callback follows every attempt: two failures and a success give three callbacks", async () => {
  const path = sink.newPath("flaky");
  const callbackPath = sink.newPath("callback");
  sink.respondWith(path, 500, 502);

  const res = await client.publishJSON({
    url: sink.url(path),
    body: { order: 7 },
    retries: 2,
    retryDelay: "100",
    callback: sink.url(callbackPath),
  });

  const callbacks = await sink.waitForRequests(callbackPath, 3, 30_000);
  const payloads = callbacks.map((c) => JSON.parse(c.text));
  assert.deepEqual(payloads.map((p) => p.status), [500, 502, 200]);
  assert.deepEqual(payloads.map((p) => p.retried), [0, 1, 2]);
  for (const payload of payloads) {
    assert.equal(payload.maxRetries, 2);
    assert.equal(payload.sourceMessageId, res.messageId);
  }
  assert.equal(decode64(payloads[0].body), "sink says no");
  assert.equal(decode64(payloads[2].body), "ok");
  await assertNoMoreRequests(callbackPath, 3);
});

test("the callback payload carries the response and the source message", async () => {
  const path = sink.newPath("source");
  const callbackPath = sink.newPath("callback-fields");
  const before = Date.now();

  const res = await client.publish({
    url: sink.url(path),
    body: "hello callback",
    method: "PUT",
    retries: 1,
    headers: { "Content-Type": "text/plain", "X-Source": "yes" },
    callback: sink.url(callbackPath),
  });

  const [callback] = await sink.waitForRequests(callbackPath, 1, 30_000);
  const payload = JSON.parse(callback.text);
  assert.equal(callback.method, "POST", "callbacks are POSTed by default");
  assert.match(callback.headers["content-type"], /^application\/json/);
  assert.equal(payload.status, 200);
  assert.deepEqual(headerValue(payload.header, "Content-Type"), ["text/plain"], "response headers as name -> [string]");
  assert.equal(payload.body, base64("ok"), "body is the base64 of the destination's response");
  assert.equal(payload.retried, 0);
  assert.equal(payload.maxRetries, 1);
  assert.equal(payload.sourceMessageId, res.messageId);
  assert.equal(payload.url, sink.url(path));
  assert.equal(payload.method, "PUT");
  assert.deepEqual(headerValue(payload.sourceHeader, "X-Source"), ["yes"]);
  assert.deepEqual(headerValue(payload.sourceHeader, "Content-Type"), ["text/plain"]);
  assert.equal(payload.sourceBody, base64("hello callback"));
  assert.equal(typeof payload.createdAt, "number");
  assert.equal(typeof payload.notBefore, "number");
  assert.ok(payload.createdAt >= before - 1000 && payload.createdAt <= Date.now(), `createdAt ${payload.createdAt}`);
  assert.ok(payload.notBefore >= payload.createdAt - 1000, "notBefore is not before createdAt");
  assert.equal(typeof payload.callerIP, "string");
  assert.ok(payload.callerIP.length > 0);
  assert.equal(payload.dlqId, undefined, "only failure callbacks carry a dlqId");
});

test("callbacks are signed for the callback URL and verify with the Receiver", async () => {
  const path = sink.newPath("signed-source");
  const callbackPath = sink.newPath("signed-callback");

  const res = await client.publish({ url: sink.url(path), body: "sign me", callback: sink.url(callbackPath) });

  const [callback] = await sink.waitForRequests(callbackPath, 1, 30_000);
  const messageId = callback.headers["upstash-message-id"];
  assert.ok(messageId, "the callback is a message of its own");
  assert.notEqual(messageId, res.messageId);
  assert.equal(
    await receiver.verify({ signature: callback.headers["upstash-signature"], body: callback.text, url: sink.url(callbackPath) }),
    true,
  );
  await assert.rejects(
    receiver.verify({ signature: callback.headers["upstash-signature"], body: callback.text, url: sink.url(path) }),
    "the token's subject is the callback URL, not the source URL",
  );
});

test("a failure callback fires exactly once with the dlqId of an entry in the DLQ", async () => {
  const path = sink.newPath("doomed");
  const failurePath = sink.newPath("failure-callback");
  sink.respondWith(path, 500, 500, 500);

  const res = await client.publish({
    url: sink.url(path),
    body: "will fail",
    retries: 1,
    retryDelay: "100",
    failureCallback: sink.url(failurePath),
  });

  const [failure] = await sink.waitForRequests(failurePath, 1, 30_000);
  const payload = JSON.parse(failure.text);
  assert.equal(payload.sourceMessageId, res.messageId);
  assert.equal(payload.status, 500);
  assert.equal(payload.retried, 1);
  assert.equal(payload.maxRetries, 1);
  assert.equal(payload.body, base64("sink says no"));
  assert.equal(payload.sourceBody, base64("will fail"));
  assert.equal(typeof payload.dlqId, "string");
  assert.equal(
    await receiver.verify({ signature: failure.headers["upstash-signature"], body: failure.text, url: sink.url(failurePath) }),
    true,
  );

  const { messages } = await client.dlq.listMessages({ dlqIds: [payload.dlqId] });
  assert.equal(messages.length, 1);
  assert.equal(messages[0].dlqId, payload.dlqId);
  assert.equal(messages[0].messageId, res.messageId);
  assert.equal(sink.requestsTo(path).length, 2);
  await assertNoMoreRequests(failurePath, 1);
});

test("a message that succeeds never calls its failure callback", async () => {
  const path = sink.newPath("fine");
  const failurePath = sink.newPath("unused-failure-callback");

  await client.publish({ url: sink.url(path), body: "fine", failureCallback: sink.url(failurePath) });

  await sink.waitForRequests(path, 1);
  await assertNoMoreRequests(failurePath, 0);
});

test("Upstash-Callback-* headers configure the callback message and not the source", async () => {
  const path = sink.newPath("prefixed-source");
  const callbackPath = sink.newPath("prefixed-callback");
  sink.respondWith(callbackPath, 500, 500);

  await client.publish({
    url: sink.url(path),
    body: "configure my callback",
    callback: sink.url(callbackPath),
    headers: {
      "Upstash-Callback-Forward-X-Callback-Token": "cb-secret",
      "Upstash-Callback-Method": "PUT",
      "Upstash-Callback-Retries": "0",
    },
  });

  const [source] = await sink.waitForRequests(path, 1);
  assert.equal(source.headers["x-callback-token"], undefined, "callback headers stay off the source delivery");
  const [callback] = await sink.waitForRequests(callbackPath, 1, 30_000);
  assert.equal(callback.headers["x-callback-token"], "cb-secret");
  assert.equal(callback.method, "PUT");
  // Upstash-Callback-Retries: 0 — the failing callback is not retried.
  await assertNoMoreRequests(callbackPath, 1);
});

test("Upstash-Failure-Callback-* headers configure the failure callback message", async () => {
  const path = sink.newPath("prefixed-doomed");
  const failurePath = sink.newPath("prefixed-failure");
  sink.respondWith(path, 500);
  sink.respondWith(failurePath, 503, 503, 503);

  await client.publish({
    url: sink.url(path),
    body: "fail once",
    retries: 0,
    failureCallback: sink.url(failurePath),
    headers: {
      "Upstash-Failure-Callback-Forward-X-Failure-Token": "fcb-secret",
      "Upstash-Failure-Callback-Retries": "1",
      "Upstash-Failure-Callback-Retry-Delay": "100",
    },
  });

  const attempts = await sink.waitForRequests(failurePath, 2, 30_000);
  for (const attempt of attempts) assert.equal(attempt.headers["x-failure-token"], "fcb-secret");
  assert.deepEqual(attempts.map((a) => a.headers["upstash-retried"]), ["0", "1"]);
  assert.equal(sink.requestsTo(path)[0].headers["x-failure-token"], undefined);
  // Upstash-Failure-Callback-Retries: 1 — two attempts, then no more.
  await assertNoMoreRequests(failurePath, 2);
});
