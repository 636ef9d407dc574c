/**
 * What every server under test shares (bench/procs/app.ts): the corporation's ids, where WeCom is,
 * the guarded page's answer, and the small session helpers of the hand-written contenders.
 */
import type { Express, Request, RequestHandler, Response } from 'express';
import type { createClient } from 'redis';

export const CORP_ID = 'wwdemocorp0000001';
export const AGENT_ID = 1000002;
export const SECRET = 'demo-secret';
/**
 * WeCom's real origins, which the DNS preload points at the emulator; with BENCH_WECOM_TLS=0 the
 * emulator's plain-HTTP origin instead, which only the floor and the library can be told.
 */
export const PLAIN_WECOM = process.env['BENCH_WECOM_PLAIN_ORIGIN'] || undefined;
export const API = PLAIN_WECOM ?? 'https://qyapi.weixin.qq.com';
export const AUTHORIZE = `${PLAIN_WECOM ?? 'https://open.weixin.qq.com'}/connect/oauth2/authorize`;

export type Kind = 'lib' | 'session-only' | 'floor' | 'passport' | 'logto';
export interface AppConfig {
  kind: Kind;
  store: 'memory' | 'redis';
  redisUrl?: string;
  /** Redis key prefix (sessions and tokens), so runs never share state by accident. */
  prefix?: string;
  /** The public origin (several processes behind one "load balancer" share it). Default: this process's own. */
  baseUrl?: string;
  /**
   * kind 'lib': the library's options beyond the required ones. Unset, the library runs with its
   * defaults: the visible-range check on, its verdicts remembered for 5 minutes
   * (`visibilityCacheMs`), so that a returning employee's login is one WeCom call.
   */
  checkVisibility?: boolean;
  visibilityCacheMs?: number;
  /**
   * kind 'lib': the library from another source tree (a before/after comparison, or the variant
   * with node:https in place of got that bench/lib/variant.ts builds); default this checkout's src/.
   */
  libSrc?: string;
  /** kind 'lib': subscribe the Prometheus metrics (express-wecom-auth/metrics) to the library's events. */
  metrics?: boolean;
  /** kind 'lib': the start page that keeps a hash route (default on; false: the plain redirect, bench/start-page.ts). */
  keepFragments?: boolean;
}

export interface BenchUser {
  userId: string;
  deviceId?: string;
  loginAt: number;
}
declare module 'express-session' {
  interface SessionData {
    user?: BenchUser;
    login?: { state: string; returnTo: string };
    returnTo?: string;
  }
}

/** What a contender's set-up gets from the process. */
export interface Mount {
  app: Express;
  config: AppConfig;
  baseUrl: string;
  callbackUrl: string;
  redis: ReturnType<typeof createClient> | undefined;
}

export const page =
  (userId: string | undefined) =>
  (_req: Request, res: Response): void => {
    res.setHeader('Cache-Control', 'no-store');
    res.json({ page: 'orders', userId });
  };

export function save(req: Request): Promise<void> {
  return new Promise((resolve, reject) => req.session.save((err: unknown) => (err ? reject(err) : resolve())));
}
export function regenerate(req: Request): Promise<void> {
  return new Promise((resolve, reject) => req.session.regenerate((err: unknown) => (err ? reject(err) : resolve())));
}
export function isPage(req: Request): boolean {
  return req.method === 'GET' && /text\/html/.test(String(req.headers.accept ?? ''));
}
export const wrap =
  (fn: (req: Request, res: Response) => Promise<void>): RequestHandler =>
  (req, res, next) => {
    fn(req, res).catch(next);
  };
