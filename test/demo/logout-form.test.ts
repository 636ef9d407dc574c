/**
 * The demo's pages sign out with a form that POSTs to the library's logout route, never with a
 * link (a link any site can make a browser follow). Posted the way a browser posts the form (a
 * same-origin Origin and Sec-Fetch-Site), it ends the session.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startRig } from './demo-rig.ts';
import type { Rig } from './demo-rig.ts';

describe('signing out of the demo', () => {
  let rig: Rig;
  before(async () => {
    rig = await startRig();
  });
  after(() => rig?.close());

  it('the home page has a logout form with a button, and no logout link', async () => {
    const jar = await rig.login('zhangsan');
    const home = await rig.request('/', { jar });
    assert.match(home.body, /data-page="home"/);
    assert.doesNotMatch(home.body, /href="[^"]*\/auth\/wecom\/logout/, 'no link to the logout route');
    const form = /<form method="post" action="\/auth\/wecom\/logout"[^>]*>(.*?)<\/form>/s.exec(home.body)?.[1];
    assert.ok(form, 'a form posting to /auth/wecom/logout');
    assert.match(form, /<button type="submit"[^>]*>退出登录<\/button>/);
    assert.doesNotMatch(form, /<script|\son\w+=/i, 'no script');
  });

  it('posting that form as a browser does ends the session', async () => {
    const jar = await rig.login('zhangsan');
    assert.equal((await rig.request('/me', { jar, headers: { accept: 'application/json' } })).status, 200);
    const out = await rig.request('/auth/wecom/logout', {
      jar,
      method: 'POST',
      form: '',
      headers: { origin: rig.origin, 'sec-fetch-site': 'same-origin', 'sec-fetch-mode': 'navigate' },
    });
    assert.equal(out.status, 200);
    assert.match(out.body, /data-page="signed-out"/);
    assert.equal((await rig.request('/me', { jar, headers: { accept: 'application/json' } })).status, 401, 'logged out');
  });
});
