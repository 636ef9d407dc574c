/**
 * Template cards that answer their buttons (模板卡片: 按钮交互型, 投票选择型, 多项选择型,
 * https://developer.work.weixin.qq.com/document/path/90236), checked before the call as WeCom
 * checks them, and the card's update afterwards (message/update_template_card,
 * https://developer.work.weixin.qq.com/document/path/94888):
 *
 * - an interaction card needs a `task_id` (letters, digits and `_-@`, at most 128 bytes, unique in
 *   the app) and comes back as a `template_card_event` with the pressed key, the TaskId and a
 *   ResponseCode (docs/callbacks.md);
 * - each response_code (the send's, and each event's) updates the card once, within 72 hours
 *   ("response_code的有效期是72小时"; older texts said 24): the window is `windowMs` here;
 * - such cards can only be sent by an app that has a callback URL (接收消息) configured.
 */
import type { ApiCall } from './api-call.ts';
import { WeComRequestError } from './request-error.ts';

const SEND = 'message/send';
const UPDATE = 'message/update_template_card';
/** The card types whose buttons call back. */
export const INTERACTION_CARD_TYPES = ['button_interaction', 'vote_interaction', 'multiple_interaction'] as const;
export type InteractionCardType = (typeof INTERACTION_CARD_TYPES)[number];

/** Limits of 90236's structures. */
export const CARD_LIMITS = Object.freeze({
  taskIdBytes: 128,
  buttons: 6,
  buttonKeyBytes: 1024,
  voteOptions: 20,
  selects: 3,
  selectOptions: 10,
  optionIdBytes: 128,
  questionKeyBytes: 1024,
});
/** How long a response_code can update its card (94888: 72 hours). */
export const RESPONSE_CODE_WINDOW_MS = 72 * 3600_000;

interface CardBase {
  source?: { icon_url?: string; desc?: string; desc_color?: 0 | 1 | 2 | 3 };
  main_title?: { title?: string; desc?: string };
  sub_title_text?: string;
  horizontal_content_list?: { keyname: string; value?: string; type?: 0 | 1 | 2 | 3; url?: string; userid?: string }[];
  card_action?: { type: 1; url: string } | { type: 2; appid: string; pagepath?: string };
  /** Letters, digits and `_-@`, at most 128 bytes, never used twice in the app. */
  task_id: string;
}
export interface CardButton {
  text: string;
  /** 1 to 4 (the colour). */
  style?: 1 | 2 | 3 | 4;
  /** The EventKey of the template_card_event; at most 1,024 bytes, unique in the card. */
  key: string;
}
export interface ButtonInteractionCard extends CardBase {
  card_type: 'button_interaction';
  button_selection?: { question_key: string; title?: string; option_list: { id: string; text: string }[]; selected_id?: string };
  button_list: CardButton[];
}
export interface VoteInteractionCard extends CardBase {
  card_type: 'vote_interaction';
  checkbox: { question_key: string; option_list: { id: string; text: string; is_checked?: boolean }[]; mode?: 0 | 1 };
  submit_button: { text: string; key: string };
}
export interface MultipleInteractionCard extends CardBase {
  card_type: 'multiple_interaction';
  select_list: { question_key: string; title?: string; selected_id?: string; option_list: { id: string; text: string }[] }[];
  submit_button: { text: string; key: string };
}
export type InteractionCard = ButtonInteractionCard | VoteInteractionCard | MultipleInteractionCard;

export function isInteractionCardType(type: unknown): type is InteractionCardType {
  return (INTERACTION_CARD_TYPES as readonly unknown[]).includes(type);
}

type Rec = Record<string, unknown>;
const isRec = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v);
const bytes = (s: string): number => Buffer.byteLength(s, 'utf8');

function refuse(api: string, field: string, problem: string): never {
  throw new WeComRequestError(api, field, problem);
}

function text(api: string, value: unknown, field: string, maxBytes?: number): string {
  if (typeof value !== 'string' || value.trim() === '') refuse(api, field, 'is required: a non-empty string.');
  if (maxBytes !== undefined && bytes(value) > maxBytes) refuse(api, field, `is ${bytes(value)} bytes; at most ${maxBytes}.`);
  return value;
}

function list(api: string, value: unknown, field: string, min: number, max: number): unknown[] {
  if (!Array.isArray(value) || value.length < min || value.length > max) refuse(api, field, `must be a list of ${min} to ${max}.`);
  return value;
}

/** Keys and ids that must not repeat within their list. */
function unique(api: string, values: string[], field: string): void {
  const seen = new Set<string>();
  for (const v of values) {
    if (seen.has(v)) refuse(api, field, `holds ${JSON.stringify(v)} twice; each must be unique.`);
    seen.add(v);
  }
}

function options(api: string, value: unknown, field: string, max: number): void {
  const items = list(api, value, field, 1, max);
  const ids = items.map((item, i) => text(api, isRec(item) ? item['id'] : undefined, `${field}[${i}].id`, CARD_LIMITS.optionIdBytes));
  items.forEach((item, i) => text(api, isRec(item) ? item['text'] : undefined, `${field}[${i}].text`));
  unique(api, ids, `${field}[].id`);
}

function submit(api: string, value: unknown, field: string): void {
  if (!isRec(value)) refuse(api, field, 'is required: { text, key }.');
  text(api, value['text'], `${field}.text`);
  text(api, value['key'], `${field}.key`, CARD_LIMITS.buttonKeyBytes);
}

/** Checks an interaction card as message/send would (and update_template_card's new card). */
export function checkInteractionCard(card: Rec, api = SEND, at = 'template_card'): InteractionCard {
  const taskId = text(api, card['task_id'], `${at}.task_id`, CARD_LIMITS.taskIdBytes);
  if (!/^[A-Za-z0-9_\-@]+$/.test(taskId)) refuse(api, `${at}.task_id`, 'may hold only letters, digits and _-@.');
  const main = isRec(card['main_title']) ? card['main_title'] : {};
  if (typeof main['title'] !== 'string' || main['title'].trim() === '') refuse(api, `${at}.main_title.title`, 'is required.');
  switch (card['card_type']) {
    case 'button_interaction': {
      const buttons = list(api, card['button_list'], `${at}.button_list`, 1, CARD_LIMITS.buttons);
      const keys = buttons.map((b, i) => {
        if (!isRec(b)) refuse(api, `${at}.button_list[${i}]`, 'must be { text, key, style? }.');
        text(api, b['text'], `${at}.button_list[${i}].text`);
        if (b['style'] !== undefined && ![1, 2, 3, 4].includes(b['style'] as number))
          refuse(api, `${at}.button_list[${i}].style`, 'must be 1, 2, 3 or 4.');
        return text(api, b['key'], `${at}.button_list[${i}].key`, CARD_LIMITS.buttonKeyBytes);
      });
      unique(api, keys, `${at}.button_list[].key`);
      if (card['button_selection'] !== undefined) {
        const selection = isRec(card['button_selection'])
          ? card['button_selection']
          : refuse(api, `${at}.button_selection`, 'must be an object.');
        text(api, selection['question_key'], `${at}.button_selection.question_key`, CARD_LIMITS.questionKeyBytes);
        options(api, selection['option_list'], `${at}.button_selection.option_list`, CARD_LIMITS.voteOptions);
      }
      break;
    }
    case 'vote_interaction': {
      const box = isRec(card['checkbox']) ? card['checkbox'] : refuse(api, `${at}.checkbox`, 'is required: { question_key, option_list }.');
      text(api, box['question_key'], `${at}.checkbox.question_key`, CARD_LIMITS.questionKeyBytes);
      options(api, box['option_list'], `${at}.checkbox.option_list`, CARD_LIMITS.voteOptions);
      if (box['mode'] !== undefined && box['mode'] !== 0 && box['mode'] !== 1)
        refuse(api, `${at}.checkbox.mode`, 'must be 0 (one) or 1 (several).');
      submit(api, card['submit_button'], `${at}.submit_button`);
      break;
    }
    case 'multiple_interaction': {
      const selects = list(api, card['select_list'], `${at}.select_list`, 1, CARD_LIMITS.selects);
      const keys = selects.map((s, i) => {
        if (!isRec(s)) refuse(api, `${at}.select_list[${i}]`, 'must be { question_key, option_list }.');
        options(api, s['option_list'], `${at}.select_list[${i}].option_list`, CARD_LIMITS.selectOptions);
        return text(api, s['question_key'], `${at}.select_list[${i}].question_key`, CARD_LIMITS.questionKeyBytes);
      });
      unique(api, keys, `${at}.select_list[].question_key`);
      submit(api, card['submit_button'], `${at}.submit_button`);
      break;
    }
    default:
      refuse(api, `${at}.card_type`, `must be ${INTERACTION_CARD_TYPES.join(', ')}, got ${JSON.stringify(card['card_type'])}.`);
  }
  return structuredClone(card) as unknown as InteractionCard;
}

/** Who sees the update: the card's recipients, or some of them. */
export interface CardUpdateRecipients {
  userIds?: readonly string[];
  partyIds?: readonly number[];
  tagIds?: readonly number[];
  /** Every recipient of the card. */
  all?: boolean;
}

export type TemplateCardUpdate = CardUpdateRecipients & {
  /** The send's response_code, or the template_card_event's: each updates the card once. */
  responseCode: string;
  /** When that response_code was issued (ms since the epoch), to refuse one past its window before the call. */
  issuedAt?: number;
  /** The window of a response_code. Default 72 hours. */
  windowMs?: number;
} & ({ replaceButton: string; card?: never } | { card: InteractionCard | Rec; replaceButton?: never });

/** message/update_template_card: turn the buttons into one disabled text, or replace the whole card. */
export async function updateTemplateCard(call: ApiCall, agentId: number, update: TemplateCardUpdate, now = Date.now()): Promise<void> {
  const code = text(UPDATE, update.responseCode, 'responseCode');
  const windowMs = update.windowMs ?? RESPONSE_CODE_WINDOW_MS;
  if (update.issuedAt !== undefined && now - update.issuedAt > windowMs) {
    refuse(
      UPDATE,
      'responseCode',
      `was issued ${Math.round((now - update.issuedAt) / 3600_000)} h ago; a response_code updates its card within ${windowMs / 3600_000} h.`,
    );
  }
  const body: Rec = { agentid: agentId, response_code: code };
  if (update.all) body['atall'] = 1;
  if (update.userIds) body['userids'] = [...list(UPDATE, update.userIds, 'userIds', 1, 1000)];
  if (update.partyIds) body['partyids'] = [...list(UPDATE, update.partyIds, 'partyIds', 1, 100)];
  if (update.tagIds) body['tagids'] = [...list(UPDATE, update.tagIds, 'tagIds', 1, 100)];
  if (!update.all && !update.userIds && !update.partyIds && !update.tagIds)
    refuse(UPDATE, 'userIds', 'or partyIds, tagIds or all: true is required.');
  if ('replaceButton' in update && update.replaceButton !== undefined) {
    body['button'] = { replace_name: text(UPDATE, update.replaceButton, 'replaceButton') };
  } else if (update.card !== undefined && isRec(update.card)) {
    const card = update.card as Rec;
    body['template_card'] = isInteractionCardType(card['card_type']) ? checkInteractionCard(card, UPDATE, 'card') : structuredClone(card);
  } else {
    refuse(UPDATE, 'replaceButton', "or card is required: the buttons' new text, or the new card.");
  }
  await call(UPDATE, { method: 'POST', json: body, idempotent: false });
}
