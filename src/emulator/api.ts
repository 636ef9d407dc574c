// The qyapi.weixin.qq.com side: /cgi-bin/<api>. Each handler is a synchronous function of the
// state and the request, so check-and-consume steps (codes, tickets) cannot interleave with
// another request. The server adds the envelope (errmsg with hint, headers), faults and the log.
import { randomBytes } from 'node:crypto';
import { deviceIdFor, expiresInSeconds, findApp, findCorp, findMember, findMiniProgram, findNonMember, isVisible } from './state.ts';
import { TOKEN_TTL_MS, TICKET_TTL_MS, USER_TICKET_TTL_MS } from './tokens.ts';
import { SENSITIVE_FIELDS } from './types.ts';
import { agentGet, agentSet } from './agent.ts';
import { fail, ok, param } from './handler.ts';
import { menuCreate, menuDelete, menuGet } from './menu.ts';
import { messageRecall, messageSend } from './messages.ts';
import { updateTemplateCard } from './template-cards.ts';
import type { ApiAnswer, ApiRequest, Caller, Handler } from './handler.ts';
import type { EmulatorState } from './state.ts';
import type { OAuthCode } from './codes.ts';
import type { FixtureApp, FixtureMember, SensitiveField } from './types.ts';

// §3 gettoken: corpsecret is checked before corpid (41004 first), per the captures in §8.
function gettoken(state: EmulatorState, req: ApiRequest): ApiAnswer {
  const secret = param(req, 'corpsecret');
  if (secret === undefined) return fail(41004);
  const corpId = param(req, 'corpid');
  if (corpId === undefined) return fail(41002);
  const corp = findCorp(state, corpId);
  if (!corp) return fail(40013);
  const app = corp.apps.find((a) => a.secret === secret);
  if (!app) return fail(40001);
  if (!app.enabled) return fail(50003);
  const { token, expiresAt } = state.tokens.issue(corp.corpId, app.agentId, state.clock.now());
  // A repeat fetch returns the same token. By default it reports 7200 although the token expires on
  // its first schedule (the worst case for a client, which must then cope with 42001 before its
  // cached expiry); `repeatExpiresIn: 'remaining'` reports the seconds left instead.
  return ok({ access_token: token, expires_in: expiresInSeconds(state, expiresAt, TOKEN_TTL_MS) });
}

/** Token (query string only, §8), then app, then trusted IP (§10; gettoken is exempt). */
function authenticate(state: EmulatorState, req: ApiRequest): Caller | ApiAnswer {
  const token = param(req, 'access_token');
  if (token === undefined) return fail(41001);
  const check = state.tokens.check(token, state.clock.now());
  if (!check.ok) return fail(check.reason === 'expired' ? state.expiredTokenErrcode : 40014);
  const corp = findCorp(state, check.corpId);
  const app = corp && findApp(corp, check.agentId);
  if (!corp || !app) return fail(40014);
  if (!app.enabled) return fail(50003);
  if (app.trustedIps !== undefined && !app.trustedIps.includes(req.ip)) return fail(60020);
  return { corp, app };
}

/** Shared code rules of both getuserinfo APIs (docs/emulator.md, item 5). */
function consumeCode(state: EmulatorState, req: ApiRequest, caller: Caller): OAuthCode | ApiAnswer {
  const code = param(req, 'code');
  if (code === undefined) return fail(41008);
  const binding = state.codes.consume(code, state.clock.now());
  if (!binding || binding.corpId !== caller.corp.corpId) return fail(40029);
  // §4: the redirect domain must exactly match a trusted domain of the app owning the token;
  // this also catches app A's code exchanged with app B's token (§10).
  if (!caller.app.trustedDomains.includes(binding.redirectHost)) return fail(50001);
  return binding;
}

function wantsUserTicket(binding: OAuthCode, caller: Caller): boolean {
  // §4: only for scope privateinfo and a member in the visible range; never for web login (§2).
  return (
    binding.flow === 'oauth' &&
    binding.scope === 'snsapi_privateinfo' &&
    binding.actor.kind === 'member' &&
    isVisible(caller.corp, caller.app, binding.actor.userId)
  );
}

// §4 current API: lower-case userid / openid.
const authGetUserInfo: Handler = (state, req, caller) => {
  const binding = consumeCode(state, req, caller);
  if (!('flow' in binding)) return binding;
  const { actor } = binding;
  if (actor.kind === 'nonMember') {
    const visitor = findNonMember(caller.corp, actor.openId);
    return ok({ openid: actor.openId, ...(visitor?.externalUserId ? { external_userid: visitor.externalUserId } : {}) });
  }
  if (!wantsUserTicket(binding, caller)) return ok({ userid: actor.userId });
  const ticket = state.userTickets.issue(caller.corp.corpId, caller.app.agentId, actor.userId, state.clock.now());
  return ok({ userid: actor.userId, user_ticket: ticket });
};

// §4 legacy API: PascalCase UserId/OpenId plus DeviceId; agentid is ignored (docs/emulator.md, item 7).
const userGetUserInfo: Handler = (state, req, caller) => {
  const binding = consumeCode(state, req, caller);
  if (!('flow' in binding)) return binding;
  const { actor } = binding;
  const corpId = caller.corp.corpId;
  if (actor.kind === 'nonMember') return ok({ OpenId: actor.openId, DeviceId: deviceIdFor(state, corpId, `o:${actor.openId}`) });
  const body: Record<string, unknown> = { UserId: actor.userId, DeviceId: deviceIdFor(state, corpId, `u:${actor.userId}`) };
  if (wantsUserTicket(binding, caller)) {
    body['user_ticket'] = state.userTickets.issue(corpId, caller.app.agentId, actor.userId, state.clock.now());
    body['expires_in'] = USER_TICKET_TTL_MS / 1000;
  }
  return ok(body);
};

function enabledSensitiveFields(app: FixtureApp): readonly SensitiveField[] {
  if (app.sensitiveFieldsEnabled === true) return SENSITIVE_FIELDS;
  return app.sensitiveFieldsEnabled === false ? [] : app.sensitiveFieldsEnabled;
}

function sensitiveValue(member: FixtureMember, field: SensitiveField): string {
  switch (field) {
    case 'gender':
      return member.gender ?? '0';
    case 'avatar':
      return member.avatar ?? '';
    case 'qr_code':
      return member.qrCode ?? '';
    case 'mobile':
      return member.mobile ?? '';
    case 'email':
      return member.email ?? '';
    case 'biz_mail':
      return member.bizMail ?? '';
    case 'address':
      return member.address ?? '';
  }
}

// §5 getuserdetail: POST {user_ticket}; only the fields the admin enabled for the app.
const authGetUserDetail: Handler = (state, req, caller) => {
  if (req.method !== 'POST') return fail(43002);
  if (req.bodyInvalid) return fail(47001);
  const body = req.body;
  const ticket = typeof body === 'object' && body !== null && 'user_ticket' in body ? body.user_ticket : undefined;
  if (typeof ticket !== 'string' || ticket === '') return fail(84090);
  const record = state.userTickets.get(ticket, state.clock.now());
  if (!record || record.corpId !== caller.corp.corpId) return fail(84015);
  const member = findMember(caller.corp, record.userId);
  // "Member must be in the visible range" (§5): checked now, not when the ticket was issued.
  if (!member || !isVisible(caller.corp, caller.app, member.userId)) return fail(60011);
  const detail: Record<string, unknown> = { userid: member.userId };
  for (const field of enabledSensitiveFields(caller.app)) detail[field] = sensitiveValue(member, field);
  return ok(detail);
};

// §5 "Error bodies still carry empty arrays".
const USER_GET_EMPTY = { department: [], order: [], is_leader_in_dept: [], direct_leader: [] };

// §5 user/get: since 2022-06-20 new apps no longer receive the sensitive fields.
const userGet: Handler = (_state, req, caller) => {
  const userId = param(req, 'userid');
  if (userId === undefined) return fail(41009, USER_GET_EMPTY);
  const member = findMember(caller.corp, userId);
  if (!member) return fail(60111, USER_GET_EMPTY);
  if (!isVisible(caller.corp, caller.app, userId)) return fail(60011, USER_GET_EMPTY);
  const body: Record<string, unknown> = {
    userid: member.userId,
    name: member.name,
    department: member.department,
    order: member.department.map(() => 0),
    position: member.position ?? '',
    is_leader_in_dept: member.department.map(() => 0),
    direct_leader: [],
    telephone: member.telephone ?? '',
    alias: member.alias ?? '',
    status: member.status ?? 1,
    main_department: member.department[0] ?? 1,
    extattr: { attrs: [] },
  };
  if (!caller.app.createdAfter20220620) {
    Object.assign(body, {
      mobile: member.mobile ?? '',
      gender: member.gender ?? '0',
      email: member.email ?? '',
      biz_mail: member.bizMail ?? '',
      avatar: member.avatar ?? '',
      thumb_avatar: member.thumbAvatar ?? '',
      qr_code: member.qrCode ?? '',
      address: member.address ?? '',
    });
  }
  return ok(body);
};

// §6 jscode2session: the token must belong to the app the mini program is associated with.
const jscode2session: Handler = (state, req, caller) => {
  const jsCode = param(req, 'js_code');
  if (jsCode === undefined) return fail(41008);
  if (param(req, 'grant_type') !== 'authorization_code') return fail(40002);
  const binding = state.miniProgramCodes.consume(jsCode, state.clock.now());
  if (!binding) return fail(40029);
  const owner = findMiniProgram(state, binding.appId);
  if (!owner || owner.corp.corpId !== caller.corp.corpId || owner.miniProgram.agentId !== caller.app.agentId) return fail(92002);
  return {
    errcode: 0,
    body: { corpid: binding.corpId, userid: binding.userId, session_key: randomBytes(16).toString('base64'), errcode: 0, errmsg: 'ok' },
  };
};

// §7 tickets: the same ticket while valid; 400/h per corp, 100/h per app.
const getJsapiTicket: Handler = (state, _req, caller) => {
  const now = state.clock.now();
  if (!state.jsapiTicketRate.hit(caller.corp.corpId, now)) return fail(45009);
  const { ticket, expiresAt } = state.jsapiTickets.get(caller.corp.corpId, now);
  return ok({ ticket, expires_in: expiresInSeconds(state, expiresAt, TICKET_TTL_MS) });
};

const ticketGet: Handler = (state, req, caller) => {
  if (param(req, 'type') !== 'agent_config') return fail(40058);
  const now = state.clock.now();
  const key = `${caller.corp.corpId}/${caller.app.agentId}`;
  if (!state.agentTicketRate.hit(key, now)) return fail(45009);
  const { ticket, expiresAt } = state.agentTickets.get(key, now);
  return ok({ ticket, expires_in: expiresInSeconds(state, expiresAt, TICKET_TTL_MS) });
};

const HANDLERS: Readonly<Record<string, Handler>> = {
  'auth/getuserinfo': authGetUserInfo,
  'user/getuserinfo': userGetUserInfo,
  'auth/getuserdetail': authGetUserDetail,
  'user/get': userGet,
  'miniprogram/jscode2session': jscode2session,
  get_jsapi_ticket: getJsapiTicket,
  'ticket/get': ticketGet,
  'message/send': messageSend,
  'message/recall': messageRecall,
  'message/update_template_card': updateTemplateCard,
  'menu/create': menuCreate,
  'menu/get': menuGet,
  'menu/delete': menuDelete,
  'agent/get': agentGet,
  'agent/set': agentSet,
};

export function isKnownApi(api: string): boolean {
  return api === 'gettoken' || Object.hasOwn(HANDLERS, api);
}

export function handleApi(state: EmulatorState, req: ApiRequest): ApiAnswer {
  if (req.api === 'gettoken') return gettoken(state, req);
  const handler = Object.hasOwn(HANDLERS, req.api) ? HANDLERS[req.api] : undefined;
  if (!handler) throw new Error(`not an API: ${req.api}`);
  const caller = authenticate(state, req);
  if ('errcode' in caller) return caller;
  return handler(state, req, caller);
}
