/**
 * A small app as a team would write it, with sessions and the token cache on Redis Sentinel or a
 * Redis Cluster: what test/topology/*.test.ts runs four of (through test/helpers/fleet.ts).
 *
 * It has what the fleet helpers rely on: the guarded page `/` (marked `data-page="home"`), the
 * guarded JSON `/me`, and a "demo on" line once it listens.
 *
 * Env: PORT, PUBLIC_URL, SESSION_SECRET, WECOM_API_BASE_URL (the emulator, also used for the
 * OAuth and login pages), and one of
 *   REDIS_SENTINEL = "<master name>@host:port,host:port,..."   (the sentinels)
 *   REDIS_CLUSTER  = "host:port,host:port,..."                 (some cluster nodes)
 */
import express from 'express';
import session from 'express-session';
import { createCluster, createSentinel } from 'redis';
import { createRedisSessionStore, recommendedRedisClientOptions, RedisTokenCache } from '../../src/redis/index.ts';
import type { RedisSessionClient } from '../../src/redis/index.ts';
import type { RedisTokenCacheClient } from '../../src/redis/token-cache.ts';
import { wecomAuth } from '../../src/wecom-auth.ts';

const env = process.env;
const port = Number(env['PORT'] ?? 3000);
const publicUrl = env['PUBLIC_URL'] ?? `http://localhost:${port}`;
const emulatorUrl = env['WECOM_API_BASE_URL'] ?? '';

function hostPorts(list: string): { host: string; port: number }[] {
  return list.split(',').map((item) => {
    const [host = '', portText = ''] = item.trim().split(':');
    return { host, port: Number(portText) };
  });
}

const options = recommendedRedisClientOptions();
let client: RedisSessionClient & RedisTokenCacheClient & { connect(): Promise<unknown>; close(): Promise<void> };
if (env['REDIS_SENTINEL']) {
  const [name = 'mymaster', nodes = ''] = env['REDIS_SENTINEL'].split('@');
  client = createSentinel({ name, sentinelRootNodes: hostPorts(nodes), nodeClientOptions: options, sentinelClientOptions: options });
} else if (env['REDIS_CLUSTER']) {
  client = createCluster({
    rootNodes: hostPorts(env['REDIS_CLUSTER']).map((n) => ({ url: `redis://${n.host}:${n.port}` })),
    defaults: options,
  });
} else {
  throw new Error('topology-app: set REDIS_SENTINEL or REDIS_CLUSTER');
}
// Errors are expected during a failover; the app keeps serving (503s) and recovers by itself.
client.on('error', () => {});

const store = createRedisSessionStore({ client, prefix: 'topo:sess:' });
const wecom = wecomAuth({
  corpId: 'wwdemocorp0000001',
  agentId: 1000002,
  secret: 'demo-secret',
  baseUrl: publicUrl,
  scope: 'snsapi_base',
  apiBaseUrl: emulatorUrl,
  oauthBaseUrl: emulatorUrl,
  loginBaseUrl: emulatorUrl,
  tokenCache: new RedisTokenCache(client, { prefix: 'topo:' }),
});

const app = express();
app.use(
  session({
    name: 'wecom.sid',
    secret: env['SESSION_SECRET'] ?? 'topology-app-secret-0123456789abcdef',
    resave: false,
    saveUninitialized: false,
    store,
    cookie: { httpOnly: true, sameSite: 'lax', secure: false, maxAge: 3600_000 },
  }),
);
app.use(wecom.router);
app.get('/', wecom.requireUser(), (req, res) => {
  res.setHeader('Cache-Control', 'no-store');
  res.type('html').send(`<main data-page="home">${req.wecomUser?.userId ?? ''}</main>`);
});
app.get('/me', wecom.requireUser(), (req, res) => {
  res.setHeader('Cache-Control', 'no-store');
  res.json({ user: req.wecomUser });
});
app.use(wecom.errorHandler());
app.use((err: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
  const what = err instanceof Error ? `${err.name}: ${err.message}` : typeof err;
  // express-session reports a failed touch (EXPIRE) after the answer went out: nothing to answer.
  if (res.headersSent) {
    console.error('topology-app: error after the answer was sent', what);
    return;
  }
  console.error('topology-app: unexpected error', what);
  res.status(500).json({ error: 'server_error' });
});

await client.connect();
const server = app.listen(port, '127.0.0.1', () => {
  console.log(`demo on ${publicUrl} (topology app on ${port})`);
});

function shutdown(): void {
  server.close();
  server.closeAllConnections();
  wecom.close();
  void client.close().catch(() => undefined);
}
process.once('SIGINT', shutdown);
process.once('SIGTERM', shutdown);
