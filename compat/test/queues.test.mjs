// Queues through the SDK (spec §3.2, §8): upsert/get/list/delete, FIFO delivery with parallelism 1
// across a retry, pause (accepting but not delivering) and resume.
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

const uniqueName = (name) => `${name}-${Math.random().toString(36).slice(2, 8)}`;

/** Proves `path` got no more than `expected` requests: a sentinel published now arrives first. */
async function assertStillAt(path, expected, delay = "1s") {
  const sentinel = sink.newPath("sentinel");
  await client.publish({ url: sink.url(sentinel), body: "sentinel", delay });
  await sink.waitForRequests(sentinel, 1, 30_000);
  assert.equal(sink.requestsTo(path).length, expected, `${expected} request(s) at ${path}`);
}

test("upsert creates a queue that get and list return with every field", async () => {
  const queueName = uniqueName("queue");
  const before = Date.now();

  await client.queue({ queueName }).upsert({ parallelism: 2 });

  const queue = await client.queue({ queueName }).get();
  assert.equal(queue.name, queueName);
  assert.equal(queue.parallelism, 2);
  assert.equal(queue.lag, 0);
  assert.equal(queue.paused, false);
  assert.ok(queue.createdAt >= before - 1000 && queue.createdAt <= Date.now() + 1000, `createdAt ${queue.createdAt}`);
  assert.ok(queue.updatedAt >= queue.createdAt);

  const listed = (await client.queue().list()).find((q) => q.name === queueName);
  assert.deepEqual(listed, queue);
  await client.queue({ queueName }).delete();
});

test("upsert of an existing queue updates its parallelism and keeps createdAt", async () => {
  const queueName = uniqueName("update");
  await client.queue({ queueName }).upsert({ parallelism: 1 });
  const first = await client.queue({ queueName }).get();

  await client.queue({ queueName }).upsert({ parallelism: 3 });

  const second = await client.queue({ queueName }).get();
  assert.equal(second.parallelism, 3);
  assert.equal(second.createdAt, first.createdAt);
  assert.ok(second.updatedAt >= first.updatedAt);
  await client.queue({ queueName }).delete();
});

test("enqueueJSON to an unknown queue creates it with parallelism 1", async () => {
  const queueName = uniqueName("auto");
  const path = sink.newPath("auto");

  const res = await client.queue({ queueName }).enqueueJSON({ url: sink.url(path), body: { auto: true } });

  const [delivery] = await sink.waitForRequests(path, 1);
  assert.equal(delivery.headers["upstash-message-id"], res.messageId);
  assert.equal(delivery.text, '{"auto":true}');
  const queue = await client.queue({ queueName }).get();
  assert.equal(queue.parallelism, 1);
  await client.queue({ queueName }).delete();
});

test("parallelism 1 delivers in enqueue order, one at a time, even when the first message is retried", async () => {
  const queueName = uniqueName("fifo");
  const path = sink.newPath("fifo");
  sink.respondWith(path, 500);
  sink.delayResponses(path, 50);
  await client.queue({ queueName }).upsert({ parallelism: 1 });

  const ids = [];
  for (let i = 0; i < 5; i += 1) {
    const res = await client.queue({ queueName }).enqueueJSON({ url: sink.url(path), body: { i }, retries: 3, retryDelay: "100" });
    ids.push(res.messageId);
  }

  const deliveries = await sink.waitForRequests(path, 6, 30_000);
  assert.deepEqual(
    deliveries.map((d) => [JSON.parse(d.text).i, d.headers["upstash-retried"]]),
    [[0, "0"], [0, "1"], [1, "0"], [2, "0"], [3, "0"], [4, "0"]],
    "the failed first message is retried before the next one starts",
  );
  assert.deepEqual(deliveries.slice(1).map((d) => d.headers["upstash-message-id"]), ids);
  assert.equal(sink.maxInFlight(path), 1, "never more than one request in flight");
  await waitFor(async () => (await client.queue({ queueName }).get()).lag === 0, 10_000, { what: "lag 0" });
  await client.queue({ queueName }).delete();
});

test("a paused queue accepts messages but delivers none until resumed, then in order", async () => {
  const queueName = uniqueName("paused");
  const path = sink.newPath("paused");
  await client.queue({ queueName }).upsert({ parallelism: 1 });

  await client.queue({ queueName }).pause();
  assert.equal((await client.queue({ queueName }).get()).paused, true);
  const first = await client.queue({ queueName }).enqueueJSON({ url: sink.url(path), body: { n: 1 } });
  const second = await client.queue({ queueName }).enqueueJSON({ url: sink.url(path), body: { n: 2 } });
  assert.ok(first.messageId && second.messageId, "enqueue is accepted while paused");

  await assertStillAt(path, 0);
  assert.equal((await client.queue({ queueName }).get()).lag, 2, "both messages wait in the queue");

  await client.queue({ queueName }).resume();
  const deliveries = await sink.waitForRequests(path, 2);
  assert.deepEqual(deliveries.map((d) => d.headers["upstash-message-id"]), [first.messageId, second.messageId]);
  const queue = await client.queue({ queueName }).get();
  assert.equal(queue.paused, false);
  await client.queue({ queueName }).delete();
});

test("upsert with paused: true pauses the queue and paused: false resumes it", async () => {
  const queueName = uniqueName("upsert-paused");
  const path = sink.newPath("upsert-paused");

  await client.queue({ queueName }).upsert({ parallelism: 1, paused: true });
  assert.equal((await client.queue({ queueName }).get()).paused, true);
  await client.queue({ queueName }).enqueue({ url: sink.url(path), body: "held" });
  await assertStillAt(path, 0);

  await client.queue({ queueName }).upsert({ parallelism: 1, paused: false });
  await sink.waitForRequests(path, 1);
  await client.queue({ queueName }).delete();
});

test("a deleted queue is gone: get rejects with 404 and list no longer has it", async () => {
  const queueName = uniqueName("deleted");
  await client.queue({ queueName }).upsert({ parallelism: 1 });

  await client.queue({ queueName }).delete();

  const error = await waitForRejection(() => client.queue({ queueName }).get());
  assert.ok(error instanceof QstashError && error.status === 404, `expected 404, got ${error}`);
  assert.ok(!(await client.queue().list()).some((q) => q.name === queueName));
});

test("an invalid queue name rejects with 400", async () => {
  const error = await waitForRejection(() => client.queue({ queueName: "bad name!" }).upsert({ parallelism: 1 }));
  assert.ok(error instanceof QstashError && error.status === 400, `expected 400, got ${error}`);
});
