// The wecom-emulator CLI: starts, prints the URL and where the credentials are, answers, stops on SIGTERM/SIGINT.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../src/emulator/cli.ts', import.meta.url));

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Spawns the CLI; `onListening` gets the printed URL, then the process is sent `stopWith`. */
function run(args: string[], onListening?: (url: string) => Promise<void>, stopWith: NodeJS.Signals = 'SIGTERM'): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let started = false;
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      const match = /listening on (http:\/\/\S+)/.exec(stdout);
      if (match?.[1] && !started && onListening) {
        started = true;
        onListening(match[1]).then(
          () => child.kill(stopWith),
          (err: unknown) => {
            child.kill('SIGKILL');
            reject(err instanceof Error ? err : new Error(String(err)));
          },
        );
      }
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

test('the CLI starts, prints the URL and where the secret is (not the secret), answers gettoken and exits 0 on SIGTERM', async () => {
  const result = await run(['--port', '0', '--repeat-expires-in', 'remaining'], async (url) => {
    const body = (await (await fetch(`${url}/cgi-bin/gettoken?corpid=wwdemocorp0000001&corpsecret=demo-secret`)).json()) as Record<
      string,
      unknown
    >;
    assert.equal(body['errcode'], 0);
    const mode = (await (await fetch(`${url}/__emulator/repeat-expires-in`)).json()) as Record<string, unknown>;
    assert.equal(mode['mode'], 'remaining');
  });
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /corpId=wwdemocorp0000001 agentId=1000002 .*\(secret: the default fixture's, in docs\/emulator\.md\)/);
  assert.ok(!result.stdout.includes('demo-secret'), 'the banner does not print the secret');
});

test('the CLI exits 0 on SIGINT and honours --strict and --config', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wecom-emu-'));
  const config = join(dir, 'fixture.json');
  writeFileSync(
    config,
    JSON.stringify({
      corps: [
        {
          corpId: 'wwcliTest',
          name: 'CLI',
          apps: [{ agentId: 7, secret: 's7', trustedDomains: ['localhost:4000'], visibleUserIds: ['u1'] }],
          members: [{ userId: 'u1', name: '甲' }],
        },
      ],
    }),
  );
  const result = await run(
    ['--port', '0', '--strict', '--config', config],
    async (url) => {
      const res = await fetch(
        `${url}/connect/oauth2/authorize?appid=wwcliTest&redirect_uri=${encodeURIComponent('http://localhost:4000/cb')}&response_type=code&scope=snsapi_base&state=a`,
      );
      assert.match(await res.text(), /请在企业微信客户端打开链接/);
    },
    'SIGINT',
  );
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /\(strict\)/);
  assert.match(result.stdout, /corpId=wwcliTest agentId=7 .*\(secret: in .*fixture\.json\)/);
  assert.ok(!/secret=|s7\b/.test(result.stdout), 'the banner does not print the secret');
});

/** The status of GET / sent with this Host header. */
function statusFor(url: string, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    request(`${url}/`, { headers: { host } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    })
      .on('error', reject)
      .end();
  });
}

test('--allow-host (repeatable) adds names to the Host check; others are still refused', async () => {
  const result = await run(['--port', '0', '--allow-host', 'emu.test', '--allow-host', '.dev.test'], async (url) => {
    const port = new URL(url).port;
    assert.equal(await statusFor(url, `emu.test:${port}`), 200);
    assert.equal(await statusFor(url, 'a.dev.test'), 200);
    assert.equal(await statusFor(url, `localhost:${port}`), 200);
    assert.equal(await statusFor(url, `attacker.example:${port}`), 421);
  });
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /also answers Host: emu\.test, \.dev\.test/);
});

test('the CLI prints a one-line error and exits 2 for a bad flag or config', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wecom-emu-'));
  const badJson = join(dir, 'bad.json');
  writeFileSync(badJson, '{ not json');
  const badField = join(dir, 'field.json');
  writeFileSync(badField, JSON.stringify({ corps: [{ corpId: 'ww1', apps: [{ agentId: 'x', secret: 's' }], members: [] }] }));
  const cases: [string[], RegExp][] = [
    [['--bogus'], /--bogus/],
    [['--port', 'abc'], /--port/],
    [['--repeat-expires-in', 'sometimes'], /--repeat-expires-in must be "full" or "remaining"/],
    [['--allow-host', 'http://emu.test'], /--allow-host "http:\/\/emu\.test" is not a host name/],
    [['--config', join(dir, 'missing.json')], /cannot read --config .*ENOENT/],
    [['--config', badJson], /not valid JSON/],
    [['--config', badField], /fixture\.corps\[0\]\.apps\[0\]\.agentId must be a positive integer/],
  ];
  const [help, ...results] = await Promise.all([run(['--help']), ...cases.map(([args]) => run(args))]);
  cases.forEach(([args, message], i) => {
    const result = results[i];
    assert.ok(result);
    assert.equal(result.code, 2, args.join(' '));
    assert.match(result.stderr, message);
    assert.equal(result.stderr.trim().split('\n').length, 1, 'one line');
  });
  assert.ok(help);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /Usage: wecom-emulator/);
});
