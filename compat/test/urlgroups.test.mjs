// URL groups through the SDK (spec §7): add/remove endpoints, get and list with endpoint objects
// exactly {name?, url}, delete, and publishing that fans out to every endpoint.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { Client, QstashError, Receiver } from "@upstash/qstash";
import { startHerald, startSink, waitForRejection, DEV_TOKEN, DEV_CURRENT_SIGNING_KEY, DEV_NEXT_SIGNING_KEY } from "../lib/support.mjs";

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

const uniqueName = (name) => `${name}-${Math.random().toString(36).slice(2, 8)}`;

function assertNotFound(error) {
  assert.ok(error instanceof QstashError, `expected a QstashError, got ${error}`);
  assert.equal(error.status, 404);
}

const byUrl = (a, b) => a.url.localeCompare(b.url);

test("addEndpoints creates a group that get returns with endpoints exactly {name?, url}", async () => {
  const name = uniqueName("group");
  const first = sink.url(sink.newPath("ep"));
  const second = sink.url(sink.newPath("ep"));
  const before = Date.now();

  await client.urlGroups.addEndpoints({ name, endpoints: [{ name: "first", url: first }, { url: second }] });

  const group = await client.urlGroups.get(name);
  assert.equal(group.name, name);
  assert.deepEqual([...group.endpoints].sort(byUrl), [{ name: "first", url: first }, { url: second }].sort(byUrl));
  assert.equal(typeof group.createdAt, "number");
  assert.equal(typeof group.updatedAt, "number");
  assert.ok(group.createdAt >= before - 1000 && group.updatedAt >= group.createdAt);
  await client.urlGroups.delete(name);
});

test("adding an endpoint with a URL already in the group does not duplicate it", async () => {
  const name = uniqueName("upsert");
  const url = sink.url(sink.newPath("ep"));

  await client.urlGroups.addEndpoints({ name, endpoints: [{ url }] });
  await client.urlGroups.addEndpoints({ name, endpoints: [{ url }] });

  assert.deepEqual((await client.urlGroups.get(name)).endpoints, [{ url }]);
  await client.urlGroups.delete(name);
});

test("list returns every group", async () => {
  const a = uniqueName("list-a");
  const b = uniqueName("list-b");
  await client.urlGroups.addEndpoints({ name: a, endpoints: [{ url: sink.url("/a") }] });
  await client.urlGroups.addEndpoints({ name: b, endpoints: [{ url: sink.url("/b"), name: "bee" }] });

  const groups = await client.urlGroups.list();

  assert.ok(Array.isArray(groups));
  const listedB = groups.find((g) => g.name === b);
  assert.ok(groups.some((g) => g.name === a));
  assert.deepEqual(listedB.endpoints, [{ name: "bee", url: sink.url("/b") }]);
  await client.urlGroups.delete(a);
  await client.urlGroups.delete(b);
});

test("removeEndpoints removes by url and by name", async () => {
  const name = uniqueName("remove");
  const keep = sink.url("/keep");
  await client.urlGroups.addEndpoints({
    name,
    endpoints: [{ url: sink.url("/by-url") }, { name: "by-name", url: sink.url("/by-name") }, { url: keep }],
  });

  await client.urlGroups.removeEndpoints({ name, endpoints: [{ url: sink.url("/by-url") }, { name: "by-name" }] });

  assert.deepEqual((await client.urlGroups.get(name)).endpoints, [{ url: keep }]);
  await client.urlGroups.delete(name);
});

test("a deleted group is gone: get rejects with 404 and list no longer has it", async () => {
  const name = uniqueName("deleted");
  await client.urlGroups.addEndpoints({ name, endpoints: [{ url: sink.url("/x") }] });

  await client.urlGroups.delete(name);

  assertNotFound(await waitForRejection(() => client.urlGroups.get(name)));
  assert.ok(!(await client.urlGroups.list()).some((g) => g.name === name));
});

test("publishing to a group fans out to every endpoint with Upstash-Topic-Name and answers an array", async () => {
  const name = uniqueName("fanout");
  const paths = [sink.newPath("fan"), sink.newPath("fan"), sink.newPath("fan")];
  await client.urlGroups.addEndpoints({
    name,
    endpoints: [{ name: "one", url: sink.url(paths[0]) }, { url: sink.url(paths[1]) }, { url: sink.url(paths[2]) }],
  });

  const res = await client.publishJSON({ urlGroup: name, body: { fan: "out" }, headers: { "X-Fan": "yes" } });

  assert.ok(Array.isArray(res), `the response is an array: ${JSON.stringify(res)}`);
  assert.equal(res.length, 3);
  assert.deepEqual(res.map((r) => r.url).sort(), paths.map((p) => sink.url(p)).sort());
  assert.equal(new Set(res.map((r) => r.messageId)).size, 3, "one message per endpoint");
  for (const path of paths) {
    const [delivery] = await sink.waitForRequests(path, 1);
    const expected = res.find((r) => r.url === sink.url(path));
    assert.equal(delivery.headers["upstash-message-id"], expected.messageId);
    assert.equal(delivery.headers["upstash-topic-name"], name);
    assert.equal(delivery.headers["x-fan"], "yes");
    assert.equal(delivery.text, JSON.stringify({ fan: "out" }));
    assert.equal(await receiver.verify({ signature: delivery.headers["upstash-signature"], body: delivery.text, url: sink.url(path) }), true);
  }
  await client.urlGroups.delete(name);
});

test("a delayed group message records topicName and endpointName", async () => {
  const name = uniqueName("recorded");
  const url = sink.url(sink.newPath("named"));
  await client.urlGroups.addEndpoints({ name, endpoints: [{ name: "named-ep", url }] });

  const [res] = await client.publish({ urlGroup: name, body: "later", delay: "1h" });

  const message = await client.messages.get(res.messageId);
  assert.equal(message.url, url);
  assert.equal(message.urlGroup, name);
  assert.equal(message.topicName, name);
  assert.equal(message.endpointName, "named-ep");
  await client.messages.cancel(res.messageId);
  await client.urlGroups.delete(name);
});

test("publishing to an unknown group rejects", async () => {
  const error = await waitForRejection(() => client.publish({ urlGroup: uniqueName("missing"), body: "x" }));
  assertNotFound(error);
});
