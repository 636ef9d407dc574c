/**
 * `/metrics` of the demo answers a local run's own machine or a request with the configured
 * token, and nobody else: a 403 without a single metric in it. Behind a proxy (TRUST_PROXY) or on
 * a public origin every request may come from loopback, so there only the token opens it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isLoopbackAddress } from '../../src/demo/metrics-access.ts';
import { startRig } from './demo-rig.ts';
import type { Answer, Rig } from './demo-rig.ts';

const TOKEN = 'metrics-token-0123456789abcdef0123456789';

function assertMetrics(res: Answer, what: string): void {
  assert.equal(res.status, 200, what);
  assert.match(res.body, /^# HELP wecom_auth_/m, what);
}

function assertRefused(res: Answer, what: string): void {
  assert.equal(res.status, 403, what);
  assert.doesNotMatch(res.body, /wecom_auth_|# HELP|# TYPE/, `${what}: no metric in the answer`);
  assert.match(res.body, /METRICS_TOKEN/, `${what}: says what opens it`);
  assert.equal(res.headers.getSetCookie().length, 0, `${what}: no cookie`);
}

describe('/metrics of a local run (loopback PUBLIC_URL, no TRUST_PROXY)', () => {
  let rig: Rig;
  before(async () => {
    rig = await startRig({ metricsToken: TOKEN });
  });
  after(() => rig?.close());

  it('answers this machine without a token', async () => {
    assertMetrics(await rig.request('/metrics', { headers: { accept: 'text/plain' } }), 'loopback');
  });

  it('refuses a request a proxy passed on, whatever address it claims', async () => {
    const proxied: Array<Record<string, string>> = [
      { 'x-forwarded-for': '203.0.113.9' },
      { 'x-forwarded-for': '127.0.0.1' },
      { forwarded: 'for=203.0.113.9' },
      { 'x-real-ip': '203.0.113.9' },
      { 'x-forwarded-host': 'app.example.com' },
      { via: '1.1 nginx' },
    ];
    for (const headers of proxied) {
      assertRefused(await rig.request('/metrics', { headers }), JSON.stringify(headers));
    }
  });

  it('a proxied request with the token gets the metrics', async () => {
    assertMetrics(
      await rig.request('/metrics', { headers: { 'x-forwarded-for': '203.0.113.9', authorization: `Bearer ${TOKEN}` } }),
      'token',
    );
  });
});

describe('/metrics behind a proxy (TRUST_PROXY=1, an https PUBLIC_URL)', () => {
  let rig: Rig;
  before(async () => {
    rig = await startRig({ origin: 'https://app.example.test', trustProxy: 1, metricsToken: TOKEN });
  });
  after(() => rig?.close());

  it('refuses loopback without the token: behind a proxy every request comes from it', async () => {
    assertRefused(await rig.request('/metrics'), 'no header at all');
    assertRefused(await rig.request('/metrics', { headers: { 'x-forwarded-for': '127.0.0.1' } }), 'claims loopback');
  });

  it('refuses a wrong token, another scheme, the token in the query or in a cookie', async () => {
    const proxied = { 'x-forwarded-for': '203.0.113.9', 'x-forwarded-proto': 'https' };
    for (const [what, path, headers] of [
      ['wrong token', '/metrics', { authorization: `Bearer ${TOKEN}x` }],
      ['a prefix of it', '/metrics', { authorization: `Bearer ${TOKEN.slice(0, -1)}` }],
      ['empty', '/metrics', { authorization: 'Bearer ' }],
      ['Basic', '/metrics', { authorization: `Basic ${Buffer.from(`prometheus:${TOKEN}`).toString('base64')}` }],
      ['bare token', '/metrics', { authorization: TOKEN }],
      ['in the query', `/metrics?token=${TOKEN}&access_token=${TOKEN}`, {}],
      ['in a cookie', '/metrics', { cookie: `token=${TOKEN}` }],
    ] as const) {
      assertRefused(await rig.request(path, { headers: { ...proxied, ...headers } }), what);
    }
  });

  it('answers the token, with the scheme in any case, from anywhere', async () => {
    for (const scheme of ['Bearer', 'bearer']) {
      const res = await rig.request('/metrics', { headers: { 'x-forwarded-for': '203.0.113.9', authorization: `${scheme} ${TOKEN}` } });
      assertMetrics(res, scheme);
      assert.equal(res.headers.getSetCookie().length, 0, 'the token is not taken for a session');
    }
  });
});

describe('/metrics on a public http origin without TRUST_PROXY and without a token', () => {
  let rig: Rig;
  before(async () => {
    rig = await startRig({ origin: 'http://app.example.test' });
  });
  after(() => rig?.close());

  it('refuses every request, loopback included: only a local run trusts the address', async () => {
    assertRefused(await rig.request('/metrics'), 'loopback');
    assertRefused(await rig.request('/metrics', { headers: { authorization: 'Bearer anything' } }), 'any token');
  });
});

describe('isLoopbackAddress (the TCP peer, never req.ip)', () => {
  it('loopback in IPv4, IPv6 and IPv4-mapped form only', () => {
    for (const address of ['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1']) assert.equal(isLoopbackAddress(address), true, address);
    for (const address of [
      undefined,
      '',
      '192.0.2.2',
      '10.0.0.1',
      '::ffff:10.0.0.1',
      'fd00::2',
      '::',
      '0.0.0.0',
      '1127.0.0.1',
      '::ffff:1127.0.0.1',
    ])
      assert.equal(isLoopbackAddress(address), false, String(address));
  });
});
