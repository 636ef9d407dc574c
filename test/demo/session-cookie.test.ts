/**
 * The demo's session cookie: `__Host-wecom.sid` (Secure, Path=/, no Domain) when the public URL
 * is https, so that no sibling subdomain or plain-http page can plant one; `wecom.sid` on http.
 * The https demo runs behind a "proxy": TRUST_PROXY=1 and X-Forwarded-Proto: https on every
 * request, as nginx sends them.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DEMO_RIG_SESSION_SECRET, startRig } from './demo-rig.ts';
import type { Answer, Rig } from './demo-rig.ts';
import { WECOM_UA } from '../helpers/flow.ts';

function sessionLine(res: Answer, name: string): string[] {
  const line = res.headers.getSetCookie().find((c) => c.startsWith(`${name}=`));
  assert.ok(line, `a ${name} cookie in ${JSON.stringify(res.headers.getSetCookie())}`);
  return line.split(';').map((p) => p.trim().toLowerCase());
}

/** The callback's answer of a whole login, as `user`. */
async function loginAnswer(rig: Rig, user: string): Promise<Answer> {
  const start = await rig.request('/');
  const wecom = await fetch(start.headers.get('location') ?? '', {
    redirect: 'manual',
    headers: { 'user-agent': WECOM_UA, 'x-wecom-emulator-user': user },
  });
  const callback = new URL(wecom.headers.get('location') ?? '');
  const tx = start.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  return rig.request(callback.pathname + callback.search, { headers: { cookie: tx } });
}

describe('the session cookie on an https public URL', () => {
  let rig: Rig;
  before(async () => {
    rig = await startRig({
      origin: 'https://app.example.test',
      trustProxy: 1,
      headers: { 'x-forwarded-proto': 'https', 'x-forwarded-for': '203.0.113.9' },
      wecom: { miniProgram: { sessionSecret: DEMO_RIG_SESSION_SECRET } },
    });
  });
  after(() => rig?.close());

  it('is __Host-wecom.sid with Secure, Path=/ and no Domain', async () => {
    const back = await loginAnswer(rig, 'zhangsan');
    assert.equal(back.status, 302);
    assert.equal(
      back.headers.getSetCookie().some((c) => c.startsWith('wecom.sid=')),
      false,
      'no cookie under the plain name',
    );
    const attributes = sessionLine(back, '__Host-wecom.sid');
    assert.ok(attributes.includes('secure'), 'Secure');
    assert.ok(attributes.includes('path=/'), 'Path=/');
    assert.ok(attributes.includes('httponly'), 'HttpOnly');
    assert.ok(attributes.includes('samesite=lax'), 'SameSite=Lax');
    assert.equal(
      attributes.some((a) => a.startsWith('domain=')),
      false,
      'no Domain',
    );
  });

  it('is the cookie the demo reads: the same value under the plain name logs nobody in', async () => {
    const back = await loginAnswer(rig, 'zhangsan');
    const value = (back.headers.getSetCookie().find((c) => c.startsWith('__Host-wecom.sid=')) ?? '')
      .split(';')[0]
      ?.slice('__Host-wecom.sid='.length);
    const me = await rig.request('/me', { headers: { accept: 'application/json', cookie: `__Host-wecom.sid=${value}` } });
    assert.equal(me.status, 200);
    assert.equal((JSON.parse(me.body) as { user: { userId: string } }).user.userId, 'zhangsan');
    const planted = await rig.request('/me', { headers: { accept: 'application/json', cookie: `wecom.sid=${value}` } });
    assert.equal(planted.status, 401, 'a cookie without the prefix is not the session');
  });

  it("a mini program's bearer token still opens the session (the token names the same cookie)", async () => {
    const code = rig.emulator.issueMiniProgramCode({ userId: 'lisi' });
    const login = await rig.request('/auth/wecom/miniprogram/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      form: JSON.stringify({ code }),
    });
    assert.equal(login.status, 200, login.body);
    const { token } = JSON.parse(login.body) as { token: string };
    const me = await rig.request('/me', { headers: { accept: 'application/json', authorization: `Bearer ${token}` } });
    assert.equal(me.status, 200, me.body);
    assert.equal((JSON.parse(me.body) as { user: { userId: string } }).user.userId, 'lisi');
  });
});

describe('the session cookie on an http public URL (a local run)', () => {
  let rig: Rig;
  before(async () => {
    rig = await startRig();
  });
  after(() => rig?.close());

  it('is wecom.sid, without Secure (plain http cannot carry it)', async () => {
    const attributes = sessionLine(await loginAnswer(rig, 'zhangsan'), 'wecom.sid');
    assert.equal(attributes.includes('secure'), false);
    assert.ok(attributes.includes('path=/'));
  });
});
