/**
 * The login itself: start (authorize redirect), callback (state check, code exchange, session),
 * logout. Written against plain Node request/response methods plus express-session, so the same
 * code runs under Express 5 and Express 4.
 *
 * The order of the callback's checks follows the design guide §4 items 5-7 and is deliberate:
 * parameters are read as single strings, the transaction is consumed before anything else, a code
 * is only ever exchanged for a state this browser started, and the session is regenerated and
 * saved before the user is sent on.
 */
import type { Request, Response } from 'express';
import { buildAuthorizeUrl, buildWebLoginUrl, classifyUserAgent, WeComApiError } from '../wecom/index.ts';
import type { WeComClient, WeComIdentity } from '../wecom/index.ts';
import type { ResolvedConfig } from '../config.ts';
import { pageForError } from './error-pages.ts';
import { logFields, queryOf } from './request-parts.ts';
import { safeReturnTo } from './return-to.ts';
import {
  beginTransaction, completedTransaction, consumeTransaction, pendingTransactions, rememberCompleted,
} from './transactions.ts';
import { regenerateSession, requireSession, saveSession, sessionUser, setSessionUser } from './session.ts';
import type { RequestSession, WeComUser } from './session.ts';
import { preferredLang, setNoStoreHeaders } from './views.ts';
import type { Views } from './views.ts';

/** Callback parameters of our own, carried in the redirect_uri (WeCom appends code and state). */
const ATTEMPT_PARAM = 'attempt';
const RETURN_PARAM = 'to';

export class LoginFlow {
  private readonly config: ResolvedConfig;
  private readonly client: WeComClient;
  private readonly views: Views;

  constructor(config: ResolvedConfig, client: WeComClient, views: Views) {
    this.config = config;
    this.client = client;
    this.views = views;
  }

  /** The logged-in user of this session, if any (and still within `maxLoginAgeMs`). */
  currentUser(session: RequestSession, now = Date.now()): WeComUser | undefined {
    const user = sessionUser(session, this.config.appKey);
    if (!user || user.corpId !== this.config.corpId || user.agentId !== this.config.agentId) return undefined;
    // A non-member's login made while the app accepted them ends when it stops accepting them.
    if (user.type === 'non-member' && !this.config.allowNonMembers) return undefined;
    if (this.config.maxLoginAgeMs !== undefined && now - user.loginAt > this.config.maxLoginAgeMs) return undefined;
    return user;
  }

  /** The URL of our own login route, for links and the guard's 401 answer. */
  loginUrl(returnTo?: string): string {
    const url = new URL(this.config.routes.login, this.config.origin);
    if (returnTo) url.searchParams.set('returnTo', returnTo);
    return url.href;
  }

  /** GET /auth/wecom/login?returnTo=/path */
  async login(req: Request, res: Response): Promise<void> {
    const params = queryOf(req);
    const returnTo = safeReturnTo(params.get('returnTo') ?? undefined, this.config.origin) ?? this.config.defaultReturnTo;
    await this.start(req, res, returnTo, 0);
  }

  /**
   * Record a transaction, save the session, then redirect to WeCom. The save must finish first:
   * a silent snsapi_base login bounces straight back and could beat a slow store write.
   */
  async start(req: Request, res: Response, returnTo: string, attempt: number): Promise<void> {
    const session = requireSession(req);
    // Where the person is decides the way in: WeCom's in-app OAuth inside the client, WeCom's
    // web (QR) login in any other browser, and personal WeChat cannot log in as a member.
    const where = classifyUserAgent(req.headers['user-agent']).kind;
    if ((where === 'wechat' && !this.config.allowNonMembers) || (where === 'browser' && this.config.wecomClientOnly)) {
      this.views.show(req, res, 'open-in-wecom');
      return;
    }
    const flow = where === 'browser' ? 'web-login' : 'oauth';
    const state = beginTransaction(
      session,
      { returnTo, ...(flow === 'web-login' ? { flow } : {}), ...(this.config.appKey ? { app: this.config.appKey } : {}) },
      { ttlMs: this.config.transactionTtlMs, max: this.config.maxTransactions },
    );
    await saveSession(req);
    const redirectUri = new URL(this.config.callbackUrl);
    if (attempt > 0) redirectUri.searchParams.set(ATTEMPT_PARAM, String(attempt));
    const location = flow === 'web-login'
      ? buildWebLoginUrl({
        loginBaseUrl: this.config.loginBaseUrl,
        corpId: this.config.corpId,
        agentId: this.config.agentId,
        redirectUri: redirectUri.href,
        state,
        lang: preferredLang(req.headers['accept-language']) === 'en' ? 'en' : 'zh',
      })
      : buildAuthorizeUrl({
        oauthBaseUrl: this.config.oauthBaseUrl,
        corpId: this.config.corpId,
        agentId: this.config.agentId,
        redirectUri: redirectUri.href,
        scope: this.config.scope,
        state,
      });
    redirect(res, location);
  }

  /** GET /auth/wecom/callback?code=…&state=…[&attempt=1][&to=/path] */
  async callback(req: Request, res: Response): Promise<void> {
    const params = queryOf(req);
    const session = requireSession(req);
    const repeated = ['code', 'state', ATTEMPT_PARAM, RETURN_PARAM].some((name) => params.getAll(name).length > 1);
    if (repeated) {
      // Consume every state offered, so none of them can be replayed, then refuse.
      for (const state of params.getAll('state')) consumeTransaction(session, state, this.config.transactionTtlMs);
      await saveSession(req);
      this.views.show(req, res, 'bad-request', { action: { href: this.loginUrl(), labelKey: 'retry' } });
      return;
    }
    const code = params.get('code') ?? undefined;
    const state = params.get('state') ?? undefined;
    const attempt = params.get(ATTEMPT_PARAM) === '1' ? 1 : 0;
    const consumed = consumeTransaction(session, state, this.config.transactionTtlMs);
    // Another wecomAuth() instance's login (several apps in one session) is not ours to finish.
    const tx = consumed && consumed.app === this.config.appKey ? consumed : undefined;

    if (!tx) {
      // Not a login this browser started: a reload, Back, a pre-built link with a fixed state,
      // a lost cookie, or login CSRF. The code is never exchanged.
      const target = completedTransaction(session, state, this.config.transactionTtlMs)?.returnTo
        ?? safeReturnTo(params.get(RETURN_PARAM) ?? undefined, this.config.origin)
        ?? this.config.defaultReturnTo;
      if (this.currentUser(session)) {
        await saveSession(req);
        redirect(res, target);
        return;
      }
      if (attempt >= 1) {
        // We already restarted once and the state still did not come back with the cookie.
        await saveSession(req);
        this.views.show(req, res, 'cookies-needed', { action: { href: this.loginUrl(target), labelKey: 'retry' } });
        return;
      }
      await this.start(req, res, target, 1);
      return;
    }

    if (code === undefined || code === '') {
      // The person refused (web login) or WeCom sent no code.
      await saveSession(req);
      this.views.show(req, res, 'login-cancelled', { action: { href: this.loginUrl(tx.returnTo), labelKey: 'retry' } });
      return;
    }

    let identity: WeComIdentity;
    try {
      // Web-login codes are exchanged through auth/getuserinfo (wecom-api.md §2).
      const endpoint = tx.flow === 'web-login' ? 'auth/getuserinfo' : this.config.identityEndpoint;
      identity = await this.client.getIdentity(code, { endpoint });
    } catch (err) {
      await this.exchangeFailed(req, res, session, err, tx.returnTo, attempt);
      return;
    }

    if (identity.type === 'non-member' && !this.config.allowNonMembers) {
      await saveSession(req);
      this.views.show(req, res, 'non-member');
      return;
    }

    let user: WeComUser = toUser(identity, this.config);
    user.via = tx.flow ?? 'oauth';
    if (identity.type === 'member' && (this.config.profileFields || this.config.checkVisibility)) {
      try {
        if (this.config.profileFields) user.profile = await this.fetchProfile(identity, this.config.profileFields);
        // WeCom hands codes to members outside the visible range too: user/get answers 60011 for them.
        else await this.client.getUser(identity.userId);
      } catch (err) {
        await this.exchangeFailed(req, res, session, err, tx.returnTo, 1);
        return;
      }
    }
    if (this.config.hooks.onLogin) {
      try {
        user = (await this.config.hooks.onLogin(user, req)) ?? user;
      } catch (err) {
        this.config.logger?.warn?.('wecom login refused by the onLogin hook', { error: err instanceof Error ? err.message : String(err) });
        await saveSession(req);
        this.views.show(req, res, 'login-refused', { action: { href: this.loginUrl(tx.returnTo), labelKey: 'retry' } });
        return;
      }
    }

    // Session fixation: the logged-in session gets a new id. Other tabs' logins in flight move
    // along, and so do other apps' logins of the same person (several apps in one session);
    // anyone else's (a session planted by someone else) does not.
    const pending = pendingTransactions(session, this.config.transactionTtlMs);
    const samePerson = (other: WeComUser | undefined): other is WeComUser =>
      other !== undefined && other.type === user.type && (other.userId ?? other.openId) === (user.userId ?? user.openId);
    const { wecom: defaultAppUser, wecomApps } = session;
    const fresh = await regenerateSession(req);
    if (samePerson(defaultAppUser)) fresh.wecom = defaultAppUser;
    const keptApps = Object.fromEntries(Object.entries(wecomApps ?? {}).filter(([, other]) => samePerson(other)));
    if (Object.keys(keptApps).length > 0) fresh.wecomApps = keptApps;
    setSessionUser(fresh, this.config.appKey, user);
    fresh.wecomAuth = { tx: pending };
    if (state) rememberCompleted(fresh, state, tx, this.config.transactionTtlMs);
    await saveSession(req);
    this.config.logger?.debug?.('wecom login', { userId: user.userId, type: user.type });
    redirect(res, tx.returnTo);
  }

  /**
   * The profile, fetched once at login: user/get (name, department, position…) and, with a
   * user_ticket from privateinfo consent, auth/getuserdetail (avatar, mobile, email…), in
   * parallel. Only the chosen fields are kept; the user_ticket itself is dropped here.
   */
  private async fetchProfile(identity: Extract<WeComIdentity, { type: 'member' }>, fields: readonly string[]): Promise<Record<string, unknown>> {
    const [member, detail] = await Promise.all([
      this.client.getUser(identity.userId),
      identity.userTicket ? this.client.getUserDetail(identity.userTicket) : Promise.resolve(undefined),
    ]);
    const merged: Record<string, unknown> = { ...member };
    for (const [key, value] of Object.entries(detail ?? {})) {
      if (value !== undefined && value !== '' && value !== null) merged[key] = value;
    }
    const profile: Record<string, unknown> = {};
    for (const field of fields) if (merged[field] !== undefined && field !== 'user_ticket') profile[field] = merged[field];
    return profile;
  }

  private async exchangeFailed(req: Request, res: Response, session: RequestSession, err: unknown, returnTo: string, attempt: number): Promise<void> {
    if (err instanceof WeComApiError && err.errcode === 40029) {
      // The code was used already or expired (a callback delivered twice, a slow tap).
      if (this.currentUser(session)) {
        await saveSession(req);
        redirect(res, returnTo);
        return;
      }
      if (attempt === 0) {
        await this.start(req, res, returnTo, 1);
        return;
      }
    }
    this.config.logger?.warn?.('wecom login failed', logFields(err));
    await saveSession(req);
    const choice = pageForError(err, { host: new URL(this.config.origin).host, agentId: this.config.agentId, retryHref: this.loginUrl(returnTo) });
    this.views.show(req, res, choice.page, choice.input);
  }

  /** GET or POST /auth/wecom/logout: forget the identity, new session id. */
  async logout(req: Request, res: Response): Promise<void> {
    await regenerateSession(req);
    await saveSession(req);
    if (this.config.afterLogout) {
      redirect(res, this.config.afterLogout);
      return;
    }
    this.views.show(req, res, 'signed-out', { action: { href: this.loginUrl(this.config.defaultReturnTo), labelKey: 'retry' } });
  }
}

export function toUser(identity: WeComIdentity, config: Pick<ResolvedConfig, 'corpId' | 'agentId'>, now = Date.now()): WeComUser {
  const user: WeComUser = { type: identity.type, corpId: config.corpId, agentId: config.agentId, loginAt: now };
  if (identity.type === 'member') user.userId = identity.userId;
  else {
    user.openId = identity.openId;
    if (identity.externalUserId) user.externalUserId = identity.externalUserId;
  }
  if (identity.deviceId) user.deviceId = identity.deviceId;
  return user;
}

export function redirect(res: Response, location: string): void {
  setNoStoreHeaders(res);
  res.statusCode = 302;
  res.setHeader('Location', location);
  res.setHeader('Content-Length', '0');
  res.end();
}

