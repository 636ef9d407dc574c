/**
 * The cost of the HTTP client: CPU per WeCom call through got (the library's transport) against
 * node:https (what the floor and passport-wechat-enterprise use), same keep-alive agent, same
 * emulator over TLS in another process, calls interleaved round by round. Also counts the sockets
 * each opened, to see whether keep-alive connections survive.
 *
 *   node bench/http-client.ts        (part of `npm run bench`, which runs it with --json)
 */
import { fork } from 'node:child_process';
import https from 'node:https';
import { fileURLToPath } from 'node:url';
import got from 'got';
import { makeCert } from './lib/cert.ts';
import { cores } from './lib/pin.ts';
import { renderHttpClient } from './lib/report.ts';
import type { HttpClientResult } from './lib/results.ts';

const QUICK = process.env['BENCH_QUICK'] === '1';
const CALLS = QUICK ? 500 : 1000;
const ROUNDS = QUICK ? 2 : 3;

if (process.argv[2] === 'emulator') {
  const { startEmulator } = await import('../src/emulator/index.ts');
  const emu = await startEmulator({ port: 0, tls: { key: process.env['BENCH_TLS_KEY'] ?? '', cert: process.env['BENCH_TLS_CERT'] ?? '' } });
  process.send?.(emu.url);
  process.on('disconnect', () => void emu.close().then(() => process.exit(0)));
} else {
  const cert = makeCert();
  const child = fork(fileURLToPath(import.meta.url), ['emulator'], {
    env: { ...process.env, BENCH_TLS_KEY: cert.key, BENCH_TLS_CERT: cert.cert },
  });
  // Its URL, or why it has none: an exit or a failed fork, or 30 s of silence.
  const base = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the emulator process sent no URL within 30 s')), 30_000);
    child.once('message', (m) => {
      clearTimeout(timer);
      resolve(String(m));
    });
    child.once('exit', (code) => reject(new Error(`the emulator process exited (${String(code)}) before it sent its URL`)));
    child.once('error', (err) => reject(new Error(`the emulator process could not start: ${err.message}`)));
  });
  // The caller on the core of the processes under test, the emulator on the others (bench/lib/pin.ts).
  const pin = cores();
  pin.subjectPid(process.pid);
  if (child.pid !== undefined) pin.loadPid(child.pid);
  const url = `${base.replace('localhost', '127.0.0.1')}/cgi-bin/gettoken?corpid=wwdemocorp0000001&corpsecret=demo-secret`;

  type Client = 'got' | 'got-per-call' | 'node:https';
  const TIMEOUT = { connect: 3000, secureConnect: 3000, response: 5000, read: 5000 };
  const readStream = (stream: NodeJS.ReadableStream): Promise<void> =>
    new Promise((resolve, reject) => {
      stream.on('data', () => undefined);
      stream.once('error', reject);
      stream.once('end', () => resolve());
    });
  // As the library calls it (src/wecom/http.ts): one instance prepared once with the fixed
  // options, the stream API, nothing per call but the URL.
  const viaGot = (agent: https.Agent) => {
    const client = got.extend({
      agent: { https: agent },
      retry: { limit: 0 },
      throwHttpErrors: false,
      followRedirect: false,
      timeout: TIMEOUT,
      headers: { accept: 'application/json' },
    });
    return (): Promise<void> => readStream(client.stream(url));
  };
  // The full options object built on every call (what the library did before).
  const viaGotPerCall = (agent: https.Agent) => (): Promise<void> =>
    readStream(
      got.stream(url, {
        method: 'GET',
        headers: { accept: 'application/json' },
        throwHttpErrors: false,
        followRedirect: false,
        retry: { limit: 0 },
        timeout: { ...TIMEOUT },
        agent: { https: agent },
      }),
    );
  const viaHttps = (agent: https.Agent) => (): Promise<void> =>
    new Promise((resolve, reject) => {
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
    const call = client === 'got' ? viaGot(agent) : client === 'got-per-call' ? viaGotPerCall(agent) : viaHttps(agent);
    let left = CALLS;
    const before = process.cpuUsage();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (left-- > 0) await call();
      }),
    );
    const used = process.cpuUsage(before);
    agent.destroy();
    return { cpuMs: (used.user + used.system) / 1000 / CALLS, sockets };
  }

  const CLIENTS: Client[] = ['node:https', 'got', 'got-per-call'];
  const data: HttpClientResult = { calls: CALLS, rounds: ROUNDS, pinned: pin.pinned, rows: [] };
  for (const concurrency of [1, 16, 64]) {
    const results: Record<Client, { cpu: number[]; sockets: number[] }> = {
      got: { cpu: [], sockets: [] },
      'got-per-call': { cpu: [], sockets: [] },
      'node:https': { cpu: [], sockets: [] },
    };
    for (const client of CLIENTS) await sample(client, concurrency);
    for (let round = 0; round < ROUNDS; round++) {
      // Rotate the order each round, so that a drift in the machine's load favours none.
      for (const client of CLIENTS.map((_, i) => CLIENTS[(i + round) % CLIENTS.length] as Client)) {
        const r = await sample(client, concurrency);
        results[client].cpu.push(r.cpuMs);
        results[client].sockets.push(r.sockets);
      }
    }
    data.rows.push({
      concurrency,
      https: results['node:https'].cpu,
      got: results.got.cpu,
      gotPerCall: results['got-per-call'].cpu,
      sockets: {
        https: Math.max(...results['node:https'].sockets),
        got: Math.max(...results.got.sockets),
        gotPerCall: Math.max(...results['got-per-call'].sockets),
      },
    });
  }
  console.log(process.argv.includes('--json') ? JSON.stringify(data) : renderHttpClient(data));
  child.disconnect();
  cert.remove();
}
