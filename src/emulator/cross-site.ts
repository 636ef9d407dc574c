// Requests a web page of another origin makes the developer's browser send. Such a page cannot read
// the emulator's answers (no CORS headers), but a "simple" request goes out all the same: a form or
// a no-cors fetch can POST text/plain to /__emulator/miniprogram/code, and a link can choose a
// member on the picker, which mints a login code. So the routes that change the emulator or mint
// something refuse what a browser marks as coming from another origin, and the JSON control routes
// take JSON only (application/json is not a simple type: a page of another origin cannot send it
// without a preflight, which the emulator never grants).
//
// Programs (tests, curl, an app's server) send neither Origin nor Sec-Fetch-Site and are not
// affected. A browser too old to send Sec-Fetch-Site (before Chrome 76, Firefox 90, Safari 16.4)
// still sends Origin on every POST, but not on a GET link: docs/emulator.md says so.
import type { IncomingHttpHeaders } from 'node:http';

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}

/**
 * Why the browser says another origin sent this request, or undefined when it did not (or it is
 * not a browser). `host` is the request's Host, already checked (hosts.ts): the page's origin must
 * be this emulator under that same name and port.
 */
export function foreignOrigin(headers: IncomingHttpHeaders, host: string): string | undefined {
  const origin = single(headers['origin']);
  if (origin !== undefined && origin !== `http://${host}` && origin !== `https://${host}`) {
    if (origin === 'null') return 'Origin "null": a sandboxed frame, a file:// page or a data: URL sent it';
    return `Origin ${JSON.stringify(origin.slice(0, 200))} is not this emulator's (http://${host})`;
  }
  // same-origin: the emulator's own page; none: typed into the address bar, a bookmark.
  const site = single(headers['sec-fetch-site']);
  if (site === undefined || site === 'same-origin' || site === 'none') return undefined;
  if (site === 'same-site')
    return 'Sec-Fetch-Site "same-site": a page of another origin of this site (e.g. another port of 127.0.0.1) sent it';
  return `Sec-Fetch-Site ${JSON.stringify(site.slice(0, 40))}: a page of another site sent it`;
}

/** Methods that carry a request body on the control routes (GET, HEAD and DELETE do not). */
function takesBody(method: string): boolean {
  return method !== 'GET' && method !== 'HEAD' && method !== 'DELETE';
}

/**
 * Why a control request's Content-Type is refused, or undefined. Every POST needs
 * application/json (any parameters, e.g. `; charset=utf-8`), even with an empty body: a bodiless
 * POST is a simple request too.
 */
export function notJson(method: string, contentType: string | undefined): string | undefined {
  if (!takesBody(method)) return undefined;
  const media = (contentType ?? '').split(';')[0]?.trim().toLowerCase();
  if (media === 'application/json') return undefined;
  const got = contentType === undefined ? 'no Content-Type' : `Content-Type ${JSON.stringify(contentType.slice(0, 100))}`;
  return `it takes a JSON body sent with Content-Type: application/json (even an empty one), got ${got}`;
}
