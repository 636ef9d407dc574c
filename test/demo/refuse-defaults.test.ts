/**
 * The demo is what people copy: against a WeCom that is not on this machine, or on a PUBLIC_URL
 * that is not this machine, it refuses to start while a secret has its default. One line on
 * stderr names the variable and how to make a good value, the exit code is 2, and nothing was
 * started: no "demo on" line, no emulator (its port is held by the test, so starting it would
 * fail loudly), no connection to Redis (REDIS_URL points at a listener that counts them).
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startEmulator } from '../../src/emulator/index.ts';
import type { Emulator } from '../../src/emulator/index.ts';
import { runDemoToExit, startDemo, twoPorts } from './spawn-demo.ts';

const GOOD_SECRET = 'a'.repeat(8) + '0123456789abcdef0123456789abcdef'; // 40 characters
const APP_SECRET = 'SJKd93kd-real-app-secret-from-the-console-xx';

describe('the demo refuses default secrets where they would matter', () => {
  let held: Server;
  let fakeRedis: Server;
  const redisConnections: Socket[] = [];
  let base: Record<string, string> = {};
  let emulator: Emulator;

  before(async () => {
    const [port, emulatorPort] = await twoPorts();
    held = createServer();
    await new Promise<void>((resolve) => held.listen(emulatorPort, '127.0.0.1', resolve));
    fakeRedis = createServer((socket) => {
      redisConnections.push(socket);
      socket.destroy();
    });
    await new Promise<void>((resolve) => fakeRedis.listen(0, '127.0.0.1', resolve));
    const redisPort = (fakeRedis.address() as { port: number }).port;
    base = { PORT: String(port), EMULATOR_PORT: String(emulatorPort), REDIS_URL: `redis://127.0.0.1:${redisPort}` };
    emulator = await startEmulator({ port: 0 });
  });
  after(async () => {
    held?.close();
    fakeRedis?.close();
    await emulator?.close();
  });

  const refusals: Array<{ name: string; env: Record<string, string>; names: string[]; not?: string[] }> = [
    { name: 'WECOM_EMULATOR=0 and nothing else', env: { WECOM_EMULATOR: '0' }, names: ['SESSION_SECRET', 'WECOM_SECRET'] },
    {
      name: 'WECOM_EMULATOR=0 with a good SESSION_SECRET but no WECOM_SECRET',
      env: { WECOM_EMULATOR: '0', SESSION_SECRET: GOOD_SECRET },
      names: ['WECOM_SECRET'],
      not: ['SESSION_SECRET'],
    },
    {
      name: "WECOM_EMULATOR=0 with the emulator's public demo-secret",
      env: { WECOM_EMULATOR: '0', SESSION_SECRET: GOOD_SECRET, WECOM_SECRET: 'demo-secret' },
      names: ['WECOM_SECRET'],
      not: ['SESSION_SECRET'],
    },
    {
      name: 'WECOM_EMULATOR=0 with a short SESSION_SECRET',
      env: { WECOM_EMULATOR: '0', SESSION_SECRET: 'changeme', WECOM_SECRET: APP_SECRET },
      names: ['SESSION_SECRET'],
      not: ['WECOM_SECRET'],
    },
    {
      name: 'the bundled emulator but a PUBLIC_URL that is not this machine',
      env: { PUBLIC_URL: 'https://app.example.com' },
      names: ['SESSION_SECRET', 'WECOM_SECRET'],
    },
    {
      name: 'the bundled emulator but WeCom API calls going elsewhere',
      env: { WECOM_API_BASE_URL: 'https://qyapi.weixin.qq.com' },
      names: ['SESSION_SECRET', 'WECOM_SECRET'],
    },
    {
      name: 'a real WeCom with every secret set but a short METRICS_TOKEN',
      env: { WECOM_EMULATOR: '0', SESSION_SECRET: GOOD_SECRET, WECOM_SECRET: APP_SECRET, METRICS_TOKEN: 'prometheus' },
      names: ['METRICS_TOKEN'],
      not: ['SESSION_SECRET', 'WECOM_SECRET'],
    },
  ];

  for (const c of refusals) {
    it(`${c.name}: one line naming ${c.names.join(' and ')}, exit code 2, nothing started`, async () => {
      const before = redisConnections.length;
      const run = await runDemoToExit({ ...base, ...c.env });
      assert.equal(run.code, 2, `exit code (stdout ${run.stdout}, stderr ${run.stderr})`);
      assert.equal(run.stdout, '', 'nothing printed on stdout: no "demo on", no emulator');
      const lines = run.stderr.split('\n').filter((l) => l !== '');
      assert.equal(lines.length, 1, `one line on stderr, got: ${run.stderr}`);
      const line = lines[0] ?? '';
      assert.match(line, /^demo: not starting: /);
      for (const name of c.names) assert.match(line, new RegExp(`\\b${name}\\b`), `names ${name}`);
      for (const name of c.not ?? []) assert.doesNotMatch(line, new RegExp(`\\b${name}\\b`), `does not name ${name}`);
      if (c.names.includes('SESSION_SECRET')) assert.match(line, /SESSION_SECRET=\$\(openssl rand -hex 32\)/, 'how to make a good value');
      if (c.names.includes('WECOM_SECRET')) assert.match(line, /应用管理 → the app → Secret/, 'where the app secret is');
      assert.equal(redisConnections.length, before, 'no connection to Redis');
    });
  }

  it('a real WeCom with every secret set: it starts (and so does a WeCom on this machine with the defaults)', async () => {
    const real = await startDemo({
      WECOM_EMULATOR: '0',
      PUBLIC_URL: 'https://app.example.com',
      SESSION_SECRET: GOOD_SECRET,
      WECOM_SECRET: APP_SECRET,
      METRICS_TOKEN: GOOD_SECRET,
    });
    await real.stop();
    assert.match(real.output(), /demo on https:\/\/app\.example\.com/);
    // An emulator started apart, as the fleet tests run the demo: development, defaults allowed.
    const local = await startDemo({
      WECOM_EMULATOR: '0',
      WECOM_API_BASE_URL: emulator.url,
      WECOM_OAUTH_BASE_URL: emulator.url,
      WECOM_LOGIN_BASE_URL: emulator.url,
    });
    const health = await fetch(`${local.appUrl}/healthz`);
    await local.stop();
    assert.equal(health.status, 200);
  });
});
