/**
 * One app instance in a process of its own whose wall clock is off: `Date.now()` runs
 * CLOCK_OFFSET_MS ahead (or behind, when negative). It shares a Redis token cache with its peers
 * prints "ready", waits for a line on stdin, calls WeCom (the emulator) every 25 ms for
 * DURATION_MS, then prints one JSON line: `{"calls":N,"failures":N,"tokens":N}` (tokens =
 * distinct access_tokens it used).
 *
 * Run by test/fleet/clock-skew.test.ts: node test/helpers/skewed-instance.ts
 * Env: REDIS_URL, EMULATOR_URL, PREFIX, CLOCK_OFFSET_MS, DURATION_MS, MARGIN_SECONDS.
 */
import { createClient } from 'redis';
import { RedisTokenCache, recommendedRedisClientOptions } from '../../src/redis/index.ts';
import { WeComClient } from '../../src/wecom/index.ts';

const env = process.env;
const offset = Number(env['CLOCK_OFFSET_MS'] ?? 0);
const realNow = Date.now.bind(Date);
Date.now = () => realNow() + offset;

const redis = createClient({ url: env['REDIS_URL'], ...recommendedRedisClientOptions() });
redis.on('error', () => {});
await redis.connect();
const wecom = new WeComClient({
  corpId: 'wwdemocorp0000001',
  secret: 'demo-secret',
  agentId: 1000002,
  apiBaseUrl: env['EMULATOR_URL'] ?? '',
  tokenSafetyMarginSeconds: Number(env['MARGIN_SECONDS'] ?? 300),
  tokenCache: new RedisTokenCache(redis, { prefix: env['PREFIX'] ?? 'skew:' }),
});

console.log('ready');
await new Promise((resolve) => {
  process.stdin.once('data', resolve);
  // The pipe closed without a line: the test that started this is gone, so stop rather than wait.
  process.stdin.once('end', () => process.exit(1));
});
process.stdin.pause();

const until = performance.now() + Number(env['DURATION_MS'] ?? 1000);
let calls = 0;
let failures = 0;
const tokens = new Set<string>();
while (performance.now() < until) {
  try {
    await wecom.getUser('zhangsan');
    tokens.add(await wecom.getAccessToken());
    calls++;
  } catch {
    failures++;
  }
  await new Promise((resolve) => setTimeout(resolve, 25));
}
console.log(JSON.stringify({ calls, failures, tokens: tokens.size }));
wecom.close();
redis.destroy();
