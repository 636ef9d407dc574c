// DNS rebinding: a page of the developer's browser whose name is made to resolve to 127.0.0.1
// reaches the emulator as its own origin, with its name in Host. Every Host a browser (or a
// crafted client) can send that is not one of the emulator's own names, or one allowed with
// allowedHosts, is refused with a 4xx that says what to do, before anything is minted or recorded.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { test } from 'node:test';
import { startEmulator } from '../../src/emulator/index.ts';
import { CORP, SECRET, UA, authorizeUrl, start } from '../helpers/emulator.ts';
import type { Emulator } from '../../src/emulator/index.ts';

interface RawAnswer {
  status: number;
  head: string;
  body: string;
}

/** One request written byte for byte (any Host, or none), over its own connection. */
function raw(emu: Emulator, lines: string[], body = ''): Promise<RawAnswer> {
  const { hostname, port } = new URL(emu.url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (text += chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const split = text.indexOf('\r\n\r\n');
      const head = split === -1 ? text : text.slice(0, split);
      resolve({ status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? 0), head, body: split === -1 ? '' : text.slice(split + 4) });
    });
    socket.end(`${[...lines, 'Connection: close', `Content-Length: ${Buffer.byteLength(body)}`].join('\r\n')}\r\n\r\n${body}`);
  });
}

function get(emu: Emulator, target: string, host: string | undefined, extra: string[] = []): Promise<RawAnswer> {
  return raw(emu, [`GET ${target} HTTP/1.1`, ...(host === undefined ? [] : [`Host: ${host}`]), ...extra]);
}

/** A path of each kind: a page, the API, a control route, the authorize that mints a code. */
function targets(emu: Emulator): string[] {
  const authorize = new URL(authorizeUrl(emu));
  return ['/', `/cgi-bin/gettoken?corpid=${CORP}&corpsecret=${SECRET}`, '/__emulator/calls', `${authorize.pathname}${authorize.search}`];
}

test("the emulator's own names with its port are answered: 127.0.0.1, localhost, [::1]", async (t) => {
  const emu = await start(t);
  const port = new URL(emu.url).port;
  for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]) {
    for (const target of targets(emu)) {
      const answer = await get(emu, target, host, [`User-Agent: ${UA.wecomIos}`]);
      assert.ok(answer.status === 200 || answer.status === 302, `${host} ${target}: ${answer.status} ${answer.body}`);
    }
  }
  assert.equal(emu.callCount('gettoken'), 3);
});

test('every other Host is refused with 421 and how to allow it; nothing is minted or recorded; it keeps serving', async (t) => {
  const emu = await start(t);
  const port = new URL(emu.url).port;
  const other = String(Number(port) === 65535 ? 65534 : Number(port) + 1);
  const hosts = [
    `attacker.example:${port}`, // DNS rebinding: the page's own name
    'attacker.example',
    `127.0.0.1.nip.io:${port}`, // a public name that resolves to loopback
    `localhost.:${port}`, // trailing dot
    `127.0.0.1.:${port}`,
    `LOCALHOST:${port}`, // upper case: no browser sends it
    `Localhost:${port}`,
    `127.0.0.1:${other}`, // another port
    `localhost:${other}`,
    'localhost', // no port
    '127.0.0.1',
    `[::ffff:127.0.0.1]:${port}`, // IPv6 literals other than [::1]
    `[0:0:0:0:0:0:0:1]:${port}`,
    `[2001:db8::1]:${port}`,
    `::1:${port}`,
    `app.localhost:${port}`, // *.localhost is not one of its names
    `127.0.0.1:${port}@attacker.example`,
    `127.0.0.1:${port} attacker.example`,
  ];
  for (const host of hosts) {
    for (const target of targets(emu)) {
      const answer = await get(emu, target, host, [`User-Agent: ${UA.wecomIos}`]);
      assert.equal(answer.status, 421, `${host} ${target}: ${answer.status}`);
      assert.match(answer.head, /content-type: text\/plain; charset=utf-8/i);
      assert.doesNotMatch(answer.head, /location:/i, 'no redirect, so no code');
      assert.match(answer.body, /refused a request for Host/);
      assert.match(answer.body, /DNS-rebinding/);
      assert.match(answer.body, new RegExp(`answers only its own names: 127\\.0\\.0\\.1:${port}, localhost:${port}, \\[::1\\]:${port}`));
      assert.match(answer.body, /allowedHosts: \['[^']+'\] \}\) or wecom-emulator --allow-host \S+/);
    }
  }
  const rebound = await get(emu, '/', `attacker.example:${port}`);
  assert.match(rebound.body, /allowedHosts: \['attacker\.example'\]/, 'the hint names the host');
  const post = await raw(
    emu,
    ['POST /__emulator/miniprogram/code HTTP/1.1', `Host: attacker.example:${port}`, 'Content-Type: application/json'],
    '{"userId":"zhangsan"}',
  );
  assert.equal(post.status, 421);
  assert.doesNotMatch(post.body, /"code"/);
  assert.equal(emu.callCount(), 0, 'no refused request reached the API or its log');
  const fine = await fetch(`${emu.url}/cgi-bin/gettoken?corpid=${CORP}&corpsecret=${SECRET}`);
  assert.equal(((await fine.json()) as { errcode: number }).errcode, 0, 'still serving');
});

test('a request without Host is refused: 400 from the emulator for HTTP/1.0, from Node for HTTP/1.1', async (t) => {
  const emu = await start(t);
  for (const target of targets(emu)) {
    const old = await raw(emu, [`GET ${target} HTTP/1.0`, `User-Agent: ${UA.wecomIos}`]);
    assert.equal(old.status, 400, `${target}: ${old.status}`);
    assert.match(old.body, /without a Host header \(HTTP\/1\.0\?\): send Host: 127\.0\.0\.1:\d+/);
    assert.equal((await get(emu, target, undefined)).status, 400);
    assert.equal((await get(emu, target, '')).status, 400);
  }
  assert.equal(emu.callCount(), 0);
  assert.equal((await fetch(`${emu.url}/`)).status, 200, 'still serving');
});

test('allowedHosts: a name (any port), a name:port, a .suffix; case, dots and ports still checked', async (t) => {
  const emu = await start(t, { allowedHosts: ['emu.test', 'Box.LAN:8443', '.dev.test', '192.168.1.5', '[fe80::1]'] });
  const port = new URL(emu.url).port;
  const answered = ['emu.test', `emu.test:${port}`, 'emu.test:80', 'box.lan:8443', 'dev.test', `a.dev.test:${port}`, 'b.a.dev.test'];
  answered.push(`192.168.1.5:${port}`, `[fe80::1]:${port}`, `127.0.0.1:${port}`);
  for (const host of answered) assert.equal((await get(emu, '/', host)).status, 200, host);
  const refused = ['EMU.TEST', 'emu.test.', 'xemu.test', `box.lan:${port}`, 'box.lan', 'xdev.test', 'dev.test.evil.example', 'a.dev.test.'];
  refused.push('192.168.1.50', '[fe80::2]');
  for (const host of refused) {
    const answer = await get(emu, '/', host);
    assert.equal(answer.status, 421, host);
    assert.match(answer.body, /and the allowed hosts emu\.test, box\.lan:8443, \.dev\.test, 192\.168\.1\.5, \[fe80::1\]\./);
  }
});

/** What startEmulator() does with these options: the error it throws, or 'started' (then closed). */
async function startOutcome(allowedHosts: unknown): Promise<unknown> {
  return startEmulator({ allowedHosts: allowedHosts as string[] }).then(
    async (emu) => {
      await emu.close();
      return 'started';
    },
    (err: unknown) => err,
  );
}

test('allowedHosts: an entry that is not a host name fails startEmulator', async () => {
  const entries = ['http://emu.test', 'emu.test/', 'a b', '', 'emu.test.', 'emu.test:99999', 'emu.test:', '.[::1]', 'user@emu.test', 42];
  for (const entry of entries) {
    const outcome = await startOutcome([entry]);
    assert.ok(outcome instanceof RangeError, `${String(entry)}: ${String(outcome)}`);
    assert.match(outcome.message, /allowedHosts\[0\] .* is not a host name: write it as a browser sends it in Host/);
  }
  assert.match(String(await startOutcome('emu.test')), /allowedHosts must be an array/);
});
