/**
 * The login itself: start (authorize redirect), callback (state check, code exchange, session),
 * logout. Written against plain Node request/response methods plus express-session, so the same
 * code runs under Express 5 and Express 4.
 *
 * The callback's checks run in a deliberate order (docs/security.md):
 * 1. parameters as single strings of WeCom's formats (else 400);
 * 2. the login must be one this browser started: its signed transaction cookie (else no code is
 *    ever exchanged: a reload, Back, a pre-built link, a lost cookie or login CSRF);
 * 3. the state is claimed atomically in the shared cache, so of two deliveries of one callback
 *    exactly one exchanges the code, and the other follows it;
 * 4. exchange, membership, visible range, the app's hook;
 * 5. only then is a session written: regenerated (session fixation), the identity set, saved.
 * Every failure is a WeComLoginError thrown to the router, which passes it to `next(err)`.
 */
import type { Request, Response } from 'express';
import { buildAuthorizeUrl, buildWebLoginUrl, classifyUserAgent, WeComApiError } from '../wecom/index.ts';
import type { WeComClient, WeComIdentity } from '../wecom/index.ts';
import type { ResolvedConfig } from '../config.ts';
import { loginErrorFor } from './error-pages.ts';
import { WeComLoginError } from './login-error.ts';
import type { LoginFailure, LoginFailureReason } from './login-error.ts';
import { OUTCOME_FRESH_MS } from './login-claims.ts';
import type { LoginOutcome, LoginClaims } from './login-claims.ts';
import { logFields, queryOf } from './request-parts.ts';
import { safeReturnTarget } from './return-to.ts';
import { land, redirect, sendStartPage, startScriptPath } from './start-page.ts';
import { STATE_FORMAT } from './transactions.ts';
import type { LoginTransaction, TransactionCookies } from './transactions.ts';
import type { Offboarding } from './offboarding.ts';
import { channels, isObserved, publish } from '../diagnostics.ts';
import { createLog } from '../wecom/logger.ts';
import type { Log } from '../wecom/logger.ts';
import { destroySession, regenerateSession, requireSession, saveSession, sessionUser, setSessionUser } from './session.ts';
import type { RequestSession, WeComUser } from './session.ts';
import { preferredLang } from './views.ts';
import type { PageId, ShowPageInput, Views } from './views.ts';

/** Callback parameters of our own, carried in the redirect_uri (WeCom appends code and state). */
const ATTEMPT_PARAM = 'attempt';
const RETURN_PARAM = 'to';
/** The login route's parameter for the page's fragment, added by the start page's script. */
const FRAGMENT_PARAM = 'fragment';
/**
 * The sign-out pages' button posts our real Origin (not `null`, as under no-referrer), which a
 * browser too old for Sec-Fetch-Site needs to be let through; the page's URL holds no secret.
 */
const SIGN_OUT_PAGE_HEADERS = { 'Referrer-Policy': 'same-origin' };
/**
 * WeCom's codes: at most 512 bytes (https://developer.work.weixin.qq.com/document/path/91022),
 * URL-safe in practice; anything else (controls, spaces, non-ASCII, longer) is not a code.
 */
export const CODE_FORMAT = /^[\x21-\x7e]{1,512}$/;

export interface LoginFlowParts {
  transactions: TransactionCookies;
  claims: LoginClaims;
  /** Indexes each session under its member, so that offboarding can end it (offboarding.ts). */
  offboarding: Offboarding;
}

export class LoginFlow {
  private readonly config: ResolvedConfig;
  private readonly client: WeComClient;
  private readonly views: Views;
  private readonly transactions: TransactionCookies;
  private readonly claims: LoginClaims;
  private readonly offboarding: Offboarding;
  private readonly log: Log;

  constructor(config: ResolvedConfig, client: WeComClient, views: Views, parts: LoginFlowParts) {
    this.config = config;
    this.client = client;
    this.views = views;
    this.transactions = parts.transactions;
    this.claims = parts.claims;
    this.offboarding = parts.offboarding;
    this.log = createLog(config.logger, 'login');
  }

  /** Whether page navigations go through the start page that keeps their fragment (`keepFragments`). */
  get keepsFragments(): boolean {
    return this.config.keepFragments;
  }

  /** The logged-in user of this session, if any (and still within `maxLoginAgeMs`). */
  currentUser(session: RequestSession, now = Date.now()): WeComUser | undefined {
    const user = sessionUser(session, this.config.appKey);
    if (!user || user.corpId !== this.config.corpId || user.agentId !== this.config.agentId) return undefined;
    // A non-member's login made while the app accepted them ends when it stops accepting them.
    if (user.type === 'non-member' && !this.config.allowNonMembers) return undefined;
    if (this.config.maxLoginAgeMs !== undefined && now - user.loginAt > this.config.maxLoginAgeMs) return undefined;
    if (user.expiresAt !== undefined && now >= user.expiresAt) return undefined;
    return user;
  }

  /** The URL of our own login route, for links and the guard's 401 answer. */
  loginUrl(returnTo?: string): string {
    const url = new URL(this.config.routes.login, this.config.origin);
    if (returnTo) url.searchParams.set('returnTo', returnTo);
    return url.href;
  }

  /**
   * GET /auth/wecom/login?returnTo=/path[&fragment=/route]: the start page's script adds the
   * page's fragment, which the server never sees otherwise. An unsafe returnTo falls back to
   * `defaultReturnTo`; an unsafe fragment is dropped.
   */
  async login(req: Request, res: Response): Promise<void> {
    const params = queryOf(req);
    if (params.getAll('returnTo').length > 1 || params.getAll(FRAGMENT_PARAM).length > 1) throw this.badRequest();
    const target =
      safeReturnTarget(params.get('returnTo') ?? undefined, this.config.origin, params.get(FRAGMENT_PARAM) ?? undefined) ??
      this.config.defaultReturnTo;
    this.start(req, res, target, 0);
  }

  /**
   * A page navigation by someone not logged in: a small page whose script reads the page's
   * fragment (a hash router's route, which no request carries) and goes on to the login route
   * with it; without script, a meta refresh goes there without it. Nothing is set or stored.
   */
  startPage(req: Request, res: Response, returnTo: string): void {
    sendStartPage(res, {
      loginHref: `${this.config.routes.login}?returnTo=${encodeURIComponent(returnTo)}`,
      scriptSrc: startScriptPath(this.config.routes.login),
      lang: preferredLang(req),
    });
  }

  /**
   * Send the browser to WeCom with a new state. Nothing is written on the server: the login in
   * flight travels in its own signed cookie (transactions.ts), so anonymous page loads cost no
   * session, and tabs or a racing callback cannot overwrite each other's state.
   */
  start(req: Request, res: Response, returnTo: string, attempt: number): void {
    // Where the person is decides the way in: WeCom's in-app OAuth inside the client, WeCom's
    // web (QR) login in any other browser, and personal WeChat cannot log in as a member.
    const where = classifyUserAgent(req.headers['user-agent']).kind;
    if ((where === 'wechat' && !this.config.allowNonMembers) || (where === 'browser' && this.config.wecomClientOnly)) {
      throw this.failure('open-in-wecom', 'open-in-wecom');
    }
    const flow = where === 'browser' ? 'web-login' : 'oauth';
    if (isObserved(channels.loginStarted)) {
      publish(channels.loginStarted, { flow, attempt, ...(this.config.appKey ? { appKey: this.config.appKey } : {}) });
    }
    this.log.debug('login started', { flow, attempt });
    const { state, returnToInUrl } = this.transactions.begin(req, res, {
      returnTo,
      ...(flow === 'web-login' ? { flow } : {}),
      ...(this.config.appKey ? { app: this.config.appKey } : {}),
    });
    const redirectUri = new URL(this.config.callbackUrl);
    if (attempt > 0) redirectUri.searchParams.set(ATTEMPT_PARAM, String(attempt));
    // A return path too long for the login cookie rides in the callback URL; the cookie keeps its hash.
    if (returnToInUrl !== undefined) redirectUri.searchParams.set(RETURN_PARAM, returnToInUrl);
    const location =
      flow === 'web-login'
        ? buildWebLoginUrl({
            loginBaseUrl: this.config.loginBaseUrl,
            corpId: this.config.corpId,
            agentId: this.config.agentId,
            redirectUri: redirectUri.href,
            state,
            lang: preferredLang(req) === 'en' ? 'en' : 'zh',
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
    const began = performance.now();
    const params = queryOf(req);
    if (['code', 'state', ATTEMPT_PARAM, RETURN_PARAM].some((name) => params.getAll(name).length > 1)) {
      // Refused, and every login it names that this browser started is burnt, so that none of
      // them can be replayed (at most `limit` of them: the cookies one browser can hold).
      await Promise.all(this.transactions.named(req, params.getAll('state')).map((tx) => this.burn(res, tx)));
      throw this.badRequest();
    }
    const code = params.get('code') ?? '';
    const state = params.get('state') ?? '';
    if ((code !== '' && !CODE_FORMAT.test(code)) || (state !== '' && !STATE_FORMAT.test(state))) throw this.badRequest();
    const attempt = params.get(ATTEMPT_PARAM) === '1' ? 1 : 0;
    const session = requireSession(req);

    const tx = this.transactions.read(req, state || undefined, params.get(RETURN_PARAM) ?? undefined);
    this.transactions.prune(req, res, tx?.state);
    this.log.debug('callback', { transaction: tx ? (tx.done ? 'finished' : 'found') : 'none', hasCode: code !== '', attempt });

    if (!tx) {
      // Not a login this browser started: a reload after the cookie expired, a pre-built link
      // with a fixed state, a lost cookie, or login CSRF. The code is never exchanged.
      const target = safeReturnTarget(params.get(RETURN_PARAM) ?? undefined, this.config.origin) ?? this.config.defaultReturnTo;
      if (this.currentUser(session)) {
        land(req, res, target, undefined);
        return;
      }
      // We already restarted once and the state still did not come back with its cookie.
      if (attempt >= 1) throw this.failure('state', 'cookies-needed', { action: { href: this.loginUrl(target), labelKey: 'retry' } });
      this.start(req, res, target, 1);
      return;
    }

    if (tx.done) {
      // This login finished already (a reload or Back): land on its page, or log in afresh.
      if (this.currentUser(session)) land(req, res, tx.returnTo, tx.flow);
      else this.start(req, res, tx.returnTo, 0);
      return;
    }

    if (code === '') {
      // The person refused (web login) or WeCom sent no code.
      this.transactions.clear(res, tx.state);
      throw this.failure('cancelled', 'login-cancelled', { action: { href: this.loginUrl(tx.returnTo), labelKey: 'retry' } });
    }

    const holdMs = this.holdMsFor(tx);
    if (!(await this.claims.claim(tx.state, holdMs))) {
      this.log.debug('state already claimed: a duplicate delivery follows the first one', {});
      await this.follow(req, res, session, tx, attempt, began);
      return;
    }
    this.log.debug('state claimed', {});

    let outcome: LoginOutcome;
    try {
      const user = await this.authenticate(req, tx, code);
      outcome = { kind: 'user', user, returnTo: tx.returnTo, at: Date.now() };
    } catch (err) {
      outcome =
        err instanceof WeComApiError && err.errcode === 40029 ? { kind: 'restart', at: Date.now() } : this.failedOutcome(err, tx.returnTo);
      if (outcome.kind === 'failure') this.log.warn('wecom login failed', { reason: outcome.reason, ...logFields(err) });
    }
    // Published before the session write, so a duplicate waiting on it is not kept waiting longer.
    await this.claims.settle(tx.state, outcome, holdMs);
    await this.apply(req, res, session, tx, outcome, attempt, { began, duplicate: false });
  }

  /**
   * GET /auth/wecom/logout: a page with the sign-out button, never the sign-out itself, so that
   * no link, prefetch or image on another site can end a session.
   */
  async logoutPage(req: Request, res: Response): Promise<void> {
    if (!this.currentUser(requireSession(req))) {
      this.views.show(req, res, 'signed-out', { action: { href: this.loginUrl(this.config.defaultReturnTo), labelKey: 'retry' } });
      return;
    }
    this.views.show(req, res, 'sign-out', { action: this.signOutButton(), headers: SIGN_OUT_PAGE_HEADERS });
  }

  /**
   * POST /auth/wecom/logout: the session ends (nothing is kept for the anonymous visitor), unless
   * the browser says another site sent the request. SameSite=Lax already keeps the session cookie
   * off a cross-site POST; this also refuses a sibling subdomain (same-site, another origin).
   */
  async logout(req: Request, res: Response): Promise<void> {
    const session = requireSession(req);
    if (sentByAnotherSite(req, this.config.origin)) {
      throw this.failure('cross-site', 'sign-out-refused', { action: this.signOutButton(), headers: SIGN_OUT_PAGE_HEADERS });
    }
    await this.offboarding.forget(req, sessionUser(session, this.config.appKey));
    await destroySession(req);
    if (this.config.afterLogout) {
      redirect(res, this.config.afterLogout, 303);
      return;
    }
    this.views.show(req, res, 'signed-out', { action: { href: this.loginUrl(this.config.defaultReturnTo), labelKey: 'retry' } });
  }

  private signOutButton(): NonNullable<ShowPageInput['action']> {
    return { href: this.config.routes.logout, labelKey: 'signOut', method: 'post' };
  }

  /** Burn a login this browser started: its cookie goes, and its state can no longer be claimed. */
  private async burn(res: Response, tx: Pick<LoginTransaction, 'state' | 'createdAt'>): Promise<void> {
    this.transactions.clear(res, tx.state);
    await this.claims.settle(tx.state, { kind: 'restart', at: 0 }, this.holdMsFor(tx));
  }

  /** How long a claim on a state is held: until its transaction would expire, and at least a second. */
  private holdMsFor(tx: Pick<LoginTransaction, 'createdAt'>): number {
    return Math.max(1000, tx.createdAt + this.config.transactionTtlMs - Date.now());
  }

  /** The failed-login event and the app's audit hook (`hooks.onLoginFailed`): the same facts, never a secret. */
  reportFailure(loginError: WeComLoginError, req: Request, began: number): void {
    const onFailed = this.config.hooks.onLoginFailed;
    if (!onFailed && !isObserved(channels.loginFailed)) return;
    const { errcode, api } = wecomFacts(loginError.cause);
    const facts = {
      reason: loginError.reason,
      page: loginError.page,
      status: loginError.status,
      ...(errcode === undefined ? {} : { errcode }),
      ...(api === undefined ? {} : { api }),
      ...(loginError.userId === undefined ? {} : { userId: loginError.userId }),
    };
    publish(channels.loginFailed, {
      ...facts,
      durationMs: performance.now() - began,
      ...(this.config.appKey ? { appKey: this.config.appKey } : {}),
    });
    if (onFailed) {
      const failure: LoginFailure = { ...facts, at: Date.now() };
      // An audit trail must never turn a failed login into a crash or a hung request.
      Promise.resolve()
        .then(() => onFailed(failure, req))
        .catch((hookErr: unknown) => this.log.error('wecom auth: hooks.onLoginFailed threw', logFields(hookErr)));
    }
  }

  /** A second delivery of a callback whose state another request claimed: end where that one ends. */
  private async follow(
    req: Request,
    res: Response,
    session: RequestSession,
    tx: LoginTransaction,
    attempt: number,
    began: number,
  ): Promise<void> {
    const outcome = await this.claims.outcome(tx.state);
    if (outcome === undefined || Date.now() - outcome.at > OUTCOME_FRESH_MS) {
      // The winner did not finish in time, or this is a late replay rather than a duplicate: go
      // where the login was going; the guard there starts a fresh login if nobody is logged in.
      land(req, res, tx.returnTo, tx.flow);
      return;
    }
    await this.apply(req, res, session, tx, outcome, attempt, { began, duplicate: true });
  }

  /** Carry out an outcome: the winner's own, or a follower's copy of it. */
  private async apply(
    req: Request,
    res: Response,
    session: RequestSession,
    tx: LoginTransaction,
    outcome: LoginOutcome,
    attempt: number,
    timing: { began: number; duplicate: boolean },
  ): Promise<void> {
    if (outcome.kind === 'user') {
      await this.establish(req, session, outcome.user, tx);
      this.log.debug('session written', { userId: outcome.user.userId ?? outcome.user.openId, duplicate: timing.duplicate });
      this.transactions.finish(res, tx);
      if (isObserved(channels.loginSucceeded)) this.publishSuccess(outcome.user, tx, timing);
      land(req, res, outcome.returnTo, tx.flow);
      return;
    }
    this.transactions.clear(res, tx.state);
    if (outcome.kind === 'failure') {
      throw new WeComLoginError(outcome.reason, outcome.page, outcome.status, outcome.input, {
        ...(outcome.userId === undefined ? {} : { userId: outcome.userId }),
        ...(outcome.errcode === undefined ? {} : { cause: { errcode: outcome.errcode, api: outcome.api } }),
      });
    }
    // The code was used already or expired (a slow tap, a callback replayed from another device).
    if (this.currentUser(session)) land(req, res, tx.returnTo, tx.flow);
    else if (attempt === 0) this.start(req, res, tx.returnTo, 1);
    else throw this.failure('wecom', 'login-expired', { action: { href: this.loginUrl(tx.returnTo), labelKey: 'retry' } });
  }

  private publishSuccess(user: WeComUser, tx: LoginTransaction, timing: { began: number; duplicate: boolean }): void {
    publish(channels.loginSucceeded, {
      flow: tx.flow ?? 'oauth',
      userType: user.type,
      ...(user.userId === undefined ? {} : { userId: user.userId }),
      ...(user.openId === undefined ? {} : { openId: user.openId }),
      corpId: user.corpId,
      agentId: user.agentId,
      loginMs: Math.max(0, Date.now() - tx.createdAt),
      callbackMs: performance.now() - timing.began,
      duplicate: timing.duplicate,
      ...(this.config.appKey ? { appKey: this.config.appKey } : {}),
    });
  }

  /** Code -> identity -> membership, visible range, profile, the app's hook. */
  private async authenticate(req: Request, tx: LoginTransaction, code: string): Promise<WeComUser> {
    // Web-login codes are exchanged through auth/getuserinfo
    // (https://developer.work.weixin.qq.com/document/path/98177).
    const endpoint = tx.flow === 'web-login' ? 'auth/getuserinfo' : this.config.identityEndpoint;
    const identity = await this.client.getIdentity(code, { endpoint });
    this.log.debug('code exchanged', { endpoint, type: identity.type });
    if (identity.type === 'non-member' && !this.config.allowNonMembers) throw this.failure('non-member', 'non-member');

    let user: WeComUser = toUser(identity, this.config);
    user.via = tx.flow ?? 'oauth';
    try {
      if (identity.type === 'member') {
        if (this.config.profileFields) user.profile = await this.fetchProfile(identity, this.config.profileFields);
        // WeCom hands codes to members outside the visible range too: user/get answers 60011 for them.
        else if (this.config.checkVisibility)
          await this.client.assertVisible(identity.userId, { rememberMs: this.config.visibilityCacheMs });
      }
      if (this.config.hooks.onLogin) {
        try {
          user = (await this.config.hooks.onLogin(user, req)) ?? user;
        } catch (err) {
          this.log.warn('wecom login refused by the onLogin hook', { error: err instanceof Error ? err.name : typeof err });
          throw this.failure('hook', 'login-refused', { action: { href: this.loginUrl(tx.returnTo), labelKey: 'retry' } });
        }
      }
    } catch (err) {
      // WeCom has named the person: failures from here on say who (logs, events, audit).
      const failure =
        err instanceof WeComLoginError ? err : loginErrorFor(err, this.failureContext(tx.returnTo), (page) => this.views.statusOf(page));
      failure.userId = user.userId ?? user.openId;
      throw failure;
    }
    return user;
  }

  /**
   * Write the identity into the session under a new session id (session fixation: RFC 6749
   * §10.12's advice, OWASP's session-management rules). Whatever session this request carries,
   * planted or not, in whatever encoding the browser sent its cookie, it is regenerated, keeping
   * other apps' logins of the same person (several apps in one session) and nobody else's.
   * (Whether the browser "brought" the session is never guessed from the Cookie header's bytes:
   * express-session percent-decodes the cookie, so a planted `%53` for `S` loads the same session
   * under bytes no search would find.)
   *
   * One exception keeps concurrent tabs from destroying each other's fresh session: the session
   * holds a login of this app by the same person that is still valid, was made by a browser
   * login after this one started (another tab of this very browser finished first), so its id
   * was issued moments ago to this browser. A login older than this one started (whose id may
   * have been copied since), an expired one, or a mini program's (a bearer token a client could
   * replay through a browser login to extend it) gets a new id like any other.
   */
  private async establish(req: Request, session: RequestSession, user: WeComUser, tx: LoginTransaction): Promise<void> {
    const samePerson = (other: WeComUser | undefined): other is WeComUser =>
      other !== undefined &&
      other.type === user.type &&
      other.corpId === user.corpId &&
      (other.userId ?? other.openId) === (user.userId ?? user.openId);
    const current = this.currentUser(session);
    if (samePerson(current) && current.via !== 'miniprogram' && current.loginAt >= tx.createdAt) {
      setSessionUser(session, this.config.appKey, user);
      await this.offboarding.remember(req, user);
      await saveSession(req);
      return;
    }
    const { wecom: defaultAppUser, wecomApps } = session;
    const fresh = await regenerateSession(req);
    if (samePerson(defaultAppUser)) fresh.wecom = defaultAppUser;
    const keptApps = Object.fromEntries(Object.entries(wecomApps ?? {}).filter(([, other]) => samePerson(other)));
    if (Object.keys(keptApps).length > 0) fresh.wecomApps = keptApps;
    setSessionUser(fresh, this.config.appKey, user);
    // Indexed before it is saved: a session the index could not take is never handed out.
    await this.offboarding.remember(req, user);
    await saveSession(req);
  }

  /**
   * The profile, fetched once at login: user/get (name, department, position…) and, with a
   * user_ticket from privateinfo consent, auth/getuserdetail (avatar, mobile, email…), in
   * parallel. Only the chosen fields are kept; the user_ticket itself is dropped here.
   */
  private async fetchProfile(
    identity: Extract<WeComIdentity, { type: 'member' }>,
    fields: readonly string[],
  ): Promise<Record<string, unknown>> {
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

  private failedOutcome(err: unknown, returnTo: string): Extract<LoginOutcome, { kind: 'failure' }> {
    const failure =
      err instanceof WeComLoginError ? err : loginErrorFor(err, this.failureContext(returnTo), (page) => this.views.statusOf(page));
    const { errcode, api } = wecomFacts(failure.cause);
    return {
      kind: 'failure',
      reason: failure.reason,
      page: failure.page,
      status: failure.status,
      input: failure.input,
      at: Date.now(),
      ...(failure.userId === undefined ? {} : { userId: failure.userId }),
      ...(errcode === undefined ? {} : { errcode, api }),
    };
  }

  failureContext(returnTo?: string): { host: string; agentId: number; retryHref: string } {
    return { host: new URL(this.config.origin).host, agentId: this.config.agentId, retryHref: this.loginUrl(returnTo) };
  }

  private failure(reason: LoginFailureReason, page: PageId, input: ShowPageInput = {}): WeComLoginError {
    return new WeComLoginError(reason, page, input.status ?? this.views.statusOf(page), input);
  }

  private badRequest(): WeComLoginError {
    return this.failure('bad-request', 'bad-request', { action: { href: this.loginUrl(), labelKey: 'retry' } });
  }
}

/** WeCom's errcode and api behind a failure (a WeComApiError, or the plain copy a duplicate carries). */
export function wecomFacts(cause: unknown): { errcode?: number; api?: string } {
  if (cause instanceof WeComApiError) return { errcode: cause.errcode, api: cause.api };
  if (cause !== null && typeof cause === 'object' && typeof (cause as { errcode?: unknown }).errcode === 'number') {
    const { errcode, api } = cause as { errcode: number; api?: unknown };
    return typeof api === 'string' ? { errcode, api } : { errcode };
  }
  return {};
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

/**
 * Whether the browser says another site sent this request. `Sec-Fetch-Site` decides where it is
 * sent: same-origin or none (typed, bookmarked) only; then `Origin` may be ours or `null` (a
 * same-origin form posts `null` under Referrer-Policy: no-referrer, helmet's default: Fetch
 * standard, "append a request Origin header"), and no other. A browser too old for
 * Sec-Fetch-Site must send our own Origin (its `null` could come from a sandboxed frame of
 * another site; the sign-out pages use Referrer-Policy: same-origin, so their button sends the
 * real one). A client that sends neither header (a mini program's wx.request, curl) is not a
 * browser on another site.
 */
export function sentByAnotherSite(req: Request, origin: string): boolean {
  const site = req.headers['sec-fetch-site'];
  const from = req.headers.origin;
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return true;
  if (from === undefined || from === origin) return false;
  return !(from === 'null' && site !== undefined);
}
