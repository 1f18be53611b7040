// Dead letter queue through the SDK (spec §5.10, §9): listing with filters and cursors, single and
// bulk delete, retry as a new message, and the 400 for an unknown filter on a destructive call.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { Client, QstashError } from "@upstash/qstash";
import { startHerald, startSink, waitFor, waitForRejection, DEV_TOKEN } from "../lib/support.mjs";

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

/**
 * Publishes `count` messages with no retries to fresh sink paths answering `status`, and resolves
 * to their DLQ entries (found by `label`, in publish order not guaranteed) once all of them have failed.
 */
async function deadLetters(count, { label = uniqueLabel("dlq"), status = 500 } = {}) {
  const published = [];
  for (let i = 0; i < count; i += 1) {
    const path = sink.newPath("dead");
    sink.respondWith(path, status);
    const res = await client.publish({ url: sink.url(path), body: `dead ${i}`, retries: 0, label });
    published.push({ path, messageId: res.messageId });
  }
  const entries = await waitFor(
    async () => {
      const { messages } = await client.dlq.listMessages({ filter: { label } });
      const mine = messages.filter((m) => published.some((p) => p.messageId === m.messageId));
      return mine.length === count ? mine : undefined;
    },
    30_000,
    { what: `${count} DLQ entries with label ${label}` },
  );
  return { label, published, entries };
}

test("a failed message lands in the DLQ with the last response", async () => {
  const { published, entries } = await deadLetters(1, { status: 418 });

  const [entry] = entries;
  assert.equal(entry.messageId, published[0].messageId);
  assert.equal(entry.url, sink.url(published[0].path));
  assert.equal(entry.method, "POST");
  assert.equal(entry.body, "dead 0");
  assert.equal(entry.responseStatus, 418);
  assert.equal(entry.responseBody, "sink says no");
  assert.equal(typeof entry.dlqId, "string");
  assert.equal(typeof entry.createdAt, "number");
  assert.equal(entry.maxRetries, 0);
});

test("listMessages filters by url, label and responseStatus", async () => {
  const label = uniqueLabel("filters");
  const { published } = await deadLetters(2, { label, status: 500 });
  await deadLetters(1, { label, status: 404 });

  const byUrl = await client.dlq.listMessages({ filter: { url: sink.url(published[0].path) } });
  assert.deepEqual(byUrl.messages.map((m) => m.messageId), [published[0].messageId]);

  const byLabel = await client.dlq.listMessages({ filter: { label } });
  assert.equal(byLabel.messages.length, 3);
  assert.ok(byLabel.messages.every((m) => m.labels?.includes(label)));

  const byStatus = await client.dlq.listMessages({ filter: { label, responseStatus: 404 } });
  assert.equal(byStatus.messages.length, 1);
  assert.equal(byStatus.messages[0].responseStatus, 404);

  const none = await client.dlq.listMessages({ filter: { label: uniqueLabel("nothing") } });
  assert.deepEqual(none.messages, []);
  assert.equal(none.cursor, undefined);
});

test("listMessages pages with count and cursor, and the last page has no cursor", async () => {
  const { label, published } = await deadLetters(5);

  const seen = [];
  const cursors = [];
  let cursor;
  for (let page = 0; page < 10; page += 1) {
    const res = await client.dlq.listMessages({ count: 2, filter: { label }, cursor });
    assert.ok(res.messages.length <= 2, `page ${page} has at most 2 entries`);
    seen.push(...res.messages.map((m) => m.messageId));
    cursor = res.cursor;
    cursors.push(cursor);
    if (!cursor) break;
  }

  assert.ok(cursors.length >= 3, `paged over ${cursors.length} pages`);
  assert.equal(cursors.at(-1), undefined, "the last page carries no cursor");
  assert.equal(seen.length, 5, "every entry is seen exactly once");
  assert.deepEqual(new Set(seen), new Set(published.map((p) => p.messageId)));
});

test("listMessages with dlqIds returns exactly those entries", async () => {
  const { entries } = await deadLetters(3);

  const wanted = [entries[0].dlqId, entries[2].dlqId];
  const res = await client.dlq.listMessages({ dlqIds: wanted });
  assert.deepEqual(new Set(res.messages.map((m) => m.dlqId)), new Set(wanted));
});

test("delete removes an entry and deleting it again rejects with 404", async () => {
  const { label, entries } = await deadLetters(1);

  assert.deepEqual(await client.dlq.delete(entries[0].dlqId), { deleted: 1 });

  assert.deepEqual((await client.dlq.listMessages({ filter: { label } })).messages, []);
  const again = await waitForRejection(() => client.dlq.delete(entries[0].dlqId));
  assert.ok(again instanceof QstashError, `expected a QstashError, got ${again}`);
  assert.equal(again.status, 404);
});

test("bulk delete by dlqIds (deleteMany) and by filter report the number deleted", async () => {
  const { label, entries } = await deadLetters(4);

  const byIds = await client.dlq.deleteMany({ dlqIds: [entries[0].dlqId, entries[1].dlqId] });
  assert.equal(byIds.deleted, 2);
  assert.equal(byIds.cursor, undefined);
  assert.equal((await client.dlq.listMessages({ filter: { label } })).messages.length, 2);

  const byFilter = await client.dlq.delete({ filter: { label } });
  assert.equal(byFilter.deleted, 2);
  assert.equal(byFilter.cursor, undefined);
  assert.deepEqual((await client.dlq.listMessages({ filter: { label } })).messages, []);

  assert.deepEqual(await client.dlq.delete({ filter: { label } }), { deleted: 0 });
});

test("bulk delete by filter with a small count leaves a cursor until all are gone", async () => {
  const { label } = await deadLetters(3);

  const first = await client.dlq.delete({ filter: { label }, count: 2 });
  assert.equal(first.deleted, 2);
  assert.ok(first.cursor, "more matching entries remain, so a cursor is returned");

  const second = await client.dlq.delete({ filter: { label }, count: 2, cursor: first.cursor });
  assert.equal(second.deleted, 1);
  assert.equal(second.cursor, undefined);
});

test("retry delivers the entry again as a new message and removes it from the DLQ", async () => {
  const { label, published, entries } = await deadLetters(1);
  const { path, messageId } = published[0];

  const res = await client.dlq.retry(entries[0].dlqId);

  assert.equal(res.responses.length, 1);
  const retriedId = res.responses[0].messageId;
  assert.equal(typeof retriedId, "string");
  assert.notEqual(retriedId, messageId, "a retried entry is a new message");
  assert.equal(res.cursor, undefined);
  const deliveries = await sink.waitForRequests(path, 2);
  assert.equal(deliveries[1].headers["upstash-message-id"], retriedId);
  assert.equal(deliveries[1].text, "dead 0");
  assert.deepEqual((await client.dlq.listMessages({ filter: { label } })).messages, []);
});

test("retry by filter retries every matching entry", async () => {
  const { label, published } = await deadLetters(2);

  const res = await client.dlq.retry({ filter: { label } });

  assert.equal(res.responses.length, 2);
  for (const { path } of published) await sink.waitForRequests(path, 2);
  assert.deepEqual((await client.dlq.listMessages({ filter: { label } })).messages, []);
});

test("an unknown filter on bulk delete answers 400 and deletes nothing", async () => {
  const { label } = await deadLetters(1);

  const res = await fetch(`${herald.baseUrl}/v2/dlq?label=${label}&bogusFilter=1`, {
    method: "DELETE",
    headers: { Authorization: `Bearer ${DEV_TOKEN}` },
  });

  assert.equal(res.status, 400);
  assert.equal(typeof (await res.json()).error, "string");
  assert.equal((await client.dlq.listMessages({ filter: { label } })).messages.length, 1);
  const viaSdk = await waitForRejection(() =>
    client.http.request({ method: "DELETE", path: ["v2", "dlq"], query: { bogusFilter: "1" } }),
  );
  assert.equal(viaSdk.status, 400);
});
