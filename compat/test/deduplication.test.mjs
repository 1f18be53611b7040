// Deduplication by id and by content: the second publish is acknowledged with the first
// message's id and nothing is delivered twice.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { Client } from "@upstash/qstash";
import { startHerald, startSink, DEV_TOKEN } from "../lib/support.mjs";

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

/** Waits for a sentinel published after the duplicates, then checks the count at `path`. */
async function assertDeliveredOnce(path) {
  const sentinel = sink.newPath("sentinel");
  await client.publish({ url: sink.url(sentinel), body: "sentinel", delay: "1s" });
  await sink.waitForRequests(sentinel, 1);
  await sink.waitForRequests(path, 1);
  assert.equal(sink.requestsTo(path).length, 1, "the destination received the message exactly once");
}

test("a second publish with the same deduplicationId returns the same messageId, deduplicated", async () => {
  const path = sink.newPath("dedup-id");
  const deduplicationId = `compat-${Date.now()}`;

  const first = await client.publish({ url: sink.url(path), body: "once", deduplicationId });
  const second = await client.publish({ url: sink.url(path), body: "once", deduplicationId });

  assert.ok(!first.deduplicated);
  assert.equal(second.messageId, first.messageId);
  assert.equal(second.deduplicated, true);
  await assertDeliveredOnce(path);
});

test("deduplicationId applies even when the body differs", async () => {
  const path = sink.newPath("dedup-id-body");
  const deduplicationId = `compat-body-${Date.now()}`;

  const first = await client.publishJSON({ url: sink.url(path), body: { v: 1 }, deduplicationId });
  const second = await client.publishJSON({ url: sink.url(path), body: { v: 2 }, deduplicationId });

  assert.equal(second.messageId, first.messageId);
  assert.equal(second.deduplicated, true);
  await assertDeliveredOnce(path);
  assert.equal(sink.requestsTo(path)[0].text, JSON.stringify({ v: 1 }));
});

test("contentBasedDeduplication deduplicates identical publishes", async () => {
  const path = sink.newPath("dedup-content");
  const request = { url: sink.url(path), body: "same content", contentBasedDeduplication: true, headers: { "X-Same": "1" } };

  const first = await client.publish(request);
  const second = await client.publish(request);

  assert.ok(!first.deduplicated);
  assert.equal(second.messageId, first.messageId);
  assert.equal(second.deduplicated, true);
  await assertDeliveredOnce(path);
});

test("contentBasedDeduplication keeps publishes with different bodies apart", async () => {
  const path = sink.newPath("dedup-content-differs");

  const first = await client.publish({ url: sink.url(path), body: "one", contentBasedDeduplication: true });
  const second = await client.publish({ url: sink.url(path), body: "two", contentBasedDeduplication: true });

  assert.notEqual(second.messageId, first.messageId);
  assert.ok(!second.deduplicated);
  const deliveries = await sink.waitForRequests(path, 2);
  assert.deepEqual(deliveries.map((d) => d.text).sort(), ["one", "two"]);
});

test("contentBasedDeduplication keeps publishes to different destinations apart", async () => {
  const a = sink.newPath("dedup-dest-a");
  const b = sink.newPath("dedup-dest-b");

  const first = await client.publish({ url: sink.url(a), body: "same", contentBasedDeduplication: true });
  const second = await client.publish({ url: sink.url(b), body: "same", contentBasedDeduplication: true });

  assert.notEqual(second.messageId, first.messageId);
  await sink.waitForRequests(a, 1);
  await sink.waitForRequests(b, 1);
});
