// tls option: the emulator can serve HTTPS (WeCom itself is https only, docs/wecom-api.md §8).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { get } from 'node:https';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { start } from '../helpers/emulator.ts';

function selfSigned(): { key: string; cert: string } | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'wecom-emu-tls-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1,DNS:localhost',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
  } catch {
    return undefined;
  }
  return { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert: readFileSync(join(dir, 'cert.pem'), 'utf8') };
}

test('tls: serves the API over HTTPS with an https:// url', async (t) => {
  const tls = selfSigned();
  if (!tls) {
    t.skip('openssl is not available to make a test certificate');
    return;
  }
  const emu = await start(t, { tls });
  assert.match(emu.url, /^https:\/\/127\.0\.0\.1:\d+$/);
  const body = await new Promise<string>((resolve, reject) => {
    get(`${emu.url}/cgi-bin/gettoken?corpid=wwdemocorp0000001&corpsecret=demo-secret`, { ca: tls.cert, agent: false }, (res) => {
      let text = '';
      res
        .setEncoding('utf8')
        .on('data', (c: string) => (text += c))
        .on('end', () => resolve(text));
    }).on('error', reject);
  });
  assert.equal((JSON.parse(body) as Record<string, unknown>)['errcode'], 0);
});

test('tls: the Host check holds over HTTPS too (localhost answered, another name refused)', async (t) => {
  const tls = selfSigned();
  if (!tls) {
    t.skip('openssl is not available to make a test certificate');
    return;
  }
  const emu = await start(t, { tls });
  const port = new URL(emu.url).port;
  const statusFor = (host: string): Promise<{ status: number; body: string }> =>
    new Promise((resolve, reject) => {
      // The certificate is not what is tested here: another name would fail its identity check.
      get(`${emu.url}/`, { ca: tls.cert, agent: false, headers: { host }, checkServerIdentity: () => undefined }, (res) => {
        let body = '';
        res
          .setEncoding('utf8')
          .on('data', (c: string) => (body += c))
          .on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      }).on('error', reject);
    });
  assert.equal((await statusFor(`localhost:${port}`)).status, 200);
  assert.equal((await statusFor(`127.0.0.1:${port}`)).status, 200);
  const refused = await statusFor(`attacker.example:${port}`);
  assert.equal(refused.status, 421);
  assert.match(refused.body, new RegExp(`answers only its own names: 127\\.0\\.0\\.1:${port}, localhost:${port}`));
});
