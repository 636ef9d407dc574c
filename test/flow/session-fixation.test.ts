/**
 * Session fixation, tested the way an attacker plants a cookie: a sibling subdomain or a network
 * attacker on any plain-http subdomain can set a `wecom.sid` cookie for the app's host, in any
 * encoding express-session still decodes, duplicated, or only on the callback's path. Whatever
 * the form, a session the browser brought gets a new id at login, the planted id never carries
 * the victim's login, and the attacker's own session is gone.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import session from 'express-session';
import supertest from 'supertest';
import { setupFlow, visitWeCom, appPath, login, HTML, WECOM_UA } from '../helpers/flow.ts';
import type { FlowSetup, ExpressVariant } from '../helpers/flow.ts';

/** `wecom.sid=<value>` of a response's Set-Cookie, exactly as the app sent it (URL-encoded `s:<id>.<sig>`). */
function sessionPair(res: supertest.Response): string | undefined {
  const lines = (res.headers['set-cookie'] as unknown as string[] | undefined) ?? [];
  return lines.find((c) => c.startsWith('wecom.sid='))?.split(';')[0];
}

const pct = (c: string, lower = false): string => {
  const hex = c.charCodeAt(0).toString(16).padStart(2, '0');
  return `%${lower ? hex.toLowerCase() : hex.toUpperCase()}`;
};

/** The index of the first character of the session id (after `s%3A`) whose hex has a letter, so case matters. */
function letterHexIndex(value: string): number {
  const start = value.indexOf('%3A') + 3;
  for (let i = start; i < value.length; i++) {
    const c = value[i] ?? '';
    if (/[A-Za-z0-9]/.test(c) && /[a-f]/i.test(c.charCodeAt(0).toString(16))) return i;
  }
  throw new Error('no character with a letter in its hex');
}

/**
 * Every form of the same cookie that a browser carries and express-session decodes to the same
 * signed id (cookie.parse percent-decodes values; the first of two same-named cookies wins).
 */
function variantsOf(pair: string): Array<{ name: string; header: (victimOwn: string) => string }> {
  const value = pair.slice('wecom.sid='.length);
  const i = letterHexIndex(value);
  const oneUpper = value.slice(0, i) + pct(value[i] ?? '') + value.slice(i + 1);
  const oneLower = value.slice(0, i) + pct(value[i] ?? '', true) + value.slice(i + 1);
  const decoded = decodeURIComponent(value);
  const everyChar = [...decoded].map((c) => pct(c)).join('');
  const mixed = value.replace(/%3A/, '%3a');
  return [
    { name: 'the exact bytes the app set', header: () => `wecom.sid=${value}` },
    { name: 'one character of the id as %XX (upper-case hex)', header: () => `wecom.sid=${oneUpper}` },
    { name: 'one character of the id as %xx (lower-case hex)', header: () => `wecom.sid=${oneLower}` },
    { name: 'every character percent-encoded', header: () => `wecom.sid=${everyChar}` },
    { name: 'the colon as %3a (lower case)', header: () => `wecom.sid=${mixed}` },
    { name: 'not encoded at all (s:<id>.<sig>)', header: () => `wecom.sid=${decoded}` },
    { name: 'quoted', header: () => `wecom.sid="${oneUpper}"` },
    { name: 'duplicated: the planted one first, then junk', header: () => `wecom.sid=${oneUpper}; wecom.sid=junk` },
    // A cookie of a longer Path comes first (RFC 6265 §5.4): planted on the callback path, it wins
    // over the victim's own cookie of Path=/ in the same header.
    { name: "on the callback path, before the victim's own cookie", header: (own) => `wecom.sid=${oneUpper}; ${own}` },
    { name: 'among cookies of other paths and names', header: (own) => `theme=dark; wecom.sid=${oneLower}; ${own}; lang=zh` },
  ];
}

for (const variant of ['express5', 'express4'] as ExpressVariant[]) {
  describe(`session fixation with a planted cookie in every form (${variant})`, () => {
    let flow: FlowSetup;
    before(async () => {
      flow = await setupFlow({
        variant,
        store: new session.MemoryStore(),
        // An app that writes the session of anonymous visitors (a cart, a preference) hands out stored ids.
        mount: (app) =>
          app.get('/visit', (req, res) => {
            (req.session as unknown as { visits: number }).visits = 1;
            res.end('ok');
          }),
      });
    });
    after(async () => {
      await flow.close();
    });

    /** A stored session the attacker holds: an anonymous one, or their own login as `attacker`. */
    async function plantable(kind: 'anonymous' | 'logged-in'): Promise<string> {
      if (kind === 'anonymous') {
        const pair = sessionPair(await supertest(flow.app).get('/visit'));
        assert.ok(pair, 'the attacker holds a stored, anonymous session id');
        return pair;
      }
      const agent = flow.agent();
      const pair = sessionPair(await login(agent, '/orders/own', { user: 'lisi' }));
      assert.ok(pair, "the attacker holds their own logged-in session (lisi's)");
      return pair;
    }

    for (const kind of ['anonymous', 'logged-in'] as const) {
      it(`a planted ${kind} session gets a new id at the victim's login, in every form`, async () => {
        const pair = await plantable(kind);
        for (const form of variantsOf(pair)) {
          // Each form is tried on a fresh planted session: regenerating destroys the one before.
          const planted = form.name === 'the exact bytes the app set' ? pair : await plantable(kind);
          const plantedForm = variantsOf(planted).find((f) => f.name === form.name);
          assert.ok(plantedForm);
          // The victim's browser: its own anonymous cookie of Path=/ (or none), the planted one, the login cookie.
          const own = sessionPair(await supertest(flow.app).get('/visit')) ?? '';
          const start = await supertest(flow.app).get('/orders/victim').set('Accept', HTML).set('User-Agent', WECOM_UA).set('Cookie', own);
          assert.equal(start.status, 302, form.name);
          const tx = ((start.headers['set-cookie'] as unknown as string[]) ?? []).find((c) => c.startsWith('wecom_tx_'))?.split(';')[0];
          assert.ok(tx, form.name);
          const wecom = await visitWeCom(start.headers.location as string, { user: 'zhangsan' });
          const back = await supertest(flow.app)
            .get(appPath(wecom.location))
            .set('Accept', HTML)
            .set('Cookie', `${plantedForm.header(own)}; ${tx}`);
          assert.equal(back.status, 302, form.name);
          assert.equal(back.headers.location, '/orders/victim', form.name);
          const issued = sessionPair(back);
          assert.ok(issued, `${form.name}: a session cookie is issued`);
          assert.notEqual(issued, planted, `${form.name}: a new session id at login`);
          const withPlanted = await supertest(flow.app).get('/api/data').set('Cookie', planted);
          assert.equal(withPlanted.status, 401, `${form.name}: the planted id never carries the victim's login`);
          const withIssued = await supertest(flow.app).get('/api/data').set('Cookie', issued);
          assert.equal(withIssued.body.userId, 'zhangsan', `${form.name}: the victim is logged in with the new id`);
        }
      });
    }

    it("a re-login gets a new id: a copy of the person's earlier session id does not survive it", async () => {
      const agent = flow.agent();
      const stolen = sessionPair(await login(agent, '/orders/first', { user: 'zhangsan' }));
      assert.ok(stolen);
      assert.equal((await supertest(flow.app).get('/api/data').set('Cookie', stolen)).status, 200, 'the thief has a copy');
      // Later, the same person logs in again in the same browser (a new link, a new tab).
      await new Promise((resolve) => setTimeout(resolve, 5));
      const again = await login(agent, '/auth/wecom/login?returnTo=/orders/second', { user: 'zhangsan' });
      const issued = sessionPair(again);
      assert.ok(issued && issued !== stolen, 'a new id at the new login');
      assert.equal((await supertest(flow.app).get('/api/data').set('Cookie', stolen)).status, 401, 'the copy is dead');
      assert.equal((await supertest(flow.app).get('/api/data').set('Cookie', issued)).body.userId, 'zhangsan');
    });

    it("a session already logged in as the same person keeps its id (tabs don't log each other out)", async () => {
      const agent = flow.agent();
      // Tab B starts its login, tab A starts and finishes its own, then B comes back.
      const startB = await agent.get('/auth/wecom/login?returnTo=/orders/b').set('Accept', HTML);
      const first = sessionPair(await login(agent, '/orders/a', { user: 'zhangsan' }));
      const wecomB = await visitWeCom(startB.headers.location as string, { user: 'zhangsan' });
      const backB = await agent.get(appPath(wecomB.location)).set('Accept', HTML);
      assert.equal(backB.headers.location, '/orders/b');
      assert.equal(sessionPair(backB) ?? first, first, 'the same id: tab A issued it after tab B started');
      assert.equal((await agent.get('/orders/a').set('Accept', HTML)).status, 200);
    });
  });
}
