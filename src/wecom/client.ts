/**
 * WeComClient: the server-side WeCom API calls a login needs, over got, with the access_token
 * cached, refreshed single-flight and retried once when WeCom rejects it. No Express here.
 *
 * Retry policy (docs/wecom-api.md §8):
 * - 40001 / 40014 / 42001 on any API but gettoken: invalidate that token, refresh, replay once;
 *   this includes the code exchange, which WeCom rejects before consuming the code.
 * - -1 (system busy): bounded exponential backoff for gettoken and idempotent GETs only.
 * - 45009 / 45033: WeComRateLimitError at once, never retried.
 * - configuration errcodes: WeComConfigError naming the option; a gettoken failing with a
 *   configuration or rate-limit error is remembered for a cool-down in the token cache's shared
 *   entries instead of being retried by every caller (with Redis: by every instance).
 * - 40029 (invalid code) and everything else: thrown as is.
 */
import {
  CachedCredentialSource,
  DEFAULT_CONFIG_ERROR_COOLDOWN_MS,
  DEFAULT_SAFETY_MARGIN_SECONDS,
  accessTokenKey,
  appKey,
  freshCredential,
} from './access-token.ts';
import type { FreshCredential, TokenCache } from './token-cache.ts';
import { SYSTEM_BUSY_ERRCODE, TOKEN_ERRCODES, WeComApiError, WeComHttpError, errorFromEnvelope } from './errors.ts';
import { HttpTransport } from './http.ts';
import { resolveClientOptions } from './client-options.ts';
import type { WeComClientOptions } from './client-options.ts';
export type { WeComClientOptions } from './client-options.ts';
import { channels, isObserved, publish } from '../diagnostics.ts';
import { assertCode, normaliseIdentity } from './identity.ts';
import type { IdentityEndpoint, WeComIdentity } from './identity.ts';
import { jsapiSignature, randomNonce } from './jsapi.ts';
import type { AgentConfig, JsapiConfig } from './jsapi.ts';
import type { ApiCall } from './api-call.ts';
import { getAgent, setAgent } from './agent.ts';
import type { AgentSettings, WeComAgent } from './agent.ts';
import { createMenu, deleteMenu, getMenu } from './menu.ts';
import type { MenuItem } from './menu.ts';
import { recallMessage, sendMessage } from './messages.ts';
import { updateTemplateCard } from './interaction-cards.ts';
import { requireAgentId } from './api-call.ts';
import type { TemplateCardUpdate } from './interaction-cards.ts';
import type { SendMessageInput, SendMessageResult } from './messages.ts';
import type { Log } from './logger.ts';
import { createLog } from './logger.ts';
import { MemoryTokenCache } from './memory-token-cache.ts';
import { redact } from './redact.ts';
import { DEFAULT_BUSY_RETRY, backoffDelay, sleep, withBusyRetry } from './retry.ts';
import type { BusyRetryOptions } from './retry.ts';
import { DEFAULT_LOGIN_BASE_URL, DEFAULT_OAUTH_BASE_URL, buildAuthorizeUrl, buildWebLoginUrl } from './urls.ts';
import type { AuthorizeUrlOptions, WebLoginUrlOptions } from './urls.ts';

export const DEFAULT_API_BASE_URL = 'https://qyapi.weixin.qq.com';

/** auth/getuserdetail (docs/wecom-api.md §5): sensitive fields only after privateinfo consent. */
export interface WeComUserDetail {
  userid: string;
  gender?: string;
  avatar?: string;
  qr_code?: string;
  mobile?: string;
  email?: string;
  biz_mail?: string;
  address?: string;
  [field: string]: unknown;
}

/** user/get (docs/wecom-api.md §5): apps created after 2022-06-20 get no avatar, gender, mobile, email… */
export interface WeComMember {
  userid: string;
  name?: string;
  department?: number[];
  position?: string;
  status?: number;
  main_department?: number;
  [field: string]: unknown;
}

export interface MiniProgramSession {
  corpId: string;
  userId: string;
  /** Keep it on the server: never send it to the mini program. */
  sessionKey: string;
}

export interface GetIdentityOptions {
  /** Default `user/getuserinfo` (legacy, PascalCase); `auth/getuserinfo` is the current one. */
  endpoint?: IdentityEndpoint;
}

interface CallInit {
  method: 'GET' | 'POST';
  query?: Record<string, string>;
  json?: unknown;
  /** Values this call must never leak (code, user_ticket…); the token and secret are always added. */
  secrets?: readonly string[];
  /** Retry `-1` with backoff: only for calls that are safe to repeat. */
  idempotent: boolean;
  /** Errcodes whose body is returned for the caller to read instead of thrown (see api-call.ts). */
  answerErrcodes?: readonly number[];
}

function numberField(body: Record<string, unknown>, name: string): number | undefined {
  const value = body[name];
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && /^\d+$/.test(value)) return Number(value);
  return undefined;
}

function stringField(body: Record<string, unknown>, name: string): string | undefined {
  const value = body[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function withoutEnvelope(body: Record<string, unknown>): Record<string, unknown> {
  const { errcode: _errcode, errmsg: _errmsg, ...rest } = body;
  return rest;
}

/** Remembered visible-range verdicts (assertVisible). */
const IN_RANGE = '1';
const OUT_OF_RANGE = '60011';

/** A JS-SDK ticket reported as refused is renewed only if at least this old (tickets: 100 fetches/h per app). */
const DEFAULT_TICKET_RENEW_MIN_AGE_MS = 5 * 60_000;

export class WeComClient {
  readonly corpId: string;
  readonly agentId: number | undefined;
  readonly apiBaseUrl: string;
  readonly oauthBaseUrl: string;
  readonly loginBaseUrl: string;

  readonly #secret: string;
  readonly #transport: HttpTransport;
  readonly #logger: Log;
  readonly #now: () => number;
  readonly #busy: Required<BusyRetryOptions>;
  readonly #marginSeconds: number;
  readonly #tokens: CachedCredentialSource;
  readonly #jsapiTicket: CachedCredentialSource;
  readonly #agentConfigTicket: CachedCredentialSource;
  readonly #cache: TokenCache;
  readonly #appKey: string;
  /** What the API modules (messages.ts, menu.ts, agent.ts) call WeCom through. */
  readonly #api: ApiCall = (api, init) => this.#call(api, init);

  constructor(given: WeComClientOptions) {
    const options = resolveClientOptions(given);
    this.corpId = options.corpId;
    this.agentId = options.agentId;
    this.#secret = options.secret;
    this.apiBaseUrl = options.apiBaseUrl ?? DEFAULT_API_BASE_URL;
    this.oauthBaseUrl = options.oauthBaseUrl ?? DEFAULT_OAUTH_BASE_URL;
    this.loginBaseUrl = options.loginBaseUrl ?? DEFAULT_LOGIN_BASE_URL;
    this.#transport = new HttpTransport(options.timeouts);
    this.#logger = createLog(options.logger, 'client');
    this.#now = options.now ?? Date.now;
    this.#busy = {
      tries: options.busyRetry?.tries ?? DEFAULT_BUSY_RETRY.tries,
      baseDelayMs: options.busyRetry?.baseDelayMs ?? DEFAULT_BUSY_RETRY.baseDelayMs,
    };
    this.#marginSeconds = options.tokenSafetyMarginSeconds ?? DEFAULT_SAFETY_MARGIN_SECONDS;

    const now = this.#now;
    const cache = options.tokenCache ?? new MemoryTokenCache({ now });
    const logger = this.#logger;
    const cooldown = options.configErrorCooldownMs ?? DEFAULT_CONFIG_ERROR_COOLDOWN_MS;
    const app = appKey(this.agentId, this.#secret);
    this.#cache = cache;
    this.#appKey = app;
    this.#tokens = new CachedCredentialSource({
      key: accessTokenKey(this.corpId, this.agentId, this.#secret),
      label: 'access_token',
      cache,
      now,
      logger,
      configErrorCooldownMs: cooldown,
      fetch: (replacing) => this.#fetchAccessToken(replacing),
    });
    this.#jsapiTicket = new CachedCredentialSource({
      key: `jsapi_ticket:${this.corpId}:${app}`,
      label: 'jsapi_ticket',
      cache,
      now,
      logger,
      configErrorCooldownMs: cooldown,
      fetch: (replacing) => this.#fetchTicket('get_jsapi_ticket', {}, replacing),
    });
    this.#agentConfigTicket = new CachedCredentialSource({
      key: `agent_config_ticket:${this.corpId}:${app}`,
      label: 'agent_config_ticket',
      cache,
      now,
      logger,
      configErrorCooldownMs: cooldown,
      fetch: (replacing) => this.#fetchTicket('ticket/get', { type: 'agent_config' }, replacing),
    });
  }

  /** The TokenCache key of this app's access_token: `access_token:<corpId>:[<agentId>:]<sha256(secret)[0..16]>`. */
  get accessTokenCacheKey(): string {
    return this.#tokens.key;
  }

  /** A valid access_token (cached; refreshed single-flight when missing or expired). */
  getAccessToken(): Promise<string> {
    return this.#tokens.get();
  }

  /**
   * Who the code belongs to (docs/wecom-api.md §4). The code is single use: a 40029 is never retried,
   * but a rejected token (40001/40014/42001) is refreshed and the call replayed once, since WeCom
   * refuses such a call before looking at the code.
   */
  async getIdentity(code: string, options: GetIdentityOptions = {}): Promise<WeComIdentity> {
    const endpoint = options.endpoint ?? 'user/getuserinfo';
    if (endpoint !== 'user/getuserinfo' && endpoint !== 'auth/getuserinfo') {
      throw new TypeError("getIdentity: endpoint must be 'user/getuserinfo' (legacy) or 'auth/getuserinfo' (current).");
    }
    assertCode('getIdentity', code);
    const query: Record<string, string> = { code };
    if (endpoint === 'user/getuserinfo' && this.agentId !== undefined) query.agentid = String(this.agentId);
    const body = await this.#call(endpoint, { method: 'GET', query, secrets: [code], idempotent: false });
    return normaliseIdentity(endpoint, body, this.#now());
  }

  /** The member's sensitive profile from a user_ticket (POST auth/getuserdetail, docs/wecom-api.md §5). */
  async getUserDetail(userTicket: string): Promise<WeComUserDetail> {
    assertCode('getUserDetail', userTicket, 'user_ticket');
    const body = await this.#call('auth/getuserdetail', {
      method: 'POST',
      json: { user_ticket: userTicket },
      secrets: [userTicket],
      idempotent: false,
    });
    if (stringField(body, 'userid') === undefined) {
      throw new WeComHttpError('auth/getuserdetail', 'unexpected-body', 'the answer has no userid');
    }
    return withoutEnvelope(body) as WeComUserDetail;
  }

  /** A member's directory entry (GET user/get, docs/wecom-api.md §5). */
  async getUser(userId: string): Promise<WeComMember> {
    if (typeof userId !== 'string' || userId === '' || Buffer.byteLength(userId, 'utf8') > 256) {
      throw new TypeError('getUser: userId must be a non-empty string (a WeCom userid).');
    }
    const body = await this.#call('user/get', { method: 'GET', query: { userid: userId }, idempotent: true });
    if (stringField(body, 'userid') === undefined) {
      throw new WeComHttpError('user/get', 'unexpected-body', 'the answer has no userid');
    }
    return withoutEnvelope(body) as WeComMember;
  }

  /**
   * Throws the 60011 WeComApiError when the app may not see the member (outside its visible range,
   * 可见范围): WeCom hands login codes to every member of the corporation, in range or not
   * (https://developer.work.weixin.qq.com/document/path/91023), and `user/get` answers only for
   * members in range (https://developer.work.weixin.qq.com/document/path/96255). The verdict (in
   * range, or 60011) is remembered in the token cache for `rememberMs` (shared by a fleet on Redis),
   * so a returning member costs no call; 0 asks WeCom every time.
   */
  async assertVisible(userId: string, options: { rememberMs?: number } = {}): Promise<void> {
    const rememberMs = options.rememberMs ?? 0;
    const key = `visible:${this.corpId}:${this.#appKey}:${userId}`;
    if (rememberMs > 0) {
      const verdict = await this.#cache.getEntry(key);
      if (verdict === IN_RANGE) return;
      if (verdict === OUT_OF_RANGE)
        throw errorFromEnvelope('user/get', 60011, 'no privilege to access/modify contact/party/agent (remembered verdict)');
    }
    try {
      await this.getUser(userId);
    } catch (err) {
      if (rememberMs > 0 && err instanceof WeComApiError && err.errcode === 60011)
        await this.#cache.setEntry(key, OUT_OF_RANGE, rememberMs);
      throw err;
    }
    if (rememberMs > 0) await this.#cache.setEntry(key, IN_RANGE, rememberMs);
  }

  /**
   * Forget the remembered visible-range verdict of a member (assertVisible), for the whole fleet
   * with a shared cache: their next login asks WeCom again. Called when WeCom says the member
   * changed (docs/callbacks.md, offboarding).
   */
  async forgetVisibility(userId: string): Promise<void> {
    // Shared entries cannot be deleted: a value that is neither verdict, for a millisecond.
    await this.#cache.setEntry(`visible:${this.corpId}:${this.#appKey}:${userId}`, 'forgotten', 1);
  }

  /** Mini-program login (docs/wecom-api.md §6). The js_code is single use: never retried on 40029. */
  async jscode2session(jsCode: string): Promise<MiniProgramSession> {
    assertCode('jscode2session', jsCode, 'js_code');
    const api = 'miniprogram/jscode2session';
    const body = await this.#call(api, {
      method: 'GET',
      query: { js_code: jsCode, grant_type: 'authorization_code' },
      secrets: [jsCode],
      idempotent: false,
    });
    const corpId = stringField(body, 'corpid');
    const userId = stringField(body, 'userid');
    const sessionKey = stringField(body, 'session_key');
    if (corpId === undefined || userId === undefined || sessionKey === undefined) {
      throw new WeComHttpError(api, 'unexpected-body', 'the answer lacks corpid, userid or session_key');
    }
    return { corpId, userId, sessionKey };
  }

  /** The corp jsapi_ticket for `wx.config` (cached like the token). */
  getJsapiTicket(): Promise<string> {
    return this.#jsapiTicket.get();
  }

  /** The app's agent_config ticket for `wx.agentConfig` (cached like the token). */
  getAgentConfigTicket(): Promise<string> {
    return this.#agentConfigTicket.get();
  }

  /**
   * A browser reported that a signature made with the current corp jsapi_ticket was refused
   * (`wx.config` failing with 40093 although the URL was right): WeCom can invalidate tickets
   * early. Renews the ticket if it was fetched at least `minAgeMs` ago (default 5 minutes; the
   * cache knows when, whatever lifetime WeCom reported), so reports from many browsers and
   * instances renew it at most once in that time. Returns whether it did.
   */
  renewJsapiTicket(options: { minAgeMs?: number } = {}): Promise<boolean> {
    return this.#jsapiTicket.renewIfOlderThan(options.minAgeMs ?? DEFAULT_TICKET_RENEW_MIN_AGE_MS);
  }

  /** The same for the agent_config ticket (`wx.agentConfig`). */
  renewAgentConfigTicket(options: { minAgeMs?: number } = {}): Promise<boolean> {
    return this.#agentConfigTicket.renewIfOlderThan(options.minAgeMs ?? DEFAULT_TICKET_RENEW_MIN_AGE_MS);
  }

  /** `wx.config` parameters for the page at `url` (its `#fragment` is ignored). */
  async createJsapiConfig(url: string): Promise<JsapiConfig> {
    checkPageUrl('createJsapiConfig', url);
    const ticket = await this.getJsapiTicket();
    const timestamp = Math.floor(this.#now() / 1000);
    const nonceStr = randomNonce();
    return { appId: this.corpId, timestamp, nonceStr, signature: jsapiSignature({ ticket, nonceStr, timestamp, url }) };
  }

  /** `wx.agentConfig` parameters for the page at `url`. Requires the `agentId` option. */
  async createAgentConfig(url: string): Promise<AgentConfig> {
    checkPageUrl('createAgentConfig', url);
    const agentId = this.agentId;
    if (agentId === undefined) {
      throw new TypeError('createAgentConfig: set the `agentId` option of WeComClient (wx.agentConfig needs it).');
    }
    const ticket = await this.getAgentConfigTicket();
    const timestamp = Math.floor(this.#now() / 1000);
    const nonceStr = randomNonce();
    return {
      corpid: this.corpId,
      agentid: agentId,
      timestamp,
      nonceStr,
      signature: jsapiSignature({ ticket, nonceStr, timestamp, url }),
    };
  }

  /** buildAuthorizeUrl with this client's corpId, agentId and oauthBaseUrl filled in. */
  buildAuthorizeUrl(options: Omit<AuthorizeUrlOptions, 'corpId' | 'oauthBaseUrl'>): string {
    return buildAuthorizeUrl({
      oauthBaseUrl: this.oauthBaseUrl,
      corpId: this.corpId,
      ...(this.agentId === undefined ? {} : { agentId: this.agentId }),
      ...options,
    });
  }

  /** buildWebLoginUrl with this client's corpId, agentId and loginBaseUrl filled in. */
  buildWebLoginUrl(options: Omit<WebLoginUrlOptions, 'corpId' | 'loginBaseUrl' | 'agentId'> & { agentId?: number }): string {
    const agentId = options.agentId ?? this.agentId;
    if (agentId === undefined) throw new TypeError('buildWebLoginUrl: set the `agentId` option of WeComClient (web login needs it).');
    return buildWebLoginUrl({ loginBaseUrl: this.loginBaseUrl, corpId: this.corpId, ...options, agentId });
  }

  /** Send an app message (message/send, once, never retried): see messages.ts. */
  sendMessage(input: SendMessageInput): Promise<SendMessageResult> {
    return sendMessage(this.#api, this.agentId, input);
  }

  /**
   * Update a card whose buttons call back (message/update_template_card, document/path/94888):
   * with the send's response_code or a template_card_event's, once each, within 72 hours.
   */
  updateTemplateCard(update: TemplateCardUpdate): Promise<void> {
    return updateTemplateCard(this.#api, requireAgentId('updateTemplateCard', this.agentId), update);
  }

  /** Take back a message sent in the last 24 hours (message/recall). */
  recallMessage(msgid: string): Promise<void> {
    return recallMessage(this.#api, msgid);
  }

  /** Replace the app's custom menu (menu/create): see menu.ts. */
  createMenu(buttons: readonly MenuItem[]): Promise<void> {
    return createMenu(this.#api, this.agentId, buttons);
  }

  /** The app's custom menu, or undefined when it has none (menu/get). */
  getMenu(): Promise<MenuItem[] | undefined> {
    return getMenu(this.#api, this.agentId);
  }

  /** Remove the app's custom menu (menu/delete). */
  deleteMenu(): Promise<void> {
    return deleteMenu(this.#api, this.agentId);
  }

  /** The app's settings, homepage included (agent/get). */
  getAgent(): Promise<WeComAgent> {
    return getAgent(this.#api, this.agentId);
  }

  /** Change the app's settings, e.g. `{ homeUrl }` (agent/set, self-built apps): see agent.ts. */
  setAgent(settings: AgentSettings): Promise<void> {
    return setAgent(this.#api, this.agentId, settings);
  }

  /** Destroy the keep-alive agents. The client must not be used afterwards. */
  close(): void {
    this.#transport.close();
  }

  /** Keep the secret out of `util.inspect` and JSON. */
  toJSON(): Record<string, unknown> {
    return { corpId: this.corpId, agentId: this.agentId, apiBaseUrl: this.apiBaseUrl };
  }

  // --- internals -------------------------------------------------------------------------

  async #fetchAccessToken(replacing: string | undefined): Promise<FreshCredential> {
    const api = 'gettoken';
    return withBusyRetry(api, this.#busy, this.#logger, async () => {
      const body = await this.#send(
        api,
        { method: 'GET', query: { corpid: this.corpId, corpsecret: this.#secret }, idempotent: true },
        undefined,
      );
      const token = stringField(body, 'access_token');
      if (token === undefined) throw new WeComHttpError(api, 'unexpected-body', 'the answer has no access_token');
      return freshCredential(token, numberField(body, 'expires_in') ?? 7200, replacing, this.#marginSeconds);
    });
  }

  async #fetchTicket(api: string, query: Record<string, string>, replacing: string | undefined): Promise<FreshCredential> {
    const body = await this.#call(api, { method: 'GET', query, idempotent: true });
    const ticket = stringField(body, 'ticket');
    if (ticket === undefined) throw new WeComHttpError(api, 'unexpected-body', 'the answer has no ticket');
    return freshCredential(ticket, numberField(body, 'expires_in') ?? 7200, replacing, this.#marginSeconds);
  }

  /** An API call with the access_token: token refresh + one replay, `-1` backoff when idempotent. */
  async #call(api: string, init: CallInit): Promise<Record<string, unknown>> {
    let token = await this.#tokens.get();
    let tokenRetried = false;
    // Busy tries are counted on their own: the one token replay must not use one of them up.
    let attempt = 1;
    for (;;) {
      try {
        return await this.#send(api, init, token, tokenRetried || attempt > 1);
      } catch (err) {
        if (!(err instanceof WeComApiError)) throw err;
        if (TOKEN_ERRCODES.has(err.errcode) && !tokenRetried) {
          tokenRetried = true;
          this.#logger.warn('wecom access_token rejected; refreshing and retrying once', { api, errcode: err.errcode });
          token = await this.#tokens.rejected(token);
          continue;
        }
        if (err.errcode === SYSTEM_BUSY_ERRCODE && init.idempotent && attempt < this.#busy.tries) {
          const delayMs = backoffDelay(attempt, this.#busy.baseDelayMs);
          this.#logger.warn('wecom system busy, retrying', { api, errcode: err.errcode, attempt, delayMs });
          await sleep(delayMs);
          attempt++;
          continue;
        }
        throw err;
      }
    }
  }

  /** One HTTP exchange and the envelope check, published as a `wecomCall` event when observed. */
  async #send(api: string, init: CallInit, token: string | undefined, retried = false): Promise<Record<string, unknown>> {
    if (!isObserved(channels.wecomCall)) return this.#exchange(api, init, token);
    const began = performance.now();
    try {
      const body = await this.#exchange(api, init, token);
      // An errcode the caller asked to read itself (answerErrcodes, e.g. 81013) comes back as a body.
      const errcode = typeof body.errcode === 'number' ? body.errcode : 0;
      publish(channels.wecomCall, { api, errcode, httpStatus: 200, durationMs: performance.now() - began, retried, corpId: this.corpId });
      return body;
    } catch (err) {
      publish(channels.wecomCall, {
        api,
        durationMs: performance.now() - began,
        retried,
        corpId: this.corpId,
        ...(err instanceof WeComApiError ? { errcode: err.errcode, httpStatus: 200 } : {}),
        ...(err instanceof WeComHttpError ? { failure: err.kind, ...(err.status === undefined ? {} : { httpStatus: err.status }) } : {}),
      });
      throw err;
    }
  }

  async #exchange(api: string, init: CallInit, token: string | undefined): Promise<Record<string, unknown>> {
    const secrets = [this.#secret, token, ...(init.secrets ?? [])];
    const query = token === undefined ? { ...init.query } : { access_token: token, ...init.query };
    let body: Record<string, unknown>;
    try {
      body = await this.#transport.request({
        api,
        method: init.method,
        baseUrl: this.apiBaseUrl,
        path: `/cgi-bin/${api}`,
        query,
        json: init.json,
        secrets,
      });
    } catch (err) {
      if (err instanceof WeComHttpError) {
        this.#logger.debug('wecom request failed', { api, kind: err.kind, status: err.status });
      }
      throw err;
    }
    // Success bodies may omit errcode (docs/wecom-api.md §3); an integer in a string is tolerated.
    const raw = body.errcode;
    const errcode = typeof raw === 'number' ? raw : typeof raw === 'string' && /^-?\d+$/.test(raw) ? Number(raw) : 0;
    if (errcode === 0) return body;
    const errmsg = redact(typeof body.errmsg === 'string' ? body.errmsg : '', secrets);
    if (init.answerErrcodes?.includes(errcode)) return { ...body, errcode, errmsg };
    const error = errorFromEnvelope(api, errcode, errmsg);
    // debug: the caller (the login, an app route) reports what the error meant, once.
    this.#logger.debug('wecom api error', { api, errcode, error: error.name });
    throw error;
  }
}

function checkPageUrl(fn: string, url: unknown): asserts url is string {
  if (typeof url !== 'string' || !/^https?:\/\//i.test(url)) {
    throw new TypeError(`${fn}: url must be the full http(s) URL of the page calling the JS-SDK (location.href without #…).`);
  }
}
