// Batch through the SDK (spec §3.3): one answer per item in order — an object for a URL or a
// queue item, a nested array for a URL group — and a bad item gets an error element while the
// others are delivered.
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

const uniqueName = (name) => `${name}-${Math.random().toString(36).slice(2, 8)}`;

test("batchJSON mixing a URL, a URL group and a queue answers one element per item, in order", async () => {
  const direct = sink.newPath("batch-url");
  const fanA = sink.newPath("batch-group");
  const fanB = sink.newPath("batch-group");
  const queued = sink.newPath("batch-queue");
  const urlGroup = uniqueName("batch-group");
  const queueName = uniqueName("batch-queue");
  await client.urlGroups.addEndpoints({ name: urlGroup, endpoints: [{ url: sink.url(fanA) }, { url: sink.url(fanB) }] });

  const res = await client.batchJSON([
    { url: sink.url(direct), body: { item: "url" }, headers: { "X-Item": "1" } },
    { urlGroup, body: { item: "group" } },
    { url: sink.url(queued), body: { item: "queue" }, queueName },
  ]);

  assert.equal(res.length, 3, `one answer per item: ${JSON.stringify(res)}`);
  assert.equal(res[0].url, sink.url(direct));
  assert.ok(Array.isArray(res[1]), "a URL-group item answers a nested array");
  assert.deepEqual(res[1].map((r) => r.url).sort(), [sink.url(fanA), sink.url(fanB)].sort());
  assert.equal(res[2].url, sink.url(queued));

  const [urlDelivery] = await sink.waitForRequests(direct, 1);
  assert.equal(urlDelivery.headers["upstash-message-id"], res[0].messageId);
  assert.equal(urlDelivery.text, '{"item":"url"}');
  assert.equal(urlDelivery.headers["content-type"], "application/json");
  assert.equal(urlDelivery.headers["x-item"], "1");
  for (const path of [fanA, fanB]) {
    const [delivery] = await sink.waitForRequests(path, 1);
    assert.equal(delivery.headers["upstash-topic-name"], urlGroup);
    assert.equal(delivery.headers["upstash-message-id"], res[1].find((r) => r.url === sink.url(path)).messageId);
    assert.equal(delivery.text, '{"item":"group"}');
  }
  const [queueDelivery] = await sink.waitForRequests(queued, 1);
  assert.equal(queueDelivery.headers["upstash-message-id"], res[2].messageId);
  assert.equal(queueDelivery.text, '{"item":"queue"}');
  assert.equal((await client.queue({ queueName }).get()).name, queueName, "the queue item went through the queue");
});

test("a one-item batch still answers an array", async () => {
  const path = sink.newPath("single");

  const res = await client.http.request({
    method: "POST",
    path: ["v2", "batch"],
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify([{ destination: sink.url(path), body: "one" }]),
  });

  assert.ok(Array.isArray(res));
  assert.equal(res.length, 1);
  const [delivery] = await sink.waitForRequests(path, 1);
  assert.equal(delivery.headers["upstash-message-id"], res[0].messageId);
});

test("a batch item with an invalid delay gets an error element while the others are delivered", async () => {
  const before = sink.newPath("before-bad");
  const bad = sink.newPath("bad");
  const after = sink.newPath("after-bad");

  const res = await client.batch([
    { url: sink.url(before), body: "first" },
    { url: sink.url(bad), body: "bad", delay: "soon" },
    { url: sink.url(after), body: "third" },
  ]);

  assert.equal(res.length, 3, `one answer per item: ${JSON.stringify(res)}`);
  assert.equal(typeof res[0].messageId, "string");
  assert.equal(typeof res[1].error, "string", `the bad item answers {"error"}: ${JSON.stringify(res[1])}`);
  assert.equal(res[1].messageId, undefined);
  assert.equal(typeof res[2].messageId, "string");
  await sink.waitForRequests(before, 1);
  await sink.waitForRequests(after, 1);
  assert.deepEqual(sink.requestsTo(bad), []);
});

test("a batch body that is not a JSON array answers 400", async () => {
  const res = await fetch(`${herald.baseUrl}/v2/batch`, {
    method: "POST",
    headers: { Authorization: `Bearer ${DEV_TOKEN}`, "Content-Type": "application/json" },
    body: JSON.stringify({ destination: sink.url("/x") }),
  });

  assert.equal(res.status, 400);
  assert.equal(typeof (await res.json()).error, "string");
});
