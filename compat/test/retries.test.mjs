// Retries: a failing destination is retried with the configured retry-delay expression, every
// attempt is freshly signed and counts itself in Upstash-Retried.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { Client, QstashError, Receiver } from "@upstash/qstash";
import { startHerald, startSink, waitFor, waitForRejection, DEV_TOKEN, DEV_CURRENT_SIGNING_KEY, DEV_NEXT_SIGNING_KEY } from "../lib/support.mjs";

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

test("a destination failing twice is retried until it succeeds, with Upstash-Retried 0, 1, 2", async () => {
  const path = sink.newPath("flaky");
  sink.respondWith(path, 500, 500);

  const res = await client.publishJSON({
    url: sink.url(path),
    body: { attempt: "me" },
    retries: 3,
    retryDelay: "100 * (1 + retried)",
  });

  const attempts = await sink.waitForRequests(path, 3, 30_000);
  assert.deepEqual(attempts.map((a) => a.headers["upstash-retried"]), ["0", "1", "2"]);
  for (const attempt of attempts) {
    assert.equal(attempt.headers["upstash-message-id"], res.messageId);
    assert.equal(attempt.text, JSON.stringify({ attempt: "me" }));
    assert.equal(
      await receiver.verify({ signature: attempt.headers["upstash-signature"], body: attempt.text, url: sink.url(path) }),
      true,
    );
  }
  const tokens = attempts.map((a) => a.headers["upstash-signature"]);
  assert.equal(new Set(tokens).size, tokens.length, "every attempt carries a freshly signed token");
  assert.ok(attempts[1].receivedAt > attempts[0].receivedAt && attempts[2].receivedAt > attempts[1].receivedAt);

  // Succeeded on the third attempt: the message is done and is not attempted again.
  const gone = await waitForRejection(() => client.messages.get(res.messageId), 15_000);
  assert.ok(gone instanceof QstashError && gone.status === 404);
  assert.equal(sink.requestsTo(path).length, 3);
});

test("the retry-delay expression is stored with the message", async () => {
  const path = sink.newPath("stored-expression");
  const res = await client.publish({ url: sink.url(path), body: "x", delay: "1h", retries: 5, retryDelay: "pow(2, retried) * 1000" });

  const message = await client.messages.get(res.messageId);
  assert.equal(message.retryDelayExpression, "pow(2, retried) * 1000");
  assert.equal(message.maxRetries, 5);
  await client.messages.cancel(res.messageId);
});

test("a destination that always fails gets exactly 1 + retries attempts", async () => {
  const path = sink.newPath("always-failing");
  sink.respondWith(path, 500, 500, 500, 500, 500);

  const res = await client.publish({ url: sink.url(path), body: "doomed", retries: 1, retryDelay: "100" });

  const attempts = await sink.waitForRequests(path, 2, 30_000);
  assert.deepEqual(attempts.map((a) => a.headers["upstash-retried"]), ["0", "1"]);
  // Once retries are exhausted the message leaves the pending set; no further attempt follows.
  await waitForRejection(() => client.messages.get(res.messageId), 15_000);
  const sentinel = sink.newPath("after-exhaustion");
  await client.publish({ url: sink.url(sentinel), body: "sentinel", delay: "1s" });
  await sink.waitForRequests(sentinel, 1);
  assert.equal(sink.requestsTo(path).length, 2);
});

test("a message with zero retries is attempted once", async () => {
  const path = sink.newPath("no-retries");
  sink.respondWith(path, 503);

  const res = await client.publish({ url: sink.url(path), body: "once", retries: 0 });

  await sink.waitForRequests(path, 1);
  await waitFor(
    async () => {
      try {
        await client.messages.get(res.messageId);
        return false;
      } catch {
        return true;
      }
    },
    15_000,
    { what: "the failed message to leave the pending set" },
  );
  const sentinel = sink.newPath("after-single-attempt");
  await client.publish({ url: sink.url(sentinel), body: "sentinel", delay: "1s" });
  await sink.waitForRequests(sentinel, 1);
  assert.equal(sink.requestsTo(path).length, 1);
});
