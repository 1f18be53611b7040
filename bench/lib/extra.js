#!/usr/bin/env node
'use strict';
// More scenarios, no target yet (issue #7): large bodies, fan-out to a URL group, cluster mode on
// PostgreSQL. Each scenario brings up Herald from empty state (fresh data dir, fresh database), the
// harness's C sink(s), warms up, then publishes N with the harness's C publisher (closed loop) while
// delivery runs, and counts unique/duplicate deliveries per sink. No npm dependencies.
//
//   node extra.js --tools DIR --herald PATH --out DIR [--scenarios a,b] ... (see bench/extra.sh)
// Writes <out>/summary.md and <out>/extra.jsonl; exits 3 if any scenario lost or duplicated a message,
// 1 if a scenario could not run.
const { spawn, execFileSync } = require('child_process');
const crypto = require('crypto');
const fs = require('fs');
const http = require('http');
const os = require('os');

const a = {};
for (let i = 2; i < process.argv.length; i += 2) a[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
const num = (k, d) => (a[k] !== undefined ? Number(a[k]) : d);
const TOOLS = a.tools, HERALD = a.herald, OUT = a.out;
const BASE_PORT = num('base-port', 18600);
const CONNS = num('conns', 32), WARMUP = num('warmup', 1000);
const PG_URL = a['pg-url'] || 'postgresql://postgres@127.0.0.1:5432';
const PG_DB = a['pg-db'] || 'herald_bench_extra';
const DEADLINE_MS = num('scenario-timeout-s', 120) * 1000; // measured phase of one scenario
const STALL_MS = num('stall-s', 30) * 1000;                // no delivery progress for this long = give up
const JFR = a.jfr === '1';
const DEV_TOKEN = 'eyJVc2VySUQiOiJkZWZhdWx0VXNlciIsIlBhc3N3b3JkIjoiZGVmYXVsdFBhc3N3b3JkIn0=';
const BIG_BODY_LIMIT = 2 * 1024 * 1024;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const log = (...m) => console.error(`[extra ${new Date().toISOString().slice(11, 19)}]`, ...m);

const HERALD_PORTS = [BASE_PORT, BASE_PORT + 1];
const SINK_PORTS = Array.from({ length: 10 }, (_, i) => BASE_PORT + 10 + i);
const SCENARIOS = {
  'body-64k': { n: num('n-64k', 5000), payload: 65536, nodes: 1, sinks: 1, store: 'sqlite' },
  'body-1m': { n: num('n-1m', 300), payload: 1048576, nodes: 1, sinks: 1, store: 'sqlite', bigBody: true },
  'fanout-10': { n: num('n-fanout', 5000), payload: 64, nodes: 1, sinks: 10, store: 'sqlite', group: 'fan10' },
  'pg-1node': { n: num('n-pg', 20000), payload: 64, nodes: 1, sinks: 1, store: 'pg' },
  'pg-2nodes': { n: num('n-pg', 20000), payload: 64, nodes: 2, sinks: 1, store: 'pg' },
};
const wanted = (a.scenarios || Object.keys(SCENARIOS).join(',')).split(',').filter(Boolean);
for (const s of wanted) if (!SCENARIOS[s]) { console.error('unknown scenario ' + s); process.exit(2); }

// ---------- processes ----------
const procs = new Set();
const pidFile = `${OUT}/pids`;
function track() { fs.writeFileSync(pidFile, [...procs].filter((p) => p.exitCode === null && p.signalCode === null).map((p) => p.pid).join('\n') + '\n'); }
function start(cmd, args, logName, env) {
  const fd = fs.openSync(`${OUT}/${logName}`, 'w');
  const p = spawn(cmd, args, { stdio: ['ignore', fd, fd], env: env || process.env });
  fs.closeSync(fd);
  procs.add(p); p.once('exit', () => { procs.delete(p); track(); }); track();
  return p;
}
async function stop(p, graceMs = 20000) {
  if (p.exitCode !== null || p.signalCode !== null) return;
  const done = new Promise((r) => p.once('exit', r));
  try { process.kill(p.pid, 'SIGTERM'); } catch (_) { return; }
  const t = setTimeout(() => { log(`pid ${p.pid} did not stop in ${graceMs} ms: SIGKILL`); try { process.kill(p.pid, 'SIGKILL'); } catch (_) {} }, graceMs);
  await done; clearTimeout(t);
}
const stopAll = async () => { await Promise.all([...procs].map((p) => stop(p))); };

// ---------- HTTP ----------
function req(method, url, body, headers = {}) {
  return new Promise((resolve, reject) => {
    const r = http.request(url, { method, agent: false, headers: { 'content-type': 'application/json', ...headers }, timeout: 10000 }, (res) => {
      let d = ''; res.on('data', (c) => { d += c; }); res.on('end', () => resolve({ status: res.statusCode, body: d }));
    });
    r.on('error', reject); r.on('timeout', () => r.destroy(new Error('timeout ' + url)));
    if (body != null) r.write(typeof body === 'string' ? body : JSON.stringify(body));
    r.end();
  });
}
async function waitHttp(url, ms, proc) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (proc && proc.exitCode !== null) throw new Error(`process for ${url} exited with ${proc.exitCode}`);
    try { const r = await req('GET', url); if (r.status === 200) return; } catch (_) {}
    await sleep(100);
  }
  throw new Error('not ready in time: ' + url);
}
const sinkStats = async (port) => JSON.parse((await req('GET', `http://127.0.0.1:${port}/__stats`)).body);
const sinkReset = (port, run, expect) => req('POST', `http://127.0.0.1:${port}/__reset?run=${run}&expect=${expect}`);

// ---------- /proc accounting ----------
const HZ = 100;
function procStat(pid) {
  try {
    const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8'); const x = f.slice(f.lastIndexOf(')') + 2).split(' ');
    return { cpu: (Number(x[11]) + Number(x[12])) / HZ, ccpu: (Number(x[13]) + Number(x[14])) / HZ };
  } catch (_) { return { cpu: 0, ccpu: 0 }; }
}
const cpuOf = (pids) => pids.reduce((s, p) => s + procStat(p).cpu, 0);
function rssMb(pid) { try { const m = fs.readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/); return m ? Number(m[1]) / 1024 : 0; } catch (_) { return 0; } }
function hostBusy() { // seconds of busy CPU over all cores since boot
  const l = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, sys, idle, iowait, irq, softirq, steal] = l; return (user + nice + sys + irq + softirq + (steal || 0)) / HZ;
}
const loadavg = () => os.loadavg().map((x) => x.toFixed(2)).join(' ');

// ---------- PostgreSQL ----------
function psql(sql, db = 'postgres') {
  return execFileSync('psql', ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', `${PG_URL}/${db}`, '-c', sql],
    { encoding: 'utf8', env: { ...process.env, PGOPTIONS: '-c client_min_messages=warning' } }).trim();
}
const dropDb = () => psql(`DROP DATABASE IF EXISTS ${PG_DB} WITH (FORCE)`);
function backendPids() { // this run's database only (other sessions may use the same PostgreSQL)
  try { return psql(`SELECT pid FROM pg_stat_activity WHERE datname = '${PG_DB}'`).split('\n').filter(Boolean).map(Number); } catch (_) { return []; }
}

// ---------- the publisher ----------
function runPub(args) {
  return new Promise((resolve) => {
    const p = spawn(`${TOOLS}/pubbig`, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    procs.add(p); track();
    let out = '', err = '';
    p.stdout.on('data', (c) => { out += c; }); p.stderr.on('data', (c) => { err += c; });
    p.once('exit', (code) => {
      procs.delete(p); track();
      let res = null; try { res = JSON.parse(out.trim().split('\n').pop()); } catch (_) {}
      if (err.trim()) log('pub stderr:', err.trim().slice(0, 600));
      resolve({ code, res });
    });
  });
}
const pubArgs = (port, token, dest, n, conns, run, payload, seq0) => ['--port', String(port), '--token', token, '--dest', dest,
  '--n', String(n), '--conns', String(conns), '--run', run, '--payload-bytes', String(payload), '--seq0', String(seq0)];

// ---------- one scenario ----------
async function scenario(name, sc) {
  const notes = [];
  const run = `${name}-${Date.now()}`;
  const sinkPorts = SINK_PORTS.slice(0, sc.sinks), nodePorts = HERALD_PORTS.slice(0, sc.nodes);
  const loadStart = loadavg();
  log(`${name}: N=${sc.n} payload=${sc.payload} B, ${sc.nodes} node(s), ${sc.sinks} sink(s), store ${sc.store}; load ${loadStart}`);
  for (const p of sinkPorts) start(`${TOOLS}/sink`, [String(p), '127.0.0.1'], `sink-${name}-${p}.log`);
  for (const p of sinkPorts) await waitHttp(`http://127.0.0.1:${p}/__health`, 10000);

  // Herald: dev mode on SQLite (as the other benchmarks); serve mode (the cluster shape) on PostgreSQL
  const serve = sc.store === 'pg';
  const token = serve ? 'bench-' + crypto.randomBytes(12).toString('hex') : DEV_TOKEN;
  if (serve) { dropDb(); psql(`CREATE DATABASE ${PG_DB}`); }
  const baseEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('HERALD_') || k === 'HERALD_JAVA_OPTS' || k === 'HERALD_JAVA_OPTS_EXTRA'));
  const nodes = [];
  for (let i = 0; i < nodePorts.length; i++) {
    const port = nodePorts[i], data = `/tmp/herald-extra-data-${port}`;
    fs.rmSync(data, { recursive: true, force: true });
    const env = { ...baseEnv };
    if (sc.bigBody) env.HERALD_LIMITS_MAX_BODY_BYTES = String(BIG_BODY_LIMIT);
    if (serve) {
      Object.assign(env, { HERALD_TOKEN: token, HERALD_SERVER_HOST: '127.0.0.1', HERALD_EGRESS_ALLOW: '127.0.0.1/32',
        HERALD_CURRENT_SIGNING_KEY: 'sig_' + crypto.randomBytes(14).toString('hex'), HERALD_NEXT_SIGNING_KEY: 'sig_' + crypto.randomBytes(14).toString('hex') });
    }
    if (JFR) env.HERALD_JAVA_OPTS_EXTRA = `${process.env.HERALD_JAVA_OPTS_EXTRA || ''} -XX:StartFlightRecording=filename=${OUT}/${name}-node${i}.jfr,settings=profile,dumponexit=true`;
    const args = [serve ? 'serve' : 'dev', '--port', String(port), '--data', data];
    if (serve) args.push('--store', `${PG_URL}/${PG_DB}`);
    nodes.push({ port, data, proc: start(HERALD, args, `herald-${name}-node${i}.log`, env) });
  }
  // nodes start one after the other would be fairer to the JIT, but both must be up before the burst anyway
  for (const nd of nodes) await waitHttp(`http://127.0.0.1:${nd.port}/readyz`, 180000, nd.proc);
  const pids = nodes.map((nd) => nd.proc.pid);
  const api = (method, path, body, port = nodePorts[0]) => req(method, `http://127.0.0.1:${port}${path}`, body, { authorization: 'Bearer ' + token });

  let dest;
  if (sc.group) {
    const r = await api('POST', `/v2/topics/${sc.group}/endpoints`, { endpoints: sinkPorts.map((p, i) => ({ name: `ep${i}`, url: `http://127.0.0.1:${p}/deliver` })) });
    if (r.status >= 300) throw new Error(`URL group upsert: ${r.status} ${r.body}`);
    const g = JSON.parse((await api('GET', `/v2/topics/${sc.group}`)).body);
    if (!g.endpoints || g.endpoints.length !== sc.sinks) throw new Error('URL group has ' + JSON.stringify(g));
    dest = sc.group;
  } else {
    dest = `http://127.0.0.1:${sinkPorts[0]}/deliver`;
  }

  // warm-up (JIT, pools): small bodies to the same destination, split over the nodes; not measured
  const warmN = sc.group ? Math.max(1, Math.round(WARMUP / sc.sinks)) : WARMUP;
  if (warmN > 0) {
    for (const p of sinkPorts) await sinkReset(p, `warm-${run}`, warmN);
    const per = Math.ceil(warmN / nodes.length);
    await Promise.all(nodes.map((nd, i) => runPub(pubArgs(nd.port, token, dest, Math.min(per, warmN - i * per), Math.min(CONNS, 32), `warm-${run}`, 64, i * per))));
    const wEnd = Date.now() + 90000; let ok = false;
    while (Date.now() < wEnd) {
      const st = await Promise.all(sinkPorts.map(sinkStats));
      if (st.every((s) => s.unique >= warmN)) { ok = true; break; }
      await sleep(200);
    }
    if (!ok) notes.push('warm-up did not finish delivering in 90 s');
    await sleep(500);
  }

  // measured burst
  for (const p of sinkPorts) await sinkReset(p, run, sc.n);
  const perNode = Math.ceil(sc.n / nodes.length), conns = Math.max(1, Math.round(CONNS / nodes.length));
  const sinkPids = [...procs].filter((p) => p.spawnargs[0] === `${TOOLS}/sink`).map((p) => p.pid);
  const b0 = new Map((serve ? backendPids() : []).map((p) => [p, procStat(p).cpu]));
  const c0 = cpuOf(pids), s0 = cpuOf(sinkPids), h0 = hostBusy(), self0 = procStat(process.pid), t0 = Date.now();
  let pubsDone = false, pubResults = null;
  const pubsP = Promise.all(nodes.map((nd, i) => runPub(pubArgs(nd.port, token, dest, Math.min(perNode, sc.n - i * perNode), conns, run, sc.payload, i * perNode))))
    .then((r) => { pubsDone = true; pubResults = r; });
  let rssMax = 0, last = -1, lastMove = Date.now(), st = [];
  const deadline = t0 + DEADLINE_MS;
  for (;;) {
    await sleep(200);
    rssMax = Math.max(rssMax, pids.reduce((s, p) => s + rssMb(p), 0));
    st = await Promise.all(sinkPorts.map(sinkStats));
    const got = st.reduce((s, x) => s + x.unique, 0);
    if (got !== last) { last = got; lastMove = Date.now(); }
    if (pubsDone && st.every((x) => x.unique >= sc.n)) break;
    if (Date.now() > deadline) { notes.push(`stopped at the ${DEADLINE_MS / 1000} s scenario deadline`); break; }
    if (Date.now() - lastMove > STALL_MS) { notes.push(`no delivery progress for ${STALL_MS / 1000} s`); break; }
  }
  // backends alive at the end: their CPU since the start (whole, if they were born during the run)
  const pgCpu = (serve ? backendPids() : []).reduce((s, p) => s + procStat(p).cpu - (b0.get(p) || 0), 0);
  const c1 = cpuOf(pids), s1 = cpuOf(sinkPids), h1 = hostBusy(), wall = (Date.now() - t0) / 1000;
  if (!pubsDone) { notes.push('publisher(s) still running at the end: killed'); for (const p of [...procs]) if (p.spawnargs[0] === `${TOOLS}/pubbig`) await stop(p, 2000); }
  await pubsP;
  const self1 = procStat(process.pid);
  await sleep(2500); // late duplicates would show up here
  st = await Promise.all(sinkPorts.map(sinkStats));

  // stop everything of this scenario, then look at the logs
  const stopT = Date.now();
  await Promise.all(nodes.map((nd) => stop(nd.proc)));
  const stopMs = Date.now() - stopT;
  await stopAll();
  if (serve) { try { dropDb(); } catch (e) { notes.push('could not drop the database: ' + e.message.split('\n')[0]); } }
  for (const nd of nodes) fs.rmSync(nd.data, { recursive: true, force: true });
  let logErrors = 0; const samples = [];
  for (let i = 0; i < nodes.length; i++) {
    const lines = fs.readFileSync(`${OUT}/herald-${name}-node${i}.log`, 'utf8').split('\n');
    for (const l of lines) if (/\b(ERROR|Exception|WARN)\b/.test(l)) { logErrors++; if (samples.length < 5) samples.push(l.slice(0, 300)); }
  }
  if (logErrors) notes.push(`${logErrors} WARN/ERROR/Exception log lines (see herald-${name}-node*.log)`);

  const pr = pubResults.map((x) => x.res || {});
  const acked = pr.reduce((s, x) => s + (x.acked || 0), 0), pubErrors = pr.reduce((s, x) => s + (x.errors || 0), 0) + pubResults.filter((x) => !x.res).length;
  const firstSend = Math.min(...pr.map((x) => x.firstSendUs || Infinity)), lastAck = Math.max(...pr.map((x) => x.lastAckUs || 0));
  if (sc.n - acked > 0) notes.push(`${sc.n - acked} publishes not acknowledged (publisher errors; see the log), so lost is counted against the ${acked} acknowledged`);
  const unique = st.reduce((s, x) => s + x.unique, 0), dups = st.reduce((s, x) => s + x.dup, 0);
  // lost = acknowledged but never delivered. A publish that got an error (e.g. a 503 while the database
  // restarts) was not acknowledged, so Herald owes nothing for it; it is counted apart (notAcked). With no
  // publish errors this is exactly N - unique per endpoint; with some it is a lower bound (an unacked
  // publish that was committed anyway can hide an acked one that was not delivered).
  const lost = st.reduce((s, x) => s + Math.max(0, acked - x.unique), 0);
  const lastRecv = Math.max(...st.map((x) => x.lastRecvUs || 0));
  const pubCpu = (self1.ccpu - self0.ccpu); // the publishers are this process's only children reaped in the window
  const res = {
    scenario: name, n: sc.n, endpoints: sc.sinks, nodes: sc.nodes, store: sc.store, mode: serve ? 'serve' : 'dev', payloadBytes: sc.payload,
    conns: conns * nodes.length, warmup: warmN, acked, pubErrors,
    acksPerSec: acked / ((lastAck - firstSend) / 1e6),
    ackMs: pr.map((x) => x.publishAckMs),
    deliveries: unique, deliveredPerSec: unique / ((lastRecv - firstSend) / 1e6),
    e2eSeconds: (lastRecv - firstSend) / 1e6,
    latencyMs: st.map((x) => x.latencyMs),
    lost, dups, notAcked: sc.n - acked, stale: st.reduce((s, x) => s + x.stale, 0),
    heraldCpuS: c1 - c0, cpuMsPerDelivery: (c1 - c0) * 1000 / Math.max(1, unique), rssMbMax: rssMax,
    cores: { wall, herald: (c1 - c0) / wall, sinks: (s1 - s0) / wall, pubs: pubCpu / wall, pgBackends: pgCpu / wall, host: (h1 - h0) / wall },
    loadStart, loadEnd: loadavg(), stopMs, logErrors, logSamples: samples, notes, at: new Date().toISOString(),
  };
  res.cores.foreign = res.cores.host - res.cores.herald - res.cores.sinks - res.cores.pubs - res.cores.pgBackends;
  if (sc.bigBody) notes.push(`limits.max-body-bytes raised to ${BIG_BODY_LIMIT} (HERALD_LIMITS_MAX_BODY_BYTES)`);
  fs.appendFileSync(`${OUT}/extra.jsonl`, JSON.stringify(res) + '\n');
  log(`${name}: acked ${acked}/${sc.n} (${res.acksPerSec.toFixed(0)}/s), delivered ${unique} (${res.deliveredPerSec.toFixed(0)}/s), lost ${lost}, dups ${dups}, ` +
    `herald ${res.cpuMsPerDelivery.toFixed(3)} ms CPU/delivery, RSS ${rssMax.toFixed(0)} MB, cores herald ${res.cores.herald.toFixed(2)} sink ${res.cores.sinks.toFixed(2)} pub ${res.cores.pubs.toFixed(2)} pg ${res.cores.pgBackends.toFixed(2)} foreign ${res.cores.foreign.toFixed(2)}`);
  for (const s of samples) log('  log: ' + s);
  return res;
}

// ---------- report ----------
const f0 = (x) => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : 'n/a');
const f2 = (x) => (Number.isFinite(x) ? x.toFixed(2) : 'n/a');
const f3 = (x) => (Number.isFinite(x) ? x.toFixed(3) : 'n/a');
function summary(rows, failed) {
  const L = [];
  L.push('| scenario | messages | publish acks/s | delivered/s | Herald CPU ms per delivered message | RSS MB | lost | duplicates |');
  L.push('|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    const msgs = r.endpoints > 1 ? `${f0(r.n)} x ${r.endpoints} endpoints` : f0(r.n);
    L.push(`| ${r.scenario} | ${msgs} | ${f0(r.acksPerSec)} | ${f0(r.deliveredPerSec)} | ${f3(r.cpuMsPerDelivery)} | ${f0(r.rssMbMax)} | ${r.lost} | ${r.dups} |`);
  }
  for (const f of failed) L.push(`| ${f.scenario} | FAILED: ${f.error.replace(/\|/g, '/')} | | | | | | |`);
  L.push('');
  L.push('Details (cores = CPU-seconds per wall second over the measured phase; foreign = host busy minus Herald, sinks, publishers and this run\'s PostgreSQL backends):');
  L.push('');
  L.push('| scenario | store / mode | body bytes | conns | ack p50 / p99 ms | publish->delivery p50 / p99 ms | Herald / sinks / pubs / PG cores | foreign cores | load avg at start | log WARN+ | notes |');
  L.push('|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    const ack = r.ackMs.filter(Boolean).map((x) => `${f2(x.p50)} / ${f2(x.p99)}`).join('; ');
    const lat = r.latencyMs.length === 1 ? `${f2(r.latencyMs[0].p50)} / ${f2(r.latencyMs[0].p99)}`
      : `${f2(Math.max(...r.latencyMs.map((x) => x.p50)))} / ${f2(Math.max(...r.latencyMs.map((x) => x.p99)))} (worst sink)`;
    const c = r.cores;
    L.push(`| ${r.scenario} | ${r.store === 'pg' ? 'PostgreSQL' : 'SQLite'} / ${r.mode}${r.nodes > 1 ? ` x ${r.nodes} nodes` : ''} | ${r.payloadBytes} payload | ${r.conns} | ${ack} | ${lat} | ${f2(c.herald)} / ${f2(c.sinks)} / ${f2(c.pubs)} / ${f2(c.pgBackends)} | ${f2(c.foreign)} | ${r.loadStart} | ${r.logErrors} | ${r.notes.join('; ') || ''} |`);
  }
  return L.join('\n');
}

async function main() {
  fs.mkdirSync(OUT, { recursive: true });
  const rows = [], failed = [];
  for (const name of wanted) {
    try { rows.push(await scenario(name, SCENARIOS[name])); } catch (e) {
      log(`${name} failed: ${e.stack || e.message}`); failed.push({ scenario: name, error: e.message.split('\n')[0] });
      await stopAll(); if (SCENARIOS[name].store === 'pg') { try { dropDb(); } catch (_) {} }
    }
  }
  const table = summary(rows, failed);
  const head = [`# Herald: more scenarios (no target yet)`, '',
    `Run ${new Date().toISOString()}; command: \`${a.command || 'bench/extra.sh'}\`; ${a.version || ''}`,
    `Machine: nproc ${os.cpus().length}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, kernel ${os.release()}; uptime at start: ${a.uptime || 'n/a'}; load average at end: ${loadavg()}.`,
    `Every scenario: fresh Herald (empty data dir / fresh database \`${PG_DB}\`), warm-up of ${WARMUP} small messages (fan-out: ${Math.round(WARMUP / 10)} publishes) to the same destination, then N published by the harness's C publisher (closed loop; a build of pub.c with larger buffers, see bench/extra.sh) while deliveries run. ` +
    'Publish acks/s = acked / (last ack - first send); delivered/s = unique deliveries (fan-out: all endpoints) / (last delivery - first send); Herald CPU = utime+stime of the Java process(es) over the measured phase / unique deliveries; RSS = largest VmRSS (sum over nodes) sampled every 200 ms during the measured phase.',
    'SQLite scenarios run `herald dev`; PostgreSQL scenarios run `herald serve --store ...` (token and signing keys set, egress allowed to 127.0.0.1/32), and pg-2nodes splits the publishers\' connections (half each) and the N messages over the two nodes.', ''];
  const md = head.join('\n') + '\n' + table + '\n';
  fs.writeFileSync(`${OUT}/summary.md`, md);
  console.log(md);
  if (failed.length) return 1;
  if (!rows.every((r) => r.lost === 0 && r.dups === 0)) return 3;
  return rows.every((r) => r.pubErrors === 0 && r.acked === r.n && r.notes.every((x) => !/deadline|progress|killed|warm-up/.test(x))) ? 0 : 4;
}
const bail = async (code) => { await stopAll(); process.exit(code); };
process.on('SIGINT', () => bail(130));
process.on('SIGTERM', () => bail(143));
main().then(bail, async (e) => { log('failed: ' + (e.stack || e.message)); await bail(1); });
