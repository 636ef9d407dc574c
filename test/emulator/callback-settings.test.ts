// 「接收消息」 settings: saved only after the console's URL check (a GET with an encrypted echostr,
// its plaintext expected back alone within 1 s); every way an app gets it wrong is refused with
// the console's message and leaves the saved settings as they were.
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { CallbackSettingsError, parseFixture, defaultFixture } from '../../src/emulator/index.ts';
import { AGENT, appOf, getJson, start } from '../helpers/emulator.ts';
import { APP, startReceiver } from './callback-receiver.ts';
import type { Emulator } from '../../src/emulator/index.ts';

const settings = (url: string, extra: Record<string, unknown> = {}) => ({
  agentId: AGENT,
  url,
  token: APP.token,
  encodingAESKey: APP.encodingAESKey,
  ...extra,
});

async function refusal(emu: Emulator, input: ReturnType<typeof settings>): Promise<CallbackSettingsError> {
  const err = await emu.setCallback(input).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(err instanceof CallbackSettingsError, `refused with CallbackSettingsError, got ${String(err)}`);
  return err;
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

test('the console checks the URL with a signed, encrypted echostr, and saves the settings once it answers the plaintext', async (t) => {
  const emu = await start(t);
  const receiver = await startReceiver(t);
  await emu.setCallback(settings(`${receiver.url}?app=demo`));
  const [check] = await receiver.waitFor(1, 'GET');
  assert.ok(check);
  assert.deepEqual(
    Object.keys(check.query),
    ['app', 'msg_signature', 'timestamp', 'nonce', 'echostr'],
    "WeCom's parameters after the URL's own",
  );
  assert.match(check.query['timestamp'] ?? '', /^\d{10}$/);
  assert.match(check.opened ?? '', /^\d{1,19}$/, "the library's verifyUrl opened the echostr: a number, as WeCom's are");
  assert.deepEqual(appOf(emu.fixture).callback, {
    url: `${receiver.url}?app=demo`,
    token: APP.token,
    encodingAESKey: APP.encodingAESKey,
    format: 'xml',
  });
  const listed = await getJson(emu, '/__emulator/callback');
  assert.deepEqual(listed['apps'], [
    { corpId: 'wwdemocorp0000001', agentId: AGENT, callback: { url: `${receiver.url}?app=demo`, format: 'xml' } },
  ]);
  assert.ok(!JSON.stringify(listed).includes(APP.token), 'the settings list shows no Token');
});

test('a quoted, BOM-led, newline-ended or wrong answer, another status, a slow or absent server: refused, nothing saved', async (t) => {
  const emu = await start(t);
  const cases: [string, (plain: string) => { status?: number; body?: string | Buffer; delayMs?: number }, RegExp, RegExp][] = [
    ['quoted', (p) => ({ body: JSON.stringify(p) }), /echostr校验失败/, /in quotes/],
    ['BOM', (p) => ({ body: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(p)]) }), /echostr校验失败/, /BOM/],
    ['newline', (p) => ({ body: `${p}\n` }), /echostr校验失败/, /newline/],
    ['wrong key', () => ({ body: '1234567890' }), /echostr校验失败/, /not the decrypted echostr/],
    ['empty', () => ({ body: '' }), /echostr校验失败/, /empty/],
    ['404', () => ({ status: 404 }), /openapi回调地址请求不通过/, /HTTP 404/],
    ['too slow', () => ({ delayMs: 1500 }), /openapi回调地址请求不通过/, /no answer within 1000 ms/],
  ];
  for (const [label, answer, wecom, detail] of cases) {
    const receiver = await startReceiver(t, (r) => (r.method === 'GET' ? answer(r.opened ?? '') : undefined));
    const err = await refusal(emu, settings(receiver.url));
    assert.match(err.wecomMessage, wecom, label);
    assert.match(err.detail, detail, label);
    assert.equal(appOf(emu.fixture).callback, undefined, `${label}: nothing saved`);
  }
  const port = await closedPort();
  const err = await refusal(emu, settings(`http://127.0.0.1:${port}/cb`));
  assert.equal(err.wecomMessage, 'openapi回调地址请求不通过');
  assert.match(err.detail, /ECONNREFUSED/);
});

test('a refused change keeps the settings saved before; bad fields are refused before any request, never echoing the token', async (t) => {
  const emu = await start(t);
  const good = await startReceiver(t);
  await emu.setCallback(settings(good.url));
  const bad = await startReceiver(t, () => ({ status: 500 }));
  await refusal(emu, settings(bad.url, { token: 'anotherToken' }));
  assert.equal(appOf(emu.fixture).callback?.url, good.url, 'the settings that passed stay');
  assert.equal(appOf(emu.fixture).callback?.token, APP.token);
  const before = good.received.length;
  for (const [input, what] of [
    [settings('ftp://example.com/x'), /url must be an http\(s\) URL/],
    [settings(good.url, { token: 'has space' }), /token must be 1 to 32 letters and digits/],
    [settings(good.url, { encodingAESKey: 'short' }), /encodingAESKey must be 43 letters and digits/],
    [settings(good.url, { format: 'yaml' }), /format must be 'xml' or 'json'/],
  ] as const) {
    const err = await refusal(emu, input);
    assert.match(err.message, what);
    assert.ok(!err.message.includes('has space'), 'the token is not echoed');
  }
  assert.equal(good.received.length, before, 'no request for settings the console would not take');
  await assert.rejects(emu.setCallback({ ...settings(good.url), agentId: 999 }), /999 is not an app/);
  emu.clearCallback({ agentId: AGENT });
  assert.equal(appOf(emu.fixture).callback, undefined);
});

test('POST /__emulator/callback runs the same check: 200, or 400 with the console message; DELETE clears', async (t) => {
  const emu = await start(t);
  const receiver = await startReceiver(t);
  const post = (body: unknown, method = 'POST') =>
    fetch(`${emu.url}/__emulator/callback`, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const ok = await post({ ...settings(receiver.url), format: 'json' });
  assert.equal(ok.status, 200, await ok.clone().text());
  assert.equal(appOf(emu.fixture).callback?.format, 'json');
  const quoting = await startReceiver(t, (r) => (r.method === 'GET' ? { body: `"${r.opened ?? ''}"` } : undefined));
  const refused = await post(settings(quoting.url));
  assert.equal(refused.status, 400);
  const body = (await refused.json()) as Record<string, string>;
  assert.equal(body['wecomMessage'], 'echostr校验失败，请您检查是否正确解密并输出明文echostr');
  assert.match(body['detail'] ?? '', /quotes/);
  const cleared = await post({ agentId: AGENT }, 'DELETE');
  assert.equal(cleared.status, 200);
  assert.equal(appOf(emu.fixture).callback, undefined);
  assert.equal((await post({ agentId: 42 }, 'DELETE')).status, 400);
});

test('a fixture may hold saved settings (not checked again); wrong ones name the field', () => {
  const fixture = defaultFixture();
  const app = fixture.corps[0]?.apps[0];
  assert.ok(app);
  app.callback = { url: 'http://127.0.0.1:9/cb', token: 'abc', encodingAESKey: APP.encodingAESKey };
  assert.equal(parseFixture(fixture).corps[0]?.apps[0]?.callback?.format, 'xml');
  app.callback = { url: 'http://127.0.0.1:9/cb', token: 'abc', encodingAESKey: 'x' };
  assert.throws(() => parseFixture(fixture), /fixture\.corps\[0\]\.apps\[0\]\.callback: encodingAESKey must be 43 letters and digits/);
});
