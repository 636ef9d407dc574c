/**
 * Redis Sentinel, for real: a master, a replica and three sentinels on loopback, the node-redis
 * client connected through the sentinels (`createSentinel`), sessions (connect-redis through
 * createRedisSessionStore) and the token cache on it; then four app processes under a steady
 * load of logins and guarded requests while the master changes, first by `SENTINEL FAILOVER`,
 * then by killing it.
 *
 * Expected: requests during the switch answer 503 and then succeed; no crash, nobody let in
 * without a session, no session written before the switch lost, one gettoken for the whole run.
 * The figures print as `# ...` lines (docs/redis.md quotes them): `node --test test/topology/sentinel.test.ts`.
 */
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { createSentinel } from 'redis';
import { startEmulator, type Emulator } from '../../src/emulator/index.ts';
import { createRedisSessionStore, recommendedRedisClientOptions, RedisTokenCache } from '../../src/redis/index.ts';
import { startSentinelTopology, type SentinelTopology } from '../helpers/redis-topology.ts';
import { spawnFleet, type AppProcess } from '../helpers/fleet.ts';
import { assertFailoversSurvived, describeReport, failoverUnderLoad, LOGIN_TRACE, type LoadReport } from '../helpers/failover-load.ts';
import { sessionRoundTrip, tokenCacheRoundTrip } from '../helpers/topology-checks.ts';

const APP = fileURLToPath(new URL('../helpers/topology-app.ts', import.meta.url));

let topology: SentinelTopology | undefined;
let emulator: Emulator | undefined;
let apps: AppProcess[] = [];
const closers: (() => Promise<unknown>)[] = [];

before(async () => {
  // The topology first, one after the other: when it cannot start, nothing else is left running
  // (under Promise.all the emulator would stay listening and keep this file's process alive).
  topology = await startSentinelTopology();
  emulator = await startEmulator({ port: 0 });
});

after(async () => {
  await Promise.allSettled(apps.map((app) => app.stop()));
  await Promise.allSettled(closers.map((close) => close()));
  await Promise.allSettled([emulator?.close(), topology?.stop()]);
});

function setup(): { topology: SentinelTopology; emulator: Emulator } {
  if (topology === undefined || emulator === undefined) throw new Error('setup failed');
  return { topology, emulator };
}

async function sentinelClient(topo: SentinelTopology) {
  const options = recommendedRedisClientOptions();
  const client = createSentinel({
    name: topo.name,
    sentinelRootNodes: topo.sentinels.map((s) => ({ host: s.host, port: s.port })),
    nodeClientOptions: options,
    sentinelClientOptions: options,
  });
  client.on('error', () => {});
  await client.connect();
  closers.push(() => client.close());
  return client;
}

describe('Redis Sentinel: master, replica, three sentinels', () => {
  test('sessions through connect-redis: written, read, expired with the cookie, destroyed', async () => {
    const client = await sentinelClient(setup().topology);
    await sessionRoundTrip(createRedisSessionStore({ client, prefix: 'sentinel:sess:' }));
  });

  test('the token cache: one fetch for several instances, invalidation, the fence, shared entries', async () => {
    const topo = setup().topology;
    const instances = await Promise.all(
      [1, 2, 3].map(async () => new RedisTokenCache(await sentinelClient(topo), { prefix: 'sentinel:' })),
    );
    await tokenCacheRoundTrip(instances);
  });

  test('four app processes under load: SENTINEL FAILOVER, then the master killed', async (t) => {
    const { topology: topo, emulator: em } = setup();
    const sentinels = topo.sentinels.map((s) => `${s.host}:${s.port}`).join(',');
    apps = await spawnFleet(4, {
      emulatorUrl: em.url,
      redisUrl: '',
      main: APP,
      extra: { REDIS_SENTINEL: `${topo.name}@${sentinels}`, DEBUG: LOGIN_TRACE },
    });
    em.clearCalls();
    const reports: [string, LoadReport][] = [];
    const run = async (label: string, trigger: () => Promise<unknown>) => {
      const masters = async () => String((await topo.master()).port);
      const report = await failoverUnderLoad({ apps, emulatorUrl: em.url, trigger, masters });
      const line = describeReport(label, report, em.callCount('gettoken'));
      t.diagnostic(line);
      console.log(line);
      reports.push([label, report]);
    };
    await run('Sentinel, SENTINEL FAILOVER', () => topo.failover());
    await topo.settle(); // the old master rejoins as a replica before the next switch
    await run('Sentinel, master killed (SIGKILL)', () => topo.killMaster());
    assertFailoversSurvived(reports, apps, em.callCount('gettoken'));
  });
});
