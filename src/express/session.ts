/**
 * What the middleware keeps in express-session, and promise wrappers for its callbacks.
 */
import type { Request } from 'express';
import type { Session, SessionData } from 'express-session';

/** The logged-in person, as stored in the session and exposed as `req.wecomUser`. */
export interface WeComUser {
  /** `member` for an employee (UserId), `non-member` for someone outside the corporation (OpenId). */
  type: 'member' | 'non-member';
  /** The member's UserId (absent for non-members). */
  userId?: string;
  /** The non-member's OpenId (absent for members). */
  openId?: string;
  /** WeCom's DeviceId for the device used to log in, when WeCom gives one. */
  deviceId?: string;
  externalUserId?: string;
  corpId: string;
  agentId: number;
  /** ms since the epoch. */
  loginAt: number;
  /** How the person logged in: in-app OAuth, WeCom's web (QR) login, or a mini program. */
  via?: 'oauth' | 'web-login' | 'miniprogram';
  /** Profile fields the app chose to keep (the `profile` option). */
  profile?: Record<string, unknown>;
  /** ms since the epoch: the login ends then, however often it is used (mini-program logins: `maxAgeMs`). */
  expiresAt?: number;
}

declare module 'express-session' {
  interface SessionData {
    /** The logged-in person (the wecomAuth() instance without an `appKey`). */
    wecom?: WeComUser;
    /** Logins of wecomAuth() instances configured with an `appKey`, by key. */
    wecomApps?: Record<string, WeComUser>;
  }
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** Set by `requireUser()` when someone is logged in. */
      wecomUser?: WeComUser;
    }
  }
}

export type RequestSession = Session & Partial<SessionData>;

/** The login kept by a wecomAuth() instance: `wecom`, or `wecomApps[appKey]` for one with an `appKey`. */
export function sessionUser(session: RequestSession, appKey: string | undefined): WeComUser | undefined {
  return appKey === undefined ? session.wecom : session.wecomApps?.[appKey];
}

export function setSessionUser(session: RequestSession, appKey: string | undefined, user: WeComUser): void {
  if (appKey === undefined) session.wecom = user;
  else session.wecomApps = { ...session.wecomApps, [appKey]: user };
}

/** Thrown when express-session is missing or its store could not give us a session. */
export class SessionUnavailableError extends Error {
  readonly code = 'WECOM_AUTH_SESSION_UNAVAILABLE';
  readonly status = 503;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SessionUnavailableError';
  }
}

/**
 * The request's session, or an error. express-session skips creating a session when its store
 * reported a disconnect; treating that as "anonymous" would fail open, so it is an error here.
 */
export function requireSession(req: Request): RequestSession {
  const session = (req as Request & { session?: RequestSession }).session;
  if (!session) {
    throw new SessionUnavailableError(
      'No session on this request: either express-session is not mounted before express-wecom-auth, or its store is unavailable.',
    );
  }
  return session;
}

export function saveSession(req: Request): Promise<void> {
  const session = requireSession(req);
  return new Promise((resolve, reject) => {
    session.save((err: unknown) => (err ? reject(asStoreError(err)) : resolve()));
  });
}

export function regenerateSession(req: Request): Promise<RequestSession> {
  const session = requireSession(req);
  return new Promise((resolve, reject) => {
    session.regenerate((err: unknown) => (err ? reject(asStoreError(err)) : resolve(requireSession(req))));
  });
}

export function destroySession(req: Request): Promise<void> {
  const session = requireSession(req);
  return new Promise((resolve, reject) => {
    session.destroy((err: unknown) => (err ? reject(asStoreError(err)) : resolve()));
  });
}

function asStoreError(err: unknown): Error {
  return new SessionUnavailableError('The session store failed.', { cause: err });
}
