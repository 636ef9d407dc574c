/**
 * Times on the demo's pages: `<time datetime="…Z">` with a readable UTC text for a browser
 * without script, and the small script that shows it in the reader's zone, served by the demo
 * itself as a file so that helmet's default CSP (script-src 'self', no inline script) runs it.
 * test/e2e/browser.test.ts checks what Chromium shows in two time zones and without script.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startRig } from './demo-rig.ts';
import type { Rig } from './demo-rig.ts';

describe('times on the demo pages', () => {
  let rig: Rig;
  before(async () => {
    rig = await startRig();
  });
  after(() => rig?.close());

  it('the home page shows the login time as <time datetime> with a UTC text, and loads the script', async () => {
    const jar = await rig.login('zhangsan');
    const me = JSON.parse((await rig.request('/me', { jar, headers: { accept: 'application/json' } })).body) as {
      user: { loginAt: number };
    };
    const iso = new Date(me.user.loginAt).toISOString();
    const home = await rig.request('/', { jar });
    const expected = `<dd data-field="loginAt"><time datetime="${iso}" data-local-time>${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC</time></dd>`;
    assert.ok(home.body.includes(expected), `the login time as ${expected}`);
    assert.match(home.body, /<script src="\/demo\/local-time\.js" defer><\/script>/);
    assert.doesNotMatch(home.body, /<script>|<script [^>]*>[^<]/, 'no inline script');
    const csp = home.headers.get('content-security-policy') ?? '';
    assert.match(csp, /script-src 'self'(;|$)/, "helmet's default script-src");
  });

  it('the script is served by the demo as JavaScript, without a login', async () => {
    const res = await rig.request('/demo/local-time.js', { headers: { accept: '*/*' } });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/javascript/);
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    assert.match(res.body, /time\[data-local-time\]/);
    assert.equal(res.headers.getSetCookie().length, 0, 'no session for a script');
  });
});
