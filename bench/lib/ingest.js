#!/usr/bin/env node
'use strict';
// Durable ingest into a PAUSED queue, then the drain rate after resume (the shared harness's `split`
// scenario has no pause hook for Herald). Uses the harness's C sink and a path-agnostic build of its
// C publisher (build/pubpath: --dest is the whole request path). No npm dependencies.
//
//   node ingest.js --tools DIR --herald CMD... (see ingest.sh)
// Prints one human summary and writes one JSON line to --out.
const { spawn, execFileSync } = require('child_process');
const fs = require('fs');
const http = require('http');

const a = {};
for (let i = 2; i < process.argv.length; i += 2) a[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
const N = Number(a.n || 20000), CONNS = Number(a.conns || 64), PAR = Number(a.parallelism || 200);
const PORT = Number(a.port || 18381), SINK_PORT = Number(a['sink-port'] || 18082);
const TOKEN = 'eyJVc2VySUQiOiJkZWZhdWx0VXNlciIsIlBhc3N3b3JkIjoiZGVmYXVsdFBhc3N3b3JkIn0=';
const TOOLS = a.tools, SUT = a.sut, DATA = a.data || `/tmp/herald-ingest-data-${PORT}`;
const QUEUE = 'ingest', RUN = 'ingest-' + Date.now();
const TIMEOUT_MS = Number(a['timeout-s'] || 300) * 1000;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const procs = [];

function req(method, url, body, headers = {}) {
  return new Promise((resolve, reject) => {
    const r = http.request(url, { method, headers: { 'content-type': 'application/json', ...headers }, timeout: 10000 }, (res) => {
      let d = ''; res.on('data', (c) => { d += c; }); res.on('end', () => resolve({ status: res.statusCode, body: d }));
    });
    r.on('error', reject); r.on('timeout', () => r.destroy(new Error('timeout')));
    if (body != null) r.write(typeof body === 'string' ? body : JSON.stringify(body));
    r.end();
  });
}
const api = (method, path, body) => req(method, `http://127.0.0.1:${PORT}${path}`, body, { authorization: 'Bearer ' + TOKEN });
const stats = async () => JSON.parse((await req('GET', `http://127.0.0.1:${SINK_PORT}/__stats`)).body);
function cpuSec(pid) { // utime+stime of the process, seconds (children are not Herald)
  const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8'); const x = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return (Number(x[11]) + Number(x[12])) / 100;
}
function rssMb(pid) { const m = fs.readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/); return m ? Number(m[1]) / 1024 : null; }
async function waitHttp(url, ms) {
  const end = Date.now() + ms;
  while (Date.now() < end) { try { const r = await req('GET', url); if (r.status === 200) return; } catch (_) {} await sleep(50); }
  throw new Error('not ready: ' + url);
}
function start(cmd, args, logName) {
  const fd = fs.openSync(logName, 'w');
  const p = spawn(cmd, args, { stdio: ['ignore', fd, fd] }); procs.push(p); return p;
}
async function stopAll() {
  for (const p of procs) {
    if (p.exitCode !== null) continue;
    const done = new Promise((r) => p.once('exit', r));
    try { process.kill(p.pid, 'SIGTERM'); } catch (_) { continue; }
    const t = setTimeout(() => { try { process.kill(p.pid, 'SIGKILL'); } catch (_) {} }, 10000);
    await done; clearTimeout(t);
  }
}

async function main() {
  const logDir = a['log-dir'] || '/tmp';
  const sink = start(`${TOOLS}/sink`, [String(SINK_PORT), '127.0.0.1'], `${logDir}/ingest-sink.log`);
  const sut = start(SUT, [String(PORT), DATA], `${logDir}/ingest-herald.log`);
  await waitHttp(`http://127.0.0.1:${SINK_PORT}/__health`, 10000);
  await waitHttp(`http://127.0.0.1:${PORT}/readyz`, 120000);
  let r = await api('POST', '/v2/queues', { queueName: QUEUE, parallelism: PAR, paused: true });
  if (r.status >= 300) throw new Error('queue upsert: ' + r.status + ' ' + r.body);
  const dest = `http://127.0.0.1:${SINK_PORT}/deliver`;
  // warm-up (JIT), into another paused queue that is never resumed and does not count
  await api('POST', '/v2/queues', { queueName: 'warm', parallelism: 1, paused: true });
  execFileSync(`${TOOLS}/pubpath`, ['--port', String(PORT), '--token', TOKEN, '--dest', `/v2/enqueue/warm/${dest}`, '--n', String(Math.min(3000, N)), '--conns', String(CONNS), '--run', 'warm'], { encoding: 'utf8' });
  await req('POST', `http://127.0.0.1:${SINK_PORT}/__reset?run=${RUN}&expect=${N}`);

  // 1) ingest: N durable enqueues (each 2xx after fsync) into the paused queue
  const c0 = cpuSec(sut.pid);
  const pubOut = execFileSync(`${TOOLS}/pubpath`, ['--port', String(PORT), '--token', TOKEN, '--dest', `/v2/enqueue/${QUEUE}/${dest}`,
    '--n', String(N), '--conns', String(CONNS), '--run', RUN], { encoding: 'utf8', maxBuffer: 1 << 20 });
  const pub = JSON.parse(pubOut.trim().split('\n').pop());
  const c1 = cpuSec(sut.pid);
  const q = JSON.parse((await api('GET', `/v2/queues/${QUEUE}`)).body);
  const before = await stats();

  // 2) drain: resume and wait until the sink has seen all N (or timeout / no progress for 20 s)
  const rssBefore = rssMb(sut.pid);
  const tResumeUs = Date.now() * 1000;
  r = await api('POST', `/v2/queues/${QUEUE}/resume`);
  if (r.status >= 300) throw new Error('resume: ' + r.status + ' ' + r.body);
  const end = Date.now() + TIMEOUT_MS; let st = await stats(), last = st.unique, lastMove = Date.now();
  while (st.unique < N && Date.now() < end && Date.now() - lastMove < 20000) {
    await sleep(100); st = await stats();
    if (st.unique !== last) { last = st.unique; lastMove = Date.now(); }
  }
  const c2 = cpuSec(sut.pid);
  await sleep(2000); // late duplicates would show up here
  st = await stats();
  const drainSec = (st.lastRecvUs - tResumeUs) / 1e6;
  const res = {
    n: N, conns: CONNS, parallelism: PAR, acked: pub.acked, errors: pub.errors,
    ingestAcksPerSec: pub.enqueueRate, ackMs: pub.publishAckMs,
    lagAfterIngest: q.lag, deliveredWhilePaused: before.unique,
    drainSeconds: drainSec, drainPerSec: st.unique / drainSec,
    unique: st.unique, duplicates: st.dup, missing: N - st.unique, stale: st.stale,
    herald: { cpuMsPerIngest: (c1 - c0) * 1000 / N, cpuMsPerDrained: (c2 - c1) * 1000 / N, rssMbAfterIngest: rssBefore },
    at: new Date().toISOString(),
  };
  console.log(JSON.stringify(res));
  if (a.out) fs.appendFileSync(a.out, JSON.stringify(res) + '\n');
  console.error(`ingest: ${res.acked}/${N} acked, ${res.ingestAcksPerSec.toFixed(0)} acks/s (ack p50 ${pub.publishAckMs.p50} ms, p99 ${pub.publishAckMs.p99} ms), lag ${q.lag}, delivered while paused ${before.unique}`);
  console.error(`drain:  ${res.unique}/${N} in ${drainSec.toFixed(2)} s = ${res.drainPerSec.toFixed(0)} delivered/s; missing ${res.missing}, duplicates ${res.duplicates}`);
  console.error(`herald CPU: ${res.herald.cpuMsPerIngest.toFixed(3)} ms/ingest, ${res.herald.cpuMsPerDrained.toFixed(3)} ms/delivery`);
  return res.missing === 0 && res.duplicates === 0 && res.errors === 0 && before.unique === 0 ? 0 : 3;
}
main().then(async (code) => { await stopAll(); process.exit(code); }, async (e) => { console.error('ingest failed:', e.stack || e.message); await stopAll(); process.exit(1); });
process.on('SIGINT', async () => { await stopAll(); process.exit(130); });
process.on('SIGTERM', async () => { await stopAll(); process.exit(143); });
