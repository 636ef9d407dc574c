/**
 * Redaction of credentials from URLs and free text.
 *
 * WeCom puts its credentials in query strings (`access_token`, `corpsecret`, `code`, `js_code`)
 * and in JSON bodies (`user_ticket`, `session_key`, `access_token`, `ticket`). Anything that may end
 * up in an error message, an error `cause` or a log line goes through `redact()` first.
 */

export const REDACTED = '[REDACTED]';

/** Names whose values are credentials, in a query string, a form, a header-ish `name: value` or JSON. */
const SENSITIVE_NAMES = [
  'access_token',
  'corpsecret',
  'secret',
  'code',
  'js_code',
  'session_key',
  'user_ticket',
  'ticket',
  'jsapi_ticket',
  'suite_access_token',
  'provider_access_token',
  'permanent_code',
  'auth_code',
] as const;

const NAMES = SENSITIVE_NAMES.join('|');
// `\b` before the name: `errcode=` is not `code=` (no word boundary between `r` and `c`).
const QUERY_PAIR = new RegExp(`\\b(${NAMES})=([^&#\\s"'<>]*)`, 'gi');
const JSON_PAIR = new RegExp(`"(${NAMES})"(\\s*:\\s*)"(?:[^"\\\\]|\\\\.)*"`, 'gi');

/**
 * Replace credentials in `input` with `[REDACTED]`:
 * - every `name=value` pair (query string / form style) whose name is a WeCom credential;
 * - every `"name": "value"` JSON member with such a name;
 * - every occurrence of a value listed in `knownSecrets` (the secret, the token, the code… the
 *   caller is handling), wherever it appears, e.g. echoed back inside an `errmsg`.
 *
 * Accepts a string or a URL; always returns a string.
 */
export function redact(input: string | URL, knownSecrets: readonly (string | undefined)[] = []): string {
  let text = typeof input === 'string' ? input : input.href;
  // Longest first, so that a secret containing another secret is removed whole.
  const values = knownSecrets.filter((v): v is string => typeof v === 'string' && v.length > 0).sort((a, b) => b.length - a.length);
  for (const value of values) {
    text = text.split(value).join(REDACTED);
    // The value may also appear URL-encoded (a query string) or JSON-escaped.
    const encoded = encodeURIComponent(value);
    if (encoded !== value) text = text.split(encoded).join(REDACTED);
  }
  text = text.replace(QUERY_PAIR, (_m, name: string) => `${name}=${REDACTED}`);
  text = text.replace(JSON_PAIR, (_m, name: string, sep: string) => `"${name}"${sep}"${REDACTED}"`);
  return text;
}
