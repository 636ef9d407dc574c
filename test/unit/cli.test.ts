import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    // A CLI that hangs is killed after 30 s; the test then fails with what it printed.
    execFile(process.execPath, [CLI, ...args], { timeout: 30_000 }, (err, stdout, stderr) => {
      const killed = err?.killed ? `\n(killed after 30 s)` : '';
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr: stderr + killed });
    });
  });
}

describe('express-wecom-auth link', () => {
  it('prints the plain app URL and the pre-built authorize URL', async () => {
    const r = await run([
      'link',
      '--corp-id',
      'wwdemocorp0000001',
      '--agent-id',
      '1000002',
      '--url',
      'https://app.example.com/orders?tab=open',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^ {2}https:\/\/app\.example\.com\/orders\?tab=open$/m);
    const authorize = r.stdout
      .split('\n')
      .map((l) => l.trim())
      .find((l) => l.startsWith('https://open.weixin.qq.com/'));
    assert.ok(authorize);
    const url = new URL(authorize);
    assert.equal(url.searchParams.get('appid'), 'wwdemocorp0000001');
    assert.equal(url.searchParams.get('agentid'), '1000002');
    assert.equal(url.searchParams.get('state'), 'entry');
    assert.equal(url.hash, '#wechat_redirect');
    const callback = new URL(url.searchParams.get('redirect_uri') ?? '');
    assert.equal(callback.origin + callback.pathname, 'https://app.example.com/auth/wecom/callback');
    assert.equal(callback.searchParams.get('to'), '/orders?tab=open');
  });
  it('a hash-routed link keeps its route in both forms', async () => {
    const r = await run([
      'link',
      '--corp-id',
      'wwdemocorp0000001',
      '--agent-id',
      '1000002',
      '--url',
      'https://app.example.com/?tab=orders#/orders/7',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^ {2}https:\/\/app\.example\.com\/\?tab=orders#\/orders\/7$/m);
    const authorize = r.stdout
      .split('\n')
      .map((l) => l.trim())
      .find((l) => l.startsWith('https://open.weixin.qq.com/'));
    const url = new URL(authorize ?? '');
    assert.equal(url.hash, '#wechat_redirect', "WeCom's own marker ends the authorize URL");
    assert.equal(new URL(url.searchParams.get('redirect_uri') ?? '').searchParams.get('to'), '/?tab=orders#/orders/7');
  });
  it('--json', async () => {
    const r = await run([
      'link',
      '--corp-id',
      'ww1',
      '--agent-id',
      '7',
      '--url',
      'https://a.example/x',
      '--json',
      '--callback-path',
      '/cb',
    ]);
    const out = JSON.parse(r.stdout) as { appUrl: string; authorizeUrl: string; customMenuButton: { type: string; url: string } };
    assert.equal(out.appUrl, 'https://a.example/x');
    assert.equal(out.customMenuButton.type, 'view');
    assert.match(out.authorizeUrl, /redirect_uri=https%3A%2F%2Fa\.example%2Fcb%3Fto%3D%252Fx/);
  });
  it('bad usage exits 2 with a one-line reason', async () => {
    for (const args of [
      ['link'],
      ['link', '--corp-id', 'ww1', '--agent-id', 'x', '--url', 'https://a.example/'],
      ['link', '--corp-id', 'ww1', '--agent-id', '1', '--url', 'nope'],
      ['frobnicate'],
      ['link', '--bogus'],
    ]) {
      const r = await run(args);
      assert.equal(r.code, 2, args.join(' '));
      assert.match(r.stderr, /^express-wecom-auth: .+\(try --help\)\n$/);
    }
  });
});
