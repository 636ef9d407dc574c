// Button cards (按钮交互型 template_card, https://developer.work.weixin.qq.com/document/path/90236)
// as message/send takes them, and message/update_template_card
// (https://developer.work.weixin.qq.com/document/path/94888) that changes the members' copies
// afterwards. WeCom names no errcode for most of these mistakes: those answer 40058 with a text
// that says what was wrong, marked [assumed].
import { byteLength, fail, jsonBody, ok, ownAgent } from './handler.ts';
import type { ApiAnswer, Caller, Handler } from './handler.ts';
import { findMember, membersOfParty } from './state.ts';
import type { EmulatorState } from './state.ts';
import type { SentMessage } from './types.ts';

/** 90236, button_interaction: at most 6 buttons; a key of at most 1024 bytes; TaskId letters, digits and _-@, 128 bytes. */
export const BUTTON_CARD_LIMITS = { buttons: 6, keyBytes: 1024, taskIdBytes: 128 } as const;
const TASK_ID = /^[A-Za-z0-9_\-@]+$/;

type Obj = Record<string, unknown>;

function isObj(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const invalid = (what: string): ApiAnswer => fail(40058, {}, `invalid parameter: ${what}`); // [assumed] 40058 for each

function isHttpUrl(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

function checkButtons(list: unknown): ApiAnswer | { callsBack: boolean } {
  if (!Array.isArray(list) || list.length === 0) return invalid('template_card.button_list is required for button_interaction');
  if (list.length > BUTTON_CARD_LIMITS.buttons)
    return invalid(`template_card.button_list has more than ${BUTTON_CARD_LIMITS.buttons} buttons`);
  const keys = new Set<string>();
  let callsBack = false;
  for (const [i, button] of list.entries()) {
    const at = `template_card.button_list[${i}]`;
    if (!isObj(button) || typeof button['text'] !== 'string' || button['text'].trim() === '') return invalid(`${at}.text is required`);
    const type = button['type'] ?? 0;
    if (type === 1) {
      if (!isHttpUrl(button['url'])) return invalid(`${at}.url must be an http(s) URL for a type 1 button`);
      continue;
    }
    if (type !== 0) return invalid(`${at}.type must be 0 (a callback) or 1 (a link)`);
    const key = button['key'];
    if (typeof key !== 'string' || key === '') return invalid(`${at}.key is required for a type 0 button`);
    if (byteLength(key) > BUTTON_CARD_LIMITS.keyBytes) return invalid(`${at}.key is longer than ${BUTTON_CARD_LIMITS.keyBytes} bytes`);
    if (keys.has(key)) return invalid(`${at}.key repeats another button's key`);
    keys.add(key);
    callsBack = true;
  }
  return { callsBack };
}

/**
 * A template_card other than text_notice, before it is sent. button_interaction: a main title
 * or sub_title_text, a TaskId the app has not used before, 1 to 6 buttons with their keys, and,
 * for buttons that call back, the app's 「接收消息」 URL (docs/wecom-api.md §16: cards whose buttons call
 * back can only be sent by an app that has one; the group robot's page says it as
 * "当机器人设置了回调URL时，才能下发按钮交互模版卡片").
 */
export function checkInteractiveCard(state: EmulatorState, caller: Caller, card: Obj): ApiAnswer | undefined {
  const cardType = card['card_type'];
  const taskId = card['task_id'];
  const interactive = cardType === 'button_interaction' || cardType === 'vote_interaction' || cardType === 'multiple_interaction';
  if (taskId !== undefined || interactive || isObj(card['action_menu'])) {
    if (typeof taskId !== 'string' || taskId === '') return invalid('template_card.task_id is required for this card');
    if (!TASK_ID.test(taskId) || byteLength(taskId) > BUTTON_CARD_LIMITS.taskIdBytes)
      return invalid('template_card.task_id: letters, digits and _-@, at most 128 bytes');
    if (state.callbacks.cards.taskIdUsed(caller.corp.corpId, caller.app.agentId, taskId))
      return invalid('template_card.task_id was used by an earlier card of this app');
  }
  if (cardType !== 'button_interaction') return undefined;
  const main = isObj(card['main_title']) ? card['main_title'] : {};
  const hasTitle = typeof main['title'] === 'string' && main['title'].trim() !== '';
  const hasSub = typeof card['sub_title_text'] === 'string' && card['sub_title_text'].trim() !== '';
  if (!hasTitle && !hasSub) return invalid('template_card needs main_title.title or sub_title_text');
  const buttons = checkButtons(card['button_list']);
  if ('errcode' in buttons) return buttons;
  if (buttons.callsBack && caller.app.callback === undefined) {
    // ASCII only: the errmsg also goes out in the Error-Msg header.
    return invalid("button_interaction buttons call back: set the app's callback URL (receive messages) first");
  }
  return undefined;
}

/** Remembers a delivered card and answers the response_code message/send returns for it. */
export function registerCard(state: EmulatorState, message: SentMessage): string {
  const card = message.content;
  const taskId = typeof card['task_id'] === 'string' ? card['task_id'] : undefined;
  const cardType = typeof card['card_type'] === 'string' ? card['card_type'] : '';
  state.callbacks.cards.register({
    msgid: message.msgid,
    corpId: message.corpId,
    agentId: message.agentId,
    cardType,
    taskId,
    hasActionMenu: isObj(card['action_menu']),
  });
  return state.callbacks.cards.issue(message.msgid, message.sentAt);
}

/** The members named by userids / partyids / tagids / atall among those who got the message; the others are invalid. */
function recipients(caller: Caller, message: SentMessage, body: Obj): { users: string[]; invalid: string[] } {
  if (body['atall'] === 1) return { users: [...message.deliveredTo], invalid: [] };
  const named = new Set<string>();
  const invalidUsers: string[] = [];
  for (const raw of Array.isArray(body['userids']) ? body['userids'] : []) {
    const member = typeof raw === 'string' ? findMember(caller.corp, raw) : undefined;
    if (member && message.deliveredTo.includes(member.userId)) named.add(member.userId);
    else invalidUsers.push(String(raw));
  }
  for (const raw of Array.isArray(body['partyids']) ? body['partyids'] : []) {
    if (typeof raw !== 'number') continue;
    for (const m of membersOfParty(caller.corp, raw)) if (message.deliveredTo.includes(m.userId)) named.add(m.userId);
  }
  for (const raw of Array.isArray(body['tagids']) ? body['tagids'] : []) {
    const tag = (caller.corp.tags ?? []).find((t) => t.tagId === raw);
    for (const u of tag?.userIds ?? []) if (message.deliveredTo.includes(u)) named.add(u);
  }
  return { users: [...named], invalid: invalidUsers };
}

// POST message/update_template_card {userids|partyids|tagids|atall, agentid, response_code,
// button.replace_name | template_card}. Everything is checked before the code is used up, so a
// refused call can be made again with the same code.
export const updateTemplateCard: Handler = (state, req, caller) => {
  const read = jsonBody(req);
  if ('refused' in read) return read.refused;
  const body = read.body;
  const refused = ownAgent(body['agentid'], caller);
  if (refused) return refused;
  const code = body['response_code'];
  if (typeof code !== 'string' || code === '') return invalid('response_code is required');
  const now = state.clock.now();
  const checked = state.callbacks.cards.check(code, caller.corp.corpId, caller.app.agentId, now);
  if (!checked.ok) return invalid(checked.reason);
  const button = isObj(body['button']) ? body['button'] : undefined;
  const card = isObj(body['template_card']) ? body['template_card'] : undefined;
  const replaceName = button?.['replace_name'];
  if (button && (typeof replaceName !== 'string' || replaceName.trim() === '')) return invalid('button.replace_name is required');
  if (!button && !card) return invalid('send button.replace_name or template_card');
  if (card && typeof card['card_type'] !== 'string') return invalid('template_card.card_type is required');
  const message = state.messages.get(checked.card.msgid);
  if (!message) return invalid('the card is no longer known');
  const { users, invalid: invalidUsers } = recipients(caller, message, body);
  if (users.length === 0 && invalidUsers.length === 0) return invalid('name userids, partyids, tagids or atall');
  state.callbacks.cards.use(code);
  for (const userId of users) {
    state.callbacks.cards.setView(message.msgid, userId, {
      ...(typeof replaceName === 'string' ? { replaceName } : { card: structuredClone(card) }),
      updatedAt: now,
      by: 'api',
    });
  }
  return ok({ invaliduser: invalidUsers });
};
