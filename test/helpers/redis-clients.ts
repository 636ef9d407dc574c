/** Shared bits for the Redis tests: clients with the recommended options, counters, waits. */
import { randomBytes } from 'node:crypto';
import { createClient } from 'redis';
import { recommendedRedisClientOptions } from '../../src/redis/index.ts';
import type { FreshCredential } from '../../src/wecom/token-cache.ts';

function makeClient(url: string) {
  return createClient({ url, ...recommendedRedisClientOptions({ maxReconnectDelayMs: 200 }) });
}
export type TestClient = ReturnType<typeof makeClient>;

/** `items[i % items.length]`, typed without a non-null assertion. */
export function roundRobin<T>(items: readonly T[], i: number): T {
  const item = items[i % items.length];
  if (item === undefined) throw new Error('empty list');
  return item;
}

export async function connectClient(url: string, clients: TestClient[]): Promise<TestClient> {
  const client = makeClient(url);
  client.on('error', () => {});
  clients.push(client);
  await client.connect();
  return client;
}

export function destroyAll(clients: TestClient[]): void {
  for (const client of clients.splice(0)) {
    try {
      client.destroy();
    } catch {
      // already closed
    }
  }
}

export function randomPrefix(): string {
  return `test:${randomBytes(6).toString('hex')}:`;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A fetch that counts its calls, records what each replaced, and answers `${name}-N` after `delayMs`. */
export function countingFetch(name: string, delayMs = 0, ttlMs = 60_000, refreshAfterMs?: number) {
  const state = {
    calls: 0,
    replaced: [] as (string | undefined)[],
    fetch: async (replacing: string | undefined): Promise<FreshCredential> => {
      const n = ++state.calls;
      state.replaced.push(replacing);
      await sleep(delayMs);
      return { value: `${name}-${n}`, ttlMs, ...(refreshAfterMs === undefined ? {} : { refreshAfterMs }) };
    },
  };
  return state;
}

/** A promise with its resolve/reject handles. */
export function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

export async function waitUntil(check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(20);
  }
}

export function recordingLogger() {
  const lines: string[] = [];
  return {
    lines,
    warn: (message: string) => lines.push(`warn ${message}`),
    info: (message: string) => lines.push(`info ${message}`),
  };
}

/** Total commands the server executed (INFO commandstats), minus INFO/CONFIG used by the test itself. */
export async function commandCount(admin: TestClient): Promise<Map<string, number>> {
  const info = await admin.info('commandstats');
  const counts = new Map<string, number>();
  for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
    const name = match[1] ?? '';
    if (name === 'info' || name.startsWith('config')) continue;
    counts.set(name, Number(match[2]));
  }
  return counts;
}

export function total(counts: Map<string, number>): number {
  let sum = 0;
  for (const n of counts.values()) sum += n;
  return sum;
}
