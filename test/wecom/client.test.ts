import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WeComOptionsError } from '../../src/options.ts';
import { inspect } from 'node:util';
import { after, describe, it } from 'node:test';
import {
  WeComApiError,
  WeComClient,
  WeComConfigError,
  WeComHttpError,
  WeComRateLimitError,
  describeWeComError,
  jsapiSignature,
} from '../../src/wecom/index.ts';
import {
  AGENT_ID,
  CORP_ID,
  REPEAT_EXPIRES_IN,
  SECRET,
  WECHAT_UA,
  failure,
  logLines,
  makeClient,
  obtainCode,
  producedErrors,
  recordSensitive,
  sensitiveValues,
  withEmulator,
} from '../helpers/client.ts';

import { MemoryTokenCache } from '../../src/wecom/memory-token-cache.ts';
import type { Emulator } from '../../src/emulator/index.ts';

async function waitUntil(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const mode = ` (expires_in on a repeat fetch: ${REPEAT_EXPIRES_IN})`;

describe(`WeComClient against the emulator: access_token${mode}`, () => {
  it('reuses one cached token across many calls (1 gettoken)', () =>
    withEmulator(async (emu) => {
      const client = makeClient(emu);
      try {
        for (let i = 0; i < 20; i++) assert.equal((await client.getUser('zhangsan')).userid, 'zhangsan');
        const token = await client.getAccessToken();
        recordSensitive(token);
        assert.equal(emu.callCount('gettoken'), 1);
        assert.equal(emu.callCount('user/get'), 20);
        const gettoken = emu.calls.find((c) => c.api === 'gettoken');
        // The emulator records corpsecret redacted; errcode 0 shows it was the right one.
        assert.deepEqual(Object.keys(gettoken?.query ?? {}).sort(), ['corpid', 'corpsecret']);
        assert.equal(gettoken?.query['corpid'], CORP_ID);
        assert.equal(gettoken?.errcode, 0);
        assert.ok(emu.calls.filter((c) => c.api === 'user/get').every((c) => c.query['access_token'] === token));
        assert.ok(logLines.some((l) => l.level === 'debug' && l.msg === 'wecom access_token refreshed'));
      } finally {
        client.close();
      }
    }));

  it('50 concurrent first calls make exactly one gettoken', () =>
    withEmulator(async (emu) => {
      const client = makeClient(emu);
      try {
        const users = await Promise.all(Array.from({ length: 50 }, () => client.getUser('lisi')));
        assert.ok(users.every((u) => u.userid === 'lisi'));
        assert.equal(emu.callCount('gettoken'), 1);
        assert.equal(emu.callCount('user/get'), 50);
      } finally {
        client.close();
      }
    }));

  it('refreshes an expired token (42001) and retries the call once', () =>
    withEmulator(async (emu) => {
      const client = makeClient(emu);
      try {
        const first = await client.getAccessToken();
        emu.clock.advance(7200_000 + 1000);
        const user = await client.getUser('zhangsan');
        assert.equal(user.userid, 'zhangsan');
        const calls = emu.calls.filter((c) => c.api === 'user/get');
        assert.deepEqual(
          calls.map((c) => c.errcode),
          [42001, 0],
        );
        assert.equal(calls[0]?.query['access_token'], first);
        assert.notEqual(calls[1]?.query['access_token'], first);
        assert.equal(emu.callCount('gettoken'), 2);
        assert.equal(await client.getAccessToken(), calls[1]?.query['access_token']);
        assert.ok(logLines.some((l) => l.msg.includes('rejected') && l.fields?.['errcode'] === 42001));
      } finally {
        client.close();
      }
    }));

  it('refreshes a revoked token (40014) and retries exactly once', () =>
    withEmulator(async (emu) => {
      const client = makeClient(emu);
      try {
        await client.getUser('zhangsan');
        emu.revokeTokens();
        emu.clearCalls();
        assert.equal((await client.getUser('zhangsan')).userid, 'zhangsan');
        assert.deepEqual(
          emu.calls.map((c) => `${c.api}:${c.errcode}`),
          ['user/get:40014', 'gettoken:0', 'user/get:0'],
        );

        // Rejected twice in a row: one replay only, then the error.
        emu.clearCalls();
        emu.faults.failNext(40014, 5, 'user/get');
        const err = await failure(client.getUser('zhangsan'));
        assert.ok(err instanceof WeComApiError);
        assert.equal(err.errcode, 40014);
        assert.equal(emu.callCount('user/get'), 2);
      } finally {
        client.close();
      }
    }));

  it('retries -1 (system busy) with backoff, and gives up after the bound', () =>
    withEmulator(async (emu) => {
      const client = makeClient(emu);
      try {
        emu.faults.failNext(-1, 2, 'user/get');
        assert.equal((await client.getUser('zhangsan')).userid, 'zhangsan');
        assert.deepEqual(
          emu.calls.filter((c) => c.api === 'user/get').map((c) => c.errcode),
          [-1, -1, 0],
        );

        emu.clearCalls();
        emu.faults.failNext(-1, 10, 'user/get');
        const err = await failure(client.getUser('zhangsan'));
        assert.ok(err instanceof WeComApiError);
        assert.equal(err.errcode, -1);
        assert.equal(emu.callCount('user/get'), 3);

        emu.clearCalls();
        emu.faults.reset();
        emu.faults.failNext(-1, 2, 'gettoken');
        const fresh = makeClient(emu, { busyRetry: { tries: 3, baseDelayMs: 1 } });
        try {
          await fresh.getAccessToken();
          assert.deepEqual(
            emu.calls.map((c) => c.errcode),
            [-1, -1, 0],
          );
        } finally {
          fresh.close();
        }
      } finally {
        client.close();
      }
    }));

  it('honours busyRetry.tries', () =>
    withEmulator(async (emu) => {
      const client = makeClient(emu, { busyRetry: { tries: 1 } });
      try {
        await client.getAccessToken();
        emu.faults.failNext(-1, 10, 'user/get');
        await failure(client.getUser('zhangsan'));
        assert.equal(emu.callCount('user/get'), 1);
      } finally {
        client.close();
      }
    }));

  it('45009 is a WeComRateLimitError at once, with no retry storm', () =>
    withEmulator(async (emu) => {
      const client = makeClient(emu);
      try {
        emu.faults.failNext(45009, 100, 'user/get');
        const errors = await Promise.all(Array.from({ length: 5 }, () => failure(client.getUser('zhangsan'))));
        for (const err of errors) {
          assert.ok(err instanceof WeComRateLimitError);
          assert.equal(err.errcode, 45009);
          assert.equal(err.code, 'WECOM_RATE_LIMITED');
          assert.match(describeWeComError(err).hint, /rate limit/);
        }
        assert.equal(emu.callCount('user/get'), 5);
        assert.equal(emu.callCount('gettoken'), 1);

        emu.clearCalls();
        emu.faults.reset();
        emu.faults.failNext(45033, 100, 'gettoken');
        const fresh = makeClient(emu);
        try {
          const err = await failure(fresh.getAccessToken());
          assert.ok(err instanceof WeComRateLimitError);
          assert.equal(err.errcode, 45033);
          // a rate-limited gettoken is not repeated by every caller during the cool-down
          assert.equal(await failure(fresh.getUser('zhangsan')), err);
          assert.equal(emu.callCount('gettoken'), 1);
        } finally {
          fresh.close();
        }
      } finally {
        client.close();
      }
    }));

  it('names a wrong secret clearly, and does not hammer gettoken during the cool-down', () =>
    withEmulator(async (emu) => {
      recordSensitive('wrong-secret-value');
      const client = makeClient(emu, { secret: 'wrong-secret-value' });
      try {
        const err = await failure(client.getUser('zhangsan'));
        assert.ok(err instanceof WeComConfigError);
        assert.equal(err.setting, 'secret');
        assert.equal(err.errcode, 40001);
        assert.equal(err.api, 'gettoken');
        assert.match(err.message, /^WeCom gettoken failed: 40001 .*Check the `secret` option/);
        for (let i = 0; i < 10; i++) assert.equal(await failure(client.getAccessToken()), err);
        assert.equal(emu.callCount('gettoken'), 1);
        assert.ok(logLines.some((l) => l.level === 'error' && l.fields?.['setting'] === 'secret'));
      } finally {
        client.close();
      }
    }));

  it('the cool-down ends after configErrorCooldownMs', () =>
    withEmulator(async (emu) => {
      let t = Date.now();
      const now = () => t;
      const client = makeClient(emu, {
        secret: 'wrong-secret-value',
        now,
        tokenCache: new MemoryTokenCache({ now }),
        configErrorCooldownMs: 1000,
      });
      try {
        await failure(client.getAccessToken());
        await failure(client.getAccessToken());
        assert.equal(emu.callCount('gettoken'), 1);
        t += 1000;
        await failure(client.getAccessToken());
        assert.equal(emu.callCount('gettoken'), 2);
      } finally {
        client.close();
      }
    }));

  it('names an unknown corp clearly (corpId)', () =>
    withEmulator(async (emu) => {
      const client = makeClient(emu, { corpId: 'wwunknowncorp0001' });
      try {
        const err = await failure(client.getAccessToken());
        assert.ok(err instanceof WeComConfigError);
        assert.equal(err.setting, 'corpId');
        assert.equal(err.errcode, 40013);
        assert.match(err.message, /Check the `corpId` option/);
      } finally {
        client.close();
      }
    }));
});

describe('WeComClient against the emulator: transport failures', () => {
  it('an HTML 502 from a gateway is a WeComHttpError not-json, not retried', () =>
    withEmulator(async (emu) => {
      const client = makeClient(emu);
      try {
        await client.getAccessToken();
        emu.faults.html502(1, 'user/get');
        const err = await failure(client.getUser('zhangsan'));
        assert.ok(err instanceof WeComHttpError);
        assert.equal(err.kind, 'not-json');
        assert.equal(err.status, 502);
        assert.equal(err.api, 'user/get');
        assert.match(err.message, /HTTP 502 .*not a JSON object \(text\/html/);
        assert.equal(emu.callCount('user/get'), 1);
        // the next call is fine
        assert.equal((await client.getUser('zhangsan')).userid, 'zhangsan');
      } finally {
        client.close();
      }
    }));

  it('an HTML 502 on gettoken too', () =>
    withEmulator(async (emu) => {
      const client = makeClient(emu);
      try {
        emu.faults.html502(1, 'gettoken');
        const err = await failure(client.getAccessToken());
        assert.ok(err instanceof WeComHttpError && err.kind === 'not-json');
        assert.equal(err.api, 'gettoken');
      } finally {
        client.close();
      }
    }));

  it('a slow WeCom is a WeComHttpError timeout', () =>
    withEmulator(async (emu) => {
      const client = makeClient(emu, { timeouts: { response: 150 } });
      try {
        await client.getAccessToken();
        emu.faults.delay(1000, 'user/get');
        const started = Date.now();
        const err = await failure(client.getUser('zhangsan'));
        assert.ok(err instanceof WeComHttpError);
        assert.equal(err.kind, 'timeout');
        assert.equal(err.api, 'user/get');
        assert.match(err.message, /timed out after 150 ms \(response\)/);
        assert.ok(Date.now() - started < 900, 'the client gave up before the emulator answered');
        assert.ok(err.cause instanceof Error);
        assert.match(describeWeComError(err).hint, /did not answer in time/);
        emu.faults.delay(0, 'user/get');
      } finally {
        client.close();
      }
    }));

  it('a call that takes longer than timeouts.total in all is a timeout, although every phase is in time', async () => {
    // Headers at once, then the body a byte at a time: no phase is ever late, the call is.
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const body = '{"access_token":"slow-drip-token","expires_in":7200}';
      let i = 0;
      const timer = setInterval(() => {
        if (i >= body.length) {
          clearInterval(timer);
          res.end();
          return;
        }
        res.write(body[i++]);
      }, 20);
      res.on('close', () => clearInterval(timer));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const client = new WeComClient({
      corpId: CORP_ID,
      secret: SECRET,
      apiBaseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      timeouts: { total: 300 },
    });
    try {
      const started = Date.now();
      const err = await failure(client.getAccessToken());
      assert.ok(err instanceof WeComHttpError && err.kind === 'timeout', String(err));
      assert.match(err.message, /timed out after 300 ms \(total\)/);
      assert.ok(Date.now() - started < 900, `gave up after ${Date.now() - started} ms; the body takes over 1 s`);
    } finally {
      client.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('an answer over 1 MiB is refused (too-large) without buffering it all', async () => {
    let written = 0;
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      const pump = () => {
        while (written < 64 * 1024 * 1024) {
          written += chunk.length;
          if (!res.write(chunk)) {
            res.once('drain', pump);
            return;
          }
        }
        res.end();
      };
      res.write('{"access_token":"');
      pump();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const client = new WeComClient({
      corpId: CORP_ID,
      secret: SECRET,
      apiBaseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    });
    try {
      const err = await failure(client.getAccessToken());
      assert.ok(err instanceof WeComHttpError && err.kind === 'too-large', String(err));
      assert.equal(err.status, 200);
      assert.match(describeWeComError(err).hint, /larger than any WeCom answer/);
      assert.ok(written < 16 * 1024 * 1024, `the server got to write ${written} bytes`);
    } finally {
      client.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('a refused connection is a WeComHttpError network', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const client = new WeComClient({ corpId: CORP_ID, secret: SECRET, apiBaseUrl: `http://127.0.0.1:${port}` });
    try {
      const err = await failure(client.getAccessToken());
      assert.ok(err instanceof WeComHttpError);
      assert.equal(err.kind, 'network');
      assert.match(err.message, /network error ECONNREFUSED/);
      assert.equal((err.cause as { code?: string }).code, 'ECONNREFUSED');
    } finally {
      client.close();
    }
  });

  it('an unexpected HTTP status, an empty body, a non-object JSON', async () => {
    const answers: [number, string, string][] = [
      [503, 'application/json', '{"errcode":0}'],
      [404, 'text/plain', ''],
      [200, 'application/json', ''],
      [200, 'application/json', '[1,2]'],
    ];
    let next = 0;
    const server = createServer((_req, res) => {
      const [status, type, body] = answers[next++] ?? [500, 'text/plain', ''];
      res.writeHead(status, { 'content-type': type });
      res.end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const client = new WeComClient({
      corpId: CORP_ID,
      secret: SECRET,
      apiBaseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    });
    try {
      const kinds = [];
      for (let i = 0; i < answers.length; i++) {
        const err = await failure(client.getAccessToken());
        assert.ok(err instanceof WeComHttpError);
        kinds.push([err.kind, err.status]);
      }
      assert.deepEqual(kinds, [
        ['http-status', 503],
        ['http-status', 404],
        ['not-json', 200],
        ['not-json', 200],
      ]);
    } finally {
      client.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('keeps connections alive across calls, and close() releases them', async () => {
    let connections = 0;
    const server = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      if (req.url?.startsWith('/cgi-bin/gettoken')) res.end('{"access_token":"keepalive-token-1","expires_in":7200}');
      else res.end('{"errcode":0,"errmsg":"ok","userid":"zhangsan"}');
    });
    server.on('connection', () => connections++);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const client = new WeComClient({
      corpId: CORP_ID,
      secret: SECRET,
      apiBaseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    });
    try {
      for (let i = 0; i < 5; i++) assert.equal((await client.getUser('zhangsan')).userid, 'zhangsan');
      assert.equal(connections, 1);
    } finally {
      client.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('a kept-alive connection the server closed just as it was reused: sent again once, on a new connection', async () => {
    let requests = 0;
    const sockets = new Set<unknown>();
    const server = createServer((req, res) => {
      requests++;
      sockets.add(req.socket);
      // The second request arrives on the connection of the first: the server drops it unanswered,
      // as a server whose keep-alive timeout has just fired does.
      if (requests === 2) {
        req.socket.destroy();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      if (req.url?.startsWith('/cgi-bin/gettoken')) res.end('{"access_token":"reset-token-1","expires_in":7200}');
      else res.end('{"errcode":0,"errmsg":"ok","userid":"zhangsan"}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const client = new WeComClient({
      corpId: CORP_ID,
      secret: SECRET,
      apiBaseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    });
    try {
      assert.equal((await client.getUser('zhangsan')).userid, 'zhangsan');
      assert.equal(requests, 3, 'gettoken, user/get reset, user/get again');
      assert.equal(sockets.size, 2, 'the resend went out on a new connection');
      // A reset on a new connection is not retried: it is a network error.
      requests = 1;
      const failing = new WeComClient({
        corpId: CORP_ID,
        secret: SECRET,
        apiBaseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      });
      try {
        const err = await failure(failing.getAccessToken());
        assert.ok(err instanceof WeComHttpError && err.kind === 'network', String(err));
      } finally {
        failing.close();
      }
    } finally {
      client.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('a redirect (http instead of https) is an http-status error that says so', async () => {
    const server = createServer((_req, res) => {
      res.writeHead(301, { location: 'https://qyapi.weixin.qq.com/cgi-bin/gettoken' });
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const client = new WeComClient({
      corpId: CORP_ID,
      secret: SECRET,
      apiBaseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    });
    try {
      const err = await failure(client.getAccessToken());
      assert.ok(err instanceof WeComHttpError && err.kind === 'http-status' && err.status === 301);
      assert.match(err.message, /unexpected HTTP status 301 \(a redirect: does the base URL use http instead of https\?\)/);
    } finally {
      client.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('a 200 without access_token is a WeComHttpError unexpected-body', async () => {
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"errcode":0,"errmsg":"ok"}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const client = new WeComClient({
      corpId: CORP_ID,
      secret: SECRET,
      apiBaseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    });
    try {
      const err = await failure(client.getAccessToken());
      assert.ok(err instanceof WeComHttpError && err.kind === 'unexpected-body');
    } finally {
      client.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('accepts a trailing slash in apiBaseUrl', () =>
    withEmulator(async (emu) => {
      const client = makeClient(emu, { apiBaseUrl: `${emu.url}/` });
      try {
        assert.equal((await client.getUser('zhangsan')).userid, 'zhangsan');
        assert.equal(client.apiBaseUrl, emu.url);
      } finally {
        client.close();
      }
    }));
});

describe('WeComClient against the emulator: identity', () => {
  it('legacy user/getuserinfo normalises a member (UserId, DeviceId), sending agentid', () =>
    withEmulator(async (emu) => {
      const client = makeClient(emu);
      try {
        const code = await obtainCode(emu);
        const identity = await client.getIdentity(code);
        assert.equal(identity.type, 'member');
        assert.ok(identity.type === 'member');
        assert.equal(identity.userId, 'zhangsan');
        assert.equal(typeof identity.deviceId, 'string');
        assert.equal(identity.userTicket, undefined);
        const call = emu.calls.find((c) => c.api === 'user/getuserinfo');
        assert.equal(call?.query['agentid'], String(AGENT_ID));
        assert.equal(call?.query['code'], code);
      } finally {
        client.close();
      }
    }));

  it('current auth/getuserinfo normalises a member', () =>
    withEmulator(async (emu) => {
      const client = makeClient(emu);
      try {
        const identity = await client.getIdentity(await obtainCode(emu, { user: 'lisi' }), { endpoint: 'auth/getuserinfo' });
        assert.deepEqual(identity, { type: 'member', userId: 'lisi' });
        assert.equal(emu.calls.find((c) => c.api === 'auth/getuserinfo')?.query['agentid'], undefined);
      } finally {
        client.close();
      }
    }));

  it('privateinfo: both endpoints return a user_ticket, and getUserDetail reads the profile', () =>
    withEmulator(async (emu) => {
      const client = makeClient(emu);
      try {
        for (const endpoint of ['auth/getuserinfo', 'user/getuserinfo'] as const) {
          const before = Date.now();
          const identity = await client.getIdentity(await obtainCode(emu, { scope: 'snsapi_privateinfo' }), { endpoint });
          assert.ok(identity.type === 'member', endpoint);
          assert.equal(identity.userId, 'zhangsan');
          assert.equal(typeof identity.userTicket, 'string');
          recordSensitive(identity.userTicket);
          assert.ok(identity.userTicketExpiresAt !== undefined && identity.userTicketExpiresAt >= before + 1_790_000);
          const detail = await client.getUserDetail(identity.userTicket ?? '');
          assert.equal(detail.userid, 'zhangsan');
          assert.equal('errcode' in detail, false);
          assert.equal(emu.calls.at(-1)?.method, 'POST');
        }
        const err = await failure(client.getUserDetail('not-a-ticket-value'));
        assert.ok(err instanceof WeComApiError && err.errcode === 84015);
      } finally {
        client.close();
      }
    }));

  it('a non-member (personal WeChat) normalises on both endpoints', () =>
    withEmulator(async (emu) => {
      const client = makeClient(emu);
      try {
        const current = await client.getIdentity(await obtainCode(emu, { userAgent: WECHAT_UA }), { endpoint: 'auth/getuserinfo' });
        assert.equal(current.type, 'non-member');
        assert.ok(current.type === 'non-member' && current.openId.length > 0);
        const legacy = await client.getIdentity(await obtainCode(emu, { userAgent: WECHAT_UA }));
        assert.ok(legacy.type === 'non-member');
        assert.equal(legacy.openId, current.openId);
        assert.equal(typeof legacy.deviceId, 'string');
      } finally {
        client.close();
      }
    }));

  it('never retries a used code (40029)', () =>
    withEmulator(async (emu) => {
      const client = makeClient(emu);
      try {
        const code = await obtainCode(emu);
        await client.getIdentity(code);
        emu.clearCalls();
        const err = await failure(client.getIdentity(code));
        assert.ok(err instanceof WeComApiError);
        assert.equal(err.errcode, 40029);
        assert.equal(err.api, 'user/getuserinfo');
        assert.match(err.message, /^WeCom user\/getuserinfo failed: 40029 invalid code/);
        assert.equal(emu.callCount('user/getuserinfo'), 1);
        assert.match(describeWeComError(err).hint, /code/);
      } finally {
        client.close();
      }
    }));

  it('does not retry -1 on a code exchange (the code may be consumed)', () =>
    withEmulator(async (emu) => {
      const client = makeClient(emu);
      try {
        await client.getAccessToken();
        emu.faults.failNext(-1, 1, 'auth/getuserinfo');
        const err = await failure(client.getIdentity(await obtainCode(emu), { endpoint: 'auth/getuserinfo' }));
        assert.ok(err instanceof WeComApiError && err.errcode === -1);
        assert.equal(emu.callCount('auth/getuserinfo'), 1);
      } finally {
        client.close();
      }
    }));

  it('a rejected token on the code exchange is refreshed and the exchange replayed once', () =>
    withEmulator(async (emu) => {
      const client = makeClient(emu);
      try {
        await client.getAccessToken();
        emu.revokeTokens();
        const identity = await client.getIdentity(await obtainCode(emu), { endpoint: 'auth/getuserinfo' });
        assert.deepEqual(identity, { type: 'member', userId: 'zhangsan' });
        assert.deepEqual(
          emu.calls.filter((c) => c.api !== 'gettoken').map((c) => c.errcode),
          [40014, 0],
        );
        emu.clock.advance(7300_000);
        const again = await client.getIdentity(await obtainCode(emu));
        assert.ok(again.type === 'member' && again.userId === 'zhangsan');
        assert.deepEqual(
          emu.calls.filter((c) => c.api === 'user/getuserinfo').map((c) => c.errcode),
          [42001, 0],
        );
      } finally {
        client.close();
      }
    }));

  it('50001 (redirect domain not trusted) and 60020 (IP not trusted) carry actionable hints', () =>
    withEmulator(async (emu) => {
      const client = makeClient(emu);
      try {
        const app = emu.fixture.corps[0]?.apps.find((a) => a.agentId === AGENT_ID);
        assert.ok(app);
        const code = await obtainCode(emu);
        const domains = [...app.trustedDomains];
        app.trustedDomains = ['app.example.com'];
        const domainErr = await failure(client.getIdentity(code, { endpoint: 'auth/getuserinfo' }));
        assert.ok(domainErr instanceof WeComApiError && domainErr.errcode === 50001);
        assert.match(describeWeComError(domainErr).hint, /trusted domain/);
        app.trustedDomains = domains;

        app.trustedIps = ['10.0.0.1'];
        const ipErr = await failure(client.getUser('zhangsan'));
        assert.ok(ipErr instanceof WeComApiError && ipErr.errcode === 60020);
        assert.match(ipErr.message, /^WeCom user\/get failed: 60020 not allow to access from your ip/);
        assert.match(describeWeComError(ipErr).hint, /trusted IP list.*about a minute/);
      } finally {
        client.close();
      }
    }));

  it('validates the code before sending anything', () =>
    withEmulator(async (emu) => {
      const client = makeClient(emu);
      try {
        for (const code of ['', 'x'.repeat(513), 42 as unknown as string, undefined as unknown as string]) {
          await assert.rejects(client.getIdentity(code), TypeError);
        }
        await assert.rejects(client.getIdentity('abc', { endpoint: 'oauth2/x' as 'auth/getuserinfo' }), /endpoint must be/);
        assert.equal(emu.calls.length, 0);
      } finally {
        client.close();
      }
    }));
});

describe(`WeComClient against the emulator: renewal ahead of expiry${mode}`, () => {
  /** The cache's clock and the emulator's, moved together. */
  function clocks(emu: Emulator) {
    let t = Date.now();
    return {
      now: () => t,
      advance(ms: number) {
        t += ms;
        emu.clock.advance(ms);
      },
    };
  }
  const refreshed = () => logLines.filter((l) => l.msg === 'wecom access_token refreshed').length;

  it('renews the token in the background before it expires: callers never wait for it', () =>
    withEmulator(async (emu) => {
      const clock = clocks(emu);
      const client = makeClient(emu, { now: clock.now, tokenCache: new MemoryTokenCache({ now: clock.now }) });
      try {
        const first = await client.getAccessToken();
        recordSensitive(first);
        // Past the renewal point (6210 s of the 6900 s kept), 990 s before WeCom's expiry.
        clock.advance(6210_000);
        emu.faults.delay(2000, 'gettoken');
        const before = refreshed();
        const users = await Promise.all(Array.from({ length: 20 }, () => client.getUser('zhangsan')));
        assert.ok(users.every((u) => u.userid === 'zhangsan'));
        assert.ok(emu.calls.filter((c) => c.api === 'user/get').every((c) => c.query['access_token'] === first));
        await waitUntil(() => emu.callCount('gettoken') === 2);
        assert.equal(refreshed(), before, 'every call answered while the renewal was still at WeCom');
        assert.equal(emu.callCount('gettoken'), 2, 'one renewal, not one per caller');
        emu.faults.delay(0, 'gettoken');
        await waitUntil(() => refreshed() > before);
        // WeCom handed the same token back (still valid): no renewal again before it expires.
        await client.getUser('lisi');
        await new Promise((resolve) => setImmediate(resolve));
        assert.equal(emu.callCount('gettoken'), 2);

        // WeCom's expiry (7200 s after the first fetch).
        clock.advance(990_000);
        emu.clearCalls();
        assert.equal((await client.getUser('zhangsan')).userid, 'zhangsan');
        const seen = emu.calls.map((c) => `${c.api}:${c.errcode}`);
        if (REPEAT_EXPIRES_IN === 'remaining') {
          // The renewal learnt the real expiry: the cache lets the token go exactly then.
          assert.deepEqual(seen, ['gettoken:0', 'user/get:0']);
        } else {
          // 7200 again: the cache cannot know the token ends sooner; WeCom's 42001 ends it.
          assert.deepEqual(seen, ['user/get:42001', 'gettoken:0', 'user/get:0']);
        }
        const second = await client.getAccessToken();
        recordSensitive(second);
        assert.notEqual(second, first);
      } finally {
        client.close();
      }
    }));

  it('a JS-SDK ticket reported as refused is renewed at most once per 5 minutes, whatever expires_in said', () =>
    withEmulator(async (emu) => {
      const clock = clocks(emu);
      const client = makeClient(emu, { now: clock.now, tokenCache: new MemoryTokenCache({ now: clock.now }) });
      try {
        const ticket = await client.getJsapiTicket();
        recordSensitive(ticket);
        assert.equal(await client.renewJsapiTicket(), false, 'fetched just now');
        clock.advance(3600_000);
        assert.equal(await client.renewJsapiTicket(), true);
        // The ticket is still valid at WeCom: the same one comes back, with 7200 or 3600 s.
        assert.equal(await client.getJsapiTicket(), ticket);
        for (let i = 0; i < 5; i++) assert.equal(await client.renewJsapiTicket(), false, 'fetched a moment ago');
        assert.equal(emu.callCount('get_jsapi_ticket'), 2);
        clock.advance(5 * 60_000);
        assert.equal(await client.renewJsapiTicket(), true);
        assert.equal(emu.callCount('get_jsapi_ticket'), 3);
      } finally {
        client.close();
      }
    }));
});

describe(`WeComClient against the emulator: profile, mini program, JS-SDK${mode}`, () => {
  it('getUser returns the directory entry; 60111 and 60011 are WeComApiError', () =>
    withEmulator(async (emu) => {
      const client = makeClient(emu);
      try {
        const user = await client.getUser('zhangsan');
        assert.equal(user.userid, 'zhangsan');
        assert.equal(user.name, '张三');
        const missing = await failure(client.getUser('nobody'));
        assert.ok(missing instanceof WeComApiError && missing.errcode === 60111);
        const hidden = await failure(client.getUser('wangwu'));
        assert.ok(hidden instanceof WeComApiError && hidden.errcode === 60011);
        assert.match(describeWeComError(hidden).hint, /visible range/);
      } finally {
        client.close();
      }
    }));

  it('jscode2session returns corpId, userId, sessionKey; a used js_code is 40029, not retried', () =>
    withEmulator(async (emu) => {
      const client = makeClient(emu);
      try {
        const jsCode = emu.issueMiniProgramCode({ userId: 'zhangsan' });
        recordSensitive(jsCode);
        const session = await client.jscode2session(jsCode);
        recordSensitive(session.sessionKey);
        assert.equal(session.corpId, CORP_ID);
        assert.equal(session.userId, 'zhangsan');
        assert.equal(typeof session.sessionKey, 'string');
        const call = emu.calls.find((c) => c.api === 'miniprogram/jscode2session');
        assert.equal(call?.query['grant_type'], 'authorization_code');
        const err = await failure(client.jscode2session(jsCode));
        assert.ok(err instanceof WeComApiError && err.errcode === 40029);
        assert.equal(emu.callCount('miniprogram/jscode2session'), 2);
      } finally {
        client.close();
      }
    }));

  it('caches both tickets and signs configs that verify', () =>
    withEmulator(async (emu) => {
      const client = makeClient(emu);
      try {
        const [t1, t2] = await Promise.all([client.getJsapiTicket(), client.getJsapiTicket()]);
        assert.equal(t1, t2);
        assert.equal(await client.getJsapiTicket(), t1);
        assert.equal(emu.callCount('get_jsapi_ticket'), 1);
        const a1 = await client.getAgentConfigTicket();
        assert.equal(await client.getAgentConfigTicket(), a1);
        assert.equal(emu.callCount('ticket/get'), 1);
        assert.equal(emu.calls.find((c) => c.api === 'ticket/get')?.query['type'], 'agent_config');
        assert.equal(emu.callCount('gettoken'), 1);

        const url = 'http://localhost:3000/page?x=1#/route';
        const config = await client.createJsapiConfig(url);
        assert.equal(config.appId, CORP_ID);
        assert.match(config.nonceStr, /^[A-Za-z0-9]{16}$/);
        assert.ok(Math.abs(config.timestamp - Date.now() / 1000) < 5);
        assert.equal(
          config.signature,
          jsapiSignature({ ticket: t1, nonceStr: config.nonceStr, timestamp: config.timestamp, url: 'http://localhost:3000/page?x=1' }),
        );

        const agent = await client.createAgentConfig(url);
        assert.equal(agent.corpid, CORP_ID);
        assert.equal(agent.agentid, AGENT_ID);
        assert.equal(agent.signature, jsapiSignature({ ticket: a1, nonceStr: agent.nonceStr, timestamp: agent.timestamp, url }));
        assert.notEqual(agent.nonceStr, config.nonceStr);
      } finally {
        client.close();
      }
    }));

  it('a ticket call with a revoked token refreshes the token once', () =>
    withEmulator(async (emu) => {
      const client = makeClient(emu);
      try {
        await client.getAccessToken();
        emu.revokeTokens();
        assert.equal(typeof (await client.getJsapiTicket()), 'string');
        assert.deepEqual(
          emu.calls.map((c) => `${c.api}:${c.errcode}`),
          ['gettoken:0', 'get_jsapi_ticket:40014', 'gettoken:0', 'get_jsapi_ticket:0'],
        );
      } finally {
        client.close();
      }
    }));

  it('client URL helpers fill in corpId, agentId and the base URLs', () =>
    withEmulator(async (emu) => {
      const client = makeClient(emu);
      try {
        const url = client.buildAuthorizeUrl({ redirectUri: 'http://localhost:3000/cb', state: 'abc' });
        assert.equal(
          url,
          `${emu.url}/connect/oauth2/authorize?appid=${CORP_ID}&redirect_uri=http%3A%2F%2Flocalhost%3A3000%2Fcb&response_type=code&scope=snsapi_base&agentid=${AGENT_ID}&state=abc#wechat_redirect`,
        );
        const res = await fetch(url, { redirect: 'manual', headers: { 'user-agent': 'wxwork/4.1.0 MicroMessenger/7.0.1 Mobile' } });
        assert.equal(res.status, 302);
        const login = client.buildWebLoginUrl({ redirectUri: 'http://localhost:3000/cb', state: 'abc', lang: 'en' });
        assert.ok(login.startsWith(`${emu.url}/wwlogin/sso/login?login_type=CorpApp&appid=${CORP_ID}&agentid=${AGENT_ID}&`));
      } finally {
        client.close();
      }
    }));
});

describe('WeComClient options', () => {
  const ok = { corpId: CORP_ID, secret: SECRET };
  const bad: [unknown, RegExp][] = [
    [undefined, /^WeComClient: option `options`: pass an object/],
    [{ secret: SECRET }, /option `corpId`: is required.*Corp ID|option `corpId`: is required: the corporation ID/],
    [{ ...ok, corpId: ' wwx' }, /option `corpId`: contains whitespace/],
    [{ corpId: CORP_ID }, /option `secret`: is required/],
    [{ ...ok, secret: '' }, /option `secret`: is required/],
    [{ ...ok, secret: 'abc\n' }, /option `secret`: has leading or trailing whitespace/],
    [{ ...ok, agentId: '10a' }, /option `agentId`: is required: the app's AgentId, a positive whole number/],
    [{ ...ok, agentId: 0 }, /option `agentId`: .*positive whole number/],
    [{ ...ok, agentId: 1.5 }, /option `agentId`: .*positive whole number/],
    [{ ...ok, apiBaseUrl: 'qyapi.weixin.qq.com' }, /option `apiBaseUrl`: must be an absolute https URL/],
    [{ ...ok, oauthBaseUrl: 'ftp://x' }, /option `oauthBaseUrl`: must be/],
    [{ ...ok, timeouts: { response: 0 } }, /option `timeouts.response`: must be a number of at least 1/],
    [
      { ...ok, timeouts: { overall: 5 } },
      /option `timeouts.overall`: is not an option; the options are timeouts.connect, timeouts.secureConnect, timeouts.response, timeouts.read, timeouts.total/,
    ],
    [{ ...ok, timeouts: { total: 0 } }, /option `timeouts.total`: must be a number of at least 1/],
    [
      { ...ok, apiBaseUrl: 'http://qyapi.weixin.qq.com' },
      /option `apiBaseUrl`: must use https \(http:\/\/ is only for a WeCom emulator on this machine: localhost, 127.0.0.1, \[::1\]\)/,
    ],
    [{ ...ok, oauthBaseUrl: 'http://10.0.0.8:3001' }, /option `oauthBaseUrl`: must use https/],
    [{ ...ok, loginBaseUrl: 'http://localhost.example.com' }, /option `loginBaseUrl`: must use https/],
    [{ ...ok, busyRetry: { tries: 0 } }, /option `busyRetry.tries`: must be a whole number of at least 1/],
    [{ ...ok, tokenCache: {} }, /option `tokenCache`: must implement get, obtain, invalidate, addEntry, setEntry, getEntry/],
    [{ ...ok, tokenCache: { get() {}, refresh() {}, invalidate() {} } }, /option `tokenCache`: must implement get, obtain/],
    [{ ...ok, corpid: CORP_ID }, /option `corpid`: is not an option; did you mean `corpId`\?/],
    [{ ...ok, agentid: 1 }, /did you mean `agentId`/],
    [{ ...ok, foo: 1 }, /option `foo`: is not an option; the options are corpId, secret/],
  ];
  for (const [options, message] of bad) {
    it(`refuses ${inspect(options, { breakLength: Infinity })}`, () => {
      assert.throws(
        () => new WeComClient(options as never),
        (err: Error) => err instanceof WeComOptionsError && err instanceof TypeError && message.test(err.message),
      );
    });
  }
  it('takes the AgentId as a string of digits, as wecomAuth() does (both read it from the environment)', () => {
    const client = new WeComClient({ ...ok, agentId: '1000002' });
    assert.equal(client.agentId, 1000002);
    client.close();
  });

  it('accepts http:// for loopback hosts only (the emulator)', () => {
    for (const url of [
      'http://127.0.0.1:3001',
      'http://localhost:3001/',
      'http://[::1]:3001',
      'http://127.1.2.3',
      'https://qyapi.weixin.qq.com',
    ]) {
      const client = new WeComClient({ ...ok, apiBaseUrl: url, oauthBaseUrl: url, loginBaseUrl: url });
      client.close();
    }
  });

  it('does not expose the secret on the instance, in JSON or in inspect', () => {
    const client = new WeComClient({ ...ok, agentId: AGENT_ID });
    try {
      assert.ok(!JSON.stringify(client).includes(SECRET));
      assert.ok(!inspect(client, { showHidden: true, depth: 5 }).includes(SECRET));
      assert.match(client.accessTokenCacheKey, new RegExp(`^access_token:${CORP_ID}:${AGENT_ID}:[0-9a-f]{16}$`));
      assert.ok(!client.accessTokenCacheKey.includes(SECRET));
      assert.equal(client.apiBaseUrl, 'https://qyapi.weixin.qq.com');
      assert.equal(client.oauthBaseUrl, 'https://open.weixin.qq.com');
      assert.equal(client.loginBaseUrl, 'https://login.work.weixin.qq.com');
    } finally {
      client.close();
    }
  });

  it('keys the token per secret when there is no agentId', () => {
    const a = new WeComClient({ ...ok });
    const b = new WeComClient({ ...ok, secret: 'another-secret' });
    try {
      assert.match(a.accessTokenCacheKey, new RegExp(`^access_token:${CORP_ID}:[0-9a-f]{16}$`));
      assert.notEqual(a.accessTokenCacheKey, b.accessTokenCacheKey);
      assert.ok(!a.accessTokenCacheKey.includes(SECRET));
    } finally {
      a.close();
      b.close();
    }
  });

  it('createAgentConfig needs agentId', async () => {
    const client = new WeComClient(ok);
    try {
      await assert.rejects(client.createAgentConfig('http://localhost/x'), /set the `agentId` option/);
    } finally {
      client.close();
    }
  });
});

// Runs last: nothing secret in anything the tests produced.
after(() => {
  const secrets = [...sensitiveValues].filter((s) => s.length >= 6);
  assert.ok(producedErrors.length >= 20, `expected many errors to check, got ${producedErrors.length}`);
  assert.ok(secrets.length >= 10, `expected many credentials to look for, got ${secrets.length}`);
  const leaks: string[] = [];
  const check = (where: string, text: string) => {
    for (const s of secrets) if (text.includes(s)) leaks.push(`${where} contains ${s.slice(0, 4)}…`);
  };
  producedErrors.forEach((err, i) => {
    let e: unknown = err;
    for (let depth = 0; e !== undefined && e !== null && depth < 10; depth++) {
      const where = `error #${i} depth ${depth}`;
      if (e instanceof Error) {
        check(`${where} message`, e.message);
        check(`${where} stack`, e.stack ?? '');
      }
      check(`${where} String`, String(e));
      check(`${where} JSON`, JSON.stringify(e) ?? '');
      check(`${where} inspect`, inspect(e, { showHidden: true, depth: 3 }));
      e = e instanceof Error ? e.cause : undefined;
    }
  });
  logLines.forEach((line, i) => check(`log #${i}`, JSON.stringify(line)));
  assert.deepEqual(leaks, []);
});
