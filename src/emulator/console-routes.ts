// The routes of the emulator's own console pages: /client/... (a member's actions on /client,
// client-actions.ts) and /admin... (the admin console, admin-page.ts). Forms arrive as
// application/x-www-form-urlencoded; access.ts has already refused what a browser marks as sent by
// a page of another origin, so these forms work only from the emulator's own pages.
import { actionErrorPage, adminPage, deliveriesPage } from './admin-page.ts';
import { CallbackSettingsError } from './callback-settings.ts';
import { click, enter, pressCard, view } from './client-actions.ts';
import { ContactChangeError } from './contact-changes.ts';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ActionAnswer } from './client-actions.ts';
import type { Callbacks } from './callbacks.ts';
import type { ContactChange, ContactMemberFields } from './callback-types.ts';
import type { EmulatorState } from './state.ts';

const MAX_FORM_BYTES = 16 * 1024;

const HEADERS = {
  'Content-Type': 'text/html; charset=utf-8',
  'Cache-Control': 'no-store',
  'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
};

export function isConsolePath(path: string): boolean {
  return path.startsWith('/client/') || path === '/admin' || path.startsWith('/admin/');
}

function readForm(req: IncomingMessage): Promise<URLSearchParams | undefined> {
  if (Number(req.headers['content-length'] ?? '0') > MAX_FORM_BYTES) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_FORM_BYTES) chunks.push(chunk);
    });
    req.once('end', () => resolve(size > MAX_FORM_BYTES ? undefined : new URLSearchParams(Buffer.concat(chunks).toString('utf8'))));
    req.once('error', () => resolve(undefined));
  });
}

function sendHtml(res: ServerResponse, status: number, page: string): void {
  res.writeHead(status, { ...HEADERS, 'Content-Length': Buffer.byteLength(page) });
  res.end(page);
}

function sendAnswer(res: ServerResponse, answer: ActionAnswer, back: string): void {
  if (answer.kind === 'error') return sendHtml(res, answer.status, actionErrorPage(answer.message, back));
  res.writeHead(answer.status, { Location: answer.location, 'Cache-Control': 'no-store', 'Content-Length': 0 });
  res.end();
}

function adminBack(key: 'notice' | 'error', text: string): ActionAnswer {
  return { kind: 'redirect', status: 303, location: `/admin?${new URLSearchParams({ [key]: text.slice(0, 300) }).toString()}` };
}

function memberFields(form: URLSearchParams): ContactMemberFields {
  const fields: ContactMemberFields = {};
  for (const key of ['name', 'position'] as const) {
    const value = form.get(key)?.trim();
    if (value) fields[key] = value;
  }
  const department = form.get('department')?.trim();
  if (department) fields.department = department.split(',').map((d) => Number(d.trim()));
  const status = Number(form.get('status'));
  if (status === 1 || status === 2 || status === 4 || status === 5) fields.status = status;
  return fields;
}

function contactChange(form: URLSearchParams): ContactChange {
  const base = { corpId: form.get('corp') ?? '', userId: (form.get('userId') ?? '').trim() };
  switch (form.get('action')) {
    case 'create':
      return {
        ...base,
        changeType: 'create_user',
        fields: { name: '', ...memberFields(form) },
        visibleIn: form.getAll('visibleIn').map(Number),
      };
    case 'update': {
      const newUserId = form.get('newUserId')?.trim();
      return { ...base, changeType: 'update_user', fields: memberFields(form), ...(newUserId ? { newUserId } : {}) };
    }
    case 'delete':
      return { ...base, changeType: 'delete_user' };
    default:
      throw new ContactChangeError('unknown action');
  }
}

function members(callbacks: Callbacks, form: URLSearchParams): ActionAnswer {
  try {
    const change = contactChange(form);
    const pushed = callbacks.changeContact(change);
    return adminBack(
      'notice',
      `${change.changeType} ${change.userId}: pushed to ${pushed.length} app(s) · 已推送到 ${pushed.length} 个应用`,
    );
  } catch (err) {
    if (err instanceof ContactChangeError) return adminBack('error', err.message);
    throw err;
  }
}

async function callbackSettings(callbacks: Callbacks, form: URLSearchParams): Promise<ActionAnswer> {
  const format = form.get('format') === 'json' ? 'json' : 'xml';
  try {
    await callbacks.set({
      corpId: form.get('corp') ?? '',
      agentId: Number(form.get('agentid')),
      url: (form.get('url') ?? '').trim(),
      token: (form.get('token') ?? '').trim(),
      encodingAESKey: (form.get('encodingAESKey') ?? '').trim(),
      format,
    });
    return adminBack('notice', '保存成功 saved: the URL answered the check');
  } catch (err) {
    if (err instanceof CallbackSettingsError || err instanceof RangeError) return adminBack('error', err.message);
    throw err;
  }
}

/** Answers a console path (isConsolePath). */
export async function handleConsole(
  state: EmulatorState,
  callbacks: Callbacks,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  query: URLSearchParams,
): Promise<void> {
  // HEAD reads the admin pages like GET, but never presses anything (a prefetch must not push an event).
  const method = req.method ?? 'GET';
  const route = `${method === 'HEAD' && path.startsWith('/admin') ? 'GET' : method} ${path}`;
  const back = path.startsWith('/admin') ? '/admin' : '/client';
  if (route === 'GET /admin') return sendHtml(res, 200, adminPage(state, query.get('notice'), query.get('error')));
  if (route === 'GET /admin/callbacks') return sendHtml(res, 200, deliveriesPage(callbacks.deliveries.list));
  if (route === 'GET /client/enter') return sendAnswer(res, enter(state, callbacks, query), back);
  if (route === 'GET /client/view') return sendAnswer(res, view(state, callbacks, query), back);
  const post = ['POST /client/click', 'POST /client/card', 'POST /admin/members', 'POST /admin/callback'];
  if (!post.includes(route)) {
    res.writeHead(route.startsWith('GET ') || route.startsWith('POST ') ? 404 : 405, { 'Content-Type': 'text/plain; charset=utf-8' });
    res.end('Not Found\n');
    return;
  }
  const form = await readForm(req);
  if (!form) return sendHtml(res, 413, actionErrorPage('the form is too large', back));
  if (route === 'POST /client/click') return sendAnswer(res, click(state, callbacks, form), back);
  if (route === 'POST /client/card') return sendAnswer(res, await pressCard(state, callbacks, form), back);
  if (route === 'POST /admin/members') return sendAnswer(res, members(callbacks, form), back);
  return sendAnswer(res, await callbackSettings(callbacks, form), back);
}
