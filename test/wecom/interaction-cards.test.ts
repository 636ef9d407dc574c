/**
 * Cards whose buttons call back (90236) and their update (94888): every rule checked before the
 * call, at and just past each limit. What the emulator answers for them is tested against it in
 * test/emulator/ and end to end with the receiver in test/flow/.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CARD_LIMITS, checkInteractionCard, updateTemplateCard } from '../../src/wecom/interaction-cards.ts';
import type { ApiCallInit } from '../../src/wecom/api-call.ts';
import { WeComRequestError } from '../../src/wecom/request-error.ts';

const button = (overrides: Record<string, unknown> = {}) => ({
  card_type: 'button_interaction',
  task_id: 'approve-42',
  main_title: { title: '订单 42 待审批' },
  button_list: [
    { text: '同意', style: 1, key: 'approve' },
    { text: '驳回', style: 2, key: 'reject' },
  ],
  ...overrides,
});

function refused(fn: () => unknown, field: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof WeComRequestError, String(err));
    assert.match(err.field, field);
    return true;
  });
}

describe('interaction cards: checked before the call', () => {
  it('a button card passes; its task_id, title and buttons are required, within their limits', () => {
    assert.equal(checkInteractionCard(button()).card_type, 'button_interaction');
    refused(() => checkInteractionCard(button({ task_id: undefined })), /task_id/);
    refused(() => checkInteractionCard(button({ task_id: 'has space' })), /task_id/);
    assert.ok(checkInteractionCard(button({ task_id: 'a'.repeat(CARD_LIMITS.taskIdBytes) })));
    refused(() => checkInteractionCard(button({ task_id: 'a'.repeat(CARD_LIMITS.taskIdBytes + 1) })), /task_id/);
    refused(() => checkInteractionCard(button({ main_title: {} })), /main_title/);
    refused(() => checkInteractionCard(button({ button_list: [] })), /button_list/);
    const six = Array.from({ length: 6 }, (_, i) => ({ text: `b${i}`, key: `k${i}` }));
    assert.ok(checkInteractionCard(button({ button_list: six })));
    refused(() => checkInteractionCard(button({ button_list: [...six, { text: 'x', key: 'k7' }] })), /button_list/);
    refused(
      () =>
        checkInteractionCard(
          button({
            button_list: [
              { text: 'a', key: 'same' },
              { text: 'b', key: 'same' },
            ],
          }),
        ),
      /key/,
    );
    refused(() => checkInteractionCard(button({ button_list: [{ text: 'a', key: 'k', style: 5 }] })), /style/);
    assert.ok(checkInteractionCard(button({ button_list: [{ text: 'a', key: 'k'.repeat(1024) }] })));
    refused(() => checkInteractionCard(button({ button_list: [{ text: 'a', key: 'k'.repeat(1025) }] })), /key/);
  });

  it('a vote card: a checkbox of 1 to 20 options with unique ids, and a submit button', () => {
    const vote = (checkbox: unknown, submit: unknown = { text: '提交', key: 'submit' }) =>
      checkInteractionCard({
        card_type: 'vote_interaction',
        task_id: 't1',
        main_title: { title: '投票' },
        checkbox,
        submit_button: submit,
      });
    const opts = (n: number) => Array.from({ length: n }, (_, i) => ({ id: `o${i}`, text: `选项${i}` }));
    assert.ok(vote({ question_key: 'q', option_list: opts(20), mode: 1 }));
    refused(() => vote({ question_key: 'q', option_list: opts(21) }), /option_list/);
    refused(() => vote({ question_key: 'q', option_list: [] }), /option_list/);
    refused(
      () =>
        vote({
          question_key: 'q',
          option_list: [
            { id: 'a', text: 'x' },
            { id: 'a', text: 'y' },
          ],
        }),
      /id/,
    );
    refused(() => vote({ question_key: 'q', option_list: opts(2), mode: 2 }), /mode/);
    refused(() => vote({ question_key: 'q', option_list: opts(2) }, null), /submit_button/);
  });

  it('a multiple-choice card: 1 to 3 selects of 1 to 10 options, unique question keys', () => {
    const select = (key: string, n = 2) => ({
      question_key: key,
      option_list: Array.from({ length: n }, (_, i) => ({ id: `${key}${i}`, text: 't' })),
    });
    const multiple = (list: unknown[]) =>
      checkInteractionCard({
        card_type: 'multiple_interaction',
        task_id: 't2',
        main_title: { title: '选择' },
        select_list: list,
        submit_button: { text: '提交', key: 's' },
      });
    assert.ok(multiple([select('a', 10), select('b'), select('c')]));
    refused(() => multiple([select('a'), select('b'), select('c'), select('d')]), /select_list/);
    refused(() => multiple([select('a', 11)]), /option_list/);
    refused(() => multiple([select('a'), select('a')]), /question_key/);
  });
});

describe('update_template_card: checked before the call', () => {
  const calls: Array<{ api: string; init: ApiCallInit }> = [];
  const call = async (api: string, init: ApiCallInit) => {
    calls.push({ api, init });
    return { errcode: 0 };
  };

  it('turns the buttons into one text, or replaces the card; a code past its 72 hours is refused before the call', async () => {
    await updateTemplateCard(call, 1000002, { responseCode: 'rc1', userIds: ['zhangsan'], replaceButton: '已同意' });
    assert.deepEqual(calls.at(-1)?.init.json, {
      agentid: 1000002,
      response_code: 'rc1',
      userids: ['zhangsan'],
      button: { replace_name: '已同意' },
    });
    await updateTemplateCard(call, 1000002, { responseCode: 'rc2', all: true, card: button({ task_id: 'approve-42b' }) });
    assert.equal((calls.at(-1)?.init.json as { atall: number }).atall, 1);
    const before = calls.length;
    const now = Date.now();
    await assert.rejects(
      updateTemplateCard(call, 1, { responseCode: 'rc3', userIds: ['a'], replaceButton: 'x', issuedAt: now - 72 * 3600_000 - 1 }, now),
      WeComRequestError,
    );
    await assert.rejects(
      updateTemplateCard(
        call,
        1,
        { responseCode: 'rc3', userIds: ['a'], replaceButton: 'x', issuedAt: now - 25 * 3600_000, windowMs: 24 * 3600_000 },
        now,
      ),
      /24 h/,
    );
    await assert.rejects(updateTemplateCard(call, 1, { responseCode: 'rc4', replaceButton: 'x' }), /userIds/);
    await assert.rejects(updateTemplateCard(call, 1, { responseCode: '', userIds: ['a'], replaceButton: 'x' }), /responseCode/);
    assert.equal(calls.length, before, 'nothing sent for any of them');
  });
});
