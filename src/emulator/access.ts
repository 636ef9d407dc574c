// Who may use what (docs/emulator.md, "Who can reach it"), decided before a request is routed:
// every request must name the emulator in Host (hosts.ts); the WeCom API, the control routes and
// the picker's choices refuse what a browser marks as sent by a page of another origin
// (cross-site.ts); the control routes take JSON only. The pages WeCom shows anyone (authorize,
// web login, /client, the picker itself) stay open to links from anywhere: apps redirect there.
import { foreignOrigin, notJson } from './cross-site.ts';
import { ACTION_PARAM, USER_PARAM } from './oauth.ts';
import { foreignChoicePage } from './pages.ts';
import type { IncomingMessage } from 'node:http';
import type { HostCheck } from './hosts.ts';
import type { PageAnswer } from './oauth.ts';

export type AccessRefusal =
  | { kind: 'text'; status: number; message: string }
  | { kind: 'json'; status: number; message: string }
  | { kind: 'page'; answer: PageAnswer };

/** The paths whose ?__emulator_user / ?__emulator_action mint a code (oauth.ts). */
const CHOICE_PATHS: ReadonlySet<string> = new Set(['/connect/oauth2/authorize', '/wwlogin/sso/login', '/wwopen/sso/qrConnect']);

/** The picker again, without the choice, for a choice link followed from another site. */
function choiceRefusal(path: string, query: URLSearchParams, reason: string): AccessRefusal {
  const picker = new URLSearchParams(query);
  picker.delete(USER_PARAM);
  picker.delete(ACTION_PARAM);
  return { kind: 'page', answer: { kind: 'html', status: 403, html: foreignChoicePage(reason, `${path}?${picker.toString()}`) } };
}

/** undefined when the request may go on; else what to answer. */
export function accessRefusal(
  hosts: HostCheck,
  ownUrl: string,
  req: IncomingMessage,
  path: string,
  query: URLSearchParams,
): AccessRefusal | undefined {
  const host = req.headers.host;
  const badHost = hosts.refusal(host, ownUrl);
  if (badHost) return { kind: 'text', ...badHost };
  const self = host ?? '';
  const method = req.method ?? 'GET';
  const route = `${method} ${path}`;
  if (path.startsWith('/__emulator/')) {
    const foreign = foreignOrigin(req.headers, self);
    if (foreign !== undefined) {
      const message = `wecom-emulator: ${route} refused: ${foreign}. The control routes answer programs and the emulator's own pages, never a page of another origin: call it from your test or a script (fetch in Node, curl).`;
      return { kind: 'json', status: 403, message };
    }
    const wrongType = notJson(method, req.headers['content-type']);
    if (wrongType !== undefined) return { kind: 'json', status: 415, message: `wecom-emulator: ${route} refused: ${wrongType}.` };
    return undefined;
  }
  if (path.startsWith('/cgi-bin/')) {
    const foreign = foreignOrigin(req.headers, self);
    if (foreign === undefined) return undefined;
    const message = `wecom-emulator: ${route} refused: ${foreign}. WeCom's API is called by your app's server, not by a web page.\n`;
    return { kind: 'text', status: 403, message };
  }
  // A member's actions on /client and the admin console's forms push callbacks and change the
  // address book: only the emulator's own pages may send them (console-routes.ts).
  if (path.startsWith('/client/') || path === '/admin/members' || path === '/admin/callback') {
    const foreign = foreignOrigin(req.headers, self);
    if (foreign === undefined) return undefined;
    const message = `wecom-emulator: ${route} refused: ${foreign}. Use the emulator's own /client and /admin pages.\n`;
    return { kind: 'text', status: 403, message };
  }
  if (CHOICE_PATHS.has(path) && (query.has(USER_PARAM) || query.has(ACTION_PARAM))) {
    const foreign = foreignOrigin(req.headers, self);
    if (foreign !== undefined) return choiceRefusal(path, query, foreign);
  }
  return undefined;
}
