/**
 * A failed login, as the app's error middleware sees it: the login routes pass every failure to
 * `next(err)` as a WeComLoginError, and `errorHandler()` renders its page (or JSON). An app that
 * reports errors (Sentry, its own logger) therefore sees failed logins like any other error.
 */
import type { PageId, ShowPageInput } from './views.ts';

/** Why a login failed, for logs, metrics and audit trails. */
export type LoginFailureReason =
  | 'bad-request' // malformed or repeated parameters
  | 'state' // no login of this browser matches (and a restart did not help): cookies blocked
  | 'cancelled' // WeCom sent no code (the person refused the web login)
  | 'open-in-wecom' // personal WeChat, or a browser with wecomClientOnly
  | 'non-member' // not a member of the corporation, and allowNonMembers is off
  | 'wecom' // WeCom answered with an error (see `cause`: errcode, api)
  | 'visibility' // outside the app's visible range (60011)
  | 'hook' // the onLogin hook refused the login
  | 'session-store' // the session store failed
  | 'cross-site' // a sign-out posted by another site (Sec-Fetch-Site / Origin)
  | 'server'; // anything else (a bug): shown as a plain 500

export class WeComLoginError extends Error {
  readonly code = 'WECOM_LOGIN_FAILED';
  /** The HTTP status of the page. */
  readonly status: number;
  /** The message is safe to show (http-errors' convention); it never holds a code, token or secret. */
  readonly expose = true;
  readonly reason: LoginFailureReason;
  /** The page `errorHandler()` renders, and what it needs. */
  readonly page: PageId;
  readonly input: ShowPageInput;
  /** Who, when WeCom had named the person before the login failed (visible range, the onLogin hook). */
  userId: string | undefined;

  constructor(
    reason: LoginFailureReason,
    page: PageId,
    status: number,
    input: ShowPageInput = {},
    options?: { cause?: unknown; userId?: string },
  ) {
    super(`WeCom login failed (${reason}): ${page}`, options);
    this.name = 'WeComLoginError';
    this.reason = reason;
    this.page = page;
    this.status = status;
    this.input = input;
    this.userId = options?.userId;
  }
}

/** What `hooks.onLoginFailed` receives: the same facts as the `loginFailed` event, never a secret. */
export interface LoginFailure {
  reason: LoginFailureReason;
  page: PageId;
  status: number;
  errcode?: number;
  api?: string;
  userId?: string;
  /** ms since the epoch. */
  at: number;
}
