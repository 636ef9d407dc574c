/**
 * `npm start`: the local WeCom emulator on 3001 and the demo app on 3000.
 * Every setting comes from the environment (see the README's configuration table).
 */
import { randomBytes } from 'node:crypto';
import type { Store } from 'express-session';
import { startEmulator } from '../emulator/index.ts';
import type { Emulator } from '../emulator/index.ts';
import { createDemoApp } from './app.ts';
import { createClient } from 'redis';
import { createRedisSessionStore, recommendedRedisClientOptions, RedisTokenCache } from '../redis/index.ts';
import type { TokenCache } from '../index.ts';

const env = process.env;
const port = Number(env.PORT ?? 3000);
const publicUrl = (env.PUBLIC_URL ?? `http://localhost:${port}`).replace(/\/+$/, '');
const useEmulator = env.WECOM_EMULATOR !== '0';

let emulator: Emulator | undefined;
if (useEmulator) {
  emulator = await startEmulator({ port: Number(env.EMULATOR_PORT ?? 3001), host: '127.0.0.1' });
  // The default fixture trusts localhost:3000; trust whatever host this demo really answers on.
  const host = new URL(publicUrl).host;
  for (const corp of emulator.fixture.corps) {
    for (const app of corp.apps) if (!app.trustedDomains.includes(host)) app.trustedDomains.push(host);
  }
}

const wecomUrl = (name: string): string | undefined => env[name] || emulator?.url;

let store: Store | undefined;
let tokenCache: TokenCache | undefined;
let closeRedis: (() => Promise<void>) | undefined;
if (env.REDIS_URL) {
  // Fail fast while Redis is down (503s) and reconnect forever; see the README's Redis section.
  const redis = createClient({ url: env.REDIS_URL, ...recommendedRedisClientOptions() });
  store = createRedisSessionStore({ client: redis, prefix: 'wecom-demo:sess:' });
  tokenCache = new RedisTokenCache(redis, { prefix: 'wecom-demo:' });
  // Not awaited: the demo starts (and answers 503) even while Redis is still unreachable.
  redis.connect().catch(() => undefined);
  closeRedis = async () => {
    await redis.close();
  };
}

const sessionSecret = env.SESSION_SECRET || randomBytes(32).toString('hex');
if (!env.SESSION_SECRET) console.warn('SESSION_SECRET is not set: using a random one, so sessions end when the demo restarts.');

const { app, wecom, metrics } = createDemoApp({
  wecom: {
    corpId: env.WECOM_CORP_ID ?? 'wwdemocorp0000001',
    agentId: env.WECOM_AGENT_ID ?? '1000002',
    secret: env.WECOM_SECRET ?? 'demo-secret',
    baseUrl: publicUrl,
    // The silent login (snsapi_base: code + agentid -> UserId/DeviceId) unless WECOM_SCOPE asks
    // for the consent page (snsapi_privateinfo), which the demo then uses to show the merged profile.
    ...(env.WECOM_SCOPE === 'snsapi_privateinfo'
      ? {
          scope: 'snsapi_privateinfo' as const,
          profile: { fields: ['name', 'department', 'position', 'avatar', 'gender', 'mobile', 'email'] },
        }
      : { scope: 'snsapi_base' as const }),
    miniProgram: { sessionSecret, cookieName: 'wecom.sid' },
    ...(wecomUrl('WECOM_API_BASE_URL') ? { apiBaseUrl: wecomUrl('WECOM_API_BASE_URL') } : {}),
    ...(wecomUrl('WECOM_OAUTH_BASE_URL') ? { oauthBaseUrl: wecomUrl('WECOM_OAUTH_BASE_URL') } : {}),
    ...(wecomUrl('WECOM_LOGIN_BASE_URL') ? { loginBaseUrl: wecomUrl('WECOM_LOGIN_BASE_URL') } : {}),
    ...(tokenCache ? { tokenCache } : {}),
    // Warnings and errors to the console; DEBUG=express-wecom-auth:* traces every login step.
    logger: { warn: console.warn, error: console.error },
  },
  sessionSecret,
  ...(store ? { store } : {}),
  ...(env.TRUST_PROXY ? { trustProxy: Number(env.TRUST_PROXY) } : {}),
});

const server = app.listen(port, () => {
  console.log(`express-wecom-auth demo on ${publicUrl}  (sessions: ${store ? 'Redis' : 'memory'})`);
  if (emulator) {
    console.log(`WeCom emulator on ${emulator.url}: open ${publicUrl}/ in a browser and pick a member,`);
    console.log(`or ${emulator.url}/client?user=zhangsan for 张三's WeCom (workbench, menu, message cards).`);
  }
});

function shutdown(): void {
  server.close();
  server.closeAllConnections();
  wecom.close();
  metrics.close();
  void closeRedis?.();
  void emulator?.close();
}
process.once('SIGINT', shutdown);
process.once('SIGTERM', shutdown);
