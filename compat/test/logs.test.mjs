// Logs through the SDK (spec §5.8, §10): the state history of delivered and failing messages,
// state and label filters, and cursor paging that ends without a cursor.
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

const uniqueLabel = (name) => `${name}-${Math.random().toString(36).slice(2, 8)}`;

/**
 * Waits until the logs of `messageId` contain `finalState`, then resolves to them oldest first
 * (the server's latest-first order reversed; several logs can share one millisecond).
 */
async function historyOf(messageId, finalState) {
  const logs = await waitFor(
    async () => {
      const res = await client.logs({ filter: { messageId } });
      return res.logs.some((l) => l.state === finalState) ? res.logs : undefined;
    },
    30_000,
    { what: `a ${finalState} log for ${messageId}` },
  );
  return [...logs].reverse();
}

test("a delivered message logs CREATED, ACTIVE, DELIVERED", async () => {
  const path = sink.newPath("delivered");
  const res = await client.publish({ url: sink.url(path), body: "logged", headers: { "X-Trace": "t1" } });

  const history = await historyOf(res.messageId, "DELIVERED");

  assert.deepEqual(history.map((l) => l.state), ["CREATED", "ACTIVE", "DELIVERED"]);
  for (const log of history) {
    assert.equal(log.messageId, res.messageId);
    assert.equal(log.url, sink.url(path));
    assert.equal(typeof log.time, "number");
  }
  for (let i = 1; i < history.length; i += 1) assert.ok(history[i].time >= history[i - 1].time);
});

test("the CREATED log carries the message headers and the base64 body", async () => {
  const path = sink.newPath("created-fields");
  const res = await client.publish({ url: sink.url(path), body: "logged", headers: { "X-Trace": "t1" } });

  const [created] = await historyOf(res.messageId, "DELIVERED");

  assert.equal(created.state, "CREATED");
  assert.equal(created.method, "POST");
  assert.equal(created.maxRetries, 3);
  assert.deepEqual(created.header?.["X-Trace"], ["t1"], `header of ${JSON.stringify(created)}`);
  assert.equal(typeof created.body, "string", `body of ${JSON.stringify(created)}`);
  assert.equal(Buffer.from(created.body, "base64").toString("utf8"), "logged", "log bodies are base64");
});

test("the deprecated events() and messageIds at the root return the same history", async () => {
  const path = sink.newPath("events");
  const res = await client.publish({ url: sink.url(path), body: "x" });
  await historyOf(res.messageId, "DELIVERED");

  const events = await client.events({ filter: { messageId: res.messageId } });
  const byIds = await client.logs({ messageIds: [res.messageId] });

  assert.deepEqual(events.events.map((l) => l.state).sort(), ["ACTIVE", "CREATED", "DELIVERED"]);
  assert.deepEqual(byIds.logs.map((l) => l.state).sort(), ["ACTIVE", "CREATED", "DELIVERED"]);
});

test("a failing message logs ERROR and RETRY per failed attempt, then FAILED", async () => {
  const path = sink.newPath("failing");
  sink.respondWith(path, 500, 500);
  const res = await client.publish({ url: sink.url(path), body: "doomed", retries: 1, retryDelay: "100" });

  const history = await historyOf(res.messageId, "FAILED");

  assert.deepEqual(history.map((l) => l.state), ["CREATED", "ACTIVE", "ERROR", "RETRY", "ACTIVE", "ERROR", "FAILED"]);
  const error = history.find((l) => l.state === "ERROR");
  assert.equal(error.responseStatus, 500);
  const retry = history.find((l) => l.state === "RETRY");
  assert.equal(typeof retry.nextDeliveryTime, "number");
  assert.ok(retry.nextDeliveryTime >= retry.time, "the retry is due after it was scheduled");
});

test("the state filter returns only that state", async () => {
  const label = uniqueLabel("state");
  const okPath = sink.newPath("state-ok");
  const badPath = sink.newPath("state-bad");
  sink.respondWith(badPath, 500);
  const ok = await client.publish({ url: sink.url(okPath), body: "ok", label });
  const bad = await client.publish({ url: sink.url(badPath), body: "bad", label, retries: 0 });
  await historyOf(ok.messageId, "DELIVERED");
  await historyOf(bad.messageId, "FAILED");

  const delivered = await client.logs({ filter: { label, state: "DELIVERED" } });
  assert.deepEqual(delivered.logs.map((l) => [l.messageId, l.state]), [[ok.messageId, "DELIVERED"]]);

  const failed = await client.logs({ filter: { label, state: "FAILED" } });
  assert.deepEqual(failed.logs.map((l) => [l.messageId, l.state]), [[bad.messageId, "FAILED"]]);
});

test("the label filter matches messages having any of the labels", async () => {
  const a = uniqueLabel("a");
  const b = uniqueLabel("b");
  const path = sink.newPath("labels");
  const first = await client.publish({ url: sink.url(path), body: "1", label: [a, "shared"] });
  const second = await client.publish({ url: sink.url(path), body: "2", label: b });
  const third = await client.publish({ url: sink.url(path), body: "3" });
  for (const m of [first, second, third]) await historyOf(m.messageId, "DELIVERED");

  const onlyA = await client.logs({ filter: { label: a } });
  assert.deepEqual(new Set(onlyA.logs.map((l) => l.messageId)), new Set([first.messageId]));
  assert.ok(onlyA.logs.every((l) => l.labels?.includes(a) && l.label === a));

  const aOrB = await client.logs({ filter: { label: [a, b] } });
  assert.deepEqual(new Set(aOrB.logs.map((l) => l.messageId)), new Set([first.messageId, second.messageId]));
});

test("logs page with count and cursor, and the last page has no cursor", async () => {
  const label = uniqueLabel("paging");
  const path = sink.newPath("paging");
  const ids = [];
  for (let i = 0; i < 3; i += 1) ids.push((await client.publish({ url: sink.url(path), body: `${i}`, label })).messageId);
  for (const id of ids) await historyOf(id, "DELIVERED");

  const seen = [];
  const cursors = [];
  let cursor;
  for (let page = 0; page < 10; page += 1) {
    const res = await client.logs({ count: 4, filter: { label }, cursor });
    assert.ok(res.logs.length <= 4, `page ${page} has at most 4 logs`);
    seen.push(...res.logs);
    cursor = res.cursor;
    cursors.push(cursor);
    if (!cursor) break;
  }

  assert.equal(seen.length, 9, "three messages with three states each");
  assert.ok(cursors.length >= 3, `paged over ${cursors.length} pages`);
  assert.equal(cursors.at(-1), undefined, "the last page carries no cursor");
  const keys = seen.map((l) => `${l.messageId}/${l.state}`);
  assert.equal(new Set(keys).size, 9, "no log is repeated across pages");
  for (let i = 1; i < seen.length; i += 1) assert.ok(seen[i - 1].time >= seen[i].time, "latest first by default");
});

test("GET /v2/logs answers the same entries under logs and events", async () => {
  const path = sink.newPath("v2-logs");
  const res = await client.publish({ url: sink.url(path), body: "x" });
  await historyOf(res.messageId, "DELIVERED");

  const raw = await fetch(`${herald.baseUrl}/v2/logs?messageId=${res.messageId}`, {
    headers: { Authorization: `Bearer ${DEV_TOKEN}` },
  });

  assert.equal(raw.status, 200);
  const body = await raw.json();
  assert.deepEqual(body.logs?.map((l) => l.state), ["DELIVERED", "ACTIVE", "CREATED"]);
  assert.deepEqual(body.events, body.logs);
});
