// Schedules through the SDK (spec §6): create, the schedule object, list, pause/resume,
// overwrite by scheduleId, delete, cron validation, and one real firing of `* * * * *`.
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

const uniqueId = (name) => `${name}-${Math.random().toString(36).slice(2, 8)}`;

function assertRejectsWith(error, status) {
  assert.ok(error instanceof QstashError, `expected a QstashError, got ${error}`);
  assert.equal(error.status, status);
  assert.equal(typeof JSON.parse(error.message).error, "string", "the error body is {\"error\": \"...\"}");
}

test("create returns a scheduleId and get returns the schedule object of spec 6.2", async () => {
  const path = sink.newPath("schedule");
  const before = Date.now();

  const { scheduleId } = await client.schedules.create({
    destination: sink.url(path),
    cron: "*/10 * * * * ",
    body: '{"hello":"schedule"}',
    headers: { "Test-Header": "test-value", "Content-Type": "application/json" },
    retries: 2,
    delay: 10,
    method: "PUT",
    callback: sink.url("/schedule-callback"),
    failureCallback: sink.url("/schedule-failure"),
    retryDelay: "1000 * (1 + retried)",
    label: "nightly",
  });

  assert.equal(typeof scheduleId, "string");
  assert.ok(scheduleId.length > 0);
  const schedule = await client.schedules.get(scheduleId);
  assert.equal(schedule.scheduleId, scheduleId);
  assert.equal(schedule.cron, "*/10 * * * *", "the cron is stored trimmed");
  assert.equal(schedule.destination, sink.url(path));
  assert.equal(schedule.method, "PUT");
  assert.equal(schedule.body, '{"hello":"schedule"}');
  assert.deepEqual(
    schedule.header,
    { "Content-Type": ["application/json"], "Test-Header": ["test-value"] },
    "the header map holds only Content-Type and the forwarded headers",
  );
  assert.equal(schedule.retries, 2);
  assert.equal(schedule.delay, 10);
  assert.equal(schedule.callback, sink.url("/schedule-callback"));
  assert.equal(schedule.failureCallback, sink.url("/schedule-failure"));
  assert.equal(schedule.retryDelayExpression, "1000 * (1 + retried)");
  assert.deepEqual(schedule.labels, ["nightly"]);
  assert.equal(schedule.isPaused, false);
  assert.ok(schedule.createdAt >= before - 1000 && schedule.createdAt <= Date.now() + 1000, `createdAt ${schedule.createdAt}`);
  assert.equal(typeof schedule.nextScheduleTime, "number");
  assert.ok(schedule.nextScheduleTime > Date.now() - 1000, "the next run is not in the past");
  assert.equal(new Date(schedule.nextScheduleTime).getUTCMinutes() % 10, 0, "the next run is on a */10 minute");
  assert.equal(typeof schedule.callerIP, "string");
  assert.equal(schedule.callerIp, schedule.callerIP);

  await client.schedules.delete(scheduleId);
});

test("a schedule without body or extra headers has no body, default retries and POST", async () => {
  const { scheduleId } = await client.schedules.create({ destination: sink.url(sink.newPath("bare")), cron: "0 0 1 1 *" });

  const schedule = await client.schedules.get(scheduleId);
  assert.equal(schedule.body, undefined);
  assert.equal(schedule.method, "POST");
  assert.equal(schedule.retries, 3);
  assert.deepEqual(schedule.header, { "Content-Type": ["application/json"] }, "the SDK's default Content-Type only");
  await client.schedules.delete(scheduleId);
});

test("list returns the created schedules", async () => {
  const a = await client.schedules.create({ destination: sink.url(sink.newPath("list-a")), cron: "0 * * * *" });
  const b = await client.schedules.create({ destination: sink.url(sink.newPath("list-b")), cron: "30 * * * *" });

  const schedules = await client.schedules.list();

  assert.ok(Array.isArray(schedules));
  const ids = schedules.map((s) => s.scheduleId);
  assert.ok(ids.includes(a.scheduleId) && ids.includes(b.scheduleId), `list ${ids}`);
  const listedB = schedules.find((s) => s.scheduleId === b.scheduleId);
  assert.equal(listedB.cron, "30 * * * *");
  assert.equal(listedB.isPaused, false);
  await client.schedules.delete(a.scheduleId);
  await client.schedules.delete(b.scheduleId);
});

test("pause and resume flip isPaused and are idempotent", async () => {
  const { scheduleId } = await client.schedules.create({ destination: sink.url(sink.newPath("pause")), cron: "0 0 * * *" });

  await client.schedules.pause({ schedule: scheduleId });
  await client.schedules.pause({ schedule: scheduleId });
  assert.equal((await client.schedules.get(scheduleId)).isPaused, true);
  assert.equal((await client.schedules.list()).find((s) => s.scheduleId === scheduleId).isPaused, true);

  await client.schedules.resume({ schedule: scheduleId });
  await client.schedules.resume({ schedule: scheduleId });
  assert.equal((await client.schedules.get(scheduleId)).isPaused, false);
  await client.schedules.delete(scheduleId);
});

test("creating with an existing scheduleId overwrites it, keeps createdAt and drops a removed body", async () => {
  const scheduleId = uniqueId("overwrite");
  const firstPath = sink.newPath("overwrite-first");
  const secondPath = sink.newPath("overwrite-second");
  await client.schedules.create({
    scheduleId,
    destination: sink.url(firstPath),
    cron: "0 0 * * *",
    body: "first body",
    headers: { "X-First": "1" },
    retries: 5,
  });
  const first = await client.schedules.get(scheduleId);

  const again = await client.schedules.create({ scheduleId, destination: sink.url(secondPath), cron: "5 4 * * *" });

  assert.equal(again.scheduleId, scheduleId);
  const second = await client.schedules.get(scheduleId);
  assert.equal(second.createdAt, first.createdAt, "createdAt survives the overwrite");
  assert.equal(second.destination, sink.url(secondPath));
  assert.equal(second.cron, "5 4 * * *");
  assert.equal(second.body, undefined, "the body given before is gone");
  assert.equal(second.header?.["X-First"], undefined, "the headers given before are gone");
  assert.equal(second.retries, 3);
  assert.equal((await client.schedules.list()).filter((s) => s.scheduleId === scheduleId).length, 1);
  await client.schedules.delete(scheduleId);
});

test("a deleted schedule is gone: get rejects with 404 and list no longer has it", async () => {
  const { scheduleId } = await client.schedules.create({ destination: sink.url(sink.newPath("deleted")), cron: "0 0 * * *" });

  await client.schedules.delete(scheduleId);

  assertRejectsWith(await waitForRejection(() => client.schedules.get(scheduleId)), 404);
  assert.ok(!(await client.schedules.list()).some((s) => s.scheduleId === scheduleId));
});

test("an invalid cron rejects with 400", async () => {
  for (const cron of ["not a cron", "61 * * * *", "* * * *"]) {
    const error = await waitForRejection(() => client.schedules.create({ destination: sink.url("/never"), cron }));
    assertRejectsWith(error, 400);
  }
});

test("an every-minute schedule fires a signed delivery with Upstash-Schedule-Id", { timeout: 90_000 }, async () => {
  const path = sink.newPath("fires");
  const { scheduleId } = await client.schedules.create({
    destination: sink.url(path),
    cron: "* * * * *",
    body: "tick",
    headers: { "X-Tick": "yes" },
  });

  const [delivery] = await sink.waitForRequests(path, 1, 70_000);

  assert.equal(delivery.headers["upstash-schedule-id"], scheduleId);
  assert.equal(delivery.text, "tick");
  assert.equal(delivery.headers["x-tick"], "yes");
  assert.equal(delivery.headers["content-type"], "application/json");
  assert.equal(typeof delivery.headers["upstash-caller-ip"], "string");
  assert.equal(await receiver.verify({ signature: delivery.headers["upstash-signature"], body: delivery.text, url: sink.url(path) }), true);
  await client.schedules.delete(scheduleId);
  const schedule = await waitForRejection(() => client.schedules.get(scheduleId));
  assertRejectsWith(schedule, 404);
});
