#!/usr/bin/env node
'use strict';
// CI smoke of the benchmark path (about 10 s): Herald alone, a Node sink, a keep-alive Node publisher.
// Publishes N messages three ways (plain /v2/publish, /v2/enqueue into a queue, /v2/publish with a
// 1 s Upstash-Delay) and asserts only correctness: every acked message delivered exactly once.
// Exit 0 = 0 lost and 0 duplicates; 3 = lost or duplicated; 1 = setup failure. No npm dependencies.
const { spawn } = require('child_process');
const fs = require('fs');
const http = require('http');

const a = {};
for (let i = 2; i < process.argv.length; i += 2) a[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
const N = Number(a.n || 3000), CONC = Number(a.conc || 32), PORT = Number(a.port || 18382), SINK_PORT = Number(a['sink-port'] || 18083);
const TOKEN = 'eyJVc2VySUQiOiJkZWZhdWx0VXNlciIsIlBhc3N3b3JkIjoiZGVmYXVsdFBhc3N3b3JkIn0=';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const agent = new http.Agent({ keepAlive: true, maxSockets: CONC });
let herald;

// ---- sink: counts deliveries per seq (forwarded X-Msg-Seq header) ----
const seen = new Map(); let deliveries = 0, stale = 0;
const run = 'smoke-' + Date.now();
const sink = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    if (req.headers['x-run-id'] === run) {
      const seq = Number(req.headers['x-msg-seq']); deliveries++;
      seen.set(seq, (seen.get(seq) || 0) + 1);
    } else stale++;
    res.writeHead(200, { 'content-type': 'text/plain' }); res.end('ok');
  });
});

function call(method, path, body, headers = {}) {
  return new Promise((resolve, reject) => {
    const r = http.request({ host: '127.0.0.1', port: PORT, path, method, agent, timeout: 15000,
      headers: { authorization: 'Bearer ' + TOKEN, 'content-type': 'application/json', ...headers } }, (res) => {
      let d = ''; res.on('data', (c) => { d += c; }); res.on('end', () => resolve({ status: res.statusCode, body: d }));
    });
    r.on('error', reject); r.on('timeout', () => r.destroy(new Error('timeout')));
    if (body != null) r.write(typeof body === 'string' ? body : JSON.stringify(body));
    r.end();
  });
}
async function waitReady(ms) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (herald.exitCode !== null) throw new Error('herald exited with ' + herald.exitCode);
    try { if ((await call('GET', '/readyz')).status === 200) return; } catch (_) {}
    await sleep(100);
  }
  throw new Error('herald not ready');
}

async function main() {
  await new Promise((r) => sink.listen(SINK_PORT, '127.0.0.1', r));
  const logf = fs.openSync(a.log || '/tmp/herald-smoke.log', 'w');
  herald = spawn(a.sut, [String(PORT), a.data || `/tmp/herald-smoke-data-${PORT}`], { stdio: ['ignore', logf, logf] });
  await waitReady(120000);
  const q = await call('POST', '/v2/queues', { queueName: 'smoke', parallelism: 20 });
  if (q.status >= 300) throw new Error('queue upsert ' + q.status + ' ' + q.body);
  const dest = `http://127.0.0.1:${SINK_PORT}/deliver`;
  let next = 0, acked = 0, failed = 0; const t0 = Date.now();
  async function worker() {
    for (;;) {
      const seq = next++; if (seq >= N) return;
      const kind = seq % 3; // 0 publish, 1 enqueue, 2 delayed publish
      const path = kind === 1 ? `/v2/enqueue/smoke/${dest}` : `/v2/publish/${dest}`;
      const h = { 'Upstash-Forward-X-Msg-Seq': String(seq), 'Upstash-Forward-X-Run-Id': run };
      if (kind === 2) h['Upstash-Delay'] = '1s';
      const r = await call('POST', path, { seq, run, payload: 'x'.repeat(64) }, h).catch((e) => ({ status: 0, body: e.message }));
      if (r.status >= 200 && r.status < 300) acked++; else { failed++; if (failed <= 3) console.error('publish failed', r.status, r.body); }
    }
  }
  await Promise.all(Array.from({ length: CONC }, worker));
  const pubSec = (Date.now() - t0) / 1000;
  const deadline = Date.now() + Number(a['wait-s'] || 30) * 1000;
  while (seen.size < N && Date.now() < deadline) await sleep(100);
  await sleep(1500); // let any duplicate arrive
  let dups = 0; for (const c of seen.values()) if (c > 1) dups += c - 1;
  const missing = N - seen.size;
  const res = { n: N, acked, publishFailed: failed, delivered: deliveries, unique: seen.size, missing, duplicates: dups, stale, publishSeconds: pubSec, totalSeconds: (Date.now() - t0) / 1000 };
  console.log(JSON.stringify(res));
  return failed === 0 && missing === 0 && dups === 0 ? 0 : 3;
}
async function stop() {
  sink.close();
  if (herald && herald.exitCode === null) {
    const done = new Promise((r) => herald.once('exit', r));
    herald.kill('SIGTERM');
    const t = setTimeout(() => { try { herald.kill('SIGKILL'); } catch (_) {} }, 10000);
    await done; clearTimeout(t);
  }
}
main().then(async (c) => { await stop(); process.exit(c); }, async (e) => { console.error('smoke failed:', e.stack || e.message); await stop(); process.exit(1); });
process.on('SIGTERM', async () => { await stop(); process.exit(143); });
