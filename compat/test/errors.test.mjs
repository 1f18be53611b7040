// Errors as the SDK sees them: a wrong token and invalid message configuration are rejected
// with the right status and a JSON {"error": "..."} body.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { Client, QstashError } from "@upstash/qstash";
import { startHerald, startSink, DEV_TOKEN } from "../lib/support.mjs";

const WRONG_TOKEN = Buffer.from(JSON.stringify({ UserID: "defaultUser", Password: "wrong" })).toString("base64");

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

function isQstashError(status) {
  return (error) => {
    assert.ok(error instanceof QstashError, `expected a QstashError, got ${error}`);
    assert.equal(error.status, status);
    const body = JSON.parse(error.message);
    assert.equal(typeof body.error, "string");
    assert.ok(body.error.length > 0);
    return true;
  };
}

test("a client with a wrong token cannot publish", async () => {
  const path = sink.newPath("unauthorised");
  const wrong = new Client({ baseUrl: herald.baseUrl, token: WRONG_TOKEN });

  await assert.rejects(wrong.publish({ url: sink.url(path), body: "nope" }), isQstashError(401));
  await assert.rejects(wrong.publishJSON({ url: sink.url(path), body: { no: true } }), isQstashError(401));
});

test("a client with a wrong token cannot read or cancel messages", async () => {
  const res = await client.publish({ url: sink.url(sink.newPath("owned")), body: "mine", delay: "1h" });
  const wrong = new Client({ baseUrl: herald.baseUrl, token: WRONG_TOKEN });

  await assert.rejects(wrong.messages.get(res.messageId), isQstashError(401));
  await assert.rejects(wrong.messages.cancel(res.messageId), isQstashError(401));
  assert.equal((await client.messages.get(res.messageId)).messageId, res.messageId, "the message is untouched");
  await client.messages.cancel(res.messageId);
});

test("a client with an empty token is rejected", async () => {
  const noToken = new Client({ baseUrl: herald.baseUrl, token: "not-a-real-token" });
  await assert.rejects(noToken.messages.get("msg_whatever"), isQstashError(401));
});

test("negative retries are rejected with 400", async () => {
  await assert.rejects(client.publish({ url: sink.url("/x"), body: "x", retries: -1 }), isQstashError(400));
});

test("an unparsable delay is rejected with 400", async () => {
  await assert.rejects(client.publish({ url: sink.url("/x"), body: "x", delay: "soon" }), isQstashError(400));
});

test("an unknown method is rejected with 400", async () => {
  await assert.rejects(client.publish({ url: sink.url("/x"), body: "x", method: "BREW" }), isQstashError(400));
});

test("an unparsable timeout is rejected with 400", async () => {
  await assert.rejects(client.publish({ url: sink.url("/x"), body: "x", timeout: "forever" }), isQstashError(400));
});

test("an invalid destination URL is rejected with 400", async () => {
  await assert.rejects(client.publish({ url: "http://", body: "x" }), isQstashError(400));
});

test("no message is created by a rejected publish", async () => {
  const path = sink.newPath("rejected");
  await assert.rejects(client.publish({ url: sink.url(path), body: "x", retries: -1 }), isQstashError(400));
  const sentinel = sink.newPath("sentinel");
  await client.publish({ url: sink.url(sentinel), body: "sentinel" });
  await sink.waitForRequests(sentinel, 1);
  assert.deepEqual(sink.requestsTo(path), []);
});
