/**
 * Code injection through a guarded page: WeCom checks only the domain of a redirect_uri, so an
 * attacker can send someone an authorize link (with the attacker's own state) whose redirect_uri
 * is a guarded page of the app. WeCom then appends the victim's code to that page's URL. The
 * guard must not keep that code in the return path (where the victim's history, logs, Referers
 * and analytics would see it, and the attacker, holding the login cookie of that state, could
 * finish the login with it).
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import supertest from 'supertest';
import { setupFlow, visitWeCom, appPath, HTML, WECOM_UA, txCookie, sessionCookie } from '../helpers/flow.ts';
import type { FlowSetup } from '../helpers/flow.ts';
import { withoutWeComCode } from '../../src/express/return-to.ts';

describe('a WeCom code arriving on a guarded page is not kept in the return path', () => {
  let flow: FlowSetup;
  before(async () => {
    flow = await setupFlow();
  });
  after(async () => {
    await flow.close();
  });

  it("the victim lands on the page without the code, and the attacker's callback with it finds nothing", async () => {
    // The attacker starts a login in their own browser and keeps its login cookie.
    const own = await supertest(flow.app).get('/auth/wecom/login?returnTo=/').set('Accept', HTML).set('User-Agent', WECOM_UA);
    const tx = txCookie(own);
    assert.ok(tx);
    const authorize = new URL(own.headers.location as string);
    const state = authorize.searchParams.get('state') ?? '';
    // ...and sends the victim the same link, its redirect_uri pointed at a guarded page.
    authorize.searchParams.set('redirect_uri', 'http://localhost:3000/orders/1?tab=2');
    const wecom = await visitWeCom(authorize.href, { user: 'zhangsan' });
    const landing = new URL(appPath(wecom.location), 'http://localhost:3000');
    const code = landing.searchParams.get('code') ?? '';
    assert.ok(code, 'WeCom appended the victim code to the page');
    const victim = flow.agent();
    const start = await victim.get(landing.pathname + landing.search).set('Accept', HTML);
    const afterLogin = await victim
      .get(appPath((await visitWeCom(start.headers.location as string, { user: 'zhangsan' })).location))
      .set('Accept', HTML);
    assert.equal(afterLogin.headers.location, '/orders/1?tab=2', 'the page, its own query kept, the code and state gone');
    // The attacker tries to finish with the victim's code: it was never exchanged, but the login it
    // would need is the attacker's own; the victim's code is not in any URL the attacker can read.
    const replay = await supertest(flow.app)
      .get(`/auth/wecom/callback?code=${encodeURIComponent(code)}&state=${state}`)
      .set('Accept', HTML)
      .set('User-Agent', WECOM_UA)
      .set('Cookie', `${tx.name}=${tx.value}`);
    assert.ok(sessionCookie(replay), 'a code the attacker gets hold of still logs them in: what the fix keeps out of URLs');
  });

  it('withoutWeComCode drops code, state and appid only when code and state are both there, byte for byte otherwise', () => {
    assert.equal(withoutWeComCode('/orders/1?tab=2&code=abc&state=XYZ'), '/orders/1?tab=2');
    assert.equal(withoutWeComCode('/orders/1?code=abc&state=XYZ&appid=ww1'), '/orders/1');
    assert.equal(withoutWeComCode('/o?%63ode=abc&st%61te=XYZ&q=%E4%B8%AD'), '/o?q=%E4%B8%AD', 'encoded names too');
    assert.equal(withoutWeComCode('/redeem?code=GIFT'), '/redeem?code=GIFT', "an app's own code parameter stays");
    assert.equal(withoutWeComCode('/list?state=open&x=1'), '/list?state=open&x=1', "an app's own state parameter stays");
    assert.equal(withoutWeComCode('/p?a=1+2&code=c&state=s'), '/p?a=1+2');
  });
});
