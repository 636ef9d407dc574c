/**
 * Real Redis topologies on loopback, started by the tests (Debian's redis-server, redis-sentinel
 * and redis-cli): a master with a replica watched by three sentinels, and a Redis Cluster of three
 * masters with one replica each. Every process runs on a free port with its files in a temp dir.
 *
 * `stop()` kills every process and removes the temp dir; call it in an `after` hook. Processes
 * still alive when the test process exits are killed then, so a crashed test leaves nothing behind.
 * A missing tool (PATH, or REDIS_SERVER_BIN, REDIS_SENTINEL_BIN, REDIS_CLI_BIN) fails the start at
 * once with the line that installs it, before any process is started; a process that cannot
 * start fails it with the reason; every wait has a bound (test/helpers/processes.ts).
 */
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from 'redis';
import { requireTool, sleep, startProcess, waitUntilReady, withTimeout, type Started } from './processes.ts';
import { freePort } from './redis-server.ts';

export interface HostPort {
  host: string;
  port: number;
}

/** One redis-server or redis-sentinel process. */
export interface RedisProcess extends HostPort {
  readonly url: string;
  alive(): boolean;
  /** SIGKILL: a crash, no goodbye to the replicas. Resolves once the process is gone. */
  kill(): Promise<void>;
  /** SIGTERM, then SIGKILL after 2 s. */
  stop(): Promise<void>;
}

function asRedisProcess(started: Started, port: number): RedisProcess {
  return {
    host: '127.0.0.1',
    port,
    url: `redis://127.0.0.1:${port}`,
    alive: () => started.ended() === undefined,
    kill: () => started.kill(),
    stop: () => started.stop(),
  };
}

/** Starts redis-server or redis-sentinel and waits for its PONG; rejects with the reason if it cannot start. */
async function startRedisProcess(bin: string, args: string[], port: number): Promise<RedisProcess> {
  // redis logs to stdout: a taken port ("Address already in use") shows there.
  const started = startProcess(bin, args);
  const proc = asRedisProcess(started, port);
  await waitUntilReady(started, `${bin} on port ${port}`, async () => (await command(proc, ['PING'])) === 'PONG', { everyMs: 50 });
  return proc;
}

/** Runs one command on a node with a short-lived client. */
export async function command(node: HostPort, args: string[]): Promise<unknown> {
  const client = createClient({ socket: { host: node.host, port: node.port, connectTimeout: 2000, reconnectStrategy: false } });
  client.on('error', () => {});
  try {
    // A node that accepts but never answers (stopped, starved) must not hold the caller: 5 s.
    return await withTimeout(
      client.connect().then(() => client.sendCommand(args)),
      5000,
      `${args.join(' ')} on ${node.host}:${node.port}`,
    );
  } finally {
    client.destroy();
  }
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (${String(last)})` : ''}`);
    await sleep(50);
  }
}

/** INFO <section> as a map. */
export async function info(node: HostPort, section: string): Promise<Map<string, string>> {
  const text = String(await command(node, ['INFO', section]));
  const map = new Map<string, string>();
  for (const line of text.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) map.set(line.slice(0, colon), line.slice(colon + 1));
  }
  return map;
}

const SERVER_ARGS = ['--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--loglevel', 'warning', '--repl-diskless-sync-delay', '0'];

async function startServer(bin: string, dir: string, extra: string[] = [], port?: number): Promise<RedisProcess> {
  const chosen = port ?? (await freePort());
  return startRedisProcess(bin, ['--port', String(chosen), '--dir', dir, ...SERVER_ARGS, ...extra], chosen);
}

// ------------------------------------------------------------------------ Sentinel

/**
 * Sentinel's down-after-milliseconds and the Cluster's cluster-node-timeout: how long a node may
 * go unheard before a failover. The defaults are 30 s and 15 s. It was 1 s, until a CI run on a busy
 * two-core machine lost a session written before any event; one possible cause is a node starved of
 * CPU for over a second taken for a dead one (a failover nobody asked for), not seen again since,
 * even with two CPU hogs. 3 s leaves more room, and failoverUnderLoad stops with a message when the
 * masters change before its event, so that cause would name itself.
 */
export const NODE_TIMEOUT_MS = 3000;

export interface SentinelTopology {
  /** The master name the sentinels monitor (`createSentinel({ name })`). */
  readonly name: string;
  readonly sentinels: readonly RedisProcess[];
  /** The data nodes, master and replica at start (roles change with failovers). */
  readonly nodes: readonly RedisProcess[];
  /** What the sentinels say the master is now. */
  master(): Promise<RedisProcess>;
  /** `SENTINEL FAILOVER`, then wait until the old replica is master and the sentinels agree. */
  failover(): Promise<{ from: number; to: number }>;
  /** Wait until the old master follows the new one (Sentinel reconfigures it within ~10 s), so that another failover can follow. */
  settle(): Promise<void>;
  /** SIGKILL the master; resolves once the sentinels have promoted the replica. */
  killMaster(): Promise<{ from: number; to: number }>;
  stop(): Promise<void>;
}

/**
 * A master, one replica, three sentinels (quorum 2, down-after 3000 ms): a crashed master is
 * replaced within a few seconds.
 */
export async function startSentinelTopology(name = 'mymaster'): Promise<SentinelTopology> {
  // Both tools first: without redis-sentinel nothing is started, and the test fails at once.
  const server = requireTool('redis-server');
  const sentinel = requireTool('redis-sentinel');
  const dir = mkdtempSync(join(tmpdir(), 'wecom-sentinel-'));
  const all: RedisProcess[] = [];
  const stop = async () => {
    await Promise.all(all.map((p) => p.stop()));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const master = await startServer(server, dir, ['--dbfilename', 'master.rdb']);
    all.push(master);
    const replica = await startServer(server, dir, ['--dbfilename', 'replica.rdb', '--replicaof', '127.0.0.1', String(master.port)]);
    all.push(replica);
    const sentinels: RedisProcess[] = [];
    for (let i = 0; i < 3; i++) {
      const port = await freePort();
      const conf = join(dir, `sentinel-${port}.conf`);
      writeFileSync(
        conf,
        [
          `port ${port}`,
          'bind 127.0.0.1',
          `dir ${dir}`,
          `sentinel monitor ${name} 127.0.0.1 ${master.port} 2`,
          `sentinel down-after-milliseconds ${name} ${NODE_TIMEOUT_MS}`,
          `sentinel failover-timeout ${name} 2000`,
          `sentinel parallel-syncs ${name} 1`,
          '',
        ].join('\n'),
      );
      const proc = await startRedisProcess(sentinel, [conf, '--loglevel', 'warning'], port);
      all.push(proc);
      sentinels.push(proc);
    }
    const nodes = [master, replica];
    const byPort = (port: number) => {
      const node = nodes.find((n) => n.port === port);
      if (node === undefined) throw new Error(`the sentinels name an unknown master port ${port}`);
      return node;
    };
    const masterPort = async (sentinel: RedisProcess) => {
      const reply = (await command(sentinel, ['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', name])) as [string, string];
      return Number(reply[1]);
    };
    /** Every sentinel names `port` as master, it says it is master, and its replica is in sync. */
    const settled = async (port: number) => {
      const ports = await Promise.all(sentinels.map(masterPort));
      if (!ports.every((p) => p === port)) return undefined;
      const role = await info(byPort(port), 'replication');
      if (role.get('role') !== 'master' || role.get('connected_slaves') !== '1') return undefined;
      const other = nodes.find((n) => n.port !== port && n.alive());
      if (other !== undefined && (await info(other, 'replication')).get('master_link_status') !== 'up') return undefined;
      // Every sentinel must know the replica and the two other sentinels before a failover can work.
      for (const sentinel of sentinels) {
        if (other !== undefined && ((await command(sentinel, ['SENTINEL', 'REPLICAS', name])) as unknown[]).length < 1) return undefined;
        if (((await command(sentinel, ['SENTINEL', 'SENTINELS', name])) as unknown[]).length < 2) return undefined;
      }
      return true;
    };
    await until('the sentinels to settle', () => settled(master.port), 30_000);
    const switchFrom = async (from: number, act: () => Promise<unknown>) => {
      await act();
      const to = await until(
        'a new master',
        async () => {
          const ports = await Promise.all(sentinels.filter((s) => s.alive()).map(masterPort));
          const first = ports[0];
          return first !== undefined && first !== from && ports.every((p) => p === first) ? first : undefined;
        },
        30_000,
      );
      await until('the new master to accept writes', async () =>
        (await info(byPort(to), 'replication')).get('role') === 'master' ? true : undefined,
      );
      return { from, to };
    };
    return {
      name,
      sentinels,
      nodes,
      master: async () => byPort(await masterPort(sentinels[0] ?? master)),
      async failover() {
        const from = await masterPort(sentinels[0] ?? master);
        return switchFrom(from, () => command(sentinels[0] ?? master, ['SENTINEL', 'FAILOVER', name]));
      },
      async settle() {
        const now = await masterPort(sentinels[0] ?? master);
        await until('the old master to follow the new one', () => settled(now), 30_000);
      },
      async killMaster() {
        const from = await masterPort(sentinels[0] ?? master);
        return switchFrom(from, () => byPort(from).kill());
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

// ------------------------------------------------------------------------ Cluster

export interface ClusterTopology {
  /** Every node, masters and replicas (`createCluster({ rootNodes })` needs only some). */
  readonly nodes: readonly RedisProcess[];
  /** The nodes that are masters now. */
  masters(): Promise<RedisProcess[]>;
  /** `CLUSTER FAILOVER` on the replica of the master serving `slot`: a manual, lossless switch. */
  failover(slot: number): Promise<{ from: number; to: number }>;
  /** SIGKILL the master serving `slot`; resolves once its replica has taken over. */
  killMaster(slot: number): Promise<{ from: number; to: number }>;
  stop(): Promise<void>;
}

/** A port whose cluster bus port (+10000) is free too. */
async function clusterPort(): Promise<number> {
  for (;;) {
    const port = await freePort();
    if (port > 55_000) continue;
    try {
      const { createServer } = await import('node:net');
      const bus = createServer();
      bus.listen(port + 10_000, '127.0.0.1');
      await once(bus, 'listening');
      await new Promise<void>((resolve) => bus.close(() => resolve()));
      return port;
    } catch {
      // the bus port is taken: try another
    }
  }
}

interface SlotRange {
  start: number;
  end: number;
  master: number;
  replicas: number[];
}

async function slotRanges(node: HostPort): Promise<SlotRange[]> {
  const reply = (await command(node, ['CLUSTER', 'SLOTS'])) as unknown[][];
  return reply.map((range) => {
    const [start, end, master, ...replicas] = range as [number, number, [string, number], ...[string, number][]];
    return { start, end, master: Number(master[1]), replicas: replicas.map((r) => Number(r[1])) };
  });
}

/** Three masters with one replica each, node timeout NODE_TIMEOUT_MS. */
export async function startClusterTopology(): Promise<ClusterTopology> {
  // Both tools first: without redis-cli nothing is started, and the test fails at once.
  const server = requireTool('redis-server');
  const cli = requireTool('redis-cli');
  const dir = mkdtempSync(join(tmpdir(), 'wecom-cluster-'));
  const nodes: RedisProcess[] = [];
  const stop = async () => {
    await Promise.all(nodes.map((p) => p.stop()));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < 6; i++) {
      const port = await clusterPort();
      nodes.push(
        await startServer(
          server,
          dir,
          [
            '--cluster-enabled',
            'yes',
            '--cluster-config-file',
            `nodes-${port}.conf`,
            '--cluster-node-timeout',
            String(NODE_TIMEOUT_MS),
            '--dbfilename',
            `dump-${port}.rdb`,
          ],
          port,
        ),
      );
    }
    await new Promise<void>((resolve, reject) => {
      execFile(
        cli,
        ['--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-replicas', '1', '--cluster-yes'],
        { timeout: 60_000 },
        (err, stdout, stderr) => {
          if (err) reject(new Error(`redis-cli --cluster create failed: ${err.message}\n${stdout}\n${stderr}`));
          else resolve();
        },
      );
    });
    const byPort = (port: number) => {
      const node = nodes.find((n) => n.port === port);
      if (node === undefined) throw new Error(`unknown cluster node ${port}`);
      return node;
    };
    const anyAlive = () => {
      const node = nodes.find((n) => n.alive());
      if (node === undefined) throw new Error('every cluster node is gone');
      return node;
    };
    /** Every live node says the cluster is ok, three masters each with an in-sync replica (unless one is gone). */
    const settled = async (expectReplicas: boolean) => {
      for (const node of nodes.filter((n) => n.alive())) {
        if ((await info(node, 'cluster')).get('cluster_enabled') !== '1') return undefined;
        const state = String(await command(node, ['CLUSTER', 'INFO']));
        if (!state.includes('cluster_state:ok')) return undefined;
      }
      const ranges = await slotRanges(anyAlive());
      if (new Set(ranges.map((r) => r.master)).size !== 3) return undefined;
      if (expectReplicas && !ranges.every((r) => r.replicas.length === 1)) return undefined;
      for (const range of ranges) {
        for (const port of range.replicas) {
          if ((await info(byPort(port), 'replication')).get('master_link_status') !== 'up') return undefined;
        }
      }
      return true;
    };
    await until('the cluster to settle', () => settled(true), 30_000);
    const masterOf = async (slot: number) => {
      const ranges = await slotRanges(anyAlive());
      const range = ranges.find((r) => r.start <= slot && slot <= r.end);
      if (range === undefined) throw new Error(`no node serves slot ${slot}`);
      return range;
    };
    /** Every live node's slot map names `to` (not `from`) as the master of the slots `from` served. */
    const promoted = (from: number, to: number) =>
      until(
        'the replica to take over',
        async () => {
          for (const node of nodes.filter((n) => n.alive())) {
            const ranges = await slotRanges(node);
            if (ranges.some((r) => r.master === from) || !ranges.some((r) => r.master === to)) return undefined;
          }
          return true;
        },
        30_000,
      );
    return {
      nodes,
      async masters() {
        const ranges = await slotRanges(anyAlive());
        return [...new Set(ranges.map((r) => r.master))].map(byPort);
      },
      async failover(slot: number) {
        const range = await masterOf(slot);
        const to = range.replicas[0];
        if (to === undefined) throw new Error(`the master of slot ${slot} has no replica`);
        await command(byPort(to), ['CLUSTER', 'FAILOVER']);
        await promoted(range.master, to);
        await until('the cluster to settle after the failover', () => settled(true), 30_000);
        return { from: range.master, to };
      },
      async killMaster(slot: number) {
        const range = await masterOf(slot);
        const to = range.replicas[0];
        if (to === undefined) throw new Error(`the master of slot ${slot} has no replica`);
        await byPort(range.master).kill();
        await promoted(range.master, to);
        await until('the cluster to be ok without the killed master', () => settled(false), 30_000);
        return { from: range.master, to };
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
