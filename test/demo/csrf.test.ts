/**
 * The demo's forms carry a CSRF token, and POST /send-card sends nothing without the right one:
 * a 403 page that says what to do. Every way a forged or replayed form can carry (or lack) the
 * token is tried, each checked against what the emulator received (no card was sent).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startRig } from './demo-rig.ts';
import type { Answer, Jar, Rig } from './demo-rig.ts';

function tokenOf(page: Answer): string {
  const token = /<input type="hidden" name="_csrf" value="([^"]+)">/.exec(page.body)?.[1];
  assert.ok(token, 'the form carries a _csrf field');
  return token;
}

describe('CSRF token of POST /send-card', () => {
  let rig: Rig;
  let zhangsan: Jar;
  let token = '';
  let lisiToken = '';

  before(async () => {
    rig = await startRig();
    zhangsan = await rig.login('zhangsan');
    token = tokenOf(await rig.request('/send-card', { jar: zhangsan }));
    const lisi = await rig.login('lisi');
    lisiToken = tokenOf(await rig.request('/send-card', { jar: lisi }));
  });
  after(() => rig?.close());

  async function post(form: string, options: { path?: string; headers?: Record<string, string>; jar?: Jar } = {}): Promise<Answer> {
    return rig.request(options.path ?? '/send-card', {
      jar: options.jar ?? zhangsan,
      method: 'POST',
      form,
      headers: options.headers ?? {},
    });
  }

  async function assertRefused(what: string, send: () => Promise<Answer>): Promise<void> {
    const sent = rig.emulator.messages.length;
    const res = await send();
    assert.equal(res.status, 403, what);
    assert.match(res.body, /data-page="form-expired"/, what);
    assert.match(res.body, /请重新打开表单/, `${what}: the page says what to do`);
    assert.match(res.body, /<a class="button" href="\/send-card">重新打开表单<\/a>/, `${what}: and links to the form`);
    assert.equal(rig.emulator.messages.length, sent, `${what}: no card sent`);
  }

  it('the form of one session keeps its token, and another session has another one', async () => {
    assert.match(token, /^[A-Za-z0-9_-]{43}$/, '32 random bytes, base64url');
    assert.equal(tokenOf(await rig.request('/send-card', { jar: zhangsan })), token);
    assert.notEqual(lisiToken, token);
  });

  it("every form of the demo's own carries the token; the home page's button sends card 42 with it", async () => {
    for (const path of ['/', '/send-card']) {
      const page = await rig.request(path, { jar: zhangsan });
      const forms = [...page.body.matchAll(/<form method="post" action="([^"]+)"[^>]*>(.*?)<\/form>/gs)];
      const own = forms.filter((f) => f[1] !== '/auth/wecom/logout');
      assert.ok(own.length > 0, `${path} has a form`);
      for (const f of own) assert.ok(f[2]?.includes(`name="_csrf" value="${token}"`), `${path}: the form to ${f[1]} carries the token`);
    }
    const home = await rig.request('/', { jar: zhangsan });
    const form = /<form method="post" action="\/send-card"[^>]*>(.*?)<\/form>/s.exec(home.body)?.[1] ?? '';
    const fields = [...form.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map(
      (m) => `${m[1]}=${encodeURIComponent(m[2] ?? '')}`,
    );
    const sent = rig.emulator.messages.length;
    const res = await post(fields.join('&'));
    assert.equal(res.status, 200);
    assert.match(res.body, /data-field="card-url">[^<]*\/orders\/42\?tab=items</);
    assert.equal(rig.emulator.messages.length, sent + 1);
  });

  it('with the right token the card is sent', async () => {
    const sent = rig.emulator.messages.length;
    const res = await post(`_csrf=${encodeURIComponent(token)}&order=42&tab=items`);
    assert.equal(res.status, 200);
    assert.match(res.body, /data-page="card-sent"/);
    assert.equal(rig.emulator.messages.length, sent + 1);
  });

  it('refuses a form without the token, or with an empty one', async () => {
    await assertRefused('absent', () => post('order=42&tab=items'));
    await assertRefused('empty', () => post('_csrf=&order=42&tab=items'));
    await assertRefused('no body at all', () => post(''));
  });

  it("refuses another session's token, and a token that is almost right", async () => {
    await assertRefused("lisi's token in zhangsan's session", () => post(`_csrf=${lisiToken}&order=42&tab=items`));
    await assertRefused('one character changed', () =>
      post(`_csrf=${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}&order=42&tab=items`),
    );
    await assertRefused('a prefix', () => post(`_csrf=${token.slice(0, 20)}&order=42&tab=items`));
    await assertRefused('the token twice in one value', () => post(`_csrf=${token}${token}&order=42&tab=items`));
  });

  it('refuses a repeated field, whatever the copies hold', async () => {
    await assertRefused('right twice', () => post(`_csrf=${token}&_csrf=${token}&order=42&tab=items`));
    await assertRefused('right then wrong', () => post(`_csrf=${token}&_csrf=wrong&order=42&tab=items`));
    await assertRefused('wrong then right', () => post(`_csrf=wrong&_csrf=${token}&order=42&tab=items`));
    await assertRefused('bracket syntax', () => post(`_csrf[]=${token}&order=42&tab=items`));
  });

  it('refuses the token anywhere but the urlencoded body', async () => {
    await assertRefused('in the query', () => post('order=42&tab=items', { path: `/send-card?_csrf=${token}` }));
    await assertRefused('in a header', () => post('order=42&tab=items', { headers: { 'x-csrf-token': token, 'csrf-token': token } }));
    await assertRefused('as JSON', () =>
      rig.request('/send-card', {
        jar: zhangsan,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        form: JSON.stringify({ _csrf: token, order: '42', tab: 'items' }),
      }),
    );
  });

  it("refuses the token of the browser's own earlier login, after logout and a new login", async () => {
    const browser = await rig.login('zhangsan');
    const before = tokenOf(await rig.request('/send-card', { jar: browser }));
    const out = await rig.request('/auth/wecom/logout', {
      jar: browser,
      method: 'POST',
      form: '',
      headers: { origin: rig.origin, 'sec-fetch-site': 'same-origin' },
    });
    assert.equal(out.status, 200);
    await rig.login('zhangsan', '/', browser);
    const now = tokenOf(await rig.request('/send-card', { jar: browser }));
    assert.notEqual(now, before, 'a new login, a new token');
    await assertRefused("the earlier login's token", () => post(`_csrf=${before}&order=42&tab=items`, { jar: browser }));
  });

  it('refuses a made-up token in a fresh session', async () => {
    const fresh = await rig.login('lisi');
    await assertRefused('made-up token', () => post('_csrf=undefined&order=42&tab=items', { jar: fresh }));
  });
});
