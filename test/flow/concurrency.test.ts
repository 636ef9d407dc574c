/**
 * Logins under real concurrency, against a session store that delays every write by 30 ms:
 * tabs opened at the same instant, a callback delivered several times at once, and a planted
 * session. Every request of a scenario is fired together (Promise.all), never one after another.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import session from 'express-session';
import supertest from 'supertest';
import { setupFlow, visitWeCom, appPath, HTML, openPage, landedOn } from '../helpers/flow.ts';
import type { FlowSetup, ExpressVariant } from '../helpers/flow.ts';

/** express-session's memory store, with every write (set, destroy, touch) answered 30 ms late. */
export class SlowWriteStore extends session.MemoryStore {
  writes = 0;
  readonly delayMs: number;
  constructor(delayMs = 30) {
    super();
    this.delayMs = delayMs;
  }

  override set(sid: string, sess: session.SessionData, cb?: (err?: unknown) => void): void {
    this.writes++;
    setTimeout(() => super.set(sid, sess, cb), this.delayMs);
  }

  override destroy(sid: string, cb?: (err?: unknown) => void): void {
    this.writes++;
    setTimeout(() => super.destroy(sid, cb), this.delayMs);
  }

  override touch(sid: string, sess: session.SessionData, cb?: () => void): void {
    this.writes++;
    setTimeout(() => super.touch(sid, sess, cb), this.delayMs);
  }
}

interface TabResult {
  page: string;
  rounds: number;
  finalStatus: number;
  userId: string | undefined;
  errorPage: boolean;
}

/**
 * One tab: open a guarded page, go through WeCom (counting the rounds), follow the callback,
 * and load the page again. Tabs of one browser share `agent`'s cookie jar, as in a real browser.
 */
export async function tab(agent: supertest.Agent, page: string, user = 'zhangsan'): Promise<TabResult> {
  let rounds = 0;
  let errorPage = false;
  let res = await openPage(agent, page);
  while (res.status === 302 && rounds < 5) {
    const location = res.headers.location as string;
    if (!location.startsWith('http://127.0.0.1')) break; // back on the app: the login is over
    rounds++;
    const wecom = await visitWeCom(location, { user });
    res = await agent.get(appPath(wecom.location)).set('Accept', HTML);
    if (res.status >= 400) errorPage = true;
  }
  const final = await openPage(agent, page);
  return { page, rounds, finalStatus: final.status, userId: final.body?.userId as string | undefined, errorPage };
}

for (const variant of ['express5', 'express4'] as ExpressVariant[]) {
  describe(`concurrent logins against a store that writes 30 ms late (${variant})`, () => {
    let flow: FlowSetup;
    let store: SlowWriteStore;
    before(async () => {
      store = new SlowWriteStore();
      flow = await setupFlow({ variant, store });
    });
    after(async () => {
      await flow.close();
    });

    it('2 tabs x 20 browsers, all at once: every tab ends logged in on its own page after one OAuth round', async () => {
      const browsers = Array.from({ length: 20 }, () => flow.agent());
      const results = await Promise.all(
        browsers.flatMap((agent, b) => [tab(agent, `/orders/${b}-A?tab=1`), tab(agent, `/orders/${b}-B?tab=2`)]),
      );
      for (const r of results) {
        assert.equal(r.rounds, 1, `${r.page}: one OAuth round`);
        assert.equal(r.errorPage, false, `${r.page}: no error page`);
        assert.equal(r.finalStatus, 200, `${r.page}: logged in`);
        assert.equal(r.userId, 'zhangsan');
      }
    });

    it(`as many tabs as maxTransactions (5) in one browser at once all log in with one round each`, async () => {
      const agent = flow.agent();
      const results = await Promise.all([1, 2, 3, 4, 5].map((i) => tab(agent, `/orders/many-${i}`)));
      assert.deepEqual(
        results.map((r) => [r.rounds, r.finalStatus, r.errorPage]),
        results.map(() => [1, 200, false]),
      );
    });

    it("a second tab's login finishing does not log the first tab out while its page loads", async () => {
      const agent = flow.agent();
      const [startA, startB] = await Promise.all([openPage(agent, '/orders/first'), openPage(agent, '/orders/second')]);
      const [wecomA, wecomB] = await Promise.all([
        visitWeCom(startA.headers.location as string),
        visitWeCom(startB.headers.location as string),
      ]);
      assert.equal(landedOn(await agent.get(appPath(wecomA.location)).set('Accept', HTML)), '/orders/first');
      // Tab B's callback carries tab A's fresh session; tab A loads its page while B's store writes are under way.
      const callbackB = agent
        .get(appPath(wecomB.location))
        .set('Accept', HTML)
        .then((res) => res);
      await new Promise((resolve) => setTimeout(resolve, store.delayMs + 10));
      const pageA = await openPage(agent, '/orders/first');
      assert.equal(pageA.status, 200, 'tab A stays logged in');
      assert.equal(landedOn(await callbackB), '/orders/second');
      assert.equal((await openPage(agent, '/orders/second')).status, 200);
    });

    for (const copies of [2, 10]) {
      it(`one callback delivered ${copies} times at once: one code exchange, no error page, logged in`, async () => {
        const agent = flow.agent();
        const start = await openPage(agent, '/orders/dup?x=1');
        const wecom = await visitWeCom(start.headers.location as string, { user: 'lisi' });
        const callback = appPath(wecom.location);
        const before = flow.emulator.callCount('user/getuserinfo');
        const answers = await Promise.all(Array.from({ length: copies }, () => agent.get(callback).set('Accept', HTML)));
        assert.equal(flow.emulator.callCount('user/getuserinfo') - before, 1, 'exactly one code exchange');
        for (const res of answers) {
          assert.equal(landedOn(res), '/orders/dup?x=1', 'every copy lands on the page');
        }
        // The browser may keep any one of the answers (the others were aborted): each must log in.
        for (const res of answers) {
          const cookie = (res.headers['set-cookie'] as unknown as string[]).find((c) => c.startsWith('wecom.sid='))?.split(';')[0];
          assert.ok(cookie, 'each copy sets a session cookie');
          const page = await supertest(flow.app).get('/orders/dup?x=1').set('Cookie', cookie).set('Accept', HTML);
          assert.equal(page.status, 200);
          assert.equal(page.body.userId, 'lisi');
        }
      });
    }

    it('a callback reloaded after the login finished lands on the page without a second exchange', async () => {
      const agent = flow.agent();
      const start = await openPage(agent, '/orders/reload');
      const wecom = await visitWeCom(start.headers.location as string);
      const callback = appPath(wecom.location);
      assert.equal(landedOn(await agent.get(callback).set('Accept', HTML)), '/orders/reload');
      const before = flow.emulator.callCount('user/getuserinfo');
      const again = await agent.get(callback).set('Accept', HTML);
      assert.equal(landedOn(again), '/orders/reload');
      assert.equal(flow.emulator.callCount('user/getuserinfo'), before);
    });

    it("session fixation: a session id known to an attacker is replaced at the victim's login", async () => {
      // An app that writes the session of anonymous visitors (a cart, a preference) hands out stored ids.
      const fixation = await setupFlow({
        variant,
        store,
        emulator: flow.emulator,
        mount: (app) =>
          app.get('/visit', (req, res) => {
            (req.session as unknown as { visits: number }).visits = 1;
            res.end('ok');
          }),
      });
      try {
        const visit = await supertest(fixation.app).get('/visit');
        const planted = (visit.headers['set-cookie'] as unknown as string[]).find((c) => c.startsWith('wecom.sid='))?.split(';')[0] ?? '';
        assert.ok(planted, 'the attacker holds a stored, anonymous session id');
        const victim = supertest(fixation.app);
        const start = await openPage(victim, '/orders/2', { headers: { Cookie: planted } });
        assert.equal(start.status, 302);
        const tx = (start.headers['set-cookie'] as unknown as string[]).find((c) => c.startsWith('wecom_tx_'))?.split(';')[0] ?? '';
        const wecom = await visitWeCom(start.headers.location as string, { user: 'zhangsan' });
        const back = await victim.get(appPath(wecom.location)).set('Accept', HTML).set('Cookie', `${planted}; ${tx}`);
        assert.equal(back.status, 302);
        const issued = (back.headers['set-cookie'] as unknown as string[]).find((c) => c.startsWith('wecom.sid='))?.split(';')[0];
        assert.ok(issued && issued !== planted, 'a new session id at login');
        const withPlanted = await supertest(fixation.app).get('/api/data').set('Cookie', planted);
        assert.equal(withPlanted.status, 401, "the planted id never carries the victim's login");
        const withIssued = await supertest(fixation.app).get('/api/data').set('Cookie', issued);
        assert.equal(withIssued.body.userId, 'zhangsan');
      } finally {
        await fixation.close();
      }
    });
  });
}
