/**
 * The library under test, mounted as the README says (session, router, requireUser,
 * errorHandler), with its defaults unless the config says otherwise; from this checkout's src/ or
 * from another tree (config.libSrc: a before/after comparison, or the node:https variant).
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { wecomAuth as ownWecomAuth } from '../../../src/wecom-auth.ts';
import type { createMetrics as ownCreateMetrics } from '../../../src/metrics.ts';
import type { RedisTokenCache as OwnRedisTokenCache } from '../../../src/redis/index.ts';
import { AGENT_ID, CORP_ID, PLAIN_WECOM, SECRET, page } from './common.ts';
import type { Mount } from './common.ts';

const OWN_SRC = join(import.meta.dirname, '../../../src');

const load = async <T>(src: string, file: string): Promise<T> => (await import(pathToFileURL(join(src, file)).href)) as T;

export async function mountLib({ app, config, baseUrl, redis }: Mount): Promise<void> {
  const src = config.libSrc ?? OWN_SRC;
  const { wecomAuth } = await load<{ wecomAuth: typeof ownWecomAuth }>(src, 'wecom-auth.ts');
  const { RedisTokenCache } = await load<{ RedisTokenCache: typeof OwnRedisTokenCache }>(src, 'redis/index.ts');
  const wecom = wecomAuth({
    corpId: CORP_ID,
    agentId: AGENT_ID,
    secret: SECRET,
    baseUrl,
    routes: { callback: '/auth/callback' },
    ...(config.checkVisibility === undefined ? {} : { checkVisibility: config.checkVisibility }),
    ...(config.visibilityCacheMs === undefined ? {} : { visibilityCacheMs: config.visibilityCacheMs }),
    ...(config.keepFragments === undefined ? {} : { keepFragments: config.keepFragments }),
    // BENCH_WECOM_TLS=0: the emulator's plain-HTTP origin (the library allows http:// to 127/8).
    ...(PLAIN_WECOM ? { apiBaseUrl: PLAIN_WECOM, oauthBaseUrl: PLAIN_WECOM } : {}),
    // A failed login shows on the bench's stderr (the driver only sees its page).
    logger: {
      warn: (msg: string, fields?: Record<string, unknown>) => console.error(`[lib] ${msg}`, JSON.stringify(fields ?? {})),
      error: (msg: string, fields?: Record<string, unknown>) => console.error(`[lib] ${msg}`, JSON.stringify(fields ?? {})),
    },
    ...(redis ? { tokenCache: new RedisTokenCache(redis, { prefix: config.prefix ?? 'bench:' }) } : {}),
  });
  if (config.metrics) await subscribeMetrics(src);
  app.use(wecom.router);
  app.get('/page', wecom.requireUser(), (req, res) => page(req.wecomUser?.userId)(req, res));
  app.use(wecom.errorHandler());
}

/**
 * The Prometheus metrics subscribed to the library's events, and {type: 'metrics', on: boolean} to
 * subscribe or unsubscribe, so that one process can be measured both ways
 * (bench/metrics-overhead.ts), free of the differences between processes.
 */
async function subscribeMetrics(src: string): Promise<void> {
  const { createMetrics } = await load<{ createMetrics: typeof ownCreateMetrics }>(src, 'metrics.ts');
  const { Registry } = await import('prom-client');
  const subscribe = () => createMetrics({ registry: new Registry() });
  let subscribed: ReturnType<typeof subscribe> | undefined = subscribe();
  process.on('message', (raw: unknown) => {
    const msg = raw as { id: number; type: string; on?: boolean };
    if (msg.type !== 'metrics') return;
    if (msg.on && !subscribed) subscribed = subscribe();
    if (!msg.on && subscribed) {
      subscribed.close();
      subscribed = undefined;
    }
    process.send?.({ id: msg.id, body: { subscribed: subscribed !== undefined } });
  });
}
