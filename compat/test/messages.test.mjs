// Delayed messages, messages.get and cancelling through the SDK.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { Client, QstashError } from "@upstash/qstash";
import { startHerald, startSink, waitForRejection, DEV_TOKEN } from "../lib/support.mjs";

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

function assertNotFound(error) {
  assert.ok(error instanceof QstashError, `expected a QstashError, got ${error}`);
  assert.equal(error.status, 404);
  assert.ok(JSON.parse(error.message).error, "the error body is {\"error\": \"...\"}");
  return true;
}

/**
 * Proves a cancelled message never arrives without sleeping: a sentinel message due after the
 * cancelled one must arrive first, then the cancelled path must still be empty.
 */
async function assertNeverDelivered(path, sentinelDelay) {
  const sentinel = sink.newPath("sentinel");
  await client.publish({ url: sink.url(sentinel), body: "sentinel", delay: sentinelDelay });
  await sink.waitForRequests(sentinel, 1, 30_000);
  assert.deepEqual(sink.requestsTo(path), [], "the cancelled message was never delivered");
}

test("a delayed message is visible through messages.get with notBefore in the future", async () => {
  const path = sink.newPath("delayed");
  const before = Date.now();
  const res = await client.publish({
    url: sink.url(path),
    body: "later",
    delay: 3600,
    retries: 2,
    headers: { "Content-Type": "text/plain", "x-custom": "yes" },
  });
  const after = Date.now();

  const message = await client.messages.get(res.messageId);
  assert.equal(message.messageId, res.messageId);
  assert.equal(message.url, sink.url(path));
  assert.equal(message.method, "POST");
  assert.equal(message.body, "later");
  assert.equal(message.maxRetries, 2);
  assert.ok(message.createdAt >= before - 1000 && message.createdAt <= after + 1000, "createdAt is the publish time");
  assert.ok(message.notBefore > Date.now(), "notBefore is in the future");
  assert.ok(
    message.notBefore >= before + 3600_000 - 1000 && message.notBefore <= after + 3600_000 + 1000,
    `notBefore ${message.notBefore} is publish time + 1 h`,
  );
  assert.deepEqual(message.header["X-Custom"], ["yes"], "forwarded headers are returned without prefix, canonical case");
  assert.deepEqual(message.header["Content-Type"], ["text/plain"]);
  assert.equal(typeof message.callerIP, "string", "callerIP (py/Go spelling) is present");
  assert.equal(message.callerIp, message.callerIP, "callerIp (TS spelling) is present too");

  assert.deepEqual(await client.messages.cancel(res.messageId), { cancelled: 1 });
});

test("a cancelled delayed message disappears and is never delivered", async () => {
  const path = sink.newPath("cancelled");
  const res = await client.publish({ url: sink.url(path), body: "never", delay: "2s" });
  assert.equal((await client.messages.get(res.messageId)).messageId, res.messageId);

  const cancelled = await client.messages.cancel(res.messageId);

  assert.deepEqual(cancelled, { cancelled: 1 });
  assertNotFound(await waitForRejection(() => client.messages.get(res.messageId)));
  await assertNeverDelivered(path, "4s");
});

test("the deprecated messages.delete also cancels a delayed message", async () => {
  const path = sink.newPath("deleted");
  const res = await client.publish({ url: sink.url(path), body: "never either", delay: "2s" });

  await client.messages.delete(res.messageId);

  assertNotFound(await waitForRejection(() => client.messages.get(res.messageId)));
  await assertNeverDelivered(path, "4s");
});

test("notBefore sets the exact first delivery time and wins over delay", async () => {
  const path = sink.newPath("not-before");
  const notBefore = Math.floor(Date.now() / 1000) + 7200;

  const res = await client.publish({ url: sink.url(path), body: "at a time", notBefore, delay: "10s" });

  const message = await client.messages.get(res.messageId);
  assert.equal(message.notBefore, notBefore * 1000);
  assert.deepEqual(await client.messages.cancel(res.messageId), { cancelled: 1 });
});

test("a notBefore in the past delivers right away", async () => {
  const path = sink.newPath("past");
  const res = await client.publish({ url: sink.url(path), body: "now", notBefore: Math.floor(Date.now() / 1000) - 60 });

  const [delivery] = await sink.waitForRequests(path, 1);
  assert.equal(delivery.headers["upstash-message-id"], res.messageId);
});

test("messages.get of an unknown id rejects with 404", async () => {
  assertNotFound(await waitForRejection(() => client.messages.get("msg_doesnotexist123")));
});

test("messages.cancel of an unknown id rejects with 404", async () => {
  assertNotFound(await waitForRejection(() => client.messages.cancel("msg_doesnotexist123")));
});

test("a delivered message is no longer returned by messages.get", async () => {
  const path = sink.newPath("delivered");
  const res = await client.publish({ url: sink.url(path), body: "done" });
  await sink.waitForRequests(path, 1);

  assertNotFound(await waitForRejection(() => client.messages.get(res.messageId)));
});
