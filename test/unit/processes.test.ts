/**
 * test/helpers/processes.ts, the way every test starts a system tool or a process: a missing tool
 * fails at once with the line that installs it, a process that cannot start fails with the
 * reason, and a wait for one that never gets ready ends. Each test has a bound (`timeout`) that
 * only a hang would reach; nothing here measures time.
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { portTaken, requireTool, startProcess, waitUntilReady } from '../helpers/processes.ts';
import { startRedisServer } from '../helpers/redis-server.ts';
import { startClusterTopology, startSentinelTopology } from '../helpers/redis-topology.ts';

const BOUND = { timeout: 20_000 };
const dir = mkdtempSync(path.join(tmpdir(), 'ewa-processes-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `fn` with process.env changed as given (undefined deletes), then puts it back. */
async function withEnv<T>(changes: Record<string, string | undefined>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(changes).map((k) => [k, process.env[k]]));
  const apply = (values: Record<string, string | undefined>) => {
    for (const [k, v] of Object.entries(values)) {
      if (v === undefined) Reflect.deleteProperty(process.env, k);
      else process.env[k] = v;
    }
  };
  apply(changes);
  try {
    return await fn();
  } finally {
    apply(saved);
  }
}

describe('requireTool: a missing tool names the command that installs it', () => {
  test('a tool not on PATH', () => {
    assert.throws(
      () => requireTool('redis-cli', { PATH: dir }),
      /^Error: redis-cli is missing \(no redis-cli on PATH\): install it with `(sudo )?apt-get install -y redis-tools`/,
    );
  });

  test('an override that points at nothing', () => {
    assert.throws(
      () => requireTool('redis-sentinel', { REDIS_SENTINEL_BIN: path.join(dir, 'nope') }),
      /REDIS_SENTINEL_BIN=.*nope is not an executable file\): install it with `(sudo )?apt-get install -y redis-sentinel`.*REDIS_SENTINEL_BIN/,
    );
    assert.throws(() => requireTool('chromium', { CHROMIUM_PATH: path.join(dir, 'nope') }), /apt-get install -y chromium`/);
  });

  test('a tool that is there: its path', () => {
    const fake = path.join(dir, 'redis-server');
    writeFileSync(fake, '#!/bin/sh\n');
    chmodSync(fake, 0o755);
    assert.equal(requireTool('redis-server', { PATH: `${path.join(dir, 'missing')}${path.delimiter}${dir}` }), fake);
  });
});

describe('the Redis helpers fail at once when their tool is missing, before starting anything', () => {
  const missing = path.join(dir, 'not-installed');

  test('startRedisServer without redis-server', BOUND, async () => {
    await withEnv({ REDIS_SERVER_BIN: missing }, async () => {
      await assert.rejects(startRedisServer(), /redis-server is missing .*apt-get install -y redis-server`/);
    });
  });

  test('startSentinelTopology without redis-sentinel (it used to wait for ever)', BOUND, async () => {
    await withEnv({ REDIS_SENTINEL_BIN: missing }, async () => {
      await assert.rejects(startSentinelTopology(), /redis-sentinel is missing .*apt-get install -y redis-sentinel`/);
    });
  });

  test('startClusterTopology without redis-cli', BOUND, async () => {
    await withEnv({ REDIS_CLI_BIN: missing }, async () => {
      await assert.rejects(startClusterTopology(), /redis-cli is missing .*apt-get install -y redis-tools`/);
    });
  });
});

describe('a process that cannot start fails the wait for it with the reason', () => {
  const never = () => false;

  test('not found (ENOENT: an error event and no exit)', BOUND, async () => {
    const started = startProcess(path.join(dir, 'no-such-binary'), []);
    await assert.rejects(waitUntilReady(started, 'the missing binary', never), /the missing binary: cannot start .*no-such-binary.*ENOENT/);
    await started.gone; // resolves for a failed spawn too: stop() and kill() cannot hang on it
    await started.stop();
  });

  test('not executable (EACCES)', BOUND, async () => {
    const file = path.join(dir, 'not-executable');
    writeFileSync(file, '#!/bin/sh\n');
    chmodSync(file, 0o644);
    const started = startProcess(file, []);
    await assert.rejects(waitUntilReady(started, 'the plain file', never), /cannot start .*EACCES/);
  });

  test('exits before it is ready: the exit code and its last words', BOUND, async () => {
    const started = startProcess(process.execPath, ['-e', 'console.error("no config"); process.exit(3)']);
    await assert.rejects(waitUntilReady(started, 'the quitter', never), /the quitter: exited with code 3 before it was ready\nno config/);
  });

  test("its port is taken: redis-server's own words", BOUND, async () => {
    const bin = requireTool('redis-server');
    const holder = createServer().listen(0, '127.0.0.1');
    await once(holder, 'listening');
    try {
      const port = (holder.address() as AddressInfo).port;
      const started = startProcess(bin, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no']);
      const err = await waitUntilReady(started, `redis-server on ${port}`, never).then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.ok(err instanceof Error, 'the wait must fail');
      assert.match(err.message, /exited with code 1 before it was ready/);
      assert.ok(portTaken(err.message), err.message);
    } finally {
      holder.close();
    }
  });

  test('never ready: the wait ends after its timeout, names what it waited for, and kills the process', BOUND, async () => {
    const started = startProcess(process.execPath, ['-e', 'console.log("starting"); setInterval(() => {}, 1000)']);
    // Its first line first, however slow the machine: the message below must carry it.
    await waitUntilReady(started, 'the first line', () => started.output().includes('starting'));
    await assert.rejects(
      waitUntilReady(started, 'the sleeper', never, { timeoutMs: 300 }),
      /the sleeper: not ready within 0.3 s\nstarting/,
    );
    assert.match(started.ended() ?? 'still running', /killed by SIGKILL/);
  });

  test('a probe that never answers counts as not ready, and the wait still ends', BOUND, async () => {
    const started = startProcess(process.execPath, ['-e', 'setInterval(() => {}, 1000)']);
    const hangs = () => new Promise<boolean>(() => {});
    await assert.rejects(waitUntilReady(started, 'the silent one', hangs, { timeoutMs: 300 }), /not ready within 0.3 s/);
  });

  test('ready: resolves, and stop() ends the process', BOUND, async () => {
    const started = startProcess(process.execPath, ['-e', 'console.log("up"); setInterval(() => {}, 1000)']);
    await waitUntilReady(started, 'the good one', () => started.output().includes('up'));
    assert.equal(started.ended(), undefined);
    await started.stop();
    assert.match(started.ended() ?? 'still running', /killed by SIGTERM/);
  });
});
