// A local Upstash Workflow application for the compatibility suite: a plain Node `http` server on
// 127.0.0.1 that hosts workflows built with `serve` from the framework-agnostic entry of the
// official, unmodified `@upstash/workflow` SDK, wired to a Herald through the SDK's own options.
//
// The route functions observe what happens through `record(...)` (an in-memory event log kept by
// the app), so the tests assert on real behaviour: which step bodies ran, how many times, with
// which inputs and outputs. Every HTTP exchange with the app is kept too (with the SDK's answer
// and an independent signature check), so a failing test can say what the SDK answered.
import { createServer } from "node:http";
import { Client as QStashClient, Receiver } from "@upstash/qstash";
import { serve } from "@upstash/workflow";
import { DEV_TOKEN, DEV_CURRENT_SIGNING_KEY, DEV_NEXT_SIGNING_KEY } from "./support.mjs";

// Hop-by-hop and framing headers that Node already consumed; a Fetch Request sets its own.
const SKIPPED_REQUEST_HEADERS = new Set(["connection", "keep-alive", "transfer-encoding", "content-length", "host"]);

/**
 * Starts the app. `routes` maps a path (e.g. "/wf/sequential") to a workflow definition:
 *
 *   {
 *     route: async (context, app) => result,                     // the route function
 *     failureFunction?: async (failureData, app) => result,      // serve's failureFunction
 *     options?: { ...any other serve option },                   // e.g. initialPayloadParser
 *   }
 *
 * or just the route function. Each workflow is `serve(routeFunction, options)` with
 * `qstashClient: new Client({ baseUrl: heraldBaseUrl, token: DEV_TOKEN })`, a real `Receiver`
 * with the dev signing keys (so every request must carry a valid `Upstash-Signature`), `url` set
 * to this server's URL for the path, and `env: {}` so nothing is read from the process
 * environment.
 *
 * Resolves to `{ origin, url(path), workflow(path), record, firstTime, events, eventsFor, eventsAt,
 * requests, requestsTo, describe, close }`.
 */
export async function startWorkflowApp({ heraldBaseUrl, routes, verbose = false }) {
  const qstashClient = new QStashClient({ baseUrl: heraldBaseUrl, token: DEV_TOKEN });
  const receiver = new Receiver({ currentSigningKey: DEV_CURRENT_SIGNING_KEY, nextSigningKey: DEV_NEXT_SIGNING_KEY });
  // A separate Receiver for the harness's own check, so the SDK's verification stays untouched.
  const harnessReceiver = new Receiver({ currentSigningKey: DEV_CURRENT_SIGNING_KEY, nextSigningKey: DEV_NEXT_SIGNING_KEY });

  const events = []; // { at, path, runId, type, data }
  const requests = []; // one per HTTP exchange with the app
  const handlers = new Map(); // path -> { handler, definition }
  const seenKeys = new Set(); // keys `firstTime` has been asked about
  let origin;

  const app = {
    get origin() {
      return origin;
    },
    url(path) {
      return origin + path;
    },
    /**
     * The object `context.invoke({ workflow })` needs: what the SDK's own `createWorkflow` returns
     * after `serveMany` set its `workflowId`. The SDK invokes `<invoker url without its last
     * segment>/<workflowId>`, so invoker and invoked must be siblings (e.g. /wf/a and /wf/b).
     */
    workflow(path) {
      const entry = handlers.get(path);
      if (!entry) throw new Error(`no workflow route ${path}`);
      return { routeFunction: entry.routeFunction, options: entry.options, workflowId: path.split("/").pop() };
    },
    /**
     * Called by route and failure functions (as `app.record(context, type, data)`): appends an
     * event tagged with the route's path and `context.workflowRunId`.
     */
    record(context, type, data) {
      events.push({ at: Date.now(), path: undefined, runId: context?.workflowRunId, type, data });
    },
    events,
    /**
     * True the first time it is called with `key`, false every time after: lets a step body or a
     * failure function fail on its first execution only (e.g. keyed by a tag from the payload, so a
     * resumed run and a restarted run with the same payload both get past it).
     */
    firstTime(key) {
      if (seenKeys.has(key)) return false;
      seenKeys.add(key);
      return true;
    },
    /** Events of one run, optionally of one type. */
    eventsFor(runId, type) {
      return events.filter((e) => e.runId === runId && (type === undefined || e.type === type));
    },
    /** Events recorded by the workflow at `path`, optionally of one type (whatever the run id). */
    eventsAt(path, type) {
      return events.filter((e) => e.path === path && (type === undefined || e.type === type));
    },
    requests,
    requestsTo(path) {
      return requests.filter((r) => r.path === path);
    },
    /** A short account of the last exchanges on `path` (or all paths), for failure messages. */
    describe(path, last = 4) {
      const list = (path === undefined ? requests : app.requestsTo(path)).slice(-last);
      if (list.length === 0) return `no request reached ${path ?? "the workflow app"}`;
      return list
        .map((r) => {
          const h = r.headers;
          const flags = [
            `sig=${r.signatureValid === true ? "ok" : r.signatureValid === undefined ? "none" : "BAD"}`,
            `runId=${h["upstash-workflow-runid"] ?? "-"}`,
            `sdkVersion=${h["upstash-workflow-sdk-version"] ?? "-"}`,
            `init=${h["upstash-workflow-init"] ?? "-"}`,
            `callType=${h["upstash-workflow-calltype"] ?? "-"}`,
            `body=${r.text.length}B`,
          ].join(" ");
          return `${r.method} ${r.path} [${flags}] -> ${r.status} ${truncate(r.responseText, 300)}`;
        })
        .join("\n    ");
    },
    close() {
      server.closeAllConnections?.();
      return new Promise((resolveClose) => server.close(resolveClose));
    },
  };

  for (const [path, raw] of Object.entries(routes)) {
    const definition = typeof raw === "function" ? { route: raw } : raw;
    // What the route sees as `app`: the app, with `record` tagging events with this path.
    const routeApp = Object.create(app);
    routeApp.record = (context, type, data) => {
      events.push({ at: Date.now(), path, runId: context?.workflowRunId, type, data });
    };
    const routeFunction = (context) => definition.route(context, routeApp);
    const options = {
      ...definition.options,
      qstashClient,
      receiver,
      env: {},
      verbose,
      // `url` is filled in once the port is known (the options object is read per request).
    };
    if (definition.failureFunction) {
      options.failureFunction = (failureData) => definition.failureFunction(failureData, routeApp);
    }
    handlers.set(path, { definition, routeFunction, options, handler: undefined });
  }

  const server = createServer((req, res) => {
    const chunks = [];
    req.on("data", (chunk) => chunks.push(chunk));
    req.on("end", () => {
      handle(req, Buffer.concat(chunks), res).catch((error) => {
        if (!res.headersSent) res.writeHead(500, { "Content-Type": "text/plain" });
        res.end(`workflow app error: ${error?.stack ?? error}`);
      });
    });
  });

  async function handle(req, body, res) {
    const path = new URL(req.url, "http://app").pathname;
    const exchange = {
      receivedAt: Date.now(),
      method: req.method,
      path,
      url: req.url,
      headers: req.headers,
      text: body.toString("utf8"),
      signatureValid: undefined,
      signatureError: undefined,
      status: undefined,
      responseText: undefined,
      responseHeaders: undefined,
    };
    requests.push(exchange);

    const signature = req.headers["upstash-signature"];
    if (signature) {
      try {
        exchange.signatureValid = await harnessReceiver.verify({ signature, body: exchange.text, url: origin + path });
      } catch (error) {
        exchange.signatureValid = false;
        exchange.signatureError = error.message;
      }
    }

    const entry = handlers.get(path);
    if (!entry) {
      exchange.status = 404;
      exchange.responseText = "no such workflow route";
      res.writeHead(404, { "Content-Type": "text/plain" });
      res.end(exchange.responseText);
      return;
    }

    const headers = new Headers();
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      const name = req.rawHeaders[i];
      if (!SKIPPED_REQUEST_HEADERS.has(name.toLowerCase())) headers.append(name, req.rawHeaders[i + 1]);
    }
    const hasBody = req.method !== "GET" && req.method !== "HEAD";
    const request = new Request(origin + req.url, {
      method: req.method,
      headers,
      body: hasBody ? body : undefined,
    });

    const response = await entry.handler(request);
    const responseBody = Buffer.from(await response.arrayBuffer());
    exchange.status = response.status;
    exchange.responseText = responseBody.toString("utf8");
    exchange.responseHeaders = Object.fromEntries(response.headers);
    res.writeHead(response.status, exchange.responseHeaders);
    res.end(responseBody);
  }

  await new Promise((resolveListen) => server.listen(0, "127.0.0.1", resolveListen));
  origin = `http://127.0.0.1:${server.address().port}`;
  for (const [path, entry] of handlers) {
    entry.options.url = origin + path;
    entry.handler = serve(entry.routeFunction, entry.options).handler;
  }
  return app;
}

function truncate(text, max) {
  if (text === undefined) return "(no answer yet)";
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
