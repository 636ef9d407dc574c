/**
 * Where to send the user after login: only ever a path on this app's own origin.
 *
 * Open redirects hide in the details (docs/security.md): `//evil.example` and `/\evil.example`
 * are protocol-relative to browsers, and encoded or control characters change how a URL parses.
 * So we accept a narrow shape and then check the parsed result once more against the origin.
 */

// Printable ASCII only, starting with exactly one "/", no backslash anywhere.
const SAFE_PATH = /^\/(?![/\\])[\x21-\x7e]*$/;

/** The longest return path kept, counted after normalisation (which can triple a length: `"` -> `%22`). */
export const MAX_RETURN_TO_LENGTH = 2048;

/** The path (with query) if it is a safe same-origin target, else `undefined`. */
export function safeReturnTo(value: unknown, origin: string): string | undefined {
  // Checked again on the result; this first check only keeps the parser's work bounded.
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_RETURN_TO_LENGTH) return undefined;
  if (!SAFE_PATH.test(value) || value.includes('\\')) return undefined;
  // A percent-encoded slash or backslash right after the first "/" decodes to "//" or "/\" in some stacks.
  if (/^\/%(2f|5c)/i.test(value)) return undefined;
  let url: URL;
  try {
    url = new URL(value, origin);
  } catch {
    return undefined;
  }
  if (url.origin !== origin) return undefined;
  // Keep the fragment out: browsers never send it, and it cannot matter to the server.
  const result = url.pathname + url.search;
  // Dot segments collapse while parsing ("/.//evil" becomes "//evil"): check what we would emit.
  if (!SAFE_PATH.test(result) || /^\/%(2f|5c)/i.test(result) || result.length > MAX_RETURN_TO_LENGTH) return undefined;
  return result;
}

/** What WeCom appends to a redirect_uri: a code and its state (and the corp ID, after a web login). */
const WECOM_CALLBACK_PARAMS = new Set(['code', 'state', 'appid']);

/**
 * A return path without a WeCom code in it. WeCom checks only the domain of a redirect_uri, so an
 * attacker can send someone an authorize link whose redirect_uri is a guarded page: the code then
 * arrives in that page's query, unexchanged, and a guard that kept it in the return path would
 * land the person on a URL carrying a live code (history, logs, Referers, analytics), which the
 * attacker, who holds the login cookie for that state, could finish. When both `code` and `state`
 * are there (WeCom's shape), they go, with `appid`; the rest of the query is kept byte for byte.
 */
export function withoutWeComCode(path: string): string {
  const q = path.indexOf('?');
  if (q === -1) return path;
  const parts = path.slice(q + 1).split('&');
  const key = (part: string): string => {
    const name = part.split('=', 1)[0] ?? '';
    try {
      return decodeURIComponent(name.replaceAll('+', ' '));
    } catch {
      return name;
    }
  };
  const names = new Set(parts.map(key));
  if (!names.has('code') || !names.has('state')) return path;
  const kept = parts.filter((part) => !WECOM_CALLBACK_PARAMS.has(key(part)));
  return kept.length === 0 ? path.slice(0, q) : `${path.slice(0, q)}?${kept.join('&')}`;
}
