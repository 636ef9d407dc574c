/**
 * The cost of the HTTP client: CPU per WeCom call through got (the library's transport) against
 * node:https (what the floor and passport-wechat-enterprise use), same keep-alive agent, same
 * emulator over TLS in another process, calls interleaved round by round. Also counts the sockets
 * each opened, to see whether keep-alive connections survive.
 *
 *   node bench/http-client.ts        (part of `npm run bench`)
 */
import { fork } from 'node:child_process';
import https from 'node:https';
import { fileURLToPath } from 'node:url';
import got from 'got';
import { makeCert } from './lib/cert.ts';
import { fmt, fmtSpread, ratio, spread, table } from './lib/stats.ts';

const QUICK = process.env['BENCH_QUICK'] === '1';
const CALLS = QUICK ? 500 : 2000;
const ROUNDS = QUICK ? 2 : 3;

if (process.argv[2] === 'emulator') {
  const { startEmulator } = await import('../src/emulator/index.ts');
  const emu = await startEmulator({ port: 0, tls: { key: process.env['BENCH_TLS_KEY'] ?? '', cert: process.env['BENCH_TLS_CERT'] ?? '' } });
  process.send?.(emu.url);
  process.on('disconnect', () => void emu.close().then(() => process.exit(0)));
} else {
  const cert = makeCert();
  const child = fork(fileURLToPath(import.meta.url), ['emulator'], { env: { ...process.env, BENCH_TLS_KEY: cert.key, BENCH_TLS_CERT: cert.cert } });
  const base = await new Promise<string>((resolve) => child.once('message', (m) => resolve(String(m))));
  const url = `${base.replace('localhost', '127.0.0.1')}/cgi-bin/gettoken?corpid=wwdemocorp0000001&corpsecret=demo-secret`;

  type Client = 'got' | 'node:https';
  const viaGot = (agent: https.Agent) => async (): Promise<void> => {
    await got(url, { agent: { https: agent }, retry: { limit: 0 }, responseType: 'text', throwHttpErrors: false, followRedirect: false, timeout: { connect: 3000, secureConnect: 3000, response: 5000, read: 5000 } });
  };
  const viaHttps = (agent: https.Agent) => (): Promise<void> => new Promise((resolve, reject) => {
    const req = https.request(url, { agent }, (res) => {
      res.resume();
      res.on('end', () => resolve());
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });

  async function sample(client: Client, concurrency: number): Promise<{ cpuMs: number; sockets: number }> {
    const agent = new https.Agent({ keepAlive: true, maxSockets: 64, ca: cert.cert });
    let sockets = 0;
    const create = agent.createConnection.bind(agent);
    agent.createConnection = ((...args: Parameters<typeof create>) => {
      sockets++;
      return create(...args);
    }) as typeof create;
    const call = client === 'got' ? viaGot(agent) : viaHttps(agent);
    let left = CALLS;
    const before = process.cpuUsage();
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (left-- > 0) await call();
    }));
    const used = process.cpuUsage(before);
    agent.destroy();
    return { cpuMs: (used.user + used.system) / 1000 / CALLS, sockets };
  }

  console.log('### 7. The HTTP client: CPU per WeCom call, got against node:https');
  console.log();
  console.log(`\`node bench/http-client.ts\`: ${CALLS} gettoken calls per round to the emulator over TLS (in another process), `
    + `${ROUNDS} interleaved rounds, one keep-alive agent each; the caller's own CPU time per call (median, min–max) and the sockets opened.`);
  console.log();
  const rows: string[][] = [];
  for (const concurrency of [1, 16, 64]) {
    const results: Record<Client, { cpu: number[]; sockets: number[] }> = { got: { cpu: [], sockets: [] }, 'node:https': { cpu: [], sockets: [] } };
    await sample('got', concurrency);
    await sample('node:https', concurrency);
    for (let round = 0; round < ROUNDS; round++) {
      for (const client of (round % 2 === 0 ? ['got', 'node:https'] : ['node:https', 'got']) as Client[]) {
        const r = await sample(client, concurrency);
        results[client].cpu.push(r.cpuMs);
        results[client].sockets.push(r.sockets);
      }
    }
    const g = spread(results.got.cpu);
    const h = spread(results['node:https'].cpu);
    rows.push([String(concurrency), fmtSpread(h, 3), fmtSpread(g, 3), ratio(g.median, h.median),
      `${fmt(Math.max(...results['node:https'].sockets), 0)} / ${fmt(Math.max(...results.got.sockets), 0)}`]);
  }
  console.log(table(['concurrency', 'node:https, CPU ms/call', 'got, CPU ms/call', 'got vs node:https', 'sockets opened, most in a round (https / got)'], rows));
  console.log();
  child.disconnect();
  cert.remove();
}
