// The one HTTP listener serving the paths of all three WeCom hosts (open.weixin.qq.com,
// login.work.weixin.qq.com / open.work.weixin.qq.com, qyapi.weixin.qq.com) plus /__emulator/.
// It turns requests into calls of the pure handlers in api.ts, oauth.ts and control.ts, applies
// the fault switches, records API calls and writes WeCom's envelope. It must never crash on input.
import { accessRefusal } from './access.ts';
import { handleApi, isKnownApi } from './api.ts';
import { clientPage, clientUserFromCookie } from './client-page.ts';
import { handleConsole, isConsolePath } from './console-routes.ts';
import { handleControl } from './control.ts';
import { errmsgFor } from './envelope.ts';
import { authorize, uriConfirmPage, webLogin } from './oauth.ts';
import { indexPage } from './pages.ts';
import { redactJson, redactQuery, redactText } from './redact.ts';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AccessRefusal } from './access.ts';
import type { Callbacks } from './callbacks.ts';
import type { Faults } from './faults.ts';
import type { HostCheck } from './hosts.ts';
import type { PageAnswer, PageRequest } from './oauth.ts';
import type { EmulatorState } from './state.ts';
import type { Emulator, RecordedCall } from './types.ts';

export const MAX_BODY_BYTES = 64 * 1024;

export interface ServerContext {
  state: EmulatorState;
  faults: Faults;
  emulator: Emulator;
  /** The 「接收消息」 settings, the events the pages cause and their deliveries (callbacks.ts). */
  callbacks: Callbacks;
  /** The Host names it answers (hosts.ts). */
  hosts: HostCheck;
  record(call: RecordedCall): void;
  /** Resolves after ms, or at once when the emulator closes. */
  sleep(ms: number): Promise<void>;
}

const PAGE_HEADERS = {
  'Content-Type': 'text/html; charset=utf-8',
  'Cache-Control': 'no-store',
  'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
};

const GATEWAY_PAGE =
  '<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>stgw</center>\r\n</body>\r\n</html>\r\n';

/** `::ffff:127.0.0.1` -> `127.0.0.1`, so trusted-IP lists can be written as WeCom shows them. */
export function normalizeIp(address: string | undefined): string {
  if (!address) return '0.0.0.0';
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

function firstValues(query: URLSearchParams): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of query) if (!Object.hasOwn(out, k)) out[k] = v;
  return out;
}

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const raw = req.headers[name];
  const value = (Array.isArray(raw) ? raw[0] : raw)?.trim();
  return value === undefined || value === '' ? undefined : value;
}

type BodyResult = { ok: true; text: string } | { ok: false };

/** Reads at most MAX_BODY_BYTES; a bigger body is refused without buffering it. */
function readBody(req: IncomingMessage): Promise<BodyResult> {
  const declared = Number(req.headers['content-length'] ?? '0');
  if (declared > MAX_BODY_BYTES) return Promise.resolve({ ok: false });
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        req.off('data', onData);
        resolve({ ok: false });
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => resolve({ ok: true, text: Buffer.concat(chunks).toString('utf8') }));
    req.once('error', () => resolve({ ok: false }));
  });
}

function tooLarge(res: ServerResponse): void {
  res.writeHead(413, { 'Content-Type': 'text/plain; charset=utf-8', Connection: 'close' });
  res.end('Request body too large (limit 64 KiB)\n');
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.destroyed || res.writableEnded) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=UTF-8',
    'Content-Length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

function sendPage(res: ServerResponse, answer: PageAnswer): void {
  if (answer.kind === 'redirect') {
    res.writeHead(302, { Location: answer.location, 'Cache-Control': 'no-store', 'Content-Length': 0 });
    res.end();
    return;
  }
  res.writeHead(answer.status, {
    ...PAGE_HEADERS,
    'Content-Length': Buffer.byteLength(answer.html),
    ...(answer.setCookie === undefined ? {} : { 'Set-Cookie': answer.setCookie }),
  });
  res.end(answer.html);
}

function sendRefusal(res: ServerResponse, refusal: AccessRefusal): void {
  if (refusal.kind === 'page') return sendPage(res, refusal.answer);
  if (refusal.kind === 'json') return sendJson(res, refusal.status, { error: refusal.message });
  res.writeHead(refusal.status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(refusal.message),
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
  });
  res.end(refusal.message);
}

async function handleCgi(
  ctx: ServerContext,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  query: URLSearchParams,
): Promise<void> {
  const api = path.slice('/cgi-bin/'.length);
  const method = req.method ?? 'GET';
  // §8: unknown path -> HTTP 404 with an empty body.
  if (!isKnownApi(api)) {
    res.writeHead(404, { 'Content-Length': 0 });
    res.end();
    return;
  }
  // HEAD has no side effects here: it must not burn a code or count towards a rate limit.
  if (method === 'HEAD') {
    res.writeHead(200, { 'Content-Type': 'application/json; charset=UTF-8' });
    res.end();
    return;
  }
  let body: unknown;
  let bodyInvalid = false;
  if (method !== 'GET') {
    const read = await readBody(req);
    if (!read.ok) return tooLarge(res);
    if (read.text.trim() !== '') {
      try {
        body = JSON.parse(read.text) as unknown;
      } catch {
        body = read.text.slice(0, 1024);
        bodyInvalid = true;
      }
    }
  }
  const ip = normalizeIp(req.socket.remoteAddress);
  const at = ctx.state.clock.now();
  // The log gets the request with its secrets replaced (redact.ts); the handler gets it as sent.
  const call: RecordedCall = { api, method, query: redactQuery(firstValues(query)), errcode: 0, at, httpStatus: 200, ip };
  if (body !== undefined) call.body = typeof body === 'string' ? redactText(body) : redactJson(body);

  const fault = ctx.faults.take(api);
  if (fault?.kind === 'html502') {
    ctx.record({ ...call, errcode: -1, httpStatus: 502 });
    await ctx.sleep(ctx.faults.delayFor(api));
    if (res.destroyed) return;
    res.writeHead(502, { 'Content-Type': 'text/html', 'Content-Length': Buffer.byteLength(GATEWAY_PAGE) });
    res.end(GATEWAY_PAGE);
    return;
  }
  const answer = fault ? { errcode: fault.errcode, body: {} } : handleApi(ctx.state, { api, method, query, body, bodyInvalid, ip });
  const text = 'text' in answer ? answer.text : undefined;
  const envelope =
    answer.errcode === 0 ? answer.body : { errcode: answer.errcode, errmsg: errmsgFor(answer.errcode, ip, at, text), ...answer.body };
  const errmsg = typeof envelope['errmsg'] === 'string' ? envelope['errmsg'] : 'ok';
  ctx.record({ ...call, errcode: answer.errcode });
  await ctx.sleep(ctx.faults.delayFor(api));
  sendJson(res, 200, envelope, { 'Error-Code': String(answer.errcode), 'Error-Msg': errmsg });
}

async function handleControlPath(ctx: ServerContext, req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
  const method = req.method ?? 'GET';
  let body: unknown;
  if (method !== 'GET' && method !== 'HEAD') {
    const read = await readBody(req);
    if (!read.ok) return tooLarge(res);
    if (read.text.trim() !== '') {
      try {
        body = JSON.parse(read.text) as unknown;
      } catch {
        sendJson(res, 400, { error: `${method} ${path}: the body is not valid JSON` });
        return;
      }
    }
  }
  const answer = await handleControl(ctx.emulator, method, path, body);
  sendJson(res, answer.status, answer.body);
}

function pageRequest(req: IncomingMessage, path: string, query: URLSearchParams): PageRequest {
  return {
    path,
    query,
    userAgent: headerValue(req, 'user-agent') ?? '',
    emulatorUser: headerValue(req, 'x-wecom-emulator-user'),
    cookieUser: clientUserFromCookie(headerValue(req, 'cookie')),
  };
}

function index(ctx: ServerContext): PageAnswer {
  const lines = [`${ctx.emulator.url}`];
  // No secrets: this page answers any browser that reaches the emulator, and a fixture may hold a
  // real one. The page says where they are instead (the fixture).
  for (const corp of ctx.state.fixture.corps) {
    for (const app of corp.apps) lines.push(`corpid=${corp.corpId} agentid=${app.agentId} (${corp.name} / ${app.name})`);
  }
  // The client page of each member: the workbench, the custom menu and the messages.
  const clients = ctx.state.fixture.corps.flatMap((corp) =>
    corp.members.map((m) => {
      const query = new URLSearchParams({ user: m.userId });
      if (ctx.state.fixture.corps.length > 1) query.set('corp', corp.corpId);
      return { label: m.name, detail: `${m.userId} · ${corp.name}`, href: `/client?${query.toString()}` };
    }),
  );
  return { kind: 'html', status: 200, html: indexPage(lines, clients) };
}

async function handle(ctx: ServerContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  req.on('error', () => undefined); // a client that goes away mid-body is not our problem
  const rawUrl = req.url ?? '/';
  const mark = rawUrl.indexOf('?');
  const path = mark === -1 ? rawUrl : rawUrl.slice(0, mark);
  // URLSearchParams never throws: malformed %-escapes are kept as they are.
  const query = new URLSearchParams(mark === -1 ? '' : rawUrl.slice(mark + 1));
  // Before anything is read, recorded or minted: Host, another site's page, a body that is not JSON.
  const refused = accessRefusal(ctx.hosts, ctx.emulator.url, req, path, query);
  if (refused) return sendRefusal(res, refused);
  if (path.startsWith('/cgi-bin/')) return handleCgi(ctx, req, res, path, query);
  if (path.startsWith('/__emulator/')) return handleControlPath(ctx, req, res, path);
  if (isConsolePath(path)) return handleConsole(ctx.state, ctx.callbacks, req, res, path, query);

  const method = req.method ?? 'GET';
  if (method !== 'GET' && method !== 'HEAD') {
    res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Length': 0 });
    res.end();
    return;
  }
  const pageReq = pageRequest(req, path, query);
  switch (path) {
    case '/':
      return sendPage(res, index(ctx));
    case '/connect/oauth2/authorize':
      return sendPage(res, authorize(ctx.state, pageReq));
    case '/wwlogin/sso/login':
      return sendPage(res, webLogin(ctx.state, pageReq, false));
    case '/wwopen/sso/qrConnect':
      return sendPage(res, webLogin(ctx.state, pageReq, true));
    case '/wwopen/uriconfirm':
      return sendPage(res, uriConfirmPage(query));
    case '/client':
      return sendPage(res, clientPage(ctx.state, pageReq));
    default:
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('Not Found\n');
  }
}

export function createRequestListener(ctx: ServerContext): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    handle(ctx, req, res).catch((err: unknown) => {
      console.error('wecom-emulator: internal error', err);
      if (res.headersSent) res.destroy();
      else {
        res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' });
        res.end('emulator internal error\n');
      }
    });
  };
}
