/**
 * Links to paste into the WeCom admin console: an app's homepage, a custom-menu item, a
 * message-card URL. Two forms work:
 *
 * - the plain app URL (`https://app.example.com/orders`): the guard starts the login;
 * - a pre-built authorize URL, which some teams paste so that WeCom attaches the identity on the
 *   first hop. It carries a fixed `state` that no browser started, so its code is never exchanged
 *   (that is what makes a fixed state safe); the callback starts a fresh login instead and lands
 *   on the page named by the callback's validated `to` parameter.
 */
import { buildAuthorizeUrl } from '../wecom/index.ts';
import { safeReturnTarget } from './return-to.ts';

export interface EntryLinkOptions {
  corpId: string;
  agentId: number;
  /** The app's public origin, e.g. `https://app.example.com`. */
  baseUrl: string;
  /** The page to open, a path on the app such as `/orders?tab=open`, with a hash route if any (`/?tab=1#/orders/7`). */
  path: string;
  /** The callback route. Default `/auth/wecom/callback`. */
  callbackPath?: string;
  oauthBaseUrl?: string;
  scope?: 'snsapi_base' | 'snsapi_privateinfo';
  /** The fixed state written into the pre-built link. Default `entry`. */
  state?: string;
}

export interface EntryLinks {
  /** Paste this anywhere: the guard starts the login. */
  appUrl: string;
  /** The pre-built OAuth link variant (WeCom authorizes on the first hop). */
  authorizeUrl: string;
}

export function buildEntryLinks(options: EntryLinkOptions): EntryLinks {
  const origin = new URL(options.baseUrl).origin;
  // A hash route is kept: the app URL carries it, and the pre-built link's `to` brings it back.
  const path = safeReturnTarget(options.path, origin);
  if (!path) throw new TypeError(`path must be a path on ${origin} starting with a single "/", got ${JSON.stringify(options.path)}`);
  const callback = new URL(options.callbackPath ?? '/auth/wecom/callback', origin);
  callback.searchParams.set('to', path);
  return {
    appUrl: origin + path,
    authorizeUrl: buildAuthorizeUrl({
      oauthBaseUrl: options.oauthBaseUrl,
      corpId: options.corpId,
      agentId: options.agentId,
      redirectUri: callback.href,
      scope: options.scope ?? 'snsapi_base',
      state: options.state ?? 'entry',
    }),
  };
}
