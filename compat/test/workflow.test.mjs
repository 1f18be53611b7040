// Upstash Workflow (spec §13) end to end: the official, unmodified @upstash/workflow SDK (pinned to
// 1.3.3) serves workflows from a local app (lib/workflow-app.mjs) and drives Herald as its engine.
// Runs are started with the SDK's `Client.trigger` and inspected with `Client.logs`, `getWaiters`,
// `notify`, `cancel` and `dlq`; what the route functions did is observed through the events they
// record, so every assertion is about real behaviour. Every wait is bounded; "never runs" is proved
// with a sentinel run due after the one that must not continue, not with a sleep.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { Client as WorkflowClient } from "@upstash/workflow";
import { startHerald, startSink, waitFor, DEV_TOKEN } from "../lib/support.mjs";
import { startWorkflowApp } from "../lib/workflow-app.mjs";

const TEST_TIMEOUT_MS = 60_000;
const RUN_TIMEOUT_MS = 30_000; // generous: a healthy run here takes well under a second per step
const API_POLL_MS = 250; // polling the REST API (each failed call also makes the SDK log an error)

let herald;
let sink;
let app;
let client;

/** Route functions. Each records what its step bodies did with `app.record(context, type, data)`. */
const routes = {
  // Harness check: one step that echoes the payload.
  "/wf/echo": async (context, app) => {
    return await context.run("echo", () => {
      app.record(context, "echo", { payload: context.requestPayload, createdAt: context.workflowRunCreatedAt });
      return context.requestPayload;
    });
  },

  // Three sequential steps, each using the previous result and the request payload.
  "/wf/sequential": async (context, app) => {
    const input = context.requestPayload;
    const sum = await context.run("add", () => {
      app.record(context, "add", { input, createdAt: context.workflowRunCreatedAt });
      return input.a + input.b;
    });
    const product = await context.run("multiply", () => {
      app.record(context, "multiply", { sum });
      return sum * input.b;
    });
    const summary = await context.run("describe", () => {
      app.record(context, "describe", { product });
      return { total: product, label: `${input.name}:${product}` };
    });
    app.record(context, "returned", summary);
    return summary;
  },

  // sleep (seconds) and sleepUntil (unix seconds, computed inside a step so replays agree).
  "/wf/sleep": async (context, app) => {
    await context.run("before", () => app.record(context, "before", Date.now()));
    await context.sleep("nap", 1);
    const wakeAt = await context.run("middle", () => {
      const now = Date.now();
      app.record(context, "middle", now);
      return Math.ceil(now / 1000) + 1;
    });
    await context.sleepUntil("until", wakeAt);
    await context.run("after", () => app.record(context, "after", { now: Date.now(), wakeAt }));
    return "rested";
  },

  // Three parallel steps, then a step that sees all three results.
  "/wf/parallel": async (context, app) => {
    const { x } = context.requestPayload;
    const [a, b, c] = await Promise.all([
      context.run("a", () => {
        app.record(context, "a", x);
        return x + 1;
      }),
      context.run("b", () => {
        app.record(context, "b", x);
        return x * 2;
      }),
      context.run("c", async () => {
        app.record(context, "c", x);
        return { text: `c${x}` };
      }),
    ]);
    const combined = await context.run("combine", () => {
      app.record(context, "combine", [a, b, c]);
      return { a, b, c };
    });
    return combined;
  },

  // context.call to the local sink; the response is handed to a later step.
  "/wf/call": async (context, app) => {
    const { callUrl, order } = context.requestPayload;
    const response = await context.call("call-sink", {
      url: callUrl,
      method: "POST",
      body: JSON.stringify({ order }),
      headers: { "Content-Type": "application/json", "X-Workflow-Test": "call" },
    });
    await context.run("after-call", () => {
      app.record(context, "call-result", response);
      return response.status;
    });
    return { status: response.status, body: response.body };
  },

  // waitForEvent with the event id and timeout from the payload.
  "/wf/wait": async (context, app) => {
    const { eventId, timeout } = context.requestPayload;
    const result = await context.waitForEvent("wait", eventId, { timeout });
    await context.run("after-wait", () => {
      app.record(context, "wait-result", result);
      return result.timeout;
    });
    return result;
  },

  // context.notify from inside a workflow.
  "/wf/notifier": async (context, app) => {
    const { eventId, eventData } = context.requestPayload;
    const notified = await context.notify("notify", eventId, eventData);
    await context.run("after-notify", () => {
      app.record(context, "notify-result", notified);
      return notified.notifyResponse.length;
    });
  },

  // A step that throws (the first step when `failFirst`, else the second), and a failure function
  // that records what it was given.
  "/wf/failing": {
    route: async (context, app) => {
      if (!context.requestPayload.failFirst) {
        await context.run("fine", () => {
          app.record(context, "fine");
          return 1;
        });
      }
      await context.run("boom", () => {
        app.record(context, "boom-attempt");
        throw new Error(`boom: ${context.requestPayload.tag}`);
      });
      app.record(context, "unreachable");
    },
    failureFunction: async ({ context, failStatus, failResponse, failHeaders, failStack }, app) => {
      app.record(context, "failure-function", {
        workflowRunId: context.workflowRunId,
        url: context.url,
        payload: context.requestPayload,
        failStatus,
        failResponse,
        failHeaders,
        failStack,
      });
      return "failure handled";
    },
  },

  // A step, then a step that throws on its first execution for the payload's `tag` only (so the run
  // fails, and a resumed run or a restarted one with the same payload gets past it).
  "/wf/flaky": {
    route: async (context, app) => {
      const { tag } = context.requestPayload;
      const prepared = await context.run("prepare", () => {
        app.record(context, "prepare", { payload: context.requestPayload, createdAt: context.workflowRunCreatedAt });
        return `prepared:${tag}`;
      });
      const result = await context.run("flaky", () => {
        app.record(context, "flaky-attempt", { tag });
        if (app.firstTime(`flaky:${tag}`)) throw new Error(`flaky: ${tag}`);
        return `${prepared}:recovered`;
      });
      app.record(context, "returned", result);
      return result;
    },
    failureFunction: async ({ context, failStatus, failResponse }, app) => {
      app.record(context, "failure-function", { payload: context.requestPayload, failStatus, failResponse });
      return "failure handled";
    },
  },

  // Two parallel steps that both throw on their first call for the payload's `tag`, then a step joining them.
  "/wf/two-flaky": {
    route: async (context, app) => {
      const { tag } = context.requestPayload;
      const [a, b] = await Promise.all([
        context.run("f1", () => {
          app.record(context, "f1-attempt");
          if (app.firstTime(`f1:${tag}`)) throw new Error(`f1: ${tag}`);
          return 1;
        }),
        context.run("f2", () => {
          app.record(context, "f2-attempt");
          if (app.firstTime(`f2:${tag}`)) throw new Error(`f2: ${tag}`);
          return 2;
        }),
      ]);
      await context.run("join", () => app.record(context, "join", [a, b]));
      return a + b;
    },
    failureFunction: async ({ context, failResponse }, app) => {
      app.record(context, "failure-function", { failResponse });
      return "failure handled";
    },
  },

  // A step that always throws, and a failure function that throws on its first call for the
  // payload's `tag` (its failure callback fails) and succeeds when called again.
  "/wf/failure-flaky": {
    route: async (context, app) => {
      await context.run("doomed", () => {
        app.record(context, "doomed-attempt");
        throw new Error(`doomed: ${context.requestPayload.tag}`);
      });
    },
    failureFunction: async ({ context, failStatus, failResponse }, app) => {
      const first = app.firstTime(`failure:${context.requestPayload.tag}`);
      app.record(context, "failure-function", { payload: context.requestPayload, failStatus, failResponse, first });
      if (first) throw new Error("the failure function fails the first time");
      return "failure handled on the second call";
    },
  },

  // context.createWebhook, its URL recorded from a step, then waitForWebhook and a step that records
  // the request the webhook received.
  "/wf/webhook": async (context, app) => {
    const webhook = await context.createWebhook("hook");
    await context.run("record-hook", () => {
      app.record(context, "webhook", webhook);
      return webhook.eventId;
    });
    const { request, timeout } = await context.waitForWebhook("wait-hook", webhook, context.requestPayload.timeout);
    return await context.run("after-hook", async () => {
      const seen = request
        ? {
            timeout,
            method: request.method,
            url: request.url,
            body: await request.text(),
            testHeader: request.headers.get("x-herald-test"),
            contentType: request.headers.get("content-type"),
          }
        : { timeout };
      app.record(context, "hook-result", seen);
      return seen;
    });
  },

  // A step, a sleep of `sleep` seconds, then a step that must not run once the run is cancelled.
  "/wf/sleepy": async (context, app) => {
    await context.run("start", () => app.record(context, "start", Date.now()));
    await context.sleep("long-sleep", context.requestPayload.sleep);
    await context.run("after-sleep", () => app.record(context, "after-sleep", Date.now()));
  },

  // context.cancel() from inside the run.
  "/wf/self-cancel": async (context, app) => {
    await context.run("first", () => app.record(context, "first"));
    await context.cancel();
    await context.run("second", () => app.record(context, "second"));
  },

  // One step recording the payload: used to prove a duplicate run id makes no second run.
  "/wf/once": async (context, app) => {
    return await context.run("only", () => {
      app.record(context, "only", context.requestPayload);
      return context.requestPayload.n;
    });
  },

  // context.invoke: /wf/invoker invokes its sibling /wf/invoked (the SDK builds the invoked URL by
  // replacing the last path segment of the invoker's URL with the invoked workflow's id).
  "/wf/invoker": async (context, app) => {
    const response = await context.invoke("invoke-child", {
      workflow: app.workflow("/wf/invoked"),
      body: { value: context.requestPayload.value },
    });
    await context.run("after-invoke", () => {
      app.record(context, "invoke-result", response);
      return response.isFailed;
    });
    return response.body;
  },
  "/wf/invoked": async (context, app) => {
    const doubled = await context.run("double", () => {
      app.record(context, "double", context.requestPayload);
      return context.requestPayload.value * 2;
    });
    return { doubled, from: "invoked" };
  },
};

before(async () => {
  [herald, sink] = await Promise.all([startHerald(), startSink()]);
  app = await startWorkflowApp({ heraldBaseUrl: herald.baseUrl, routes });
  client = new WorkflowClient({ baseUrl: herald.baseUrl, token: DEV_TOKEN });
});

after(async () => {
  await app?.close();
  await sink?.close();
  await herald?.stop();
});

const unique = (name) => `${name}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;

/**
 * Starts a run with the SDK. `retries: 0` (applied by the server to every step of the run) keeps a
 * broken run from being retried with minutes of back-off, and makes any failed delivery visible.
 */
async function trigger(path, body, options = {}) {
  const { workflowRunId } = await client.trigger({ url: app.url(path), body, retries: 0, ...options });
  assert.match(workflowRunId, /^wfr_/);
  return workflowRunId;
}

/** Waits until the run recorded `count` events of `type`; the failure message says what the SDK answered. */
async function waitForEvents(runId, type, count = 1, path, timeoutMs = RUN_TIMEOUT_MS) {
  await waitFor(() => app.eventsFor(runId, type).length >= count, timeoutMs, {
    what: () =>
      `${count} '${type}' event(s) of run ${runId} (got ${app.eventsFor(runId, type).length}); ` +
      `last exchanges with the workflow app:\n    ${app.describe(path)}`,
  });
  return app.eventsFor(runId, type);
}

/** The run's entry in `client.logs`, once it is in `state` (polled, bounded). */
async function waitForRunState(runId, state, timeoutMs = RUN_TIMEOUT_MS) {
  let last;
  return await waitFor(
    async () => {
      const { runs } = await client.logs({ workflowRunId: runId });
      last = runs;
      const run = runs.find((r) => r.workflowRunId === runId);
      return run?.workflowState === state ? run : undefined;
    },
    timeoutMs,
    {
      intervalMs: API_POLL_MS,
      what: () => `run ${runId} to be ${state} in client.logs (last: ${JSON.stringify(last?.map((r) => r.workflowState))})`,
    },
  );
}

/**
 * Every request the app received for the run was signed by Herald and answered 200 by the SDK. The run
 * can show as ended before the app recorded its answer to the last delivery (the SDK ends the run from
 * inside that request), so wait for every answer first.
 */
async function assertCleanRun(runId) {
  const ofRun = () => app.requests.filter((r) => r.headers["upstash-workflow-runid"] === runId);
  await waitFor(() => ofRun().every((r) => r.status !== undefined), RUN_TIMEOUT_MS, {
    what: () => `the app's answers to every request of ${runId}; app: ${app.describe()}`,
  });
  const exchanges = ofRun();
  assert.ok(exchanges.length > 0, `the app received requests for ${runId}`);
  for (const exchange of exchanges) {
    assert.equal(exchange.signatureValid, true, `signed delivery: ${exchange.signatureError ?? ""}`);
    assert.equal(exchange.status, 200, `the SDK answered 200, got ${exchange.status} ${exchange.responseText}`);
    assert.equal(exchange.headers["upstash-workflow-failure-callback"], undefined, "no failure callback");
  }
}

/** The value of `name` in a header map, whatever the key's case. */
function headerValue(map, name) {
  const key = Object.keys(map ?? {}).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : map[key];
}

/** The run's workflow DLQ entry (`client.dlq.list` filtered by run id), once there is one (polled, bounded). */
async function waitForDlqEntry(runId) {
  const { messages } = await waitFor(
    async () => {
      const page = await client.dlq.list({ filter: { workflowRunId: runId } });
      return page.messages?.length > 0 ? page : undefined;
    },
    RUN_TIMEOUT_MS,
    { intervalMs: API_POLL_MS, what: `a workflow DLQ entry for ${runId}` },
  );
  assert.equal(messages.length, 1, `one DLQ entry for ${runId}: ${JSON.stringify(messages)}`);
  return messages[0];
}

/** The run's workflow DLQ entries right now. */
async function dlqEntriesOf(runId) {
  const { messages } = await client.dlq.list({ filter: { workflowRunId: runId } });
  return messages ?? [];
}

/**
 * Triggers /wf/flaky and waits until its 'flaky' step failed, the failure function ran, the run is
 * RUN_FAILED and its DLQ entry is there. Resolves to `{ runId, tag, createdAt, entry }`.
 */
async function deadLetteredFlakyRun() {
  const tag = unique("flaky");
  const runId = await trigger("/wf/flaky", { tag });
  const [failure] = await waitForEvents(runId, "failure-function", 1, "/wf/flaky");
  assert.equal(failure.data.failResponse, `flaky: ${tag}`);
  assert.deepEqual(failure.data.payload, { tag });
  assert.equal(app.eventsFor(runId, "flaky-attempt").length, 1, "retries: 0 — the failing step is attempted once");
  const run = await waitForRunState(runId, "RUN_FAILED");
  const entry = await waitForDlqEntry(runId);
  return { runId, tag, createdAt: run.workflowRunCreatedAt, entry };
}

const stepNames = (run) => (run.steps ?? []).flatMap((group) => group.steps ?? []).map((step) => step.stepName);

test("harness: a trigger reaches the workflow app as a signed delivery carrying the run id", { timeout: TEST_TIMEOUT_MS }, async () => {
  const before = Date.now();
  const runId = await trigger("/wf/echo", { hello: "workflow" });

  const first = await waitFor(() => app.requestsTo("/wf/echo").find((r) => r.status !== undefined), RUN_TIMEOUT_MS, {
    what: "a first delivery to /wf/echo",
  });
  assert.equal(first.signatureValid, true, `Receiver.verify accepts the delivery ${first.signatureError ?? ""}`);
  assert.equal(first.headers["upstash-workflow-runid"], runId, "Upstash-Workflow-RunId is the triggered run id");
  assert.equal(first.headers["upstash-workflow-sdk-version"], "1", "the forwarded protocol version header");

  const [echo] = await waitForEvents(runId, "echo", 1, "/wf/echo");
  assert.deepEqual(echo.data.payload, { hello: "workflow" });
  assert.equal(typeof echo.data.createdAt, "number", "context.workflowRunCreatedAt (Upstash-Workflow-CreatedAt)");
  assert.ok(
    echo.data.createdAt >= before - 5_000 && echo.data.createdAt <= Date.now(),
    `workflowRunCreatedAt ${echo.data.createdAt} is the run's creation time in ms`,
  );
  const run = await waitForRunState(runId, "RUN_SUCCESS");
  assert.deepEqual(JSON.parse(run.workflowRunResponse), { hello: "workflow" });
  await assertCleanRun(runId);
});

test("three sequential context.run steps each run once, chain their results and finish the run", { timeout: TEST_TIMEOUT_MS }, async () => {
  const runId = await trigger("/wf/sequential", { a: 2, b: 3, name: "seq" }, { workflowRunId: unique("seq") });

  await waitForEvents(runId, "returned", 1, "/wf/sequential");
  const [add] = app.eventsFor(runId, "add");
  assert.deepEqual(add.data.input, { a: 2, b: 3, name: "seq" }, "the step sees the trigger body");
  assert.deepEqual(app.eventsFor(runId, "multiply").map((e) => e.data), [{ sum: 5 }]);
  assert.deepEqual(app.eventsFor(runId, "describe").map((e) => e.data), [{ product: 15 }]);
  assert.equal(app.eventsFor(runId, "add").length, 1, "each step body runs exactly once");
  assert.deepEqual(app.eventsFor(runId, "returned")[0].data, { total: 15, label: "seq:15" });

  const run = await waitForRunState(runId, "RUN_SUCCESS");
  assert.equal(run.workflowUrl, app.url("/wf/sequential"));
  assert.equal(typeof run.workflowRunCreatedAt, "number");
  assert.deepEqual(JSON.parse(run.workflowRunResponse), { total: 15, label: "seq:15" }, "workflowRunResponse is the returned value as JSON");
  for (const name of ["add", "multiply", "describe"]) {
    assert.ok(stepNames(run).includes(name), `step '${name}' is in the run's logs (${JSON.stringify(stepNames(run))})`);
  }
  await assertCleanRun(runId);
});

test("context.sleep and context.sleepUntil delay the next step", { timeout: TEST_TIMEOUT_MS }, async () => {
  const runId = await trigger("/wf/sleep", {});

  const [after] = await waitForEvents(runId, "after", 1, "/wf/sleep");
  const [beforeSleep] = app.eventsFor(runId, "before");
  const [middle] = app.eventsFor(runId, "middle");
  assert.ok(beforeSleep && middle, "all three steps ran");
  assert.ok(middle.data - beforeSleep.data >= 900, `sleep 1 s: the next step ran ${middle.data - beforeSleep.data} ms later`);
  assert.ok(
    after.data.now >= after.data.wakeAt * 1000 - 100,
    `sleepUntil: the next step ran at ${after.data.now}, not before ${after.data.wakeAt * 1000}`,
  );
  for (const type of ["before", "middle", "after"]) assert.equal(app.eventsFor(runId, type).length, 1, `'${type}' ran once`);

  const run = await waitForRunState(runId, "RUN_SUCCESS");
  assert.equal(JSON.parse(run.workflowRunResponse), "rested");
  await assertCleanRun(runId);
});

test("parallel context.run steps all run once and a final step sees every result", { timeout: TEST_TIMEOUT_MS }, async () => {
  const runId = await trigger("/wf/parallel", { x: 7 });

  const [combine] = await waitForEvents(runId, "combine", 1, "/wf/parallel");
  assert.deepEqual(combine.data, [8, 14, { text: "c7" }]);
  // The SDK runs a parallel step's body only when the server delivers that step's plan message
  // ("partial" state), and the combining step only on the delivery that sees every result
  // ("last" state): with each message delivered once, every body runs exactly once.
  for (const type of ["a", "b", "c", "combine"]) {
    assert.equal(app.eventsFor(runId, type).length, 1, `'${type}' ran exactly once`);
  }

  const run = await waitForRunState(runId, "RUN_SUCCESS");
  assert.deepEqual(JSON.parse(run.workflowRunResponse), { a: 8, b: 14, c: { text: "c7" } });
  await assertCleanRun(runId);
});

test("context.call reaches the destination and hands its response back to the workflow", { timeout: TEST_TIMEOUT_MS }, async () => {
  const path = sink.newPath("call-target");
  const runId = await trigger("/wf/call", { callUrl: sink.url(path), order: 42 });

  const [call] = await sink.waitForRequests(path, 1, RUN_TIMEOUT_MS);
  assert.equal(call.method, "POST");
  assert.deepEqual(JSON.parse(call.text), { order: 42 }, "the destination receives the call body");
  assert.equal(call.headers["x-workflow-test"], "call", "call headers are forwarded");
  assert.match(call.headers["content-type"] ?? "", /^application\/json/);

  const [result] = await waitForEvents(runId, "call-result", 1, "/wf/call");
  assert.equal(result.data.status, 200);
  assert.equal(result.data.body, "ok", "the destination's response body");
  assert.deepEqual(headerValue(result.data.header, "Content-Type"), ["text/plain"], "response headers as name -> [values]");

  const run = await waitForRunState(runId, "RUN_SUCCESS");
  assert.deepEqual(JSON.parse(run.workflowRunResponse), { status: 200, body: "ok" });
  assert.equal(sink.requestsTo(path).length, 1, "the destination is called once");
  await assertCleanRun(runId);
});

test("waitForEvent is woken by client.notify with the event data", { timeout: TEST_TIMEOUT_MS }, async () => {
  const eventId = unique("evt");
  const runId = await trigger("/wf/wait", { eventId, timeout: "30s" });

  const waiters = await waitFor(
    async () => {
      const list = await client.getWaiters({ eventId });
      return list.length > 0 ? list : undefined;
    },
    RUN_TIMEOUT_MS,
    { intervalMs: API_POLL_MS, what: () => `a waiter for ${eventId}; app: ${app.describe("/wf/wait")}` },
  );
  assert.equal(waiters.length, 1);
  assert.equal(waiters[0].url, app.url("/wf/wait"), "the waiter's URL is the workflow URL");
  const nowSeconds = Date.now() / 1000;
  assert.ok(
    waiters[0].deadline > nowSeconds && waiters[0].deadline <= nowSeconds + 31,
    `deadline ${waiters[0].deadline} is ~30 s from now, in unix seconds`,
  );

  const notified = await client.notify({ eventId, eventData: { approved: true, by: "test" } });
  assert.ok(Array.isArray(notified), "notify answers one entry per notified waiter");
  assert.equal(notified.length, 1);
  assert.equal(typeof notified[0].messageId, "string");
  assert.equal(notified[0].waiter.url, app.url("/wf/wait"));

  const [result] = await waitForEvents(runId, "wait-result", 1, "/wf/wait");
  assert.deepEqual(result.data, { eventData: { approved: true, by: "test" }, timeout: false });
  assert.deepEqual(await client.getWaiters({ eventId }), [], "the waiter is gone once notified");
  await waitForRunState(runId, "RUN_SUCCESS");
  await assertCleanRun(runId);
});

test("waitForEvent without a notify times out with { timeout: true }", { timeout: TEST_TIMEOUT_MS }, async () => {
  const eventId = unique("evt-timeout");
  const started = Date.now();
  const runId = await trigger("/wf/wait", { eventId, timeout: "1s" });

  const [result] = await waitForEvents(runId, "wait-result", 1, "/wf/wait");
  assert.equal(result.data.timeout, true);
  assert.equal(result.data.eventData, undefined);
  assert.ok(result.at - started >= 900, `the timeout fired after ${result.at - started} ms, not before 1 s`);
  assert.deepEqual(await client.getWaiters({ eventId }), [], "no waiter is left after the timeout");
  await waitForRunState(runId, "RUN_SUCCESS");
  await assertCleanRun(runId);
});

/**
 * Triggers /wf/failing with `retries: 0` and checks the failure function, the run's state and the
 * workflow DLQ. `failFirst`: the step that throws runs on the trigger's own delivery (whose message
 * carries `Upstash-Retries: 0` and the failure callback headers itself); otherwise it runs on a
 * later step message, which the SDK publishes WITHOUT retries or failure callback headers — the
 * server has to apply the run's trigger configuration to it (feature `WF_TriggerOnConfig`).
 */
async function checkFailingRun(failFirst) {
  const tag = unique("tag");
  const runId = await trigger("/wf/failing", { tag, failFirst }, { retries: 0 });
  const mine = () => app.eventsAt("/wf/failing", "failure-function").filter((e) => e.data.payload?.tag === tag || e.runId === runId);

  await waitFor(() => mine().length > 0, RUN_TIMEOUT_MS, {
    what: () =>
      `the failure function for ${runId} (the failing step ran ${app.eventsFor(runId, "boom-attempt").length} time(s)); ` +
      `app: ${app.describe("/wf/failing")}`,
  });
  const failure = mine()[0].data;
  assert.equal(failure.workflowRunId, runId, "the failure context carries the run id");
  assert.equal(failure.url, app.url("/wf/failing"));
  assert.deepEqual(failure.payload, { tag, failFirst }, "the failure context's requestPayload is the trigger body");
  assert.equal(failure.failStatus, 500, "the SDK answered the failing step with 500");
  assert.equal(failure.failResponse, `boom: ${tag}`, "the thrown error's message");
  assert.equal(app.eventsFor(runId, "fine").length, failFirst ? 0 : 1);
  assert.equal(app.eventsFor(runId, "boom-attempt").length, 1, "retries: 0 — the failing step is attempted once");
  assert.equal(app.eventsFor(runId, "unreachable").length, 0);

  await waitForRunState(runId, "RUN_FAILED");
  const entry = await waitForDlqEntry(runId); // exactly one entry
  assert.equal(entry.workflowRunId, runId);
  assert.equal(entry.responseStatus, 500);
  assert.equal(mine().length, 1, "the failure function ran once");
}

test("a failing first step with retries: 0 calls the failure function once and fails the run", { timeout: TEST_TIMEOUT_MS }, async () => {
  await checkFailingRun(true);
});

test("the trigger's retries and failure function apply to later steps too", { timeout: TEST_TIMEOUT_MS }, async () => {
  await checkFailingRun(false);
});

test("client.cancel stops a sleeping run: the step after the sleep never runs", { timeout: TEST_TIMEOUT_MS }, async () => {
  // The sleep is short on purpose: "never runs" is only proved by a sentinel that runs after the
  // moment the cancelled step would have run, so the cancelled run must wake up before the sentinel.
  const runId = await trigger("/wf/sleepy", { sleep: 3 });
  await waitForEvents(runId, "start", 1, "/wf/sleepy");
  // The sleep is submitted on the delivery after 'start' (the one carrying its result); wait until
  // the SDK answered it so the run is really asleep, then cancel well within the 3 s.
  await waitFor(() => app.requests.filter((r) => r.headers["upstash-workflow-runid"] === runId && r.status === 200).length >= 2, RUN_TIMEOUT_MS, {
    what: () => `the sleep of ${runId} to be submitted; app: ${app.describe("/wf/sleepy")}`,
  });

  const cancelled = await client.cancel({ ids: runId });
  assert.deepEqual(cancelled, { cancelled: 1 });

  // Sentinel: a run started now whose sleep ends after the cancelled one would have woken up.
  const sentinelId = await trigger("/wf/sleepy", { sleep: 5 });
  await waitForEvents(sentinelId, "after-sleep", 1, "/wf/sleepy", 45_000);
  assert.equal(app.eventsFor(runId, "after-sleep").length, 0, "the cancelled run never wakes up");

  await waitForRunState(runId, "RUN_CANCELED");
  await waitForRunState(sentinelId, "RUN_SUCCESS");
});

test("client.cancel with a filter cancels the matching runs only (several labels, URL prefix, host)", { timeout: TEST_TIMEOUT_MS }, async () => {
  const tag = unique("lbl");
  const a = await trigger("/wf/sleepy", { sleep: 30 }, { label: `${tag}-a` });
  const b = await trigger("/wf/sleepy", { sleep: 30 }, { label: `${tag}-b` });
  const c = await trigger("/wf/sleepy", { sleep: 30 }, { label: `${tag}-c` });
  const host = new URL(app.url("/")).hostname;

  const cancelled = await client.cancel({
    filter: { label: [`${tag}-a`, `${tag}-b`, `${tag}-none`], workflowUrlStartingWith: app.url("/wf/"), host },
  });
  assert.deepEqual(cancelled, { cancelled: 2 });
  await waitForRunState(a, "RUN_CANCELED");
  await waitForRunState(b, "RUN_CANCELED");
  assert.deepEqual(await client.cancel({ ids: c }), { cancelled: 1 }, "the third one was still running");
});

test("context.cancel() ends the run as RUN_CANCELED", { timeout: TEST_TIMEOUT_MS }, async () => {
  const runId = await trigger("/wf/self-cancel", {});

  await waitForEvents(runId, "first", 1, "/wf/self-cancel");
  await waitForRunState(runId, "RUN_CANCELED");
  assert.equal(app.eventsFor(runId, "second").length, 0, "nothing runs after context.cancel()");
  await assertCleanRun(runId);
});

test("triggering the same workflowRunId twice makes one run", { timeout: TEST_TIMEOUT_MS }, async () => {
  const id = unique("dup");
  const first = await client.trigger({ url: app.url("/wf/once"), body: { n: 1 }, workflowRunId: id, retries: 0 });
  // The SDK's trigger does not throw on a duplicate: the server answers the batch item with
  // `deduplicated: true` and the SDK only logs "already exists" through its middleware.
  const second = await client.trigger({ url: app.url("/wf/once"), body: { n: 2 }, workflowRunId: id, retries: 0 });
  assert.equal(first.workflowRunId, `wfr_${id}`, "the SDK prefixes custom run ids with wfr_");
  assert.equal(second.workflowRunId, first.workflowRunId);
  const runId = first.workflowRunId;

  const run = await waitForRunState(runId, "RUN_SUCCESS");
  assert.equal(JSON.parse(run.workflowRunResponse), 1, "the run is the first trigger's");
  // Sentinel: a fresh run on the same route, started after the duplicate, finishes first.
  const sentinelId = await trigger("/wf/once", { n: 3 });
  await waitForRunState(sentinelId, "RUN_SUCCESS");

  assert.deepEqual(app.eventsFor(runId, "only").map((e) => e.data), [{ n: 1 }], "one run, with the first body");
  const { runs } = await client.logs({ workflowRunId: runId });
  assert.equal(runs.filter((r) => r.workflowRunId === runId).length, 1, "the logs show one run with that id");
  await assertCleanRun(runId);
});

test("context.invoke runs another workflow and returns { body, isFailed, isCanceled }", { timeout: TEST_TIMEOUT_MS }, async () => {
  const runId = await trigger("/wf/invoker", { value: 21 });

  const [result] = await waitForEvents(runId, "invoke-result", 1, "/wf/invoker");
  assert.deepEqual(result.data, { body: { doubled: 42, from: "invoked" }, isFailed: false, isCanceled: false });
  const children = app.eventsAt("/wf/invoked", "double").filter((e) => e.data?.value === 21);
  assert.equal(children.length, 1, "the invoked workflow's step ran once");
  assert.notEqual(children[0].runId, runId, "the invoked workflow is a run of its own");
  assert.deepEqual(children[0].data, { value: 21 }, "the invoked run's payload is the invoke body");

  const run = await waitForRunState(runId, "RUN_SUCCESS");
  assert.deepEqual(JSON.parse(run.workflowRunResponse), { doubled: 42, from: "invoked" });
  const child = await waitForRunState(children[0].runId, "RUN_SUCCESS");
  assert.deepEqual(JSON.parse(child.workflowRunResponse), { doubled: 42, from: "invoked" });
  await assertCleanRun(runId);
  await assertCleanRun(children[0].runId);
});

test("context.notify from one workflow wakes another one's waitForEvent", { timeout: TEST_TIMEOUT_MS }, async () => {
  const eventId = unique("evt-wf");
  const waiterId = await trigger("/wf/wait", { eventId, timeout: "30s" });
  await waitFor(async () => (await client.getWaiters({ eventId })).length > 0, RUN_TIMEOUT_MS, {
    intervalMs: API_POLL_MS,
    what: () => `a waiter for ${eventId}; app: ${app.describe("/wf/wait")}`,
  });

  const notifierId = await trigger("/wf/notifier", { eventId, eventData: "from a workflow" });

  const [notified] = await waitForEvents(notifierId, "notify-result", 1, "/wf/notifier");
  assert.equal(notified.data.eventId, eventId);
  assert.equal(notified.data.eventData, "from a workflow");
  assert.equal(notified.data.notifyResponse.length, 1, "one waiter notified");
  const [result] = await waitForEvents(waiterId, "wait-result", 1, "/wf/wait");
  assert.deepEqual(result.data, { eventData: "from a workflow", timeout: false });
  await waitForRunState(waiterId, "RUN_SUCCESS");
  await waitForRunState(notifierId, "RUN_SUCCESS");
});

test("a context.call answered with an error status still returns that response to the workflow", { timeout: TEST_TIMEOUT_MS }, async () => {
  const path = sink.newPath("call-fails");
  sink.respondWith(path, 500);
  const runId = await trigger("/wf/call", { callUrl: sink.url(path), order: 7 });

  const [result] = await waitForEvents(runId, "call-result", 1, "/wf/call");
  assert.equal(result.data.status, 500, "context.call (retries 0 by default) gives the failing status back");
  assert.equal(result.data.body, "sink says no");
  assert.equal(sink.requestsTo(path).length, 1, "a call with retries 0 is attempted once");
  await waitForRunState(runId, "RUN_SUCCESS");
});

test("client.dlq: a failed run's entry, and resume runs the failed step again in the same run", { timeout: TEST_TIMEOUT_MS }, async () => {
  const { runId, tag, createdAt, entry } = await deadLetteredFlakyRun();
  const [prepare] = app.eventsFor(runId, "prepare");
  assert.equal(typeof createdAt, "number");
  assert.equal(prepare.data.createdAt, createdAt, "the run's createdAt in client.logs is context.workflowRunCreatedAt");
  assert.equal(entry.workflowRunId, runId);
  assert.equal(entry.workflowUrl, app.url("/wf/flaky"));
  assert.equal(entry.workflowCreatedAt, createdAt, "workflowCreatedAt is the run's creation time (unix ms)");
  assert.equal(entry.responseStatus, 500);
  assert.equal(typeof entry.dlqId, "string");

  const resumed = await client.dlq.resume({ dlqId: entry.dlqId });
  assert.deepEqual(resumed, { workflowRunId: runId, workflowCreatedAt: createdAt }, "resume continues the same run");

  const run = await waitForRunState(runId, "RUN_SUCCESS");
  assert.equal(JSON.parse(run.workflowRunResponse), `prepared:${tag}:recovered`);
  assert.equal(app.eventsFor(runId, "flaky-attempt").length, 2, "the failed step ran again");
  assert.equal(app.eventsFor(runId, "prepare").length, 1, "the step before it keeps its result and does not run again");
  assert.equal(app.eventsFor(runId, "failure-function").length, 1, "no second failure function call");
  assert.deepEqual(await dlqEntriesOf(runId), [], "the entry is gone from the DLQ once resumed");
});

test("two parallel steps failing: one failure function call, and resuming the run brings both steps back", { timeout: TEST_TIMEOUT_MS }, async () => {
  const tag = unique("two-flaky");
  const runId = await trigger("/wf/two-flaky", { tag });
  await waitForEvents(runId, "f1-attempt", 1, "/wf/two-flaky");
  await waitForEvents(runId, "f2-attempt", 1, "/wf/two-flaky");
  const failed = await waitForRunState(runId, "RUN_FAILED");
  await waitForEvents(runId, "failure-function", 1, "/wf/two-flaky");
  await waitFor(async () => (await dlqEntriesOf(runId)).length === 2, RUN_TIMEOUT_MS,
    { intervalMs: API_POLL_MS, what: `both failed steps of ${runId} in the DLQ` });

  const resumed = await client.dlq.resume({ dlqId: failed.dlqId });
  assert.equal(resumed.workflowRunId, runId, "resume continues the same run");

  const run = await waitForRunState(runId, "RUN_SUCCESS");
  assert.equal(JSON.parse(run.workflowRunResponse), 3);
  assert.deepEqual(app.eventsFor(runId, "join").map((e) => e.data), [[1, 2]], "the join ran once, with both results");
  assert.equal(app.eventsFor(runId, "failure-function").length, 1, "the failure function ran once for the run");
  assert.deepEqual(await dlqEntriesOf(runId), [], "resuming the run took its other failed step out of the DLQ too");
});

test("client.dlq.restart starts a new run with the same payload; the old run stays failed", { timeout: TEST_TIMEOUT_MS }, async () => {
  const { runId, tag, createdAt, entry } = await deadLetteredFlakyRun();
  const before = Date.now();

  const restarted = await client.dlq.restart({ dlqId: entry.dlqId });
  assert.match(restarted.workflowRunId, /^wfr_/);
  assert.notEqual(restarted.workflowRunId, runId, "restart makes a new run id");
  const newId = restarted.workflowRunId;

  const run = await waitForRunState(newId, "RUN_SUCCESS");
  assert.equal(JSON.parse(run.workflowRunResponse), `prepared:${tag}:recovered`);
  assert.equal(run.workflowUrl, app.url("/wf/flaky"));
  assert.equal(restarted.workflowCreatedAt, run.workflowRunCreatedAt, "workflowCreatedAt is the new run's (unix ms)");
  assert.ok(run.workflowRunCreatedAt >= before - 1_000 && run.workflowRunCreatedAt !== createdAt, "the new run is created by the restart");
  const prepares = app.eventsFor(newId, "prepare");
  assert.equal(prepares.length, 1, "the new run starts from the first step");
  assert.deepEqual(prepares[0].data.payload, { tag }, "the new run receives the same initial payload");
  assert.equal(app.eventsFor(newId, "flaky-attempt").length, 1);
  await assertCleanRun(newId);

  // The new run finishing is the sentinel: the old run did not move meanwhile.
  await waitForRunState(runId, "RUN_FAILED");
  assert.equal(app.eventsFor(runId, "flaky-attempt").length, 1, "the old run's failed step never ran again");
  assert.equal(app.eventsFor(runId, "prepare").length, 1);
});

/**
 * Triggers /wf/failure-flaky (its step always throws, its failure function throws the first time)
 * and waits until the failed failure call shows in the workflow DLQ: as `failureCallbackInfo.state`
 * CALLBACK_FAIL on the run's entry (Upstash's documented shape), or as a DLQ entry of its own (what
 * Herald does today, see the failureCallbackInfo test below). Resolves to `{ runId, tag, createdAt, messages }`.
 */
async function runWithFailedFailureFunction() {
  const tag = unique("failure");
  const runId = await trigger("/wf/failure-flaky", { tag });
  const [first] = await waitForEvents(runId, "failure-function", 1, "/wf/failure-flaky");
  assert.equal(first.data.first, true);
  assert.equal(first.data.failStatus, 500);
  assert.equal(first.data.failResponse, `doomed: ${tag}`);
  const run = await waitForRunState(runId, "RUN_FAILED");
  let messages = [];
  await waitFor(
    async () => {
      messages = await dlqEntriesOf(runId);
      return messages.length > 1 || messages.some((m) => m.failureCallbackInfo?.state === "CALLBACK_FAIL");
    },
    RUN_TIMEOUT_MS,
    { intervalMs: API_POLL_MS, what: () => `the failed failure call of ${runId} in the DLQ (entries: ${describeEntries(messages)})` },
  );
  return { runId, tag, createdAt: run.workflowRunCreatedAt, messages };
}

/** A short account of DLQ entries for failure messages. */
function describeEntries(messages) {
  return JSON.stringify(
    messages.map((m) => ({
      dlqId: m.dlqId,
      responseStatus: m.responseStatus,
      responseBody: m.responseBody?.slice(0, 80),
      failureCallback: m.failureCallback,
      failureCallbackInfo: m.failureCallbackInfo,
      requestHeaders: Object.keys(m.header ?? {}),
    })),
  );
}

test("client.dlq.retryFailureFunction calls a failed failure function again and returns the run", { timeout: TEST_TIMEOUT_MS }, async () => {
  const { runId, tag, createdAt, messages } = await runWithFailedFailureFunction();
  // The run's entry: the one whose last response is the failed step's (Upstash has no other).
  const entry = messages.find((m) => m.responseBody?.includes(`doomed: ${tag}`));
  assert.ok(entry, `the failed step's DLQ entry: ${describeEntries(messages)}`);
  assert.equal(entry.workflowRunId, runId);

  const retried = await client.dlq.retryFailureFunction({ dlqId: entry.dlqId });
  assert.deepEqual(retried, { workflowRunId: runId, workflowCreatedAt: createdAt });

  const calls = await waitForEvents(runId, "failure-function", 2, "/wf/failure-flaky");
  assert.equal(calls[1].data.first, false);
  assert.deepEqual(calls[1].data.payload, { tag }, "the failure context's requestPayload is the trigger body again");
  assert.equal(calls[1].data.failStatus, 500);
  assert.equal(calls[1].data.failResponse, `doomed: ${tag}`, "the failed step's error again");
  assert.equal(app.eventsFor(runId, "doomed-attempt").length, 1, "the failed step itself does not run again");
  await waitForRunState(runId, "RUN_FAILED");
});

test("a failure function that fails is recorded on the run's one DLQ entry (failureCallbackInfo CALLBACK_FAIL)", { timeout: TEST_TIMEOUT_MS }, async () => {
  // Upstash: "The state of the failure callback for each workflow run is included in the DLQ message
  // response as failureCallbackInfo.state", and retryFailureFunction takes "the DLQ id of the failed
  // workflow run": one entry per failed run, not one more for its failure call.
  const { runId, messages } = await runWithFailedFailureFunction();
  assert.equal(messages.length, 1, `one workflow DLQ entry for the run ${runId}: ${describeEntries(messages)}`);
  assert.equal(messages[0].failureCallbackInfo?.state, "CALLBACK_FAIL", describeEntries(messages));
});

test("client.dlq.delete removes a workflow DLQ entry", { timeout: TEST_TIMEOUT_MS }, async () => {
  const tag = unique("tag");
  const runId = await trigger("/wf/failing", { tag, failFirst: true });
  await waitForRunState(runId, "RUN_FAILED");
  const entry = await waitForDlqEntry(runId);

  const deleted = await client.dlq.delete(entry.dlqId);
  assert.equal(deleted.deleted, 1, `delete answers { deleted: 1 }: ${JSON.stringify(deleted)}`);
  assert.deepEqual(await dlqEntriesOf(runId), [], "the entry is gone from the list");
  const { messages } = await client.dlq.list();
  assert.equal(messages.filter((m) => m.dlqId === entry.dlqId).length, 0, "nor in the unfiltered list");
});

test("context.createWebhook / waitForWebhook: a plain POST to the webhook URL wakes the run with the request", { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const runId = await trigger("/wf/webhook", { timeout: "30s" });
  const [recorded] = await waitForEvents(runId, "webhook", 1, "/wf/webhook");
  const { webhookUrl, eventId } = recorded.data;
  const userId = JSON.parse(Buffer.from(DEV_TOKEN, "base64").toString("utf8")).UserID;
  assert.match(eventId, /^evt_/);
  assert.equal(webhookUrl, `${herald.baseUrl}/v2/workflows/hooks/${userId}/${runId}/${eventId}`, "the URL points at Herald");

  await waitFor(async () => (await client.getWaiters({ eventId })).length > 0, RUN_TIMEOUT_MS, {
    intervalMs: API_POLL_MS,
    what: () => `a waiter for the webhook ${eventId}; app: ${app.describe("/wf/webhook")}`,
  });

  // A made-up hook URL (another run id) must not wake the run.
  const madeUp = `${herald.baseUrl}/v2/workflows/hooks/${userId}/wfr_${unique("nope")}/${eventId}`;
  const wrong = await fetch(madeUp, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-Herald-Test": "wrong" },
    body: JSON.stringify({ from: "a made-up URL" }),
  });
  const wrongText = await wrong.text();
  if (wrong.status >= 200 && wrong.status < 300) {
    assert.deepEqual(JSON.parse(wrongText), [], `a 2xx answer to a made-up hook URL is an empty array: ${wrongText}`);
  } else {
    assert.ok(wrong.status >= 400 && wrong.status < 500, `a made-up hook URL answers 2xx or 4xx, got ${wrong.status} ${wrongText}`);
  }
  t.diagnostic(`made-up hook URL answered ${wrong.status} ${wrongText}`);
  assert.equal((await client.getWaiters({ eventId })).length, 1, "the waiter is still there");

  const body = JSON.stringify({ hello: "webhook", n: 7 });
  const answer = await fetch(`${webhookUrl}?source=compat`, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-Herald-Test": "hook-header" },
    body,
  });
  const answerText = await answer.text();
  assert.ok(answer.ok, `the webhook URL accepts a POST without a token: ${answer.status} ${answerText}`);

  // The real call is the sentinel for the made-up one: the run sees this request, not the other.
  const [result] = await waitForEvents(runId, "hook-result", 1, "/wf/webhook");
  assert.deepEqual(result.data, {
    timeout: false,
    method: "POST",
    url: `${webhookUrl}?source=compat`,
    body,
    testHeader: "hook-header",
    contentType: "application/json",
  });
  assert.deepEqual(await client.getWaiters({ eventId }), [], "the waiter is gone");
  const run = await waitForRunState(runId, "RUN_SUCCESS");
  assert.equal(JSON.parse(run.workflowRunResponse).body, body);
  await assertCleanRun(runId);
});

test("POST /v2/trigger/{url} (the REST trigger, no SDK) starts a run that the SDK serves; a failing one reaches the failure function", { timeout: TEST_TIMEOUT_MS }, async () => {
  const post = (path, body, headers = {}) =>
    fetch(`${herald.baseUrl}/v2/trigger/${app.url(path)}`, {
      method: "POST",
      headers: { Authorization: `Bearer ${DEV_TOKEN}`, "Content-Type": "application/json", ...headers },
      body: JSON.stringify(body),
    });

  const res = await post("/wf/sequential", { a: 1, b: 4, name: "rest" }, { "Upstash-Workflow-RunId": unique("wfr_rest") });
  assert.equal(res.status, 200);
  const started = await res.json();
  assert.match(started.workflowRunId, /^wfr_rest/);
  assert.equal(typeof started.workflowCreatedAt, "number");
  await waitForEvents(started.workflowRunId, "returned", 1, "/wf/sequential");
  assert.deepEqual(app.eventsFor(started.workflowRunId, "returned")[0].data, { total: 20, label: "rest:20" });
  await waitForRunState(started.workflowRunId, "RUN_SUCCESS");

  const again = await post("/wf/sequential", { a: 9, b: 9, name: "again" }, { "Upstash-Workflow-RunId": started.workflowRunId });
  assert.equal(again.status, 200, "the same run id again: the run that exists");
  assert.equal((await again.json()).workflowCreatedAt, started.workflowCreatedAt);

  const made = await (await post("/wf/failing", { tag: unique("tag"), failFirst: true }, { "Upstash-Retries": "0" })).json();
  assert.match(made.workflowRunId, /^wfr_/, "a run id is made up when none is given");
  await waitFor(() => app.eventsAt("/wf/failing", "failure-function").some((e) => e.runId === made.workflowRunId || e.data.workflowRunId === made.workflowRunId),
    RUN_TIMEOUT_MS, { what: `the failure function of ${made.workflowRunId}` });
  await waitForRunState(made.workflowRunId, "RUN_FAILED");

  const bad = await fetch(`${herald.baseUrl}/v2/trigger/not-a-url`, { method: "POST", headers: { Authorization: `Bearer ${DEV_TOKEN}` } });
  assert.equal(bad.status, 400);
  assert.ok((await bad.json()).error);
});

test("POST /v2/batch/trigger (no SDK) starts each run once, served by the SDK; a bad item starts none", { timeout: TEST_TIMEOUT_MS }, async () => {
  const post = (items) =>
    fetch(`${herald.baseUrl}/v2/batch/trigger`, {
      method: "POST",
      headers: { Authorization: `Bearer ${DEV_TOKEN}`, "Content-Type": "application/json" },
      body: JSON.stringify(items),
    });
  const item = (runId, input) => ({
    destination: app.url("/wf/sequential"),
    body: JSON.stringify(input),
    headers: { "Upstash-Workflow-RunId": runId, "Content-Type": "application/json" },
  });
  const [one, two] = [unique("wfr_bt1"), unique("wfr_bt2")];

  const bad = await post([item(one, { a: 1, b: 1, name: "bad" }), { destination: "not-a-url" }]);
  assert.equal(bad.status, 400);
  assert.match((await bad.json()).error, /^item 1: /);

  const res = await post([item(one, { a: 1, b: 2, name: "one" }), item(two, { a: 2, b: 3, name: "two" })]);
  assert.equal(res.status, 201);
  const started = await res.json();
  assert.deepEqual(started.map((s) => [s.workflowRunId, s.deduplicated]), [[one, false], [two, false]]);
  for (const s of started) assert.equal(typeof s.workflowCreatedAt, "number");
  await waitForEvents(one, "returned", 1, "/wf/sequential");
  await waitForEvents(two, "returned", 1, "/wf/sequential");
  assert.deepEqual(app.eventsFor(one, "returned")[0].data, { total: 6, label: "one:6" });
  assert.deepEqual(app.eventsFor(two, "returned")[0].data, { total: 15, label: "two:15" });
  await waitForRunState(one, "RUN_SUCCESS");
  await waitForRunState(two, "RUN_SUCCESS");
  assert.equal(app.eventsFor(one, "add").length, 1, "the bad batch started nothing: one run of its id");

  const again = await (await post([item(one, { a: 9, b: 9, name: "again" })])).json();
  assert.deepEqual(again, [{ workflowRunId: one, workflowCreatedAt: started[0].workflowCreatedAt, deduplicated: true }]);
  await assertCleanRun(one);
  await assertCleanRun(two);
});
