/**
 * Redis Cluster, for real: three masters with a replica each on loopback (`redis-cli --cluster
 * create`), the node-redis client from `createCluster`, sessions (connect-redis through
 * createRedisSessionStore) and the token cache on it; then four app processes under a steady load
 * of logins and guarded requests while a master hands over to its replica (`CLUSTER FAILOVER`),
 * then while another master is killed.
 *
 * The token cache's scripts touch several keys of one credential (value, lock, gen, revoked);
 * their names carry the credential key as a hash tag (`{...}`), so they share a slot.
 * The figures print as `# ...` lines (docs/redis.md quotes them): `node --test test/topology/cluster.test.ts`.
 */
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { createCluster } from 'redis';
import { startEmulator, type Emulator } from '../../src/emulator/index.ts';
import { createRedisSessionStore, recommendedRedisClientOptions, RedisTokenCache } from '../../src/redis/index.ts';
import { accessTokenKey } from '../../src/wecom/index.ts';
import { command, startClusterTopology, type ClusterTopology } from '../helpers/redis-topology.ts';
import { spawnFleet, type AppProcess } from '../helpers/fleet.ts';
import { assertFailoversSurvived, describeReport, failoverUnderLoad, LOGIN_TRACE, type LoadReport } from '../helpers/failover-load.ts';
import { sessionRoundTrip, tokenCacheRoundTrip } from '../helpers/topology-checks.ts';

const APP = fileURLToPath(new URL('../helpers/topology-app.ts', import.meta.url));

let topology: ClusterTopology | undefined;
let emulator: Emulator | undefined;
let apps: AppProcess[] = [];
const closers: (() => Promise<unknown>)[] = [];

before(async () => {
  // The topology first, one after the other: when it cannot start, nothing else is left running
  // (under Promise.all the emulator would stay listening and keep this file's process alive).
  topology = await startClusterTopology();
  emulator = await startEmulator({ port: 0 });
});

after(async () => {
  await Promise.allSettled(apps.map((app) => app.stop()));
  await Promise.allSettled(closers.map((close) => close()));
  await Promise.allSettled([emulator?.close(), topology?.stop()]);
});

function setup(): { topology: ClusterTopology; emulator: Emulator } {
  if (topology === undefined || emulator === undefined) throw new Error('setup failed');
  return { topology, emulator };
}

async function clusterClient(topo: ClusterTopology) {
  const client = createCluster({
    rootNodes: topo.nodes.slice(0, 3).map((n) => ({ url: n.url })),
    defaults: recommendedRedisClientOptions(),
  });
  client.on('error', () => {});
  await client.connect();
  closers.push(() => client.close());
  return client;
}

/** The slot of a key (CRC16 of its hash tag), as the cluster computes it. */
async function slotOf(topo: ClusterTopology, key: string): Promise<number> {
  const node = topo.nodes[0];
  if (node === undefined) throw new Error('no node');
  return Number(await command(node, ['CLUSTER', 'KEYSLOT', key]));
}

describe('Redis Cluster: three masters, one replica each', () => {
  test('sessions through connect-redis, spread over the three masters', async () => {
    const topo = setup().topology;
    const client = await clusterClient(topo);
    await sessionRoundTrip(createRedisSessionStore({ client, prefix: 'cluster:sess:' }));
  });

  test('the token cache: the keys of one credential share a slot; one fetch for several instances, invalidation, the fence, claims', async () => {
    const topo = setup().topology;
    const key = 'access_token:wwcorp:1000002:0123456789abcdef';
    const value = `cluster:{${key}}`;
    const slots = await Promise.all([value, `${value}:lock`, `${value}:gen`, `${value}:revoked`].map((k) => slotOf(topo, k)));
    assert.equal(new Set(slots).size, 1, `one slot for the credential's keys: ${slots.join(', ')}`);
    // Without the tag they would scatter, and a script touching them would fail with CROSSSLOT.
    const untagged = await Promise.all([`cluster:${key}`, `cluster:${key}:lock`, `cluster:${key}:gen`].map((k) => slotOf(topo, k)));
    assert.ok(new Set(untagged).size > 1, 'the hash tag is what keeps them together');

    const warnings: string[] = [];
    const logger = { warn: (message: string) => warnings.push(message) };
    const instances = await Promise.all(
      [1, 2, 3].map(async () => new RedisTokenCache(await clusterClient(topo), { prefix: 'cluster:', logger })),
    );
    await tokenCacheRoundTrip(instances);
    assert.deepEqual(warnings, [], 'no script failed (a CROSSSLOT error would read as "Redis unreachable")');
  });

  test('four app processes under load: CLUSTER FAILOVER, then a master killed', async (t) => {
    const { topology: topo, emulator: em } = setup();
    apps = await spawnFleet(4, {
      emulatorUrl: em.url,
      redisUrl: '',
      main: APP,
      extra: {
        DEBUG: LOGIN_TRACE,
        REDIS_CLUSTER: topo.nodes
          .slice(0, 3)
          .map((n) => `${n.host}:${n.port}`)
          .join(','),
      },
    });
    em.clearCalls();
    const reports: [string, LoadReport][] = [];
    const run = async (label: string, trigger: () => Promise<unknown>) => {
      const masters = async () =>
        (await topo.masters())
          .map((m) => m.port)
          .sort()
          .join(',');
      const report = await failoverUnderLoad({ apps, emulatorUrl: em.url, trigger, masters });
      const line = describeReport(label, report, em.callCount('gettoken'));
      t.diagnostic(line);
      console.log(line);
      reports.push([label, report]);
    };
    // The token's slot: its master hands over first, so the token cache lives through it.
    const tokenSlot = await slotOf(topo, `topo:{${accessTokenKey('wwdemocorp0000001', 1000002, 'demo-secret')}}`);
    await run('Cluster, CLUSTER FAILOVER', () => topo.failover(tokenSlot));
    await run('Cluster, a master killed (SIGKILL)', () => topo.killMaster((tokenSlot + 8192) % 16384));
    assertFailoversSurvived(reports, apps, em.callCount('gettoken'));
  });
});
