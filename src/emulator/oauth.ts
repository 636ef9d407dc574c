// The browser-facing hosts: open.weixin.qq.com/connect/oauth2/authorize (docs/wecom-api.md §1) and
// login.work.weixin.qq.com/wwlogin/sso/login with the old open.work.weixin.qq.com/wwopen/sso/qrConnect
// (§2). They decide who the simulated person is, issue a code bound to that person and redirect.
import { memberLoginRefusal } from './member-status.ts';
import { findApp, findCorp, findMember, findNonMember, isVisible } from './state.ts';
import { domainErrorPage, memberPickerPage, messagePage, openInWeComPage, qrLoginPage, webLoginDonePage } from './pages.ts';
import type { Actor, OAuthScope } from './codes.ts';
import type { Choice } from './pages.ts';
import type { EmulatorState } from './state.ts';
import type { FixtureApp, FixtureCorp } from './types.ts';

export type PageAnswer = { kind: 'html'; status: number; html: string; setCookie?: string } | { kind: 'redirect'; location: string };

export interface PageRequest {
  path: string;
  query: URLSearchParams;
  userAgent: string;
  /** The X-WeCom-Emulator-User request header: a member's userid or a visitor's openid. */
  emulatorUser: string | undefined;
  /** The member whose client page (/client) this browser opened last, from its cookie. */
  cookieUser: string | undefined;
}

/** Query parameters the emulator's own pages add to links; never part of WeCom's API. */
export const USER_PARAM = '__emulator_user';
export const ACTION_PARAM = '__emulator_action';

const SCOPES: readonly string[] = ['snsapi_base', 'snsapi_privateinfo', 'snsapi_userinfo'];
const STATE = /^[A-Za-z0-9]{0,128}$/; // §1: a-zA-Z0-9 only, at most 128 bytes

const page = (status: number, body: string): PageAnswer => ({ kind: 'html', status, html: body });
const badRequest = (zh: string, en: string, detail?: string): PageAnswer => page(400, messagePage(zh, en, detail));

/** redirect_uri + (`?` or `&`) + params, before any fragment (§1: `…query?action=get&code=…&state=`). */
export function appendParams(redirectUri: string, params: string): string {
  const hash = redirectUri.indexOf('#');
  const base = hash === -1 ? redirectUri : redirectUri.slice(0, hash);
  const fragment = hash === -1 ? '' : redirectUri.slice(hash);
  const separator = !base.includes('?') ? '?' : base.endsWith('?') || base.endsWith('&') ? '' : '&';
  return `${base}${separator}${params}${fragment}`;
}

function codeAndState(code: string, state: string): string {
  return `code=${encodeURIComponent(code)}&state=${encodeURIComponent(state)}`;
}

/** host[:port] of an absolute http(s) redirect_uri, or undefined if it is not one. */
function redirectHost(redirectUri: string): string | undefined {
  let url: URL;
  try {
    url = new URL(redirectUri);
  } catch {
    return undefined;
  }
  return url.protocol === 'http:' || url.protocol === 'https:' ? url.host : undefined;
}

/** §1: the client shows the uriconfirm page instead of following an untrusted redirect_uri. */
function domainError(redirectUri: string): PageAnswer {
  return { kind: 'redirect', location: `/wwopen/uriconfirm?err_type=domain_err&uri=${encodeURIComponent(redirectUri)}` };
}

export function uriConfirmPage(query: URLSearchParams): PageAnswer {
  return page(200, domainErrorPage(query.get('uri') ?? ''));
}

function resolveActor(corp: FixtureCorp, who: string): Actor | undefined {
  if (findMember(corp, who)) return { kind: 'member', userId: who };
  if (findNonMember(corp, who)) return { kind: 'nonMember', openId: who };
  return undefined;
}

function unknownUser(who: string): PageAnswer {
  return badRequest('未知的模拟用户', 'Unknown emulator user (not a member userid or visitor openid of this corp).', who);
}

function linkWith(req: PageRequest, name: string, value: string): string {
  const query = new URLSearchParams(req.query);
  query.delete(USER_PARAM);
  query.delete(ACTION_PARAM);
  query.set(name, value);
  return `${req.path}?${query.toString()}`;
}

function choices(req: PageRequest, corp: FixtureCorp, app: FixtureApp | undefined): Choice[] {
  const members = corp.members.map((m) => ({
    label: m.name,
    detail: `${m.userId}${app && !isVisible(corp, app, m.userId) ? ' · 不在可见范围 outside the visible range' : ''}`,
    href: linkWith(req, USER_PARAM, m.userId),
  }));
  const visitors = corp.nonMembers.map((n) => ({
    label: `个人微信访客：${n.name}`,
    detail: `personal WeChat visitor · ${n.openId}`,
    href: linkWith(req, USER_PARAM, n.openId),
  }));
  return [...members, ...visitors];
}

interface Target {
  corp: FixtureCorp;
  redirectUri: string;
  host: string;
}

function parseAgentId(raw: string | null, corp: FixtureCorp): FixtureApp | 'missing' | 'invalid' {
  if (raw === null || raw === '') return 'missing';
  if (!/^\d{1,16}$/.test(raw)) return 'invalid';
  return findApp(corp, Number(raw)) ?? 'invalid';
}

function commonChecks(state: EmulatorState, req: PageRequest): Target | PageAnswer {
  const corpId = req.query.get('appid');
  const corp = corpId ? findCorp(state, corpId) : undefined;
  if (!corp) return badRequest('参数错误：appid 无效', 'Invalid appid: it must be the corp ID.', corpId ?? '');
  const redirectUri = req.query.get('redirect_uri') ?? '';
  const host = redirectHost(redirectUri);
  if (host === undefined)
    return badRequest(
      '参数错误：redirect_uri 无效',
      'Invalid redirect_uri: an absolute http(s) URL, URL-encoded, is required.',
      redirectUri,
    );
  return { corp, redirectUri, host };
}

/** GET /connect/oauth2/authorize (docs/emulator.md, item 1). */
export function authorize(state: EmulatorState, req: PageRequest): PageAnswer {
  const target = commonChecks(state, req);
  if ('kind' in target) return target;
  const { corp, redirectUri, host } = target;
  if (req.query.get('response_type') !== 'code') return badRequest('参数错误：response_type 必须为 code', 'response_type must be "code".');
  const scope = req.query.get('scope') ?? '';
  if (!SCOPES.includes(scope))
    return badRequest('参数错误：scope 无效', 'Invalid scope: snsapi_base, snsapi_privateinfo or snsapi_userinfo.', scope);
  const oauthState = req.query.get('state') ?? '';
  if (!STATE.test(oauthState)) return badRequest('参数错误：state 无效', 'Invalid state: at most 128 letters and digits.', oauthState);
  const agent = parseAgentId(req.query.get('agentid'), corp);
  if (agent === 'invalid')
    return badRequest('参数错误：agentid 无效', 'Invalid agentid: not an app of this corp.', req.query.get('agentid') ?? '');
  // §1: the host must equal a trusted domain of one of the corp's apps, port included.
  if (!corp.apps.some((a) => a.trustedDomains.includes(host))) return domainError(redirectUri);
  const app = agent === 'missing' ? undefined : agent;
  // §1 "scope的特殊情况": privateinfo without agentid is silently snsapi_base.
  const effectiveScope = (scope === 'snsapi_privateinfo' && !app ? 'snsapi_base' : scope) as OAuthScope;

  // §9: test wxwork/ before MicroMessenger, since WeCom user agents contain both.
  let who: string | undefined;
  if (req.userAgent.includes('wxwork/')) {
    // The header, else the member of the client page that opened the link, else the first member.
    const fromPage = req.cookieUser !== undefined && findMember(corp, req.cookieUser) ? req.cookieUser : undefined;
    const signedOut =
      req.emulatorUser === undefined && req.cookieUser !== undefined ? memberLoginRefusal(state, corp, req.cookieUser) : undefined;
    if (signedOut) return signedOut;
    who = req.emulatorUser ?? fromPage ?? corp.members[0]?.userId;
  } else if (req.userAgent.includes('MicroMessenger')) {
    const named = req.emulatorUser !== undefined ? findNonMember(corp, req.emulatorUser) : undefined;
    who = named?.openId ?? corp.nonMembers[0]?.openId;
    if (who === undefined) return badRequest('没有个人微信访客', 'The fixture has no personal WeChat visitor (nonMembers) for this corp.');
  } else if (state.strict) {
    return page(200, openInWeComPage());
  } else {
    who = req.query.get(USER_PARAM) ?? undefined;
    if (who === undefined) return page(200, memberPickerPage(corp.name, choices(req, corp, app)));
  }
  if (who === undefined) return unknownUser('');
  const refusal = memberLoginRefusal(state, corp, who);
  if (refusal) return refusal;
  const actor = resolveActor(corp, who);
  if (!actor) return unknownUser(who);
  if (effectiveScope === 'snsapi_privateinfo' && app && actor.kind === 'member' && !isVisible(corp, app, actor.userId)) {
    return page(403, messagePage('你不在该应用的可见范围内', 'You are not in the visible range of this app.', actor.userId));
  }
  const code = state.codes.issue({
    corpId: corp.corpId,
    agentId: app?.agentId,
    redirectHost: host,
    scope: effectiveScope,
    actor,
    flow: 'oauth',
    issuedAt: state.clock.now(),
  });
  return { kind: 'redirect', location: appendParams(redirectUri, codeAndState(code, oauthState)) };
}

/** GET /wwlogin/sso/login and the old /wwopen/sso/qrConnect (docs/emulator.md, item 2). */
export function webLogin(state: EmulatorState, req: PageRequest, legacy: boolean): PageAnswer {
  if (!legacy && req.query.get('login_type') !== 'CorpApp') {
    return badRequest(
      '参数错误：login_type 必须为 CorpApp',
      'login_type must be "CorpApp" (the emulator has no third-party ServiceApp).',
      req.query.get('login_type') ?? '',
    );
  }
  const target = commonChecks(state, req);
  if ('kind' in target) return target;
  const { corp, redirectUri, host } = target;
  const app = parseAgentId(req.query.get('agentid'), corp);
  if (typeof app === 'string')
    return badRequest('参数错误：agentid 无效', 'agentid is required and must be an app of this corp.', req.query.get('agentid') ?? '');
  if (!app.trustedDomains.includes(host)) return domainError(redirectUri);
  const loginState = req.query.get('state') ?? '';
  // §2: refusal sends the browser back with state only (by a navigation of the page, as below).
  if (req.query.get(ACTION_PARAM) === 'refuse') {
    return page(200, webLoginDonePage(appendParams(redirectUri, `state=${encodeURIComponent(loginState)}`)));
  }
  const who = req.emulatorUser ?? req.query.get(USER_PARAM) ?? undefined;
  if (who === undefined) {
    return page(200, qrLoginPage(corp.name, app.name, choices(req, corp, app), linkWith(req, ACTION_PARAM, 'refuse')));
  }
  const signedOut = memberLoginRefusal(state, corp, who);
  if (signedOut) return signedOut;
  const actor = resolveActor(corp, who);
  if (!actor) return unknownUser(who);
  // §2: "User outside the agent's visible range is told on scan they lack permission".
  if (actor.kind === 'member' && !isVisible(corp, app, actor.userId)) {
    return page(403, messagePage('你没有权限登录该应用', 'You are not in the visible range of this app.', actor.userId));
  }
  const code = state.codes.issue({
    corpId: corp.corpId,
    agentId: app.agentId,
    redirectHost: host,
    scope: 'snsapi_base',
    actor,
    flow: 'weblogin',
    issuedAt: state.clock.now(),
  });
  // WeCom's QR page navigates to the callback after the scan (a new navigation, not a 302).
  return page(200, webLoginDonePage(appendParams(redirectUri, codeAndState(code, loginState))));
}
