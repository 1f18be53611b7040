#!/usr/bin/env node
'use strict';
// Footprint of pending DELAYED messages: publishes N messages with a long Upstash-Delay through
// /v2/batch (1000 per request, several requests in flight), then reports Herald's RSS and the data
// directory size, stops Herald (SIGTERM), restarts it on the same data and times spawn -> /readyz 200,
// then cancels everything (DELETE /v2/messages) and checks that the count is N: nothing lost.
// No npm dependencies.
const { spawn, execFileSync } = require('child_process');
const fs = require('fs');
const http = require('http');
const a = {};
for (let i = 2; i < process.argv.length; i += 2) a[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
const N = Number(a.n || 1000000), PER = Number(a.batch || 1000), CONC = Number(a.conc || 4), PORT = Number(a.port || 18384);
const DATA = a.data || `/tmp/herald-footprint-data-${PORT}`;
const TOKEN = 'eyJVc2VySUQiOiJkZWZhdWx0VXNlciIsIlBhc3N3b3JkIjoiZGVmYXVsdFBhc3N3b3JkIn0=';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const agent = new http.Agent({ keepAlive: true, maxSockets: CONC });
let herald;
function call(method, path, body, timeoutMs = 120000) {
  return new Promise((resolve, reject) => {
    const r = http.request({ host: '127.0.0.1', port: PORT, path, method, agent, timeout: timeoutMs,
      headers: { authorization: 'Bearer ' + TOKEN, 'content-type': 'application/json' } }, (res) => {
      let d = ''; res.on('data', (c) => { d += c; }); res.on('end', () => resolve({ status: res.statusCode, body: d }));
    });
    r.on('error', reject); r.on('timeout', () => r.destroy(new Error('timeout')));
    if (body != null) r.write(body);
    r.end();
  });
}
function startHerald(sutArgs, logName) {
  const fd = fs.openSync(logName, 'a');
  return spawn(a.launcher, sutArgs, { stdio: ['ignore', fd, fd] });
}
async function readyMs(t0, ms) {
  for (;;) {
    if (herald.exitCode !== null) throw new Error('herald exited ' + herald.exitCode);
    try { if ((await call('GET', '/readyz')).status === 200) return Date.now() - t0; } catch (_) {}
    if (Date.now() - t0 > ms) throw new Error('not ready after ' + ms + ' ms');
    await sleep(20);
  }
}
const rssMb = (pid) => Number(fs.readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/)[1]) / 1024;
const duMb = (dir) => Number(execFileSync('du', ['-sk', dir], { encoding: 'utf8' }).split('\t')[0]) / 1024;
async function stopHerald() {
  if (!herald || herald.exitCode !== null) return;
  const done = new Promise((r) => herald.once('exit', r));
  herald.kill('SIGTERM');
  const t = setTimeout(() => { try { herald.kill('SIGKILL'); } catch (_) {} }, 20000);
  await done; clearTimeout(t);
}
async function main() {
  const log = a.log || '/tmp/herald-footprint.log';
  fs.rmSync(DATA, { recursive: true, force: true });
  herald = startHerald(['dev', '--port', String(PORT), '--data', DATA], log);
  const firstReady = await readyMs(Date.now(), 120000);
  const dest = 'http://127.0.0.1:9/never'; // never reached: due in 7 days
  const items = (k) => JSON.stringify(Array.from({ length: PER }, (_, i) => ({ destination: dest,
    headers: { 'Content-Type': 'application/json', 'Upstash-Delay': '7d', 'Upstash-Forward-X-Msg-Seq': String(k * PER + i) },
    body: JSON.stringify({ seq: k * PER + i, pubTs: Date.now() * 1000, run: 'footprint', payload: 'x'.repeat(64) }) })));
  const batches = Math.ceil(N / PER); let next = 0, fail = 0; const t0 = Date.now();
  async function worker() {
    for (;;) {
      const k = next++; if (k >= batches) return;
      const r = await call('POST', '/v2/batch', items(k));
      if (r.status !== 200 && r.status !== 201) { fail++; if (fail < 3) console.error('batch', r.status, r.body.slice(0, 200)); }
      if (k % 100 === 0) console.error(`  ${k * PER} published, ${((Date.now() - t0) / 1000).toFixed(0)} s, rss ${rssMb(herald.pid).toFixed(0)} MiB`);
    }
  }
  await Promise.all(Array.from({ length: CONC }, worker));
  const pubSec = (Date.now() - t0) / 1000;
  await sleep(5000); // let the writer and GC settle
  const rss = rssMb(herald.pid), disk = duMb(DATA);
  await stopHerald();
  const diskStopped = duMb(DATA);
  const tRestart = Date.now();
  herald = startHerald(['dev', '--port', String(PORT), '--data', DATA], log);
  const restartReadyMs = await readyMs(tRestart, 120000);
  await sleep(3000);
  const rssAfterRestart = rssMb(herald.pid);
  // Nothing lost across the restart: cancelling everything (DELETE /v2/messages, no filter) must count N.
  const tCancel = Date.now();
  const c = await call('DELETE', '/v2/messages', null, 1200000);
  const cancelSeconds = (Date.now() - tCancel) / 1000;
  const pendingAfterRestart = c.status === 200 ? JSON.parse(c.body).cancelled : -1;
  await stopHerald();
  const res = { n: N, failedBatches: fail, publishSeconds: pubSec, publishPerSec: N / pubSec, rssMiB: rss, dataDirMiB: disk,
    dataDirMiBAfterStop: diskStopped, restartToReadyzMs: restartReadyMs, firstStartToReadyzMs: firstReady, rssMiBAfterRestart: rssAfterRestart,
    pendingAfterRestart, lost: N - pendingAfterRestart, cancelAllSeconds: cancelSeconds };
  console.log(JSON.stringify(res));
  if (a.out) fs.appendFileSync(a.out, JSON.stringify(res) + '\n');
  if (!a.keep) fs.rmSync(DATA, { recursive: true, force: true });
  if (pendingAfterRestart !== N) console.error(`LOST: ${N} published, ${pendingAfterRestart} pending after the restart`);
  return fail ? 3 : pendingAfterRestart !== N ? 4 : 0;
}
main().then(async (c) => { await stopHerald(); process.exit(c); }, async (e) => { console.error('footprint failed:', e.stack || e.message); await stopHerald(); process.exit(1); });
process.on('SIGTERM', async () => { await stopHerald(); process.exit(143); });
