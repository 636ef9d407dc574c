/**
 * Instances whose clocks are 10 minutes apart (three processes: 5 minutes behind, on time, 5
 * minutes ahead) share one token, through a whole token lifetime: a renewal ahead of expiry, the
 * expiry itself, the next token, without extra gettoken calls. The token cache keeps lifetimes as
 * Redis TTLs, so no instance compares its clock with another's.
 *
 * The lifetime is made short: the emulator (in 'remaining' mode) hands out a token 8 s before its
 * end, and the instances keep a 1 s safety margin. Expected, for the whole fleet: one gettoken for
 * the token (kept 7 s), one renewal after 6 s (WeCom hands the same token back with 2 s left:
 * kept exactly that long), one gettoken at WeCom's expiry for the next token. An instance that
 * judged expiry on its own clock would refetch on every call (5 minutes ahead) or use a dead token.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { startEmulator, type Emulator } from '../../src/emulator/index.ts';
import { startRedisServer, type TestRedisServer } from '../helpers/redis-server.ts';

const SCRIPT = fileURLToPath(new URL('../helpers/skewed-instance.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

let emulator: Emulator | undefined;
let redis: TestRedisServer | undefined;

before(async () => {
  // Redis first, one after the other: when it cannot start, nothing else is left running
  // (under Promise.all the emulator would stay listening and keep this file's process alive).
  redis = await startRedisServer();
  emulator = await startEmulator({ port: 0, repeatExpiresIn: 'remaining' });
});
after(async () => {
  await Promise.allSettled([emulator?.close(), redis?.stop()]);
});

interface Instance {
  ready: Promise<void>;
  go(): void;
  result: Promise<{ calls: number; failures: number; tokens: number }>;
}

function spawnInstance(env: Record<string, string>): Instance {
  const child = spawn(process.execPath, [SCRIPT], {
    cwd: ROOT,
    env: { PATH: process.env['PATH'] ?? '', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  let markReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
    if (out.startsWith('ready\n')) markReady();
  });
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
  const result = new Promise<{ calls: number; failures: number; tokens: number }>((resolve, reject) => {
    // A spawn that fails ('error', and no 'exit') must end the wait for "ready" too, with the reason.
    child.once('error', (error) => {
      clearTimeout(timer);
      markReady();
      reject(new Error(`instance could not start: ${error.message}`));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      markReady();
      const line = out.trim().split('\n').pop() ?? '';
      if (code !== 0 || !line.startsWith('{')) reject(new Error(`instance exited ${code}: ${out}\n${err}`));
      else resolve(JSON.parse(line) as { calls: number; failures: number; tokens: number });
    });
  });
  result.catch(() => {}); // awaited after the "ready" wait: a rejection before then is not unhandled
  child.stdin.on('error', () => {}); // a child that is gone: its result says why
  return { ready, go: () => child.stdin.end('go\n'), result };
}

test('three instances with clocks 10 minutes apart share one token per lifetime, renewal and expiry included', async () => {
  if (emulator === undefined || redis === undefined) throw new Error('setup failed');
  const em = emulator;
  const common = { REDIS_URL: redis.url, EMULATOR_URL: em.url, PREFIX: 'skew:', DURATION_MS: '10000', MARGIN_SECONDS: '1' };
  const instances = [-300_000, 0, 300_000].map((offset) => spawnInstance({ ...common, CLOCK_OFFSET_MS: String(offset) }));
  try {
    await Promise.all(instances.map((i) => i.ready));
  } finally {
    // A token with 8 s left at WeCom: fetched once here, the clock moved to 8 s before its end.
    const res = await fetch(`${em.url}/cgi-bin/gettoken?corpid=wwdemocorp0000001&corpsecret=demo-secret`);
    assert.equal(((await res.json()) as { errcode: number }).errcode, 0);
    em.clock.advance(7192_000);
    em.clearCalls();
    for (const instance of instances) instance.go();
  }
  const results = await Promise.all(instances.map((i) => i.result));
  const gettoken = em.callCount('gettoken');
  const rejected = em.calls.filter((c) => c.errcode !== 0).map((c) => `${c.api}:${c.errcode}`);
  console.log(`# clocks -5 min, 0, +5 min: ${JSON.stringify(results)}; gettoken ${gettoken}; rejected ${JSON.stringify(rejected)}`);
  for (const result of results) {
    assert.equal(result.failures, 0);
    assert.ok(result.calls > 50, `an instance made only ${result.calls} calls`);
    assert.equal(result.tokens, 2, 'each instance used the old token, then the new one');
  }
  assert.equal(gettoken, 3, 'the token, its renewal, the next token: for the whole fleet');
});
