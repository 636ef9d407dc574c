/**
 * WeComClient.sendMessage / recallMessage against the emulator over loopback: every error class of
 * message/send is a clear typed error, and nothing is ever sent twice.
 */
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { after, describe, it } from 'node:test';
import { defaultFixture, startEmulator } from '../../src/emulator/index.ts';
import type { Emulator } from '../../src/emulator/index.ts';
import {
  WeComClient,
  WeComApiError,
  WeComRateLimitError,
  WeComRecipientsError,
  WeComRequestError,
  WECOM_INVALID_REQUEST,
} from '../../src/wecom/index.ts';
import type { SendMessageInput } from '../../src/wecom/index.ts';
import {
  CORP_ID,
  SECRET,
  failure,
  harvestSensitive,
  makeClient,
  producedErrors,
  sensitiveValues,
  withEmulator,
} from '../helpers/client.ts';

const CARD = {
  msgtype: 'textcard',
  textcard: {
    title: '订单 42 待审批',
    description: '<div class="gray">今天</div><div class="normal">张三提交了一个订单</div>',
    url: 'http://localhost:3000/orders/42?tab=items',
  },
} as const;

function sends(emu: Emulator): number {
  return emu.callCount('message/send');
}

async function requestError(promise: Promise<unknown>): Promise<WeComRequestError> {
  const err = await failure(promise);
  assert.ok(err instanceof WeComRequestError, `expected a WeComRequestError, got ${inspect(err)}`);
  assert.ok(err instanceof TypeError);
  assert.equal(err.code, WECOM_INVALID_REQUEST);
  assert.equal(err.api, 'message/send');
  return err;
}

describe('sendMessage: delivered', () => {
  it('a text card reaches the member: msgid back, one call, the card in the inbox as sent', () =>
    withEmulator(async (emu) => {
      const client = makeClient(emu);
      try {
        const result = await client.sendMessage({ toUser: 'zhangsan', ...CARD });
        assert.match(result.msgid ?? '', /^\S{16,}$/);
        assert.deepEqual(
          {
            users: result.invalidUsers,
            parties: result.invalidParties,
            tags: result.invalidTags,
            unlicensed: result.unlicensedUsers,
            truncated: result.truncated,
          },
          { users: [], parties: [], tags: [], unlicensed: [], truncated: [] },
        );
        assert.equal(sends(emu), 1);
        const call = emu.calls.find((c) => c.api === 'message/send');
        assert.deepEqual(call?.body, { agentid: 1000002, msgtype: 'textcard', textcard: CARD.textcard, touser: 'zhangsan' });
        const inbox = emu.inbox('zhangsan');
        assert.equal(inbox.length, 1);
        assert.equal(inbox[0]?.msgid, result.msgid);
        assert.deepEqual(inbox[0]?.content, CARD.textcard);
        assert.deepEqual(emu.inbox('lisi'), []);
      } finally {
        client.close();
      }
    }));

  it('news, template_card (text_notice), text and markdown are sent as WeCom takes them', () =>
    withEmulator(async (emu) => {
      const client = makeClient(emu);
      try {
        const messages: SendMessageInput[] = [
          {
            toUser: ['zhangsan'],
            msgtype: 'news',
            news: {
              articles: [
                { title: '月报', description: '三月', url: 'https://app.example.com/r/3', picurl: 'https://app.example.com/p.png' },
              ],
            },
          },
          {
            toUser: 'zhangsan',
            msgtype: 'template_card',
            template_card: {
              card_type: 'text_notice',
              source: { desc: '审批' },
              main_title: { title: '报销单待审批', desc: '金额 120 元' },
              sub_title_text: '点击查看',
              card_action: { type: 1, url: 'https://app.example.com/claims/9' },
            },
          },
          { toUser: 'zhangsan', msgtype: 'text', text: { content: '你好 <a href="https://app.example.com/">打开</a>' } },
          { toUser: 'zhangsan', msgtype: 'markdown', markdown: { content: '**注意** [详情](https://app.example.com/x)' } },
        ];
        const results = await Promise.all(messages.map((m) => client.sendMessage(m)));
        assert.equal(new Set(results.map((r) => r.msgid)).size, 4, 'four distinct msgids');
        assert.equal(typeof results[1]?.responseCode, 'string', 'template cards come back with a response_code');
        assert.deepEqual(
          emu
            .inbox('zhangsan')
            .map((m) => m.msgtype)
            .sort(),
          ['markdown', 'news', 'template_card', 'text'],
        );
        assert.equal(sends(emu), 4);
      } finally {
        client.close();
      }
    }));

  it('some recipients refused: still sent to the others, the refused ones reported (lower-cased), not swallowed', () =>
    withEmulator(async (emu) => {
      const client = makeClient(emu);
      try {
        // wangwu exists but is outside the app's visible range; Ghost does not exist.
        const result = await client.sendMessage({ toUser: 'zhangsan|Ghost|wangwu', toParty: [2], toTag: 77, ...CARD });
        assert.deepEqual(result.invalidUsers, ['ghost', 'wangwu']);
        assert.deepEqual(result.invalidParties, ['2']);
        assert.deepEqual(result.invalidTags, ['77']);
        assert.equal(emu.inbox('zhangsan').length, 1);
        assert.equal(emu.inbox('wangwu').length, 0);
      } finally {
        client.close();
      }
    }));

  it('members without a licence are reported in unlicensedUsers and get nothing', async () => {
    const fixture = defaultFixture();
    const corp = fixture.corps[0];
    assert.ok(corp);
    corp.members = corp.members.map((m) => (m.userId === 'lisi' ? { ...m, licensed: false } : m));
    const emu = await startEmulator({ port: 0, fixture });
    const client = makeClient(emu);
    try {
      const result = await client.sendMessage({ toUser: ['zhangsan', 'lisi'], ...CARD });
      assert.deepEqual(result.unlicensedUsers, ['lisi']);
      assert.deepEqual(result.invalidUsers, []);
      assert.equal(emu.inbox('lisi').length, 0);
      assert.equal(emu.inbox('zhangsan').length, 1);
    } finally {
      client.close();
      harvestSensitive(emu);
      await emu.close();
    }
  });

  it("departments and tags in the visible range; '@all' is the whole range", async () => {
    const fixture = defaultFixture();
    const app = fixture.corps[0]?.apps[0];
    assert.ok(app);
    app.visibleUserIds = [];
    app.visiblePartyIds = [2];
    app.visibleTagIds = [1];
    const emu = await startEmulator({ port: 0, fixture });
    const client = makeClient(emu);
    try {
      const byParty = await client.sendMessage({ toParty: '2|1', ...CARD });
      assert.deepEqual(byParty.invalidParties, ['1'], 'department 1 is not in the range, its sub-department 2 is');
      assert.deepEqual(emu.messages.at(-1)?.deliveredTo, ['wangwu']);
      const byTag = await client.sendMessage({ toTag: [1], ...CARD });
      assert.deepEqual(emu.messages.at(-1)?.deliveredTo, ['zhangsan', 'lisi']);
      assert.deepEqual(byTag.invalidTags, []);
      await client.sendMessage({ toUser: '@all', ...CARD });
      assert.deepEqual(emu.messages.at(-1)?.deliveredTo.sort(), ['lisi', 'wangwu', 'zhangsan']);
    } finally {
      client.close();
      harvestSensitive(emu);
      await emu.close();
    }
  });

  it('enableDuplicateCheck: the same request twice (a retry after a timeout) is delivered once', () =>
    withEmulator(async (emu) => {
      const client = makeClient(emu);
      try {
        const input: SendMessageInput = { toUser: 'zhangsan', ...CARD, enableDuplicateCheck: true, duplicateCheckIntervalSeconds: 600 };
        const first = await client.sendMessage(input);
        const again = await client.sendMessage(input);
        assert.equal(again.msgid, first.msgid);
        assert.equal(emu.inbox('zhangsan').length, 1);
        emu.clock.advance(601_000);
        const later = await client.sendMessage(input);
        assert.notEqual(later.msgid, first.msgid);
        assert.equal(emu.inbox('zhangsan').length, 2);
      } finally {
        client.close();
      }
    }));
});

describe('sendMessage: refused before the call (nothing sent)', () => {
  it('no recipient at all', () =>
    withEmulator(async (emu) => {
      const client = makeClient(emu);
      try {
        for (const to of [{}, { toUser: '' }, { toUser: [] }, { toUser: ' | ' }]) {
          const err = await requestError(client.sendMessage({ ...to, ...CARD }));
          assert.equal(err.field, 'toUser');
          assert.equal(err.errcode, 81013);
          assert.match(err.message, /name at least one recipient/);
        }
        assert.equal(emu.callCount(), 0, 'not even a gettoken');
      } finally {
        client.close();
      }
    }));

  it("over WeCom's recipient limits: 1,000 users, 100 departments, 100 tags", () =>
    withEmulator(async (emu) => {
      const client = makeClient(emu);
      try {
        const users = Array.from({ length: 1001 }, (_, i) => `user${i}`);
        const ids = Array.from({ length: 101 }, (_, i) => i + 1);
        const cases: [SendMessageInput, string, number][] = [
          [{ toUser: users, ...CARD }, 'toUser', 40032],
          [{ toUser: users.join('|'), ...CARD }, 'toUser', 40032],
          [{ toParty: ids, ...CARD }, 'toParty', 82002],
          [{ toTag: ids.join('|'), ...CARD }, 'toTag', 82003],
        ];
        for (const [input, field, errcode] of cases) {
          const err = await requestError(client.sendMessage(input));
          assert.deepEqual([err.field, err.errcode], [field, errcode]);
        }
        // Exactly at the limit is fine (and WeCom reports the unknown ones).
        const atLimit = await client.sendMessage({ toUser: ['zhangsan', ...users.slice(0, 999)], ...CARD });
        assert.equal(atLimit.invalidUsers.length, 999);
        assert.equal(sends(emu), 1);
      } finally {
        client.close();
      }
    }));

  it('an over-long title: refused by default (WeCom would cut it silently); truncated and reported on request', () =>
    withEmulator(async (emu) => {
      const client = makeClient(emu);
      try {
        const title = '一二三四五六七八九十'.repeat(5); // 50 characters, 150 bytes; WeCom keeps 128 bytes
        const err = await requestError(
          client.sendMessage({ toUser: 'zhangsan', msgtype: 'textcard', textcard: { ...CARD.textcard, title } }),
        );
        assert.equal(err.field, 'textcard.title');
        assert.match(err.message, /150 bytes; WeCom keeps the first 128 bytes/);
        assert.match(err.message, /onTooLong: 'truncate'/);
        assert.equal(sends(emu), 0);

        const result = await client.sendMessage({
          toUser: 'zhangsan',
          msgtype: 'textcard',
          textcard: { ...CARD.textcard, title },
          onTooLong: 'truncate',
        });
        assert.deepEqual(result.truncated, [{ field: 'textcard.title', length: 150, limit: 128, unit: 'bytes' }]);
        const delivered = emu.inbox('zhangsan')[0];
        // Cut at a character boundary: 42 whole characters (126 bytes), nothing for WeCom to cut.
        assert.equal(delivered?.content['title'], title.slice(0, 42));
        assert.deepEqual(delivered?.truncated, []);
        assert.equal(sends(emu), 1);
      } finally {
        client.close();
      }
    }));

  it('missing fields, a link that is not http(s), too many articles, a bad card_action: each names its field', () =>
    withEmulator(async (emu) => {
      const client = makeClient(emu);
      try {
        const bad: [unknown, string, number | undefined][] = [
          [{ msgtype: 'textcard', textcard: { title: 't', url: 'https://a.example/' } }, 'textcard.description', 41033],
          [{ msgtype: 'textcard', textcard: { description: 'd', url: 'https://a.example/' } }, 'textcard.title', 41016],
          [{ msgtype: 'textcard', textcard: { title: 't', description: 'd' } }, 'textcard.url', 41010],
          [{ msgtype: 'textcard', textcard: { title: 't', description: 'd', url: '/orders/42' } }, 'textcard.url', undefined],
          [{ msgtype: 'textcard', textcard: { title: 't', description: 'd', url: 'javascript:alert(1)' } }, 'textcard.url', undefined],
          [
            { msgtype: 'textcard', textcard: { title: 't', description: 'd', url: 'https://a.example/', btntxt: '查看详细信息' } },
            'textcard.btntxt',
            undefined,
          ],
          [{ msgtype: 'text', text: { content: '' } }, 'text.content', 44004],
          [{ msgtype: 'text', text: { content: 'x'.repeat(2049) } }, 'text.content', undefined],
          [
            { msgtype: 'news', news: { articles: Array.from({ length: 9 }, () => ({ title: 't', url: 'https://a.example/' })) } },
            'news.articles',
            45008,
          ],
          [{ msgtype: 'news', news: { articles: [{ url: 'https://a.example/' }] } }, 'news.articles[0].title', 41016],
          [{ msgtype: 'news', news: { articles: [{ title: 't', url: 'https://a.example/' }] }, safe: true }, 'safe', 40074],
          [
            { msgtype: 'template_card', template_card: { card_type: 'text_notice', main_title: { title: 't' } } },
            'template_card.card_action',
            undefined,
          ],
          [
            { msgtype: 'template_card', template_card: { card_type: 'text_notice', main_title: { title: 't' }, card_action: { type: 0 } } },
            'template_card.card_action.type',
            42045,
          ],
          [
            { msgtype: 'template_card', template_card: { card_type: 'text_notice', card_action: { type: 1, url: 'https://a.example/' } } },
            'template_card.main_title.title',
            undefined,
          ],
          [{ msgtype: 'image', image: { media_id: 'x' } }, 'msgtype', 40008],
          [
            { msgtype: 'textcard', textcard: CARD.textcard, duplicateCheckIntervalSeconds: 14401 },
            'duplicateCheckIntervalSeconds',
            undefined,
          ],
        ];
        for (const [message, field, errcode] of bad) {
          const err = await requestError(client.sendMessage({ toUser: 'zhangsan', ...(message as object) } as SendMessageInput));
          assert.deepEqual([err.field, err.errcode], [field, errcode], JSON.stringify(message).slice(0, 120));
        }
        assert.equal(emu.callCount(), 0);
      } finally {
        client.close();
      }
    }));

  it('a client without agentId cannot send', () =>
    withEmulator(async (emu) => {
      const client = new WeComClient({ corpId: CORP_ID, secret: SECRET, apiBaseUrl: emu.url });
      try {
        await assert.rejects(client.sendMessage({ toUser: 'zhangsan', ...CARD }), /sendMessage: set the `agentId` option/);
        assert.equal(emu.callCount(), 0);
      } finally {
        client.close();
      }
    }));
});

describe('sendMessage: refused by WeCom (a typed error, never sent twice)', () => {
  it('every recipient invalid: WeComRecipientsError (81013) listing them, one call', () =>
    withEmulator(async (emu) => {
      const client = makeClient(emu);
      try {
        const err = await failure(client.sendMessage({ toUser: ['ghost', 'wangwu'], ...CARD }));
        assert.ok(err instanceof WeComRecipientsError, inspect(err));
        assert.ok(err instanceof WeComApiError);
        assert.equal(err.errcode, 81013);
        assert.deepEqual(err.invalidUsers, ['ghost', 'wangwu']);
        assert.match(err.message, /no recipient is valid \(users ghost, wangwu\)/);
        assert.match(err.message, /visible range/);
        assert.equal(sends(emu), 1);
        assert.equal(emu.messages.length, 0);
      } finally {
        client.close();
      }
    }));

  it('a 45009 rate limit: WeComRateLimitError, not retried', () =>
    withEmulator(async (emu) => {
      const client = makeClient(emu);
      try {
        emu.faults.failNext(45009, 1, 'message/send');
        const err = await failure(client.sendMessage({ toUser: 'zhangsan', ...CARD }));
        assert.ok(err instanceof WeComRateLimitError, inspect(err));
        assert.equal(err.errcode, 45009);
        assert.equal(sends(emu), 1);
        assert.equal(emu.inbox('zhangsan').length, 0);
      } finally {
        client.close();
      }
    }));

  it('a member over 30 messages a minute (emulator in 45009 mode): 30 fired at once delivered, the 31st refused, no retry', async () => {
    const emu = await startEmulator({ port: 0, messageRateLimit: 'error' });
    const client = makeClient(emu);
    try {
      const results = await Promise.all(
        Array.from({ length: 30 }, (_, i) => client.sendMessage({ toUser: 'zhangsan', msgtype: 'text', text: { content: `#${i}` } })),
      );
      assert.equal(new Set(results.map((r) => r.msgid)).size, 30);
      const err = await failure(client.sendMessage({ toUser: 'zhangsan', msgtype: 'text', text: { content: '#30' } }));
      assert.ok(err instanceof WeComRateLimitError);
      assert.equal(sends(emu), 31);
      assert.equal(emu.inbox('zhangsan').length, 30);
      // Another member is not limited by zhangsan's count; a minute later zhangsan is not either.
      await client.sendMessage({ toUser: 'lisi', msgtype: 'text', text: { content: 'hi' } });
      emu.clock.advance(60_001);
      await client.sendMessage({ toUser: 'zhangsan', msgtype: 'text', text: { content: 'later' } });
      assert.equal(emu.inbox('zhangsan').length, 31);
    } finally {
      client.close();
      harvestSensitive(emu);
      await emu.close();
    }
  });

  it('-1 (system busy) on a send is not retried: the message may have gone out', () =>
    withEmulator(async (emu) => {
      const client = makeClient(emu);
      try {
        emu.faults.failNext(-1, 1, 'message/send');
        const err = await failure(client.sendMessage({ toUser: 'zhangsan', ...CARD }));
        assert.ok(err instanceof WeComApiError);
        assert.equal(err.errcode, -1);
        assert.equal(sends(emu), 1);
      } finally {
        client.close();
      }
    }));

  it('a revoked access_token: refreshed and replayed once (WeCom refused the first call before sending), delivered once', () =>
    withEmulator(async (emu) => {
      const client = makeClient(emu);
      try {
        await client.getAccessToken();
        emu.revokeTokens();
        const result = await client.sendMessage({ toUser: 'zhangsan', ...CARD });
        assert.deepEqual(
          emu.calls.filter((c) => c.api === 'message/send').map((c) => c.errcode),
          [40014, 0],
        );
        assert.deepEqual(
          emu.inbox('zhangsan').map((m) => m.msgid),
          [result.msgid],
        );
      } finally {
        client.close();
      }
    }));
});

describe('recallMessage', () => {
  it('takes a message back; a second recall, an unknown msgid and an empty one are errors', () =>
    withEmulator(async (emu) => {
      const client = makeClient(emu);
      try {
        const { msgid } = await client.sendMessage({ toUser: 'zhangsan', ...CARD });
        assert.ok(msgid);
        await client.recallMessage(msgid);
        assert.equal(typeof emu.inbox('zhangsan')[0]?.recalledAt, 'number');
        const again = await failure(client.recallMessage(msgid));
        assert.ok(again instanceof WeComApiError);
        assert.equal(emu.callCount('message/recall'), 2, 'a recall is not retried either');
        const unknown = await failure(client.recallMessage('nope'));
        assert.ok(unknown instanceof WeComApiError);
        const empty = await failure(client.recallMessage(''));
        assert.ok(empty instanceof WeComRequestError);
        assert.equal(emu.callCount('message/recall'), 3);
      } finally {
        client.close();
      }
    }));

  it('only within 24 hours', () =>
    withEmulator(async (emu) => {
      const client = makeClient(emu);
      try {
        const { msgid } = await client.sendMessage({ toUser: 'zhangsan', ...CARD });
        assert.ok(msgid);
        emu.clock.advance(24 * 3600_000 + 1000);
        const err = await failure(client.recallMessage(msgid));
        assert.ok(err instanceof WeComApiError);
        assert.match(err.errmsg, /older than 24 hours/);
      } finally {
        client.close();
      }
    }));
});

after(() => {
  // No access_token or secret in any error these tests produced.
  const secrets = [...sensitiveValues].filter((s) => s.length >= 6);
  assert.ok(secrets.length > 1, 'tokens were harvested');
  for (const err of producedErrors) {
    const text = `${String(err)} ${JSON.stringify(err)} ${inspect(err, { showHidden: true, depth: 3 })}`;
    for (const s of secrets) assert.ok(!text.includes(s), `an error contains a credential: ${String(err).slice(0, 80)}`);
  }
});
