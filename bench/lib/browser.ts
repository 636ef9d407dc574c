/**
 * The driver's browser, as far as a login flow needs one: a cookie jar, one request at a time to
 * the app (round-robin over its backends) or to WeCom (the emulator), and which URL a answer
 * sends it to next. A flow follows whatever the app answers, so that a change of the login's shape
 * (a start page, a landing page) changes the request count, not the driver:
 *   - a 3xx with a Location: that URL;
 *   - a 200 with `Refresh: 0;url=…` (the landing answer): that URL;
 *   - a 200 HTML page with `<a id="wecom-login" href="…">` (the login start page): that link;
 *   - anything else ends the flow (the guarded page's JSON, or an error page).
 */
import http from 'node:http';
import https from 'node:https';

export const WECOM_HOSTS: ReadonlySet<string> = new Set([
  'qyapi.weixin.qq.com',
  'open.weixin.qq.com',
  'open.work.weixin.qq.com',
  'login.work.weixin.qq.com',
]);

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  setCookie: string[];
  body: string;
}

/** A browser's cookie jar for the app's origin: a cookie goes only to its Path, and Max-Age=0 deletes it. */
export class Jar {
  readonly #cookies = new Map<string, { value: string; path: string }>();
  take(setCookie: readonly string[]): void {
    for (const line of setCookie) {
      const [pair = '', ...attributes] = line.split(';');
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      const name = pair.slice(0, eq).trim();
      let path = '/';
      let gone = false;
      for (const attribute of attributes) {
        const [key = '', value = ''] = attribute.split('=');
        const k = key.trim().toLowerCase();
        if (k === 'path') path = value.trim() || '/';
        if (k === 'max-age' && Number(value) <= 0) gone = true;
      }
      if (gone) this.#cookies.delete(name);
      else this.#cookies.set(name, { value: pair.slice(eq + 1).trim(), path });
    }
  }
  header(url: URL): string {
    const on = (path: string) => url.pathname === path || url.pathname.startsWith(path.endsWith('/') ? path : `${path}/`);
    return [...this.#cookies]
      .filter(([, c]) => on(c.path))
      .map(([k, c]) => `${k}=${c.value}`)
      .join('; ');
  }
}

const ENTITIES: Record<string, string> = { '&amp;': '&', '&quot;': '"', '&#39;': "'", '&#x27;': "'", '&lt;': '<', '&gt;': '>' };
const decode = (text: string): string => text.replace(/&(?:amp|quot|#39|#x27|lt|gt);/g, (e) => ENTITIES[e] ?? e);

/** Where an answer sends the browser next, or undefined when the flow ends on it. */
export function nextUrl(reply: Pick<Reply, 'status' | 'headers' | 'body'>, from: URL): URL | undefined {
  const location = reply.headers.location;
  if (reply.status >= 300 && reply.status < 400 && location) return new URL(location, from);
  if (reply.status !== 200) return undefined;
  const refresh = reply.headers['refresh'];
  const refreshed = typeof refresh === 'string' ? /^\s*\d+\s*[;,]\s*url\s*=\s*['"]?([^'"]+)['"]?\s*$/i.exec(refresh) : null;
  if (refreshed?.[1]) return new URL(decode(refreshed[1].trim()), from);
  if (!/text\/html/i.test(String(reply.headers['content-type'] ?? ''))) return undefined;
  // The start page's link, whatever the order of the tag's attributes.
  const tag = /<a\b[^>]*\bid\s*=\s*["']wecom-login["'][^>]*>/i.exec(reply.body)?.[0];
  const href = tag ? /\bhref\s*=\s*(?:"([^"]*)"|'([^']*)')/i.exec(tag) : null;
  const link = href?.[1] ?? href?.[2];
  return link ? new URL(decode(link), from) : undefined;
}

export interface Target {
  /** The app's public origin. */
  origin: string;
  /** Where requests for `origin` really go: one or more http://127.0.0.1:PORT, round-robin. */
  backends: string[];
  next: number;
  agent: http.Agent;
}

/** How the driver reaches WeCom: the emulator's TLS port under WeCom's host names, or its plain HTTP origin. */
export interface WeComRoute {
  tlsPort: number;
  /** Set when the emulator serves plain HTTP (BENCH_WECOM_TLS=0): its origin, e.g. http://127.0.0.1:4321. */
  plainOrigin: string | undefined;
  tlsAgent: https.Agent;
  plainAgent: http.Agent;
}

export const isWeCom = (url: URL, route: WeComRoute): boolean =>
  route.plainOrigin === undefined ? WECOM_HOSTS.has(url.hostname) : url.origin === route.plainOrigin;

function collect(resolve: (r: Reply) => void, reject: (e: Error) => void) {
  return (res: http.IncomingMessage): void => {
    let body = '';
    res.setEncoding('utf8');
    res.on('data', (c: string) => (body += c));
    res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, setCookie: res.headers['set-cookie'] ?? [], body }));
    res.on('error', reject);
  };
}

/** One GET through node:http(s) with keep-alive agents (the driver's own CPU per request stays small). */
export function send(url: URL, headers: Record<string, string>, target: Target, route: WeComRoute): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const onResponse = collect(resolve, reject);
    const path = url.pathname + url.search;
    if (isWeCom(url, route)) {
      if (route.plainOrigin !== undefined) {
        http.get(url, { headers, agent: route.plainAgent }, onResponse).on('error', reject);
        return;
      }
      const options = { host: '127.0.0.1', port: route.tlsPort, servername: url.hostname, path, agent: route.tlsAgent };
      https.get({ ...options, headers: { ...headers, host: url.hostname } }, onResponse).on('error', reject);
      return;
    }
    if (url.origin !== target.origin) {
      reject(new Error(`redirect to an unexpected origin: ${url.origin}`));
      return;
    }
    const backend = new URL(target.backends[target.next++ % target.backends.length] ?? target.origin);
    http
      .get({ host: backend.hostname, port: backend.port, path, headers: { ...headers, host: url.host }, agent: target.agent }, onResponse)
      .on('error', reject);
  });
}

/**
 * The same GET through the global fetch (undici), for the experiment on the driver's own cost
 * (BENCH_DRIVER=fetch, plain HTTP only: fetch cannot send a WeCom host name to the emulator's
 * port with the bench certificate without an undici dispatcher, which is not a dependency).
 */
export async function sendFetch(url: URL, headers: Record<string, string>, target: Target, route: WeComRoute): Promise<Reply> {
  let to = url;
  if (!isWeCom(url, route)) {
    if (url.origin !== target.origin) throw new Error(`redirect to an unexpected origin: ${url.origin}`);
    const backend = new URL(target.backends[target.next++ % target.backends.length] ?? target.origin);
    to = new URL(url.pathname + url.search, backend);
  }
  const res = await fetch(to, { headers, redirect: 'manual' });
  const body = await res.text();
  const plain: http.IncomingHttpHeaders = {};
  res.headers.forEach((value, name) => {
    if (name !== 'set-cookie') plain[name] = value;
  });
  return { status: res.status, headers: plain, setCookie: res.headers.getSetCookie(), body };
}
