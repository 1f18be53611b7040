// Signing keys. @upstash/qstash 2.12.0 has no public keys API (the only SDK code reading
// /v2/keys is the dev-mode probe, see dev-mode.test.mjs), so these calls go through the SDK's own
// HTTP client (`client.http.request`) — same base URL, auth header and error handling as every
// other SDK call.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { Client, Receiver } from "@upstash/qstash";
import { startHerald, startSink, DEV_TOKEN, DEV_CURRENT_SIGNING_KEY, DEV_NEXT_SIGNING_KEY } from "../lib/support.mjs";

const KEY_FORMAT = /^sig_[A-Za-z0-9]{28}$/;

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

const getKeys = () => client.http.request({ method: "GET", path: ["v2", "keys"] });
const rotateKeys = () => client.http.request({ method: "POST", path: ["v2", "keys", "rotate"] });

async function deliverOne(name) {
  const path = sink.newPath(name);
  await client.publish({ url: sink.url(path), body: `signed for ${name}` });
  const [delivery] = await sink.waitForRequests(path, 1);
  return { delivery, url: sink.url(path) };
}

const verify = (receiver, { delivery, url }) =>
  receiver.verify({ signature: delivery.headers["upstash-signature"], body: delivery.text, url });

// The tests below run in order and share one Herald: rotation changes its state for good.

test("GET /v2/keys returns the dev user's current and next signing keys", async () => {
  assert.deepEqual(await getKeys(), { current: DEV_CURRENT_SIGNING_KEY, next: DEV_NEXT_SIGNING_KEY });
});

test("rotating makes the old next key current and creates a new next key", async () => {
  const rotated = await rotateKeys();

  assert.equal(rotated.current, DEV_NEXT_SIGNING_KEY);
  assert.match(rotated.next, KEY_FORMAT);
  assert.notEqual(rotated.next, DEV_CURRENT_SIGNING_KEY);
  assert.notEqual(rotated.next, DEV_NEXT_SIGNING_KEY);
  assert.deepEqual(await getKeys(), rotated);
});

test("deliveries after rotation are signed with the new current key", async () => {
  const keys = await getKeys();
  const signed = await deliverOne("after-rotation");

  assert.equal(await verify(new Receiver({ currentSigningKey: keys.current, nextSigningKey: keys.next }), signed), true);
  // A receiver still configured with the pre-rotation pair verifies through its next key.
  assert.equal(
    await verify(new Receiver({ currentSigningKey: DEV_CURRENT_SIGNING_KEY, nextSigningKey: DEV_NEXT_SIGNING_KEY }), signed),
    true,
  );
  // The retired key alone no longer verifies.
  await assert.rejects(
    verify(new Receiver({ currentSigningKey: DEV_CURRENT_SIGNING_KEY, nextSigningKey: DEV_CURRENT_SIGNING_KEY }), signed),
  );
});

test("a second rotation moves the keys on again and deliveries follow", async () => {
  const before = await getKeys();
  const rotated = await rotateKeys();

  assert.equal(rotated.current, before.next);
  assert.match(rotated.next, KEY_FORMAT);
  assert.notEqual(rotated.next, before.next);

  const signed = await deliverOne("after-second-rotation");
  assert.equal(await verify(new Receiver({ currentSigningKey: rotated.current, nextSigningKey: rotated.next }), signed), true);
  await assert.rejects(
    verify(new Receiver({ currentSigningKey: DEV_CURRENT_SIGNING_KEY, nextSigningKey: DEV_NEXT_SIGNING_KEY }), signed),
  );
});
