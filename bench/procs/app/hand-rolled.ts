/**
 * The hand-written contenders: the floor (the least a correct login does: state in the session,
 * one cached token, one code exchange on node:https, regenerate, save), the guard's baseline
 * (express-session alone and a "logged in?" check), and the login routes the logto wrapper shares
 * with the floor.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { Request } from 'express';
import got from 'got';
import { API, AUTHORIZE, AGENT_ID, CORP_ID, SECRET, isPage, page, regenerate, save, wrap } from './common.ts';
import type { BenchUser, Mount } from './common.ts';

/** GET WeCom's API through a keep-alive agent (https, or http with BENCH_WECOM_TLS=0), JSON out. */
const client = API.startsWith('https:') ? https : http;
const agent = new client.Agent({ keepAlive: true, maxSockets: 64 });

/**
 * BENCH_FLOOR_HTTP=got: the floor calls WeCom through got, prepared once as the library prepares it
 * (the experiment on the floor's own work in bench/NOTES.md: how much of the ratio is the floor's
 * choice of client).
 */
const viaGot =
  process.env['BENCH_FLOOR_HTTP'] === 'got'
    ? got.extend({
        agent: { http: agent, https: agent as https.Agent },
        retry: { limit: 0 },
        throwHttpErrors: false,
        followRedirect: false,
        timeout: { connect: 3000, secureConnect: 3000, response: 5000, read: 5000, request: 8000 },
        headers: { accept: 'application/json' },
      })
    : undefined;

export function getJson(path: string): Promise<Record<string, unknown>> {
  if (viaGot) {
    return new Promise((resolve, reject) => {
      let body = '';
      const stream = viaGot.stream(`${API}${path}`);
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => (body += chunk));
      stream.once('error', reject);
      stream.once('end', () => resolve(JSON.parse(body) as Record<string, unknown>));
    });
  }
  return new Promise((resolve, reject) => {
    client
      .get(`${API}${path}`, { agent }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => {
          try {
            resolve(JSON.parse(body) as Record<string, unknown>);
          } catch (err) {
            reject(err instanceof Error ? err : new Error(String(err)));
          }
        });
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

/** The hand-written guard + login of the floor and of the logto wrapper: state in the session. */
export function handRolled(
  { app }: Mount,
  authorizeUrl: (req: Request, state: string) => Promise<string>,
  exchange: (code: string) => Promise<BenchUser>,
): void {
  app.get(
    '/page',
    wrap(async (req, res) => {
      const user = req.session.user;
      if (user) return page(user.userId)(req, res);
      if (!isPage(req)) {
        res.status(401).json({ error: 'unauthenticated' });
        return;
      }
      const state = randomBytes(16).toString('hex');
      req.session.login = { state, returnTo: req.originalUrl };
      await save(req);
      res.redirect(302, await authorizeUrl(req, state));
    }),
  );
  app.get(
    '/auth/callback',
    wrap(async (req, res) => {
      const { code, state } = req.query;
      const login = req.session.login;
      delete req.session.login;
      if (!login || typeof state !== 'string' || state !== login.state || typeof code !== 'string') {
        res.status(400).send('bad login');
        return;
      }
      const user = await exchange(code);
      await regenerate(req);
      req.session.user = user;
      await save(req);
      res.redirect(302, login.returnTo);
    }),
  );
}

export function mountFloor(mount: Mount): void {
  let token: { value: string; expiresAt: number } | undefined;
  let inflight: Promise<string> | undefined;
  const accessToken = (): Promise<string> => {
    if (token && token.expiresAt > Date.now()) return Promise.resolve(token.value);
    inflight ??= getJson(`/cgi-bin/gettoken?corpid=${CORP_ID}&corpsecret=${SECRET}`)
      .then((body) => {
        if (typeof body['access_token'] !== 'string') throw new Error(`gettoken ${String(body['errcode'])}`);
        token = { value: body['access_token'], expiresAt: Date.now() + (Number(body['expires_in']) - 300) * 1000 };
        return token.value;
      })
      .finally(() => {
        inflight = undefined;
      });
    return inflight;
  };
  handRolled(
    mount,
    async (_req, state) =>
      `${AUTHORIZE}?appid=${CORP_ID}&redirect_uri=${encodeURIComponent(mount.callbackUrl)}&response_type=code&scope=snsapi_base&state=${state}&agentid=${AGENT_ID}#wechat_redirect`,
    async (code) => {
      const body = await getJson(`/cgi-bin/user/getuserinfo?access_token=${await accessToken()}&code=${encodeURIComponent(code)}`);
      if (typeof body['UserId'] !== 'string') throw new Error(`getuserinfo ${String(body['errcode'])}`);
      return {
        userId: body['UserId'],
        loginAt: Date.now(),
        ...(typeof body['DeviceId'] === 'string' ? { deviceId: body['DeviceId'] } : {}),
      };
    },
  );
}

export function mountSessionOnly({ app }: Mount): void {
  app.get(
    '/__bench/seed',
    wrap(async (req, res) => {
      req.session.user = { userId: 'zhangsan', loginAt: Date.now() };
      await save(req);
      res.json({ ok: true });
    }),
  );
  app.get('/page', (req, res) => {
    const user = req.session.user;
    if (!user) {
      res.status(401).json({ error: 'unauthenticated' });
      return;
    }
    page(user.userId)(req, res);
  });
}
