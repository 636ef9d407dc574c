/**
 * The demo app (`createDemoApp`) on a free loopback port against its own emulator, and a browser
 * made of plain fetch: a cookie jar, and a login walked the way the WeCom client walks it (the
 * app's 302 to the emulator, the emulator's 302 back with a code, the callback). Real HTTP only.
 */
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startEmulator } from '../../src/emulator/index.ts';
import type { Emulator } from '../../src/emulator/index.ts';
import { createDemoApp } from '../../src/demo/app.ts';
import type { DemoAppOptions } from '../../src/demo/app.ts';
import type { WeComAuth } from '../../src/index.ts';
import { WECOM_UA } from '../helpers/flow.ts';

export const DEMO_RIG_SESSION_SECRET = 'demo-rig-session-secret-0123456789abcdef';
export const HTML = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';

/** One browser's cookies (names and values; the tests read the attributes from the answers). */
export class Jar {
  readonly cookies = new Map<string, string>();
  store(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const pair = line.split(';')[0] ?? '';
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      if (/;\s*(max-age=0|expires=thu, 01 jan 1970)/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, pair.slice(eq + 1));
    }
  }
  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

export interface Answer {
  status: number;
  headers: Headers;
  body: string;
}

export interface Rig {
  /** Where the test's requests go: `http://127.0.0.1:PORT`. */
  readonly url: string;
  /** The demo's public origin (its `baseUrl`): the same as `url` unless the rig was given one. */
  readonly origin: string;
  readonly emulator: Emulator;
  readonly wecom: WeComAuth;
  request(path: string, options?: { jar?: Jar; method?: string; headers?: Record<string, string>; form?: string }): Promise<Answer>;
  /** A whole in-app login as `user`, from `path`, in a new browser or the given one; returns its jar. */
  login(user: string, path?: string, jar?: Jar): Promise<Jar>;
  close(): Promise<void>;
}

export interface RigOptions extends Partial<Omit<DemoAppOptions, 'wecom'>> {
  /** The public origin when it is not the server's own address (e.g. an https origin behind a "proxy"). */
  origin?: string;
  /** Headers every request carries (e.g. X-Forwarded-Proto from the "proxy"). */
  headers?: Record<string, string>;
  wecom?: Partial<DemoAppOptions['wecom']>;
}

export async function startRig(options: RigOptions = {}): Promise<Rig> {
  const emulator = await startEmulator({ port: 0 });
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const origin = options.origin ?? url;
  for (const app of emulator.fixture.corps[0]?.apps ?? []) app.trustedDomains.push(new URL(origin).host);
  const { origin: _o, headers: common = {}, wecom: wecomOptions, ...demoOptions } = options;
  const demo = createDemoApp({
    sessionSecret: DEMO_RIG_SESSION_SECRET,
    ...demoOptions,
    wecom: {
      corpId: 'wwdemocorp0000001',
      agentId: 1000002,
      secret: 'demo-secret',
      baseUrl: origin,
      apiBaseUrl: emulator.url,
      oauthBaseUrl: emulator.url,
      loginBaseUrl: emulator.url,
      ...wecomOptions,
    },
  });
  server.on('request', demo.app);

  const request: Rig['request'] = async (path, o = {}) => {
    const headers: Record<string, string> = { 'user-agent': WECOM_UA, accept: HTML, ...common, ...o.headers };
    const cookie = o.jar?.header();
    if (cookie) headers['cookie'] = cookie;
    if (o.form !== undefined) headers['content-type'] ??= 'application/x-www-form-urlencoded';
    const res = await fetch(url + path, {
      method: o.method ?? 'GET',
      redirect: 'manual',
      headers,
      ...(o.form !== undefined ? { body: o.form } : {}),
    });
    o.jar?.store(res);
    return { status: res.status, headers: res.headers, body: await res.text() };
  };

  const login: Rig['login'] = async (user, path = '/', jar = new Jar()) => {
    const start = await request(path, { jar });
    const authorize = start.headers.get('location') ?? '';
    if (start.status !== 302 || !authorize.startsWith(emulator.url)) throw new Error(`GET ${path}: ${start.status} ${authorize}`);
    const wecom = await fetch(authorize, { redirect: 'manual', headers: { 'user-agent': WECOM_UA, 'x-wecom-emulator-user': user } });
    const callback = new URL(wecom.headers.get('location') ?? '');
    if (callback.origin !== origin) throw new Error(`the emulator sent the browser to ${callback.href}`);
    const back = await request(callback.pathname + callback.search, { jar });
    if (back.status !== 302) throw new Error(`callback: ${back.status} ${back.body.slice(0, 200)}`);
    return jar;
  };

  return {
    url,
    origin,
    emulator,
    wecom: demo.wecom,
    request,
    login,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      demo.wecom.close();
      demo.metrics.close();
      await emulator.close();
    },
  };
}
