// An app's 「接收消息」 settings and the check the console runs before it saves them
// (https://developer.work.weixin.qq.com/document/path/90238, 验证URL有效性): a GET with
// msg_signature, timestamp, nonce and an encrypted echostr, and the decrypted echostr expected back
// within one second, alone: "不能加引号，不能带bom头，不能带换行符". A URL that fails is not saved,
// and the console says why in one of two messages (as developers quote them: the console's texts
// are not in the documentation).
import { encrypt, echoPlaintext, ENCODING_AES_KEY_PATTERN, msgSignature, nonce } from './callback-crypto.ts';
import type { FixtureCallback } from './callback-types.ts';
import type { Outgoing } from './outgoing.ts';

/** The console's Token: letters and digits, at most 32. */
export const TOKEN_PATTERN = /^[A-Za-z0-9]{1,32}$/;

/** WeCom's limit for answering the URL check (90238: "在1秒内响应GET请求"). */
export const URL_CHECK_TIMEOUT_MS = 1000;

/** The console's message when the URL cannot be reached, answers another status or too late. */
export const UNREACHABLE = 'openapi回调地址请求不通过';
/** The console's message when the URL answers something other than the echostr's plaintext. */
export const WRONG_ECHO = 'echostr校验失败，请您检查是否正确解密并输出明文echostr';

export class CallbackSettingsError extends Error {
  override name = 'CallbackSettingsError';
  /** The console's own message (UNREACHABLE or WRONG_ECHO), or a field's rule for a value the console would not take. */
  readonly wecomMessage: string;
  /** What exactly was wrong, in English. */
  readonly detail: string;

  constructor(wecomMessage: string, detail: string) {
    super(`${wecomMessage}: ${detail}`);
    this.wecomMessage = wecomMessage;
    this.detail = detail;
  }
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}

/** The console's field rules; a problem is named without echoing the token or the key. */
export function settingsProblem(input: Record<string, unknown>): string | undefined {
  const { url, token, encodingAESKey, format } = input;
  if (typeof url !== 'string' || url.length > 2048 || !isHttpUrl(url)) return 'url must be an http(s) URL';
  if (typeof token !== 'string' || !TOKEN_PATTERN.test(token)) return 'token must be 1 to 32 letters and digits';
  if (typeof encodingAESKey !== 'string' || !ENCODING_AES_KEY_PATTERN.test(encodingAESKey))
    return 'encodingAESKey must be 43 letters and digits';
  if (format !== undefined && format !== 'xml' && format !== 'json') return "format must be 'xml' or 'json'";
  return undefined;
}

/** The settings as stored: the three fields and the format. */
export function settingsOf(input: { url: string; token: string; encodingAESKey: string; format?: 'xml' | 'json' }): FixtureCallback {
  return { url: input.url, token: input.token, encodingAESKey: input.encodingAESKey, format: input.format ?? 'xml' };
}

/** `url` + WeCom's query parameters, after any query the URL already has. */
export function withQuery(url: string, params: Record<string, string>): string {
  const target = new URL(url);
  for (const [name, value] of Object.entries(params)) target.searchParams.append(name, value);
  return target.href;
}

/** Why an answer is not the plaintext alone, in the terms of the console's rule. */
function wrongEcho(body: Buffer, expected: string): string {
  const text = body.toString('utf8');
  if (body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf) return 'the answer starts with a BOM (EF BB BF)';
  if (text === `"${expected}"` || text === `'${expected}'`) return 'the answer is the plaintext in quotes (a JSON string?)';
  if (text.trimEnd() === expected) return 'the answer has a newline or spaces after the plaintext';
  if (text.trim() === expected) return 'the answer has whitespace around the plaintext';
  if (text.includes(expected)) return 'the answer contains the plaintext, but more besides';
  if (text === '') return 'the answer is empty';
  return 'the answer is not the decrypted echostr (another Token or EncodingAESKey, another receiveid, or not decrypted)';
}

/**
 * Runs the console's URL check against `settings`; resolves when the URL answered the echostr's
 * plaintext exactly, else throws CallbackSettingsError with the console's message.
 */
export async function checkUrl(outgoing: Outgoing, settings: FixtureCallback, receiveId: string, nowMs: number): Promise<void> {
  const expected = echoPlaintext();
  const timestamp = String(Math.floor(nowMs / 1000));
  const n = nonce();
  const echostr = encrypt(settings.encodingAESKey, expected, receiveId);
  const url = withQuery(settings.url, {
    msg_signature: msgSignature(settings.token, timestamp, n, echostr),
    timestamp,
    nonce: n,
    echostr,
  });
  const result = await outgoing.send({ method: 'GET', url, timeoutMs: URL_CHECK_TIMEOUT_MS });
  if (result.kind === 'timeout') throw new CallbackSettingsError(UNREACHABLE, `no answer within ${URL_CHECK_TIMEOUT_MS} ms`);
  if (result.kind === 'error') throw new CallbackSettingsError(UNREACHABLE, `the request failed (${result.error})`);
  if (result.status !== 200) throw new CallbackSettingsError(UNREACHABLE, `the URL answered HTTP ${result.status}`);
  if (!result.body.equals(Buffer.from(expected, 'utf8'))) throw new CallbackSettingsError(WRONG_ECHO, wrongEcho(result.body, expected));
}
