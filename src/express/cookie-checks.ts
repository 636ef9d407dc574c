/**
 * What the library can check of the cookie rules it cannot set itself (docs/security.md): looked
 * at on the first request that reaches the middleware, each problem reported once, through Node's
 * process warnings (visible by default, silenced with `--disable-warning=<code>`) and the logger.
 *
 * - `baseUrl` is https but the request arrived as http: Express was not told it sits behind a TLS
 *   proxy (`trust proxy`), so express-session refuses to set a `secure` cookie and logins loop.
 * - `trust proxy` is `true`: every X-Forwarded-* header is believed, whoever sent it; use the
 *   number of proxies in front of the app.
 * - the session cookie is readable by scripts (`httpOnly: false`) or sent on cross-site requests
 *   (`sameSite: 'none'`), which only an app embedded in another site needs.
 */
import type { Request } from 'express';
import type { WeComLogger } from '../wecom/index.ts';
import { createLog } from '../wecom/logger.ts';
import type { Log } from '../wecom/logger.ts';

export class CookieChecks {
  readonly #secureOrigin: boolean;
  readonly #logger: Log;
  #done = false;

  constructor(options: { secureOrigin: boolean; logger: WeComLogger | undefined }) {
    this.#secureOrigin = options.secureOrigin;
    this.#logger = createLog(options.logger, 'login');
  }

  /** Cheap after the first request: one boolean. */
  inspect(req: Request): void {
    if (this.#done) return;
    this.#done = true;
    if (this.#secureOrigin && req.protocol === 'http') {
      this.#warn(
        'WECOM_AUTH_HTTP_BEHIND_HTTPS',
        'baseUrl is https but this request arrived as http: behind a TLS proxy, set app.set("trust proxy", <number of proxies>) so that secure cookies are set (logins loop otherwise).',
      );
    }
    if (req.app?.get('trust proxy') === true) {
      this.#warn(
        'WECOM_AUTH_TRUST_PROXY_TRUE',
        'app "trust proxy" is true: X-Forwarded-For/-Proto/-Host are believed from anyone. Set the number of proxies in front of the app instead, e.g. app.set("trust proxy", 1).',
      );
    }
    const cookie = (req as Request & { session?: { cookie?: { httpOnly?: boolean; sameSite?: unknown } } }).session?.cookie;
    if (cookie?.httpOnly === false) {
      this.#warn(
        'WECOM_AUTH_SESSION_COOKIE_NOT_HTTPONLY',
        'the session cookie is not httpOnly: any script on the page can read the logged-in session. Set cookie: { httpOnly: true } in express-session.',
      );
    }
    if (String(cookie?.sameSite).toLowerCase() === 'none') {
      this.#warn(
        'WECOM_AUTH_SESSION_COOKIE_SAMESITE_NONE',
        "the session cookie has sameSite: 'none': it is sent on cross-site requests. Use 'lax' unless the app is embedded in another site (then silence this warning).",
      );
    }
  }

  #warn(code: string, message: string): void {
    this.#logger.warn(`express-wecom-auth: ${message}`, { code });
    process.emitWarning(message, { type: 'ExpressWeComAuthWarning', code });
  }
}
