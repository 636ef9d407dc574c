/**
 * App messages (应用消息): message/send and message/recall.
 *
 * - https://developer.work.weixin.qq.com/document/path/90236 (send: fields, limits, answer)
 * - https://developer.work.weixin.qq.com/document/path/94867 (recall: within 24 hours)
 * - https://developer.work.weixin.qq.com/document/path/90313 (errcodes)
 *
 * What WeCom would refuse is refused here, before the call, with a WeComRequestError naming the
 * field. What WeCom would silently change is not let through either: it truncates over-long
 * titles, descriptions and contents without saying so, so a card would arrive cut short. By
 * default such a message is refused; with `onTooLong: 'truncate'` the client cuts it itself, at a
 * character boundary, and lists what it cut in the result's `truncated`.
 *
 * A send is never retried on `-1` or a timeout: the message may have gone out. The access_token
 * replay after 40014/42001 is safe (WeCom refuses such a call before acting). To retry a send
 * that timed out, send with `enableDuplicateCheck`, so WeCom drops the copy.
 */
import { checkInteractionCard, isInteractionCardType } from './interaction-cards.ts';
import type { InteractionCard } from './interaction-cards.ts';
import { requireAgentId } from './api-call.ts';
import type { ApiCall } from './api-call.ts';
import { WeComApiError } from './errors.ts';
import { WeComRequestError } from './request-error.ts';

const SEND = 'message/send';

export interface MessageRecipients {
  /** userids (at most 1,000), as a list or `|`-joined; or `'@all'`: everyone in the app's visible range. */
  toUser?: string | readonly string[];
  /** Department ids (at most 100). */
  toParty?: string | number | readonly (string | number)[];
  /** Tag ids (at most 100). */
  toTag?: string | number | readonly (string | number)[];
}

/** A text card: title, description (may use `<div class="gray|normal|highlight">`), link, button text. */
export interface TextCard {
  /** At most 128 bytes (about 42 Chinese characters). */
  title: string;
  /** At most 512 bytes. */
  description: string;
  /** An absolute http(s) URL, at most 2,048 bytes: the page the card opens. */
  url: string;
  /** At most 4 characters; WeCom shows 详情 without it. */
  btntxt?: string;
}

export interface NewsArticle {
  /** At most 128 bytes. */
  title: string;
  /** At most 512 bytes. */
  description?: string;
  /** An absolute http(s) URL; required unless `appid` and `pagepath` open a mini program. */
  url?: string;
  /** The picture's http(s) URL. */
  picurl?: string;
  appid?: string;
  pagepath?: string;
}

/** A template card of the text-notice kind (文本通知型). */
export interface TextNoticeCard {
  card_type: 'text_notice';
  source?: { icon_url?: string; desc?: string; desc_color?: 0 | 1 | 2 | 3 };
  main_title?: { title?: string; desc?: string };
  emphasis_content?: { title?: string; desc?: string };
  quote_area?: { type?: 0 | 1 | 2; url?: string; appid?: string; pagepath?: string; title?: string; quote_text?: string };
  sub_title_text?: string;
  horizontal_content_list?: { keyname: string; value?: string; type?: 0 | 1 | 2 | 3; url?: string; media_id?: string; userid?: string }[];
  jump_list?: { type?: 0 | 1 | 2; title: string; url?: string; appid?: string; pagepath?: string }[];
  /** What tapping the card opens: type 1 a URL, type 2 a mini program. */
  card_action: { type: 1; url: string } | { type: 2; appid: string; pagepath?: string };
  task_id?: string;
}

export type AppMessage =
  | { msgtype: 'text'; text: { content: string } }
  | { msgtype: 'markdown'; markdown: { content: string } }
  | { msgtype: 'textcard'; textcard: TextCard }
  | { msgtype: 'news'; news: { articles: NewsArticle[] } }
  | { msgtype: 'template_card'; template_card: TextNoticeCard | InteractionCard };

export interface SendMessageOptions {
  /** Confidential message (保密消息): no forwarding, watermarked. Not for `news`. */
  safe?: boolean;
  /** Let WeCom replace `$userName=…$`-style ids in the text (id translation). */
  enableIdTrans?: boolean;
  /**
   * WeCom does not deliver an identical request again within the interval: what makes retrying a
   * send that timed out safe.
   */
  enableDuplicateCheck?: boolean;
  /** Seconds, 1-14400 (WeCom's default 1800). */
  duplicateCheckIntervalSeconds?: number;
  /**
   * A title, description or content longer than WeCom keeps: `'error'` (default) refuses to send
   * it; `'truncate'` cuts it at a character boundary and lists it in the result's `truncated`.
   */
  onTooLong?: 'error' | 'truncate';
}

export type SendMessageInput = MessageRecipients & AppMessage & SendMessageOptions;

/** A field the client cut because WeCom would have cut it (only with `onTooLong: 'truncate'`). */
export interface TruncatedField {
  /** e.g. `textcard.title`, `news.articles[0].description`. */
  field: string;
  /** Its length before cutting, in `unit`. */
  length: number;
  /** WeCom's limit, in `unit`. */
  limit: number;
  unit: 'bytes' | 'characters';
}

export interface SendMessageResult {
  /** The id for message/recall. WeCom returns one for every message it accepts. */
  msgid: string | undefined;
  /** Recipients WeCom did not deliver to: unknown userids or members outside the app's visible range (lower-cased by WeCom). */
  invalidUsers: string[];
  invalidParties: string[];
  invalidTags: string[];
  /** Members without a licence (基础接口许可): not delivered. */
  unlicensedUsers: string[];
  /** What the client cut (empty unless `onTooLong: 'truncate'`). */
  truncated: TruncatedField[];
  /** For updating an interactive template card later. */
  responseCode?: string;
}

/** Every recipient was refused (errcode 81013): nothing was delivered. */
export class WeComRecipientsError extends WeComApiError {
  readonly invalidUsers: string[];
  readonly invalidParties: string[];
  readonly invalidTags: string[];
  readonly unlicensedUsers: string[];

  constructor(
    errcode: number,
    errmsg: string,
    lists: Pick<SendMessageResult, 'invalidUsers' | 'invalidParties' | 'invalidTags' | 'unlicensedUsers'>,
  ) {
    const named = [
      lists.invalidUsers.length ? `users ${lists.invalidUsers.join(', ')}` : '',
      lists.invalidParties.length ? `departments ${lists.invalidParties.join(', ')}` : '',
      lists.invalidTags.length ? `tags ${lists.invalidTags.join(', ')}` : '',
    ].filter((s) => s !== '');
    super(SEND, errcode, errmsg, {
      message:
        `WeCom ${SEND} failed: ${errcode}: no recipient is valid${named.length ? ` (${named.join('; ')})` : ''}. ` +
        "Recipients must exist and be in the app's visible range (应用管理 → the app → 可见范围).",
    });
    this.name = 'WeComRecipientsError';
    this.invalidUsers = lists.invalidUsers;
    this.invalidParties = lists.invalidParties;
    this.invalidTags = lists.invalidTags;
    this.unlicensedUsers = lists.unlicensedUsers;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), invalidUsers: this.invalidUsers, invalidParties: this.invalidParties, invalidTags: this.invalidTags };
  }
}

// --- limits (90236) --------------------------------------------------------------------------

export const MESSAGE_LIMITS = {
  users: 1000,
  parties: 100,
  tags: 100,
  articles: 8,
  contentBytes: 2048,
  titleBytes: 128,
  descriptionBytes: 512,
  urlBytes: 2048,
  btntxtChars: 4,
  duplicateCheckMaxSeconds: 4 * 3600,
} as const;

const ALL_RECIPIENTS_INVALID = 81013;

function bytes(value: string): number {
  return Buffer.byteLength(value, 'utf8');
}

/** The longest prefix of whole characters within `limit` UTF-8 bytes. */
export function truncateToBytes(value: string, limit: number): string {
  if (bytes(value) <= limit) return value;
  let used = 0;
  let out = '';
  for (const char of value) {
    used += bytes(char);
    if (used > limit) break;
    out += char;
  }
  return out;
}

function refuse(field: string, problem: string, errcode?: number): never {
  throw new WeComRequestError(SEND, field, problem, errcode);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function requireText(value: unknown, field: string, errcode: number | undefined, what: string): string {
  if (typeof value !== 'string' || value.trim() === '') refuse(field, `is required: ${what}.`, errcode);
  return value;
}

function requireHttpUrl(value: unknown, field: string, errcode?: number): string {
  if (typeof value !== 'string' || value === '') refuse(field, 'is required: the absolute http(s) URL the message opens.', errcode);
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    refuse(field, `must be an absolute http(s) URL (WeCom opens nothing else), got ${JSON.stringify(value.slice(0, 80))}.`);
  }
  if (bytes(value) > MESSAGE_LIMITS.urlBytes) {
    // A cut URL is a broken link: never truncated, whatever onTooLong says.
    refuse(field, `is ${bytes(value)} bytes; WeCom keeps ${MESSAGE_LIMITS.urlBytes}: use a shorter link.`);
  }
  return value;
}

/** Checks a text field against WeCom's limit; cuts it when asked to, else refuses it. */
class Lengths {
  readonly truncated: TruncatedField[] = [];
  readonly #mode: 'error' | 'truncate';

  constructor(mode: 'error' | 'truncate') {
    this.#mode = mode;
  }

  bytes(value: string, limit: number, field: string): string {
    const length = bytes(value);
    if (length <= limit) return value;
    if (this.#mode === 'error') {
      refuse(
        field,
        `is ${length} bytes; WeCom keeps the first ${limit} bytes (about ${Math.floor(limit / 3)} Chinese characters) and drops the rest without saying so. ` +
          "Shorten it, or pass onTooLong: 'truncate' to have it cut at a character boundary and reported in `truncated`.",
      );
    }
    this.truncated.push({ field, length, limit, unit: 'bytes' });
    return truncateToBytes(value, limit);
  }

  chars(value: string, limit: number, field: string): string {
    const chars = [...value];
    if (chars.length <= limit) return value;
    if (this.#mode === 'error') {
      refuse(field, `is ${chars.length} characters; WeCom shows at most ${limit}. Shorten it, or pass onTooLong: 'truncate'.`);
    }
    this.truncated.push({ field, length: chars.length, limit, unit: 'characters' });
    return chars.slice(0, limit).join('');
  }
}

/** A recipient list from a string (`|`-joined), a number or an array: trimmed, empties and repeats dropped. */
function recipientList(value: unknown, field: string, numeric: boolean): string[] {
  if (value === undefined) return [];
  const raw: unknown[] = Array.isArray(value) ? value : typeof value === 'string' ? value.split('|') : [value];
  const out: string[] = [];
  for (const item of raw) {
    const id = typeof item === 'number' && Number.isSafeInteger(item) ? String(item) : typeof item === 'string' ? item.trim() : undefined;
    if (id === undefined) refuse(field, `must list ${numeric ? 'ids (numbers)' : 'userids (strings)'}, got ${JSON.stringify(item)}.`);
    if (id === '') continue;
    if (id.includes('|')) refuse(field, `has an id containing "|" (${JSON.stringify(id)}); pass a list instead.`);
    if (numeric && !/^\d{1,12}$/.test(id)) refuse(field, `must list numeric ids, got ${JSON.stringify(id)}.`);
    if (!out.includes(id)) out.push(id);
  }
  return out;
}

interface Prepared {
  json: Record<string, unknown>;
  truncated: TruncatedField[];
}

function prepareContent(input: SendMessageInput, lengths: Lengths): Record<string, unknown> {
  switch (input.msgtype) {
    case 'text':
    case 'markdown': {
      const body = (input as { text?: unknown; markdown?: unknown })[input.msgtype];
      const field = `${input.msgtype}.content`;
      const content = requireText(isObject(body) ? body['content'] : undefined, field, 44004, 'the message text');
      return { content: lengths.bytes(content, MESSAGE_LIMITS.contentBytes, field) };
    }
    case 'textcard': {
      const card: unknown = input.textcard;
      if (!isObject(card)) refuse('textcard', 'is required: { title, description, url }.');
      const out: Record<string, unknown> = {
        title: lengths.bytes(
          requireText(card['title'], 'textcard.title', 41016, 'the card title'),
          MESSAGE_LIMITS.titleBytes,
          'textcard.title',
        ),
        description: lengths.bytes(
          requireText(card['description'], 'textcard.description', 41033, 'the card text'),
          MESSAGE_LIMITS.descriptionBytes,
          'textcard.description',
        ),
        url: requireHttpUrl(card['url'], 'textcard.url', 41010),
      };
      if (card['btntxt'] !== undefined) {
        if (typeof card['btntxt'] !== 'string' || card['btntxt'] === '')
          refuse('textcard.btntxt', 'must be a non-empty string (or left out for 详情).');
        out['btntxt'] = lengths.chars(card['btntxt'], MESSAGE_LIMITS.btntxtChars, 'textcard.btntxt');
      }
      return out;
    }
    case 'news': {
      const news: unknown = input.news;
      const articles = isObject(news) ? news['articles'] : undefined;
      if (!Array.isArray(articles) || articles.length === 0) refuse('news.articles', 'must list 1 to 8 articles.');
      if (articles.length > MESSAGE_LIMITS.articles)
        refuse('news.articles', `lists ${articles.length} articles; WeCom takes at most 8.`, 45008);
      return {
        articles: articles.map((raw: unknown, i) => {
          const at = `news.articles[${i}]`;
          if (!isObject(raw)) refuse(at, 'must be an object { title, url, ... }.');
          const article: Record<string, unknown> = {
            title: lengths.bytes(
              requireText(raw['title'], `${at}.title`, 41016, 'the article title'),
              MESSAGE_LIMITS.titleBytes,
              `${at}.title`,
            ),
          };
          if (raw['description'] !== undefined) {
            if (typeof raw['description'] !== 'string') refuse(`${at}.description`, 'must be a string.');
            article['description'] = lengths.bytes(raw['description'], MESSAGE_LIMITS.descriptionBytes, `${at}.description`);
          }
          const miniProgram =
            typeof raw['appid'] === 'string' && raw['appid'] !== '' && typeof raw['pagepath'] === 'string' && raw['pagepath'] !== '';
          if (miniProgram) {
            article['appid'] = raw['appid'];
            article['pagepath'] = raw['pagepath'];
          }
          if (raw['url'] !== undefined || !miniProgram) article['url'] = requireHttpUrl(raw['url'], `${at}.url`, 41010);
          if (raw['picurl'] !== undefined) article['picurl'] = requireHttpUrl(raw['picurl'], `${at}.picurl`);
          return article;
        }),
      };
    }
    case 'template_card': {
      const card: unknown = input.template_card;
      if (!isObject(card)) refuse('template_card', "is required: { card_type: 'text_notice', main_title, card_action }.");
      // Cards whose buttons call back (interaction-cards.ts).
      if (isInteractionCardType(card['card_type'])) return checkInteractionCard(card) as unknown as Record<string, unknown>;
      if (card['card_type'] !== 'text_notice') {
        refuse(
          'template_card.card_type',
          `must be 'text_notice', 'button_interaction', 'vote_interaction' or 'multiple_interaction', got ${JSON.stringify(card['card_type'])}.`,
        );
      }
      const main = isObject(card['main_title']) ? card['main_title'] : {};
      const hasTitle = typeof main['title'] === 'string' && main['title'].trim() !== '';
      const hasSub = typeof card['sub_title_text'] === 'string' && card['sub_title_text'].trim() !== '';
      if (!hasTitle && !hasSub) refuse('template_card.main_title.title', 'or template_card.sub_title_text is required.');
      const action = card['card_action'];
      if (!isObject(action))
        refuse('template_card.card_action', 'is required for a text_notice card: { type: 1, url } or { type: 2, appid }.');
      if (action['type'] === 1) requireHttpUrl(action['url'], 'template_card.card_action.url');
      else if (action['type'] === 2) requireText(action['appid'], 'template_card.card_action.appid', undefined, 'the mini program appid');
      else
        refuse(
          'template_card.card_action.type',
          `must be 1 (open a URL) or 2 (open a mini program), got ${JSON.stringify(action['type'])}.`,
          42045,
        );
      for (const [i, item] of (Array.isArray(card['horizontal_content_list']) ? card['horizontal_content_list'] : []).entries()) {
        if (isObject(item) && item['type'] === 1) requireHttpUrl(item['url'], `template_card.horizontal_content_list[${i}].url`);
      }
      for (const [i, item] of (Array.isArray(card['jump_list']) ? card['jump_list'] : []).entries()) {
        if (isObject(item) && item['type'] === 1) requireHttpUrl(item['url'], `template_card.jump_list[${i}].url`);
      }
      return structuredClone(card);
    }
    default:
      return refuse(
        'msgtype',
        `must be 'text', 'markdown', 'textcard', 'news' or 'template_card', got ${JSON.stringify((input as { msgtype?: unknown }).msgtype)}.`,
        40008,
      );
  }
}

/** The message/send body for `input`, or a WeComRequestError saying what to fix. No I/O. */
export function prepareMessage(agentId: number, input: SendMessageInput): Prepared {
  if (!isObject(input))
    refuse('input', "must be an object such as { toUser: 'zhangsan', msgtype: 'textcard', textcard: { title, description, url } }.");
  const mode = input.onTooLong ?? 'error';
  if (mode !== 'error' && mode !== 'truncate') refuse('onTooLong', `must be 'error' or 'truncate', got ${JSON.stringify(mode)}.`);

  const all = input.toUser === '@all';
  const users = all ? [] : recipientList(input.toUser, 'toUser', false);
  const parties = all ? [] : recipientList(input.toParty, 'toParty', true);
  const tags = all ? [] : recipientList(input.toTag, 'toTag', true);
  if (users.includes('@all')) refuse('toUser', "is '@all' alone or a list of userids, not both.");
  if (users.length > MESSAGE_LIMITS.users)
    refuse('toUser', `lists ${users.length} users; WeCom takes at most 1,000 a message: split the list.`, 40032);
  if (parties.length > MESSAGE_LIMITS.parties) refuse('toParty', `lists ${parties.length} departments; WeCom takes at most 100.`, 82002);
  if (tags.length > MESSAGE_LIMITS.tags) refuse('toTag', `lists ${tags.length} tags; WeCom takes at most 100.`, 82003);
  if (!all && users.length + parties.length + tags.length === 0) {
    refuse('toUser', "is empty, and so are toParty and toTag: name at least one recipient (or '@all').", ALL_RECIPIENTS_INVALID);
  }

  const lengths = new Lengths(mode);
  const content = prepareContent(input, lengths);

  const json: Record<string, unknown> = { agentid: agentId, msgtype: input.msgtype, [input.msgtype]: content };
  if (all) json['touser'] = '@all';
  else {
    if (users.length) json['touser'] = users.join('|');
    if (parties.length) json['toparty'] = parties.join('|');
    if (tags.length) json['totag'] = tags.join('|');
  }
  if (input.safe !== undefined) {
    if (typeof input.safe !== 'boolean') refuse('safe', 'must be true or false.');
    if (input.safe && input.msgtype === 'news') refuse('safe', 'cannot be used with news messages.', 40074);
    json['safe'] = input.safe ? 1 : 0;
  }
  if (input.enableIdTrans !== undefined) json['enable_id_trans'] = input.enableIdTrans ? 1 : 0;
  if (input.enableDuplicateCheck !== undefined) json['enable_duplicate_check'] = input.enableDuplicateCheck ? 1 : 0;
  if (input.duplicateCheckIntervalSeconds !== undefined) {
    const s = input.duplicateCheckIntervalSeconds;
    if (!Number.isSafeInteger(s) || s < 1 || s > MESSAGE_LIMITS.duplicateCheckMaxSeconds) {
      refuse('duplicateCheckIntervalSeconds', `must be a whole number of seconds from 1 to 14400 (4 hours), got ${String(s)}.`);
    }
    json['duplicate_check_interval'] = s;
  }
  return { json, truncated: lengths.truncated };
}

function listField(body: Record<string, unknown>, name: string): string[] {
  const value = body[name];
  if (typeof value === 'string')
    return value
      .split('|')
      .map((s) => s.trim())
      .filter((s) => s !== '');
  if (Array.isArray(value)) return value.map(String).filter((s) => s !== '');
  return [];
}

/** Reads message/send's answer: the lists of refused recipients, or a WeComRecipientsError for 81013. */
export function readSendAnswer(body: Record<string, unknown>, truncated: TruncatedField[]): SendMessageResult {
  const lists = {
    invalidUsers: listField(body, 'invaliduser'),
    invalidParties: listField(body, 'invalidparty'),
    invalidTags: listField(body, 'invalidtag'),
    unlicensedUsers: listField(body, 'unlicenseduser'),
  };
  const errcode = typeof body['errcode'] === 'number' ? body['errcode'] : Number(body['errcode'] ?? 0);
  if (errcode === ALL_RECIPIENTS_INVALID) {
    throw new WeComRecipientsError(errcode, typeof body['errmsg'] === 'string' ? body['errmsg'] : '', lists);
  }
  const result: SendMessageResult = {
    msgid: typeof body['msgid'] === 'string' && body['msgid'] !== '' ? body['msgid'] : undefined,
    ...lists,
    truncated,
  };
  if (typeof body['response_code'] === 'string' && body['response_code'] !== '') result.responseCode = body['response_code'];
  return result;
}

/** POST message/send: checks, sends once, reads the answer. */
export async function sendMessage(call: ApiCall, agentId: number | undefined, input: SendMessageInput): Promise<SendMessageResult> {
  const prepared = prepareMessage(requireAgentId('sendMessage', agentId), input);
  const body = await call(SEND, { method: 'POST', json: prepared.json, idempotent: false, answerErrcodes: [ALL_RECIPIENTS_INVALID] });
  return readSendAnswer(body, prepared.truncated);
}

/** POST message/recall: takes back a message sent in the last 24 hours (from the WeCom apps, not the WeChat plugin). */
export async function recallMessage(call: ApiCall, msgid: string): Promise<void> {
  if (typeof msgid !== 'string' || msgid.trim() === '') {
    throw new WeComRequestError('message/recall', 'msgid', 'is required: the msgid that sendMessage returned.');
  }
  await call('message/recall', { method: 'POST', json: { msgid }, idempotent: false });
}
