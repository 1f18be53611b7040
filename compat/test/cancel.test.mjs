// Bulk cancel through the SDK (spec §4.4): by ids, by filters (label, url, host) and everything,
// with the count of cancelled messages; cancelled delayed messages never arrive.
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

const uniqueLabel = (name) => `${name}-${Math.random().toString(36).slice(2, 8)}`;

/** Publishes a message to a fresh path, due after `delay`; resolves to {path, messageId}. */
async function delayed(name, { delay = "3s", ...options } = {}) {
  const path = sink.newPath(name);
  const { messageId } = await client.publish({ url: sink.url(path), body: name, delay, ...options });
  return { path, messageId };
}

async function assertGone(messageId) {
  const error = await waitForRejection(() => client.messages.get(messageId));
  assert.ok(error instanceof QstashError && error.status === 404, `message ${messageId} is gone (got ${error})`);
}

/** A sentinel due after every cancelled message arrives, then none of `paths` got anything. */
async function assertNeverDelivered(paths, sentinelDelay = "5s") {
  const sentinel = sink.newPath("sentinel");
  await client.publish({ url: sink.url(sentinel), body: "sentinel", delay: sentinelDelay });
  await sink.waitForRequests(sentinel, 1, 30_000);
  for (const path of paths) assert.deepEqual(sink.requestsTo(path), [], `nothing arrived at ${path}`);
}

test("cancel with an array of ids cancels exactly those and returns their number", async () => {
  const a = await delayed("ids-a");
  const b = await delayed("ids-b");
  const keep = await delayed("ids-keep", { delay: "1s" });

  assert.deepEqual(await client.messages.cancel([a.messageId, b.messageId]), { cancelled: 2 });

  await assertGone(a.messageId);
  await assertGone(b.messageId);
  await sink.waitForRequests(keep.path, 1);
  await assertNeverDelivered([a.path, b.path]);
});

test("cancel with ids that are partly unknown counts only the cancelled ones", async () => {
  const a = await delayed("partly", { delay: "1h" });

  assert.deepEqual(await client.messages.cancel([a.messageId, "msg_doesnotexist123"]), { cancelled: 1 });
  await assertGone(a.messageId);
});

test("the deprecated deleteMany returns the number cancelled", async () => {
  const a = await delayed("delete-many-a", { delay: "1h" });
  const b = await delayed("delete-many-b", { delay: "1h" });

  assert.equal(await client.messages.deleteMany([a.messageId, b.messageId]), 2);
  await assertGone(a.messageId);
  await assertGone(b.messageId);
});

test("cancel by label filter cancels only the labelled messages", async () => {
  const label = uniqueLabel("cancel-me");
  const a = await delayed("label-a", { label });
  const b = await delayed("label-b", { label: [uniqueLabel("other"), label] });
  const keep = await delayed("label-keep", { delay: "1s", label: uniqueLabel("keep") });

  assert.deepEqual(await client.messages.cancel({ filter: { label } }), { cancelled: 2 });

  await sink.waitForRequests(keep.path, 1);
  await assertNeverDelivered([a.path, b.path]);
});

test("cancel by url filter cancels the messages to that URL", async () => {
  const a = await delayed("url-a");
  const again = await client.publish({ url: sink.url(a.path), body: "second", delay: "3s" });
  const keep = await delayed("url-keep", { delay: "1s" });

  assert.deepEqual(await client.messages.cancel({ filter: { url: sink.url(a.path) } }), { cancelled: 2 });

  await assertGone(again.messageId);
  await sink.waitForRequests(keep.path, 1);
  await assertNeverDelivered([a.path]);
});

test("cancel by path filter matches the path of the destination", async () => {
  const a = await delayed("path-a", { delay: "1h" });

  assert.deepEqual(await client.messages.cancel({ filter: { path: a.path } }), { cancelled: 1 });
  await assertGone(a.messageId);
});

test("a filter that matches nothing cancels nothing", async () => {
  const keep = await delayed("nothing-matches", { delay: "1h" });

  assert.deepEqual(await client.messages.cancel({ filter: { label: uniqueLabel("none") } }), { cancelled: 0 });
  assert.equal((await client.messages.get(keep.messageId)).messageId, keep.messageId);
  await client.messages.cancel(keep.messageId);
});

test("cancel all cancels every pending message and returns the number", async () => {
  const messages = [await delayed("all-a"), await delayed("all-b"), await delayed("all-c", { delay: "1h" })];

  const { cancelled } = await client.messages.cancel({ all: true });

  assert.ok(cancelled >= 3, `cancelled ${cancelled}, expected at least the 3 pending messages`);
  for (const { messageId } of messages) await assertGone(messageId);
  await assertNeverDelivered(messages.map((m) => m.path));
});

test("the deprecated deleteAll cancels everything and returns the number", async () => {
  const messages = [await delayed("delete-all-a", { delay: "1h" }), await delayed("delete-all-b", { delay: "1h" })];

  assert.equal(await client.messages.deleteAll(), 2);
  for (const { messageId } of messages) await assertGone(messageId);
  assert.equal(await client.messages.deleteAll(), 0, "nothing is left to cancel");
});

test("cancelled messages log CANCEL_REQUESTED and CANCELED", async () => {
  const label = uniqueLabel("logged-cancel");
  const a = await delayed("logged", { delay: "1h", label });

  await client.messages.cancel({ filter: { label } });

  const { logs } = await client.logs({ filter: { messageId: a.messageId } });
  const states = logs.map((l) => l.state);
  assert.ok(states.includes("CANCEL_REQUESTED"), `states ${states}`);
  assert.ok(states.includes("CANCELED"), `states ${states} (the spelling py and Go parse)`);
  assert.ok(!states.includes("DELIVERED"));
});

test("an unknown filter on bulk cancel answers 400 and cancels nothing", async () => {
  const keep = await delayed("unknown-filter", { delay: "1h" });

  const error = await waitForRejection(() =>
    client.http.request({ method: "DELETE", path: ["v2", "messages"], query: { bogusFilter: "1" } }),
  );

  assert.equal(error.status, 400);
  assert.equal((await client.messages.get(keep.messageId)).messageId, keep.messageId);
  await client.messages.cancel(keep.messageId);
});
