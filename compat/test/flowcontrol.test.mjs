// Flow control through the SDK (spec §11): the `flowControl` publish option, the key object from
// client.flowControl.get / GET /v2/flowControl/{key}, parallelism 1 against a slow destination,
// and a rate limit spreading deliveries over periods.
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

const uniqueKey = (name) => `${name}-${Math.random().toString(36).slice(2, 8)}`;

const FLOW_CONTROL_FIELDS = [
  "flowControlKey",
  "waitListSize",
  "parallelismMax",
  "parallelismCount",
  "rateMax",
  "rateCount",
  "ratePeriod",
  "ratePeriodStart",
  "isPaused",
  "isPinnedParallelism",
  "isPinnedRate",
];

test("parallelism 1 keeps at most one request in flight at a slow destination", async () => {
  const key = uniqueKey("serial");
  const path = sink.newPath("slow");
  sink.delayResponses(path, 300);

  const ids = [];
  for (let i = 0; i < 4; i += 1) {
    const res = await client.publish({ url: sink.url(path), body: `${i}`, flowControl: { key, parallelism: 1 } });
    ids.push(res.messageId);
  }

  const info = await client.flowControl.get(key);
  assert.equal(info.flowControlKey, key);
  assert.equal(info.parallelismMax, 1);
  assert.ok(info.parallelismCount <= 1, `parallelismCount ${info.parallelismCount}`);
  for (const field of FLOW_CONTROL_FIELDS) assert.ok(field in info, `the key object has ${field}: ${JSON.stringify(info)}`);

  const deliveries = await sink.waitForRequests(path, 4, 30_000);
  assert.deepEqual(new Set(deliveries.map((d) => d.headers["upstash-message-id"])), new Set(ids));
  assert.equal(sink.maxInFlight(path), 1, "never more than one request in flight");
  for (let i = 1; i < deliveries.length; i += 1) {
    assert.ok(deliveries[i].receivedAt - deliveries[i - 1].receivedAt >= 250, "each delivery waits for the previous answer");
  }
});

test("GET /v2/flowControl/{key} shows the key with parallelismMax while messages are pending", async () => {
  const key = uniqueKey("raw");
  const path = sink.newPath("raw-slow");
  sink.delayResponses(path, 300);
  for (let i = 0; i < 3; i += 1) await client.publish({ url: sink.url(path), body: `${i}`, flowControl: { key, parallelism: 1 } });

  const info = await client.http.request({ method: "GET", path: ["v2", "flowControl", key] });

  assert.equal(info.flowControlKey, key);
  assert.equal(info.parallelismMax, 1);
  assert.equal(info.isPaused, false);
  assert.ok(info.waitListSize + info.parallelismCount >= 1, `something is waiting or in flight: ${JSON.stringify(info)}`);
  await sink.waitForRequests(path, 3, 30_000);
  assert.equal(sink.maxInFlight(path), 1);
});

test("a higher parallelism lets that many requests run at once, but no more", async () => {
  const key = uniqueKey("two");
  const path = sink.newPath("two-slow");
  sink.delayResponses(path, 800);

  for (let i = 0; i < 4; i += 1) await client.publish({ url: sink.url(path), body: `${i}`, flowControl: { key, parallelism: 2 } });

  await sink.waitForRequests(path, 4, 30_000);
  assert.equal(sink.maxInFlight(path), 2);
});

test("the flow-control configuration is recorded on the message", async () => {
  const key = uniqueKey("recorded");

  const res = await client.publish({
    url: sink.url(sink.newPath("recorded")),
    body: "later",
    delay: "1h",
    flowControl: { key, parallelism: 3, rate: 10, period: "1m" },
  });

  const message = await client.messages.get(res.messageId);
  assert.equal(message.flowControlKey, key);
  assert.equal(message.parallelism, 3);
  assert.equal(message.rate, 10);
  assert.equal(message.period, 60);
  const info = await client.flowControl.get(key);
  assert.equal(info.parallelismMax, 3);
  assert.equal(info.rateMax, 10);
  assert.equal(info.ratePeriod, 60);
  await client.messages.cancel(res.messageId);
});

test("a rate of 1 per 2 s spreads three deliveries over more than one period", async () => {
  const key = uniqueKey("rate");
  const path = sink.newPath("rated");

  for (let i = 0; i < 3; i += 1) await client.publish({ url: sink.url(path), body: `${i}`, flowControl: { key, rate: 1, period: 2 } });

  const deliveries = await sink.waitForRequests(path, 3, 30_000);
  const span = deliveries[2].receivedAt - deliveries[0].receivedAt;
  assert.ok(span >= 1500, `three deliveries at 1 per 2 s took only ${span} ms`);
});

test("an unknown key rejects with 404", async () => {
  const error = await waitForRejection(() => client.flowControl.get(uniqueKey("unknown")));
  assert.ok(error instanceof QstashError && error.status === 404, `expected 404, got ${error}`);
});

test("pause holds deliveries for a key and resume releases them", async () => {
  const key = uniqueKey("paused");
  const path = sink.newPath("paused-key");
  await client.publish({ url: sink.url(path), body: "opens the key", flowControl: { key, parallelism: 1 } });
  await sink.waitForRequests(path, 1);

  await client.flowControl.pause(key);
  assert.equal((await client.flowControl.get(key)).isPaused, true);
  await client.publish({ url: sink.url(path), body: "held", flowControl: { key, parallelism: 1 } });
  const sentinel = sink.newPath("sentinel");
  await client.publish({ url: sink.url(sentinel), body: "sentinel", delay: "1s" });
  await sink.waitForRequests(sentinel, 1);
  assert.equal(sink.requestsTo(path).length, 1, "nothing is delivered for a paused key");
  await waitFor(async () => (await client.flowControl.get(key)).waitListSize === 1, 5_000, { what: "waitListSize 1" });

  await client.flowControl.resume(key);
  const deliveries = await sink.waitForRequests(path, 2);
  assert.equal(deliveries[1].text, "held");
});
