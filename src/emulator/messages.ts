// App messages: message/send (https://developer.work.weixin.qq.com/document/path/90236) and
// message/recall (https://developer.work.weixin.qq.com/document/path/94867), with WeCom's checks
// and errcodes (https://developer.work.weixin.qq.com/document/path/90313). Where the
// documentation names no errcode the choice is marked [assumed].
import { byteLength, fail, jsonBody, ok, ownAgent } from './handler.ts';
import type { ApiAnswer, Caller, Handler } from './handler.ts';
import { findMember, isPartyInRange, isVisible, membersOfParty, partyExists } from './state.ts';
import { checkInteractiveCard, registerCard } from './template-cards.ts';
import { opaque } from './tokens.ts';
import type { SentMessage } from './types.ts';

const MSGTYPES: readonly string[] = [
  'text',
  'image',
  'voice',
  'video',
  'file',
  'textcard',
  'news',
  'mpnews',
  'markdown',
  'miniprogram_notice',
  'template_card',
];

/** Recipient limits of 90236: 1,000 users (40032), 100 departments (82002), 100 tags (82003). */
export const RECIPIENT_LIMITS = { users: 1000, parties: 100, tags: 100 } as const;

/** Per app and member: 30 messages a minute, 1,000 an hour (90236; https://developer.work.weixin.qq.com/document/path/90454). */
export const MEMBER_RATE = { perMinute: 30, perHour: 1000 } as const;

/** A message can be recalled for 24 hours (94867). */
export const RECALL_WINDOW_MS = 24 * 3600_000;

const DUPLICATE_INTERVAL = { defaultSeconds: 1800, maxSeconds: 4 * 3600 } as const;

/** Over-long fields are cut to these lengths (bytes, UTF-8), not refused (90236). */
const BYTE_LIMITS = {
  'text.content': 2048,
  'markdown.content': 2048,
  'textcard.title': 128,
  'textcard.description': 512,
  'textcard.url': 2048,
  'news.title': 128,
  'news.description': 512,
  'news.url': 2048,
  'news.picurl': 2048,
} as const;

/** textcard.btntxt: at most 4 characters. */
const BTNTXT_CHARS = 4;

const TEMPLATE_CARD_TYPES: readonly string[] = [
  'text_notice',
  'news_notice',
  'button_interaction',
  'vote_interaction',
  'multiple_interaction',
];

type Obj = Record<string, unknown>;

function isObj(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function nonEmpty(value: unknown): value is string {
  return typeof value === 'string' && value.trim() !== '';
}

function isHttpUrl(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

/** The longest prefix of whole characters within `limit` UTF-8 bytes. */
export function cutToBytes(value: string, limit: number): string {
  if (byteLength(value) <= limit) return value;
  let bytes = 0;
  let out = '';
  for (const char of value) {
    bytes += byteLength(char);
    if (bytes > limit) break;
    out += char;
  }
  return out;
}

/** A `|`-joined list (or a number, for toparty/totag): trimmed, empty items dropped. */
function splitList(raw: unknown): string[] {
  if (typeof raw === 'number') return [String(raw)];
  if (typeof raw !== 'string') return [];
  return raw
    .split('|')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

interface Content {
  content: Obj;
  truncated: string[];
}

/** Cuts `o[field]` to its limit, noting `path` when it was cut. */
function cutField(o: Obj, field: string, limit: number, path: string, truncated: string[]): void {
  const value = o[field];
  if (typeof value !== 'string') return;
  const cut = cutToBytes(value, limit);
  if (cut !== value) {
    o[field] = cut;
    truncated.push(path);
  }
}

/** The message body under its msgtype key, checked; a copy with over-long fields cut. */
function checkContent(msgtype: string, raw: unknown, body: Obj): Content | ApiAnswer {
  const content: Obj = isObj(raw) ? structuredClone(raw) : {};
  const truncated: string[] = [];
  switch (msgtype) {
    case 'text':
    case 'markdown': {
      if (!nonEmpty(content['content'])) return fail(44004);
      cutField(content, 'content', BYTE_LIMITS[`${msgtype}.content`], `${msgtype}.content`, truncated);
      return { content, truncated };
    }
    case 'textcard': {
      if (!nonEmpty(content['title'])) return fail(41016);
      if (!nonEmpty(content['description'])) return fail(41033);
      if (!nonEmpty(content['url'])) return fail(41010); // [assumed] "missing url"
      if (!isHttpUrl(content['url'])) return fail(40058, {}, 'invalid url: textcard.url must start with http:// or https://'); // [assumed]
      cutField(content, 'title', BYTE_LIMITS['textcard.title'], 'textcard.title', truncated);
      cutField(content, 'description', BYTE_LIMITS['textcard.description'], 'textcard.description', truncated);
      cutField(content, 'url', BYTE_LIMITS['textcard.url'], 'textcard.url', truncated);
      const btntxt = content['btntxt'];
      if (typeof btntxt === 'string' && [...btntxt].length > BTNTXT_CHARS) {
        content['btntxt'] = [...btntxt].slice(0, BTNTXT_CHARS).join('');
        truncated.push('textcard.btntxt');
      }
      return { content, truncated };
    }
    case 'news': {
      // news cannot be sent as a confidential message (90313: 40074).
      if (body['safe'] === 1) return fail(40074);
      const articles = content['articles'];
      if (!Array.isArray(articles) || articles.length === 0) return fail(40058, {}, 'invalid parameter: news.articles is empty'); // [assumed]
      if (articles.length > 8) return fail(45008);
      for (const [i, article] of articles.entries()) {
        if (!isObj(article) || !nonEmpty(article['title'])) return fail(41016);
        const miniProgram = nonEmpty(article['appid']) && nonEmpty(article['pagepath']);
        if (!miniProgram && !nonEmpty(article['url'])) return fail(41010); // [assumed]
        if (article['url'] !== undefined && !miniProgram && !isHttpUrl(article['url'])) {
          return fail(40058, {}, `invalid url: news.articles[${i}].url must start with http:// or https://`); // [assumed]
        }
        for (const field of ['title', 'description', 'url', 'picurl'] as const) {
          cutField(article, field, BYTE_LIMITS[`news.${field}`], `news.articles[${i}].${field}`, truncated);
        }
      }
      return { content, truncated };
    }
    case 'template_card': {
      const cardType = content['card_type'];
      if (typeof cardType !== 'string' || !TEMPLATE_CARD_TYPES.includes(cardType)) {
        return fail(40058, {}, 'invalid parameter: template_card.card_type'); // [assumed]
      }
      if (cardType !== 'text_notice') return { content, truncated }; // stored as sent; only text_notice is checked
      const mainTitle = isObj(content['main_title']) ? content['main_title'] : {};
      if (!nonEmpty(mainTitle['title']) && !nonEmpty(content['sub_title_text'])) {
        return fail(40058, {}, 'invalid parameter: template_card needs main_title.title or sub_title_text'); // [assumed]
      }
      const action = content['card_action'];
      // card_action is mandatory for text_notice; its type is 1 (a URL) or 2 (a mini program).
      if (!isObj(action)) return fail(40058, {}, 'invalid parameter: template_card.card_action is required'); // [assumed]
      if (action['type'] === 1) {
        if (!isHttpUrl(action['url'])) return fail(40058, {}, 'invalid url: template_card.card_action.url'); // [assumed]
      } else if (action['type'] === 2) {
        if (!nonEmpty(action['appid'])) return fail(40058, {}, 'invalid parameter: template_card.card_action.appid'); // [assumed]
      } else {
        return fail(42045); // [assumed] as group robots answer a card_action type they do not take
      }
      return { content, truncated };
    }
    default:
      // image, voice, video, file, mpnews, miniprogram_notice: stored as sent.
      return { content, truncated };
  }
}

interface Resolved {
  delivered: string[];
  invalidUsers: string[];
  invalidParties: string[];
  invalidTags: string[];
  unlicensed: string[];
  anyValid: boolean;
}

/**
 * Who gets the message. `@all` is everyone in the app's visible range (toparty/totag then
 * ignored). Unknown userids and members outside the range are listed (lower-cased) in
 * `invaliduser`; a department or tag is valid when it exists and lies in the range [assumed for
 * tags]. Members without a licence are listed in `unlicenseduser` and get nothing.
 */
function resolveRecipients(caller: Caller, users: string[], parties: string[], tags: string[], all: boolean): Resolved {
  const { corp, app } = caller;
  const out: Resolved = { delivered: [], invalidUsers: [], invalidParties: [], invalidTags: [], unlicensed: [], anyValid: false };
  const chosen = new Set<string>();
  const add = (userId: string): void => {
    const member = findMember(corp, userId);
    if (!member || chosen.has(member.userId)) return;
    chosen.add(member.userId);
    if (member.licensed === false) out.unlicensed.push(member.userId);
    else out.delivered.push(member.userId);
  };
  if (all) {
    for (const member of corp.members) if (isVisible(corp, app, member.userId)) add(member.userId);
    out.anyValid = chosen.size > 0;
    return out;
  }
  for (const raw of users) {
    // userids are case-insensitive; WeCom answers the invalid ones lower-cased.
    const member = corp.members.find((m) => m.userId.toLowerCase() === raw.toLowerCase());
    if (!member || !isVisible(corp, app, member.userId)) {
      if (!out.invalidUsers.includes(raw.toLowerCase())) out.invalidUsers.push(raw.toLowerCase());
      continue;
    }
    out.anyValid = true;
    add(member.userId);
  }
  for (const raw of parties) {
    const id = /^\d{1,12}$/.test(raw) ? Number(raw) : NaN;
    if (!Number.isSafeInteger(id) || !partyExists(corp, id) || !isPartyInRange(corp, app.visiblePartyIds ?? [], id)) {
      if (!out.invalidParties.includes(raw)) out.invalidParties.push(raw);
      continue;
    }
    out.anyValid = true;
    for (const member of membersOfParty(corp, id)) add(member.userId);
  }
  for (const raw of tags) {
    const tag = (corp.tags ?? []).find((t) => String(t.tagId) === raw);
    if (!tag || !(app.visibleTagIds ?? []).includes(tag.tagId)) {
      if (!out.invalidTags.includes(raw)) out.invalidTags.push(raw);
      continue;
    }
    out.anyValid = true;
    for (const userId of tag.userIds) add(userId);
  }
  return out;
}

function lists(resolved: Resolved): Obj {
  const body: Obj = { invaliduser: resolved.invalidUsers.join('|') };
  if (resolved.invalidParties.length > 0) body['invalidparty'] = resolved.invalidParties.join('|');
  if (resolved.invalidTags.length > 0) body['invalidtag'] = resolved.invalidTags.join('|');
  if (resolved.unlicensed.length > 0) body['unlicenseduser'] = resolved.unlicensed.join('|');
  return body;
}

function duplicateInterval(body: Obj): number | undefined {
  if (body['enable_duplicate_check'] !== 1) return undefined;
  const raw = body['duplicate_check_interval'];
  const seconds = typeof raw === 'number' && Number.isFinite(raw) && raw > 0 ? raw : DUPLICATE_INTERVAL.defaultSeconds;
  return Math.min(seconds, DUPLICATE_INTERVAL.maxSeconds) * 1000;
}

// POST message/send. Checks in this order: body, agentid, msgtype, recipient counts, content,
// recipients, duplicate check, per-member rate.
export const messageSend: Handler = (state, req, caller) => {
  const read = jsonBody(req);
  if ('refused' in read) return read.refused;
  const body = read.body;
  const refused = ownAgent(body['agentid'], caller);
  if (refused) return refused;
  const msgtype = body['msgtype'];
  if (typeof msgtype !== 'string' || !MSGTYPES.includes(msgtype)) return fail(40008);

  const all = typeof body['touser'] === 'string' && body['touser'].trim() === '@all';
  const users = all ? [] : splitList(body['touser']);
  const parties = all ? [] : splitList(body['toparty']);
  const tags = all ? [] : splitList(body['totag']);
  if (users.length > RECIPIENT_LIMITS.users) return fail(40032);
  if (parties.length > RECIPIENT_LIMITS.parties) return fail(82002);
  if (tags.length > RECIPIENT_LIMITS.tags) return fail(82003);
  // No recipient at all: answered like "all invalid" [assumed].
  if (!all && users.length + parties.length + tags.length === 0) return fail(81013, { invaliduser: '' });

  const checked = checkContent(msgtype, body[msgtype], body);
  if ('errcode' in checked) return checked;
  const cardRefused = msgtype === 'template_card' ? checkInteractiveCard(state, caller, checked.content) : undefined;
  if (cardRefused) return cardRefused;

  const resolved = resolveRecipients(caller, users, parties, tags, all);
  if (!resolved.anyValid) return fail(81013, lists(resolved));

  const now = state.clock.now();
  const corpId = caller.corp.corpId;
  const agentId = caller.app.agentId;
  const interval = duplicateInterval(body);
  // "The same content": the request JSON as sent, key order included.
  const duplicateKey = `${corpId}/${agentId}/${JSON.stringify(body)}`;
  if (interval !== undefined) {
    // An identical request inside the interval is not delivered again [reply assumed: ok, first msgid].
    const first = state.messages.duplicateOf(duplicateKey, now);
    if (first !== undefined) return ok({ ...lists(resolved), msgid: first });
  }

  const key = (userId: string): string => `${corpId}/${agentId}/${userId}`;
  const over = resolved.delivered.filter(
    (u) =>
      state.messages.recentDeliveries(key(u), now, 60_000) >= MEMBER_RATE.perMinute ||
      state.messages.recentDeliveries(key(u), now, 3600_000) >= MEMBER_RATE.perHour,
  );
  if (over.length > 0 && state.messageRateLimit === 'error') return fail(45009);
  const delivered = resolved.delivered.filter((u) => !over.includes(u));
  for (const userId of delivered) state.messages.recordDelivery(key(userId), now);

  const message: SentMessage = {
    msgid: opaque(36),
    corpId,
    agentId,
    msgtype,
    content: checked.content,
    truncated: checked.truncated,
    deliveredTo: delivered,
    invalidUsers: resolved.invalidUsers,
    invalidParties: resolved.invalidParties,
    invalidTags: resolved.invalidTags,
    unlicensedUsers: resolved.unlicensed,
    dropped: over,
    sentAt: now,
  };
  state.messages.add(message);
  if (interval !== undefined) state.messages.rememberRequest(duplicateKey, message.msgid, now + interval);
  const answer: Obj = { ...lists(resolved), msgid: message.msgid };
  // Template cards get a response_code for updating them later (https://developer.work.weixin.qq.com/document/path/94888).
  if (msgtype === 'template_card') answer['response_code'] = registerCard(state, message);
  return ok(answer);
};

// POST message/recall {"msgid"}: a message of this app sent in the last 24 hours.
export const messageRecall: Handler = (state, req, caller) => {
  const read = jsonBody(req);
  if ('refused' in read) return read.refused;
  const msgid = read.body['msgid'];
  // The documentation names no errcode for an unknown, foreign or old msgid [assumed: 40058].
  if (!nonEmpty(msgid)) return fail(40058, {}, 'invalid parameter: msgid is required');
  const message = state.messages.get(msgid);
  const now = state.clock.now();
  if (!message || message.corpId !== caller.corp.corpId || message.agentId !== caller.app.agentId) {
    return fail(40058, {}, 'invalid parameter: unknown msgid');
  }
  if (message.recalledAt !== undefined) return fail(40058, {}, 'invalid parameter: the message was already recalled');
  if (now - message.sentAt > RECALL_WINDOW_MS) return fail(40058, {}, 'invalid parameter: the message is older than 24 hours');
  message.recalledAt = now;
  return ok({});
};
