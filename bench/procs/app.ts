/**
 * One server under test, in its own process (forked by the orchestrator, with the DNS preload).
 * BENCH_APP (JSON, bench/procs/app/common.ts AppConfig) picks the contender:
 *   lib           express-wecom-auth with its defaults, mounted as the README says (app/lib.ts)
 *   session-only  the guard baseline: express-session alone and a hand-written "logged in?" check
 *   floor         the least a correct login does, by hand: state in the session, one cached token,
 *                 one code exchange, regenerate, save (app/hand-rolled.ts)
 *   passport      passport + passport-wechat-enterprise + express-session (app/peers.ts)
 *   logto         @logto/connector-wecom's getAuthorizationUri / getUserInfo in a thin route
 * Every contender has the same express-session settings, the same store, and the same guarded
 * route GET /page answering the same JSON. WeCom is reached at its real host names
 * (https://qyapi.weixin.qq.com), which the preload points at the emulator.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import type { NextFunction, Request, Response } from 'express';
import session from 'express-session';
import type { Store } from 'express-session';
import { createClient } from 'redis';
import { createRedisSessionStore, recommendedRedisClientOptions } from '../../src/redis/index.ts';
import type { AppConfig, Mount } from './app/common.ts';
import { mountFloor, mountSessionOnly } from './app/hand-rolled.ts';
import { answerInspections } from './app/inspect.ts';
import { mountLib } from './app/lib.ts';
import { mountLogto, mountPassport } from './app/peers.ts';

export type { AppConfig, Kind } from './app/common.ts';

const config = JSON.parse(process.env['BENCH_APP'] ?? '{}') as AppConfig;

const server = createServer();
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const port = (server.address() as AddressInfo).port;
const baseUrl = config.baseUrl ?? `http://127.0.0.1:${port}`;

let store: Store | undefined;
let redis: ReturnType<typeof createClient> | undefined;
if (config.store === 'redis') {
  redis = createClient({ url: config.redisUrl, ...recommendedRedisClientOptions() });
  await redis.connect();
  store = createRedisSessionStore({ client: redis, prefix: `${config.prefix ?? 'bench:'}sess:`, logger: null });
}

const app = express();
app.disable('x-powered-by');
app.disable('etag');

// Bench-only: memory after a full GC (the process runs with --expose-gc).
app.get('/__bench/mem', (_req, res) => {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const m = process.memoryUsage();
  res.json({ rss: m.rss, heapUsed: m.heapUsed, external: m.external });
});

app.use(
  session({
    name: 'sid',
    secret: 'bench-session-secret',
    resave: false,
    saveUninitialized: false,
    ...(store ? { store } : {}),
    cookie: { httpOnly: true, sameSite: 'lax', secure: false, maxAge: 8 * 3600_000 },
  }),
);

const mount: Mount = { app, config, baseUrl, callbackUrl: `${baseUrl}/auth/callback`, redis };
switch (config.kind) {
  case 'lib':
    await mountLib(mount);
    break;
  case 'session-only':
    mountSessionOnly(mount);
    break;
  case 'floor':
    mountFloor(mount);
    break;
  case 'passport':
    mountPassport(mount);
    break;
  case 'logto':
    await mountLogto(mount);
    break;
  default:
    throw new Error(`unknown kind ${String(config.kind)}`);
}

// Last resort: count it, answer 500 (the driver reports non-2xx/3xx as errors).
app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
  console.error(`[${config.kind}] error:`, err instanceof Error ? err.message : String(err));
  if (!res.headersSent) res.status(500).json({ error: 'bench_app_error' });
});

server.on('request', app);
server.keepAliveTimeout = 30_000;
process.on('disconnect', () => {
  server.close();
  server.closeAllConnections();
  void redis?.close();
  setTimeout(() => process.exit(0), 200).unref();
});
answerInspections();
process.send?.({ id: 0, body: { port, baseUrl } });
