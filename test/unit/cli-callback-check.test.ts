/**
 * `express-wecom-auth callback check`: the console's URL check against a receiver over real HTTP,
 * and what it says for each mistake people make (a quoted answer, a BOM, a newline, another
 * Token or EncodingAESKey, a slow answer), run as the CLI a team runs.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import express from 'express';
import { createCallbackReceiver } from '../../src/express/callback-receiver.ts';
import { CallbackCrypto } from '../../src/wecom/callback-crypto.ts';
import { generateEncodingAESKey } from '../../src/testing.ts';

const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));
const CORP = 'wwdemocorp0000001';
const token = 'checkToken1';
const key = generateEncodingAESKey();

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, 'callback', 'check', ...args], { timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('express-wecom-auth callback check', () => {
  let server: Server;
  let base = '';
  before(async () => {
    const app = express();
    app.use('/good', createCallbackReceiver({ credentials: { token, encodingAESKey: key }, receiveId: CORP }));
    // The mistakes: the plaintext decrypted right, answered wrong.
    const crypto = new CallbackCrypto({ credentials: { token, encodingAESKey: key }, receiveId: CORP });
    const plain = (req: express.Request): string =>
      crypto.open({
        msgSignature: req.query.msg_signature,
        timestamp: req.query.timestamp,
        nonce: req.query.nonce,
        encrypt: req.query.echostr,
      }).message;
    app.get('/quoted', (req, res) => res.json(plain(req)));
    app.get('/bom', (req, res) => res.type('text').send(`\ufeff${plain(req)}`));
    app.get('/newline', (req, res) => res.type('text').send(`${plain(req)}\n`));
    app.get('/slow', (req, res) => setTimeout(() => res.type('text').send(plain(req)), 1300));
    app.get('/broken', (_req, res) => res.status(500).send('oops'));
    server = createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const common = ['--token', token, '--key', key, '--corp-id', CORP];

  it('passes a receiver that answers the plaintext alone', async () => {
    const r = await run([`${base}/good`, ...common]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /passes the console's check/);
  });

  for (const [path, args, says] of [
    ['/quoted', common, /quoted/],
    ['/bom', common, /BOM/],
    ['/newline', common, /whitespace|newline/],
    ['/slow', common, /WeCom waits 1000 ms/],
    ['/broken', common, /answered 500/],
    ['/good', ['--token', 'anotherToken', '--key', key, '--corp-id', CORP], /401.*Token/],
    ['/good', ['--token', token, '--key', generateEncodingAESKey(), '--corp-id', CORP], /400.*EncodingAESKey/],
    ['/good', ['--token', token, '--key', key, '--corp-id', 'wwanothercorp'], /400.*corp ID/],
  ] as const) {
    it(`says what is wrong: ${path} ${args === common ? '' : args.join(' ').slice(0, 30)}`, async () => {
      const r = await run([`${base}${path}`, ...args]);
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.match(r.stderr, says);
    });
  }

  it('bad usage exits 2 with the reason', async () => {
    assert.equal((await run([`${base}/good`, '--token', token])).code, 2);
    assert.equal((await run(['not-a-url', ...common])).code, 2);
    assert.equal((await run([`${base}/good`, '--token', token, '--key', 'short', '--corp-id', CORP])).code, 2);
  });
});
