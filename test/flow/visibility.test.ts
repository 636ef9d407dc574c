/**
 * The visible-range check (可见范围) without a round trip for a returning employee: the verdict
 * is remembered in the token cache for `visibilityCacheMs`, so a returning member's login is one
 * WeCom call (the code exchange), and a member removed from the range is refused once it expires.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setupFlow, login, landedOn } from '../helpers/flow.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('visible range, remembered', () => {
  it('a returning employee costs one WeCom call per login; a first login two', async () => {
    const flow = await setupFlow();
    try {
      await flow.wecom.client.getAccessToken(); // the token is not what this test counts
      flow.emulator.clearCalls();
      await login(flow.agent(), '/orders/1', { user: 'zhangsan' });
      assert.deepEqual(
        flow.emulator.calls.map((c) => c.api),
        ['user/getuserinfo', 'user/get'],
        'first login: exchange + range check',
      );
      for (let i = 0; i < 5; i++) {
        flow.emulator.clearCalls();
        const done = await login(flow.agent(), `/orders/${i}`, { user: 'zhangsan' });
        assert.equal(landedOn(done), `/orders/${i}`);
        assert.deepEqual(
          flow.emulator.calls.map((c) => c.api),
          ['user/getuserinfo'],
          'returning: the exchange only',
        );
      }
    } finally {
      await flow.close();
    }
  });

  it('a member removed from the visible range is refused once the remembered verdict expires (and at once with 0)', async () => {
    for (const visibilityCacheMs of [300, 0]) {
      const flow = await setupFlow({ wecom: { visibilityCacheMs } });
      const app = flow.emulator.fixture.corps[0]?.apps.find((a) => a.agentId === 1000002);
      assert.ok(app);
      try {
        assert.equal(landedOn(await login(flow.agent(), '/orders/1', { user: 'lisi' })), '/orders/1');
        app.visibleUserIds = app.visibleUserIds.filter((u) => u !== 'lisi');
        if (visibilityCacheMs > 0) {
          assert.equal(
            landedOn(await login(flow.agent(), '/orders/2', { user: 'lisi' })),
            '/orders/2',
            'still admitted within the remembered time',
          );
          await sleep(visibilityCacheMs + 50);
        }
        const refused = await login(flow.agent(), '/orders/3', { user: 'lisi' });
        assert.equal(refused.status, 403, `refused after ${visibilityCacheMs} ms`);
        assert.match(refused.text, /data-page="no-access"/);
        // The refusal is remembered too: no user/get for the next attempt within the time.
        flow.emulator.clearCalls();
        const again = await login(flow.agent(), '/orders/4', { user: 'lisi' });
        assert.equal(again.status, 403);
        assert.equal(flow.emulator.callCount('user/get'), visibilityCacheMs > 0 ? 0 : 1);
      } finally {
        app.visibleUserIds.push('lisi');
        await flow.close();
      }
    }
  });

  it('an outsider is refused from the first login (nothing remembered lets them in)', async () => {
    const flow = await setupFlow();
    try {
      const res = await login(flow.agent(), '/orders/1', { user: 'wangwu' });
      assert.equal(res.status, 403);
      assert.match(res.text, /data-page="no-access"/);
    } finally {
      await flow.close();
    }
  });
});
