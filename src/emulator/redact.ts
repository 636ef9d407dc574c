// What the call log (emulator.calls, GET /__emulator/calls) keeps of a request. An app pointed at
// the emulator by mistake sends its real credentials here, and the log is readable by every test
// and every process that can reach the emulator, so long-lived secrets are replaced by a marker
// before the call is recorded. The values the emulator minted itself (access_token, code, js_code,
// user_ticket) are kept: they are worth nothing anywhere else, and tests read them back to check
// that an app never leaks them. docs/emulator.md, "Who can reach it", lists the fields.

/** What a secret's value becomes in the call log. */
export const REDACTED = '[redacted by the emulator]';

/** Names (lower case, underscores dropped) whose values are credentials of a real corporation. */
const SECRET_NAMES: ReadonlySet<string> = new Set(['permanentcode', 'encodingaeskey', 'token']);

/**
 * corpsecret, secret, provider_secret, suite_secret, corp_secret, ... (any name ending in
 * "secret"), permanent_code, encoding_aes_key / EncodingAESKey, and token (a callback's token).
 * Compared without case and underscores; access_token is not `token`.
 */
export function isSecretName(name: string): boolean {
  const bare = name.toLowerCase().replaceAll('_', '');
  return bare.endsWith('secret') || SECRET_NAMES.has(bare);
}

export function redactQuery(query: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(query)) out[name] = isSecretName(name) ? REDACTED : value;
  return out;
}

/** A parsed JSON body with every secret field replaced, at any depth. */
export function redactJson(value: unknown, depth = 0): unknown {
  // JSON.parse output cannot be cyclic; the depth cap only bounds the work on absurd nesting.
  if (depth > 32 || typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map((item) => redactJson(item, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [name, field] of Object.entries(value)) out[name] = isSecretName(name) ? REDACTED : redactJson(field, depth + 1);
  return out;
}

// `name=value` (a form body) or `"name": "value"` (JSON the parser refused), the names of
// isSecretName() as whole words (so not the `token` in access_token); the value runs to the next
// separator or closing quote.
const SECRET_IN_TEXT = /(?<![\w])(["']?)(\w*secret|permanent_?code|encoding_?aes_?key|token)\1(\s*[:=]\s*)("[^"]*"?|'[^']*'?|[^&,;}\s]*)/gi;

/** A body that is not valid JSON, as recorded (already cut to a prefix by the server). */
export function redactText(text: string): string {
  return text.replace(SECRET_IN_TEXT, (_all, quote: string, name: string, separator: string, value: string) => {
    const quoted = value.startsWith('"') ? '"' : value.startsWith("'") ? "'" : '';
    return `${quote}${name}${quote}${separator}${quoted}${REDACTED}${quoted}`;
  });
}
