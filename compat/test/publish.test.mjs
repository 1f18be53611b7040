// Publishing with the official SDK: the destination receives exactly what was published, with
// the forwarded headers and a signature the SDK's Receiver accepts.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { Client, Receiver } from "@upstash/qstash";
import { startHerald, startSink, DEV_TOKEN, DEV_CURRENT_SIGNING_KEY, DEV_NEXT_SIGNING_KEY } from "../lib/support.mjs";

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

test("publish delivers the exact body with forwarded headers, the method and Upstash delivery headers", async () => {
  const path = sink.newPath("publish");
  const body = "plain text with ünïcödé ✓ and\nnewlines\r\n  trailing spaces  ";

  const res = await client.publish({
    url: sink.url(path),
    body,
    method: "PUT",
    headers: {
      "Content-Type": "text/plain; charset=utf-8",
      "X-Custom-Header": "custom value",
      "Upstash-Forward-X-Explicit": "explicit",
    },
  });

  assert.match(res.messageId, /\S+/);
  assert.equal(res.url, sink.url(path));
  assert.ok(!res.deduplicated, "a first publish is not deduplicated");

  const [delivery] = await sink.waitForRequests(path, 1);
  assert.equal(delivery.method, "PUT");
  assert.equal(delivery.text, body);
  assert.equal(delivery.headers["content-type"], "text/plain; charset=utf-8");
  assert.equal(delivery.headers["x-custom-header"], "custom value");
  assert.equal(delivery.headers["x-explicit"], "explicit");
  assert.equal(delivery.headers["upstash-message-id"], res.messageId);
  assert.equal(delivery.headers["upstash-retried"], "0");
  assert.ok(delivery.headers["upstash-signature"], "every delivery is signed");
  assert.equal(delivery.headers["authorization"], undefined, "the QStash token is never forwarded");
  assert.equal(delivery.headers["upstash-method"], undefined, "publish control headers are not forwarded");
  assert.equal(delivery.headers["upstash-forward-x-custom-header"], undefined, "the forward prefix is stripped");
  assert.equal(delivery.headers["user-agent"], "Upstash-QStash");
  for (const name of Object.keys(delivery.headers)) {
    assert.ok(!name.startsWith("upstash-telemetry-"), `SDK telemetry header ${name} is not forwarded`);
  }
});

const decodeJwtPart = (part) => JSON.parse(Buffer.from(part, "base64url").toString("utf8"));

test("the signature is an HS256 JWT with the claims of spec 5.9", async () => {
  const path = sink.newPath("claims");
  const body = "claims body ✓";
  const before = Math.floor(Date.now() / 1000);
  await client.publish({ url: sink.url(path), body });
  const [delivery] = await sink.waitForRequests(path, 1);
  const after = Math.ceil(Date.now() / 1000);

  const [header, payload] = delivery.headers["upstash-signature"].split(".").slice(0, 2).map(decodeJwtPart);
  assert.deepEqual(header, { alg: "HS256", typ: "JWT" });
  assert.equal(payload.iss, "Upstash");
  assert.equal(payload.sub, sink.url(path));
  assert.ok(payload.iat >= before - 1 && payload.iat <= after + 1, "iat is the signing time in seconds");
  assert.equal(payload.exp, payload.iat + 300);
  assert.ok(payload.nbf === 0 || payload.nbf === payload.iat, "nbf is 0 (or iat)");
  assert.match(payload.jti, /^jwt_\S+/);
  assert.equal(payload.body, createHash("sha256").update(body, "utf8").digest("base64url") + "=");
});

test("publishJSON delivers the serialized JSON with Content-Type application/json", async () => {
  const path = sink.newPath("json");
  const payload = { hello: "world", n: 42, nested: { list: [1, "two", null, true] }, emoji: "🚀" };

  const res = await client.publishJSON({ url: sink.url(path), body: payload, headers: { "X-Trace": "abc" } });

  const [delivery] = await sink.waitForRequests(path, 1);
  assert.equal(delivery.method, "POST", "POST is the default method");
  assert.equal(delivery.text, JSON.stringify(payload));
  assert.deepEqual(JSON.parse(delivery.text), payload);
  assert.equal(delivery.headers["content-type"], "application/json");
  assert.equal(delivery.headers["x-trace"], "abc");
  assert.equal(delivery.headers["upstash-message-id"], res.messageId);
});

test("the Receiver verifies the signature of every delivery against the body and the url", async () => {
  const path = sink.newPath("signed");
  const bodies = ["first", JSON.stringify({ second: true }), ""];

  for (const body of bodies) {
    await client.publish({ url: sink.url(path), body });
  }
  const deliveries = await sink.waitForRequests(path, bodies.length);

  for (const delivery of deliveries) {
    const ok = await receiver.verify({
      signature: delivery.headers["upstash-signature"],
      body: delivery.text,
      url: sink.url(path),
    });
    assert.equal(ok, true, `signature of body ${JSON.stringify(delivery.text)} verifies`);
  }
  assert.deepEqual(deliveries.map((d) => d.text).sort(), [...bodies].sort());
});

test("the Receiver rejects a delivery whose body was tampered with", async () => {
  const path = sink.newPath("tampered");
  await client.publish({ url: sink.url(path), body: "the original body" });
  const [delivery] = await sink.waitForRequests(path, 1);

  await assert.rejects(
    receiver.verify({ signature: delivery.headers["upstash-signature"], body: "the original body!", url: sink.url(path) }),
    /body hash does not match/,
  );
  await assert.rejects(
    receiver.verify({ signature: delivery.headers["upstash-signature"], body: "the original body", url: sink.url("/elsewhere") }),
    /invalid subject/,
  );
  await assert.rejects(
    new Receiver({ currentSigningKey: "sig_wrongwrongwrongwrongwrongwron", nextSigningKey: "sig_alsowrongalsowrongalsowrong1" }).verify({
      signature: delivery.headers["upstash-signature"],
      body: "the original body",
    }),
  );
});

test("labels are accepted on publish and returned by messages.get", async () => {
  const path = sink.newPath("labelled");
  const res = await client.publish({ url: sink.url(path), body: "labelled", label: "compat-label", delay: "1h" });

  const message = await client.messages.get(res.messageId);
  assert.deepEqual(message.labels, ["compat-label"]);
  assert.equal(message.label, "compat-label");

  assert.deepEqual(await client.messages.cancel(res.messageId), { cancelled: 1 });
});

test("a timeout is accepted as a duration on publish", async () => {
  const path = sink.newPath("timeout");
  const res = await client.publish({ url: sink.url(path), body: "with timeout", timeout: "30s" });

  const [delivery] = await sink.waitForRequests(path, 1);
  assert.equal(delivery.headers["upstash-message-id"], res.messageId);
});

test("the query string of the destination URL reaches the destination", async () => {
  const path = sink.newPath("query");

  await client.publish({ url: `${sink.url(path)}?x=1&y=two%20words`, body: "q" });

  const [delivery] = await sink.waitForRequests(path, 1);
  assert.equal(delivery.url, `${path}?x=1&y=two%20words`);
  assert.equal(
    await receiver.verify({ signature: delivery.headers["upstash-signature"], body: "q", url: `${sink.url(path)}?x=1&y=two%20words` }),
    true,
  );
});

test("a binary body is delivered byte for byte and exposed as bodyBase64 while pending", async () => {
  const path = sink.newPath("binary");
  const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));

  const pending = await client.publish({
    url: sink.url(path),
    body: bytes,
    delay: "1h",
    headers: { "Content-Type": "application/octet-stream" },
  });
  const message = await client.messages.get(pending.messageId);
  assert.equal(message.bodyBase64, bytes.toString("base64"));
  assert.equal(message.body, undefined, "a body that is not UTF-8 has no body field");
  await client.messages.cancel(pending.messageId);

  await client.publish({ url: sink.url(path), body: bytes, headers: { "Content-Type": "application/octet-stream" } });
  const [delivery] = await sink.waitForRequests(path, 1);
  assert.ok(delivery.body.equals(bytes), "the delivered bytes are the published bytes");
  assert.equal(delivery.headers["content-type"], "application/octet-stream");
});
