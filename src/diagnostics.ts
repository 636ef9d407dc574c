/**
 * What logins and WeCom calls do, published through `node:diagnostics_channel` (the way undici
 * and Node's http publish theirs): nothing is built or sent while nobody subscribes, so the
 * events cost nothing by default. The channel names and payload types are public API.
 *
 * ```ts
 * import diagnostics_channel from 'node:diagnostics_channel';
 * import { channels } from 'express-wecom-auth';
 * diagnostics_channel.subscribe(channels.loginFailed, (event) => console.log(event));
 * ```
 *
 * No payload ever holds a code, token, ticket, secret or session key: ids of people (UserId,
 * OpenId) and WeCom's error codes only. `express-wecom-auth/metrics` turns these events into
 * Prometheus metrics (docs/operations.md).
 */
import diagnostics_channel from 'node:diagnostics_channel';

export const channels = Object.freeze({
  /** A login was started: the redirect to WeCom. Payload: LoginStartedEvent. */
  loginStarted: 'express-wecom-auth:login:started',
  /** A callback logged someone in. Payload: LoginSucceededEvent. */
  loginSucceeded: 'express-wecom-auth:login:succeeded',
  /** A login route failed (its page was shown). Payload: LoginFailedEvent. */
  loginFailed: 'express-wecom-auth:login:failed',
  /** One HTTP exchange with WeCom's API finished. Payload: WeComCallEvent. */
  wecomCall: 'express-wecom-auth:wecom:call',
  /** An access_token or JS-SDK ticket was fetched, invalidated, or its fetch is cooling down. Payload: CredentialEvent. */
  credential: 'express-wecom-auth:credential',
  /** A callback from WeCom was answered (or refused), or its handlers finished after the answer. Payload: CallbackDeliveryEvent. */
  callbackDelivery: 'express-wecom-auth:callback:delivery',
  /** A member's sessions were ended (offboarding). Payload: SessionsEndedEvent. */
  sessionsEnded: 'express-wecom-auth:sessions:ended',
});

export type ChannelName = (typeof channels)[keyof typeof channels];

export interface LoginStartedEvent {
  /** `oauth` inside the WeCom client, `web-login` (QR) in another browser. */
  flow: 'oauth' | 'web-login';
  /** 1 when the callback restarted a login (a state that did not come back, a used code). */
  attempt: number;
  /** The `appKey` of the wecomAuth() instance, when it has one. */
  appKey?: string;
}

export interface LoginSucceededEvent {
  flow: 'oauth' | 'web-login';
  userType: 'member' | 'non-member';
  userId?: string;
  openId?: string;
  corpId: string;
  agentId: number;
  /** From the redirect to WeCom to this callback's answer, in ms (the person's wait). */
  loginMs: number;
  /** This callback's own time, in ms (the code exchange and checks, the session write). */
  callbackMs: number;
  /** A second delivery of the same callback that followed the first one's outcome (no WeCom call). */
  duplicate: boolean;
  appKey?: string;
}

export interface LoginFailedEvent {
  /** Why: see LoginFailureReason (`state`, `wecom`, `visibility`, `session-store`, `hook`…). */
  reason: string;
  /** The page shown. */
  page: string;
  status: number;
  /** WeCom's errcode and API, when WeCom refused. */
  errcode?: number;
  api?: string;
  /** Who, when the failure came after WeCom named them (a visibility or hook refusal). */
  userId?: string;
  /** This request's time, in ms. */
  durationMs: number;
  appKey?: string;
}

export interface WeComCallEvent {
  /** The API, e.g. `user/getuserinfo`, `gettoken`. */
  api: string;
  /** WeCom's errcode (0 for success); undefined when no WeCom answer was read (timeout, network). */
  errcode?: number;
  /** HTTP status of the answer, when there was one. */
  httpStatus?: number;
  /** Transport failure kind (`timeout`, `network`, `not-json`…), when the call failed below WeCom. */
  failure?: string;
  durationMs: number;
  /** This exchange repeats an earlier one (a refreshed token, a busy retry). */
  retried: boolean;
  corpId: string;
}

export interface CredentialEvent {
  /** `fetched`: a new value from WeCom; `invalidated`: WeCom rejected the cached one; `cooldown`: a failed fetch is not retried for `cooldownMs`. */
  action: 'fetched' | 'invalidated' | 'cooldown';
  credential: 'access_token' | 'jsapi_ticket' | 'agent_config_ticket';
  corpId: string;
  /** The cache key's app part (`<agentId>:<secret hash>`), never the secret or the value. */
  app: string;
  /** For `fetched`: how long the value is valid, in ms. */
  lifetimeMs?: number;
  /** For `cooldown`: the errcode that caused it, and for how long, in ms. */
  errcode?: number;
  cooldownMs?: number;
  /** ms since the epoch. */
  at: number;
}

export interface CallbackDeliveryEvent {
  /**
   * `handled`, `ignored` (no handler), `duplicate`, `in-progress`, `failed` (a handler threw: WeCom
   * retries), `unavailable` (the de-duplication store), `refused` (a 4xx: see `reason`),
   * `late-failure` (handlers slower than the budget, acknowledged in time, then failed: WeCom will
   * not retry, so look at it), `verified` (the console's URL check).
   */
  outcome: 'handled' | 'ignored' | 'duplicate' | 'in-progress' | 'failed' | 'unavailable' | 'refused' | 'late-failure' | 'verified';
  /** The event's handler name (`change_contact.delete_user`), when the delivery was opened. */
  event?: string;
  /** For `refused`: the WeComCallbackError code (`WECOM_CALLBACK_BAD_SIGNATURE`, …). */
  reason?: string;
  status: number;
  /** The app's `appKey`, when the receiver belongs to one. */
  appKey?: string;
  durationMs: number;
}

export interface SessionsEndedEvent {
  corpId: string;
  userId: string;
  /** How many sessions were destroyed. */
  sessions: number;
  durationMs: number;
}

const byName = new Map<string, diagnostics_channel.Channel>();
function channel(name: ChannelName): diagnostics_channel.Channel {
  let found = byName.get(name);
  if (found === undefined) byName.set(name, (found = diagnostics_channel.channel(name)));
  return found;
}

/** Whether anyone listens: check before building a payload. */
export function isObserved(name: ChannelName): boolean {
  return channel(name).hasSubscribers;
}

export function publish(name: typeof channels.loginStarted, event: LoginStartedEvent): void;
export function publish(name: typeof channels.loginSucceeded, event: LoginSucceededEvent): void;
export function publish(name: typeof channels.loginFailed, event: LoginFailedEvent): void;
export function publish(name: typeof channels.wecomCall, event: WeComCallEvent): void;
export function publish(name: typeof channels.credential, event: CredentialEvent): void;
export function publish(name: typeof channels.callbackDelivery, event: CallbackDeliveryEvent): void;
export function publish(name: typeof channels.sessionsEnded, event: SessionsEndedEvent): void;
export function publish(name: ChannelName, event: object): void {
  const target = channel(name);
  if (target.hasSubscribers) target.publish(event);
}
