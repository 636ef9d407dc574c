/**
 * What hearing WeCom costs (issue 21), each table side by side in one run:
 *
 *   1. deliveries per second through the library's receiver against a floor (the same Express, a
 *      route doing node:crypto verify + decrypt + the same XML reader, nothing else), at 1 and 16
 *      at once, every delivery distinct (no duplicate short-cut), rounds interleaved;
 *   2. acknowledgement times at a steady 200 deliveries a second for `--seconds` with a handler
 *      that awaits 2 s: with the default budget (the answer waits for the handler) and with a
 *      short one (acknowledged in time, the handler goes on);
 *   3. hostile requests: an entity bomb and a 2 MB body, 200 each: what they cost and what they do
 *      to the receiver's memory (RSS and heap after a GC, before and after);
 *   4. offboarding latency: a member with sessions on instance A, the departure delivered to
 *      instance B on one Redis: from sending it until A refuses the session;
 *   5. the login's added cost of the session index: RedisSessionIndex.add, per call.
 *
 *   node bench/callbacks.ts [--requests 2000] [--rounds 3] [--seconds 30]
 */
import http from 'node:http';
import { join } from 'node:path';
import { createClient } from 'redis';
import supertest from 'supertest';
import { startProc } from './lib/procs.ts';
import type { Proc } from './lib/procs.ts';
import { fmt, median, quantile, sortNum, table } from './lib/stats.ts';
import { generateEncodingAESKey, messageXml, signDelivery } from '../src/testing.ts';
import { RedisSessionIndex } from '../src/redis/index.ts';
import { offboardingLatency } from './lib/offboarding-latency.ts';

const args = process.argv.slice(2);
const option = (name: string, fallback: number): number => {
  const i = args.indexOf(name);
  return i === -1 ? fallback : Number(args[i + 1]);
};
const REQUESTS = option('--requests', 2000);
const ROUNDS = option('--rounds', 3);
const SECONDS = option('--seconds', 30);
const CORP = 'wwbenchcorp000001';
const app = { token: 'benchToken', encodingAESKey: generateEncodingAESKey(), receiveId: CORP };
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

interface Delivery {
  path: string;
  body: string;
}
let serial = 0;
function deliveries(n: number): Delivery[] {
  return Array.from({ length: n }, () => {
    serial++;
    const message = messageXml({
      ToUserName: CORP,
      FromUserName: 'zhangsan',
      CreateTime: 1733300000 + serial,
      MsgType: 'event',
      Event: 'click',
      EventKey: `k${serial}`,
      AgentID: 1000002,
    });
    const signed = signDelivery(app, message, { timestamp: String(Math.floor(Date.now() / 1000)) });
    return { path: `/events?${new URLSearchParams(signed.query)}`, body: signed.body };
  });
}

function post(port: number, d: Delivery): Promise<{ status: number; ms: number }> {
  const began = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, path: d.path, method: 'POST', agent, headers: { 'content-type': 'text/xml' } },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - began }));
      },
    );
    req.on('error', reject);
    req.end(d.body);
  });
}

async function start(kind: 'lib' | 'floor', handlerMs: number, budgetMs?: number): Promise<{ proc: Proc; port: number }> {
  const config = { kind, ...app, handlerMs, ...(budgetMs === undefined ? {} : { budgetMs }) };
  const proc = await startProc(join(import.meta.dirname, 'procs', 'callback-app.ts'), {
    name: `${kind} receiver`,
    env: { BENCH_CALLBACK: JSON.stringify(config) },
    execArgv: ['--expose-gc'],
  });
  return { proc, port: Number(proc.hello['port']) };
}

async function throughput(port: number, list: Delivery[], concurrency: number): Promise<number> {
  let next = 0;
  const began = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < list.length) {
        const d = list[next++];
        if (d) await post(port, d);
      }
    }),
  );
  return list.length / ((performance.now() - began) / 1000);
}

async function tableThroughput(): Promise<string> {
  const lib = await start('lib', 0);
  const floor = await start('floor', 0);
  const rows: string[][] = [];
  try {
    for (const concurrency of [1, 16]) {
      const rates: Record<string, number[]> = { lib: [], floor: [] };
      for (let round = 0; round < ROUNDS; round++) {
        for (const [name, target] of [
          ['floor', floor],
          ['lib', lib],
        ] as const)
          rates[name]?.push(await throughput(target.port, deliveries(REQUESTS), concurrency));
      }
      const l = median(rates['lib'] ?? []);
      const f = median(rates['floor'] ?? []);
      const spread = (rates['lib'] ?? []).map((r, i) => r / (rates['floor']?.[i] ?? Number.NaN));
      rows.push([
        String(concurrency),
        fmt(f, 0),
        fmt(l, 0),
        `${(l / f).toFixed(2)}×`,
        `${Math.min(...spread).toFixed(2)}–${Math.max(...spread).toFixed(2)}×`,
      ]);
    }
  } finally {
    await lib.proc.stop();
    await floor.proc.stop();
  }
  return table(['at once', 'floor /s', 'library /s', 'library ÷ floor', 'rounds'], rows);
}

async function tableAck(): Promise<string> {
  const rows: string[][] = [];
  for (const [label, budgetMs] of [
    ['default budget (4 s): the answer waits for the handler', undefined],
    ['budgetMs 25: acknowledged in time, the handler goes on', 25],
  ] as const) {
    const target = await start('lib', 2000, budgetMs);
    try {
      const list = deliveries(200 * SECONDS);
      const times: number[] = [];
      const sent: Promise<void>[] = [];
      const began = performance.now();
      for (const [i, d] of list.entries()) {
        const due = began + (i * 1000) / 200;
        const left = due - performance.now();
        if (left > 0) await new Promise((resolve) => setTimeout(resolve, left));
        sent.push(post(target.port, d).then((r) => void times.push(r.ms)));
      }
      await Promise.all(sent);
      const s = sortNum(times);
      rows.push([label, String(times.length), fmt(quantile(s, 0.5), 1), fmt(quantile(s, 0.99), 1), fmt(s[s.length - 1] ?? Number.NaN, 1)]);
    } finally {
      await target.proc.stop();
    }
  }
  return table(['receiver', 'deliveries', 'ack p50 ms', 'ack p99 ms', 'max ms'], rows);
}

async function tableHostile(): Promise<string> {
  const target = await start('lib', 0);
  const signed = signDelivery(
    app,
    messageXml({ ToUserName: CORP, FromUserName: 'x', CreateTime: 1, MsgType: 'event', Event: 'click', EventKey: 'k', AgentID: 1 }),
  );
  const query = `/events?${new URLSearchParams(signed.query)}`;
  const bomb = `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">${Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i === 0 ? '' : i};`.repeat(10)}">`).join('')}]><xml><Encrypt>&lol9;</Encrypt></xml>`;
  const big = `<xml><Encrypt><![CDATA[${'A'.repeat(2 * 1024 * 1024)}]]></Encrypt></xml>`;
  const rows: string[][] = [];
  try {
    for (const [name, body] of [
      ['entity bomb', bomb],
      ['2 MB body', big],
      ['a good delivery (reference)', signed.body],
    ] as const) {
      const memBefore = (await supertest(`http://127.0.0.1:${target.port}`).get('/__bench/mem')).body as { rss: number; heapUsed: number };
      const times: number[] = [];
      let status = 0;
      for (let i = 0; i < 200; i++) {
        const r = await post(target.port, { path: query, body });
        status = r.status;
        times.push(r.ms);
      }
      const memAfter = (await supertest(`http://127.0.0.1:${target.port}`).get('/__bench/mem')).body as { rss: number; heapUsed: number };
      rows.push([
        name,
        String(status),
        fmt(median(times), 2),
        fmt((memAfter.rss - memBefore.rss) / 1048576, 1),
        fmt((memAfter.heapUsed - memBefore.heapUsed) / 1048576, 1),
      ]);
    }
  } finally {
    await target.proc.stop();
  }
  return table(['request (200 each)', 'status', 'median ms', 'RSS change MB', 'heap change MB'], rows);
}

async function tableIndex(redisUrl: string): Promise<string> {
  const redis = createClient({ url: redisUrl });
  await redis.connect();
  const index = new RedisSessionIndex(redis, { prefix: `bench-index-${process.pid}:` });
  const times: number[] = [];
  try {
    for (let i = 0; i < 2000; i++) {
      const began = performance.now();
      await index.add({ corpId: CORP, userId: `u${i % 50}` }, `sid-${i}`, Date.now() + 3600_000);
      times.push(performance.now() - began);
    }
    for (let i = 0; i < 50; i++) await index.take({ corpId: CORP, userId: `u${i}` });
  } finally {
    await redis.quit();
  }
  const s = sortNum(times);
  return table(
    ['RedisSessionIndex.add (one per login)', 'p50 ms', 'p99 ms'],
    [['2,000 logins of 50 members', fmt(quantile(s, 0.5), 3), fmt(quantile(s, 0.99), 3)]],
  );
}

const redisUrl = process.env['BENCH_REDIS_URL'] ?? 'redis://127.0.0.1:6379';
console.log(`\n# Hearing WeCom (${new Date().toISOString()})\n`);
console.log(`## 1. Deliveries per second (median of ${ROUNDS} rounds of ${REQUESTS})\n\n${await tableThroughput()}\n`);
console.log(`## 2. Acknowledgement at 200 deliveries/s for ${SECONDS} s, handler awaiting 2 s\n\n${await tableAck()}\n`);
console.log(`## 3. Hostile requests\n\n${await tableHostile()}\n`);
console.log(`## 4. Offboarding latency (two instances on one Redis)\n\n${await offboardingLatency(redisUrl)}\n`);
console.log(`## 5. The login's added cost of the session index\n\n${await tableIndex(redisUrl)}\n`);
agent.destroy();
