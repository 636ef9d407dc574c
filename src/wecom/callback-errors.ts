/**
 * The one error of the callback receiver (接收消息与事件): every refusal of a delivery or of a URL
 * verification is a WeComCallbackError with a `code` from the small set below and the HTTP
 * `status` to answer. Modelled on errors.ts: a closed set of codes (the style of panva's
 * oauth4webapi), and nothing secret ever in a message, `toJSON()` or `inspect`: no token, no
 * EncodingAESKey, no ciphertext, no plaintext, no signature. Messages are fixed strings per case,
 * so that they cannot carry input either.
 *
 * Every decryption failure (bad base64, a length that is not whole blocks, bad padding, a bad
 * length field, another receiveid, bytes that are not UTF-8) is the same code with the same
 * message: a receiver must not tell a padding oracle apart from a wrong key
 * (https://developer.work.weixin.qq.com/document/path/91144 describes the format being checked).
 */
import { inspect } from 'node:util';

/** `msg_signature` missing, not 40 hex digits, or not the SHA-1 of token, timestamp, nonce and ciphertext. */
export const WECOM_CALLBACK_BAD_SIGNATURE = 'WECOM_CALLBACK_BAD_SIGNATURE';
/** The signature was right, but the ciphertext does not decrypt to a message for this receiver. */
export const WECOM_CALLBACK_DECRYPT_FAILED = 'WECOM_CALLBACK_DECRYPT_FAILED';
/** The timestamp is outside the accepted window (a replay, or a clock far off). */
export const WECOM_CALLBACK_STALE = 'WECOM_CALLBACK_STALE';
/** Not the expected format: missing parameters, an envelope or message that is not WeCom's XML/JSON, a DOCTYPE or entity. */
export const WECOM_CALLBACK_MALFORMED = 'WECOM_CALLBACK_MALFORMED';
/** The body is over the size limit. */
export const WECOM_CALLBACK_TOO_LARGE = 'WECOM_CALLBACK_TOO_LARGE';

export type WeComCallbackErrorCode =
  | typeof WECOM_CALLBACK_BAD_SIGNATURE
  | typeof WECOM_CALLBACK_DECRYPT_FAILED
  | typeof WECOM_CALLBACK_STALE
  | typeof WECOM_CALLBACK_MALFORMED
  | typeof WECOM_CALLBACK_TOO_LARGE;

/** The HTTP status each code answers with. */
export const CALLBACK_ERROR_STATUS: Readonly<Record<WeComCallbackErrorCode, 400 | 401 | 413>> = Object.freeze({
  [WECOM_CALLBACK_BAD_SIGNATURE]: 401,
  [WECOM_CALLBACK_STALE]: 401,
  [WECOM_CALLBACK_DECRYPT_FAILED]: 400,
  [WECOM_CALLBACK_MALFORMED]: 400,
  [WECOM_CALLBACK_TOO_LARGE]: 413,
});

/** The one message of every decryption failure. */
export const DECRYPT_FAILED_MESSAGE = 'the ciphertext does not decrypt to a message for this receiver';

export class WeComCallbackError extends Error {
  readonly code: WeComCallbackErrorCode;
  /** The HTTP status to answer: 401 (signature, timestamp), 400 (malformed, undecryptable), 413 (too large). */
  readonly status: 400 | 401 | 413;

  /** `message` must be a fixed text: never a value taken from the request or the configuration. */
  constructor(code: WeComCallbackErrorCode, message: string) {
    super(`WeCom callback refused: ${message}`);
    this.name = 'WeComCallbackError';
    this.code = code;
    this.status = CALLBACK_ERROR_STATUS[code];
  }

  /** A safe, loggable representation (no stack). */
  toJSON(): Record<string, unknown> {
    return { name: this.name, code: this.code, status: this.status, message: this.message };
  }

  /** util.inspect (console.log, most loggers) shows the same fields and nothing more. */
  [inspect.custom](): string {
    return `${this.name} [${this.code}] (${this.status}): ${this.message}`;
  }
}

export function badSignature(): WeComCallbackError {
  return new WeComCallbackError(WECOM_CALLBACK_BAD_SIGNATURE, 'msg_signature does not match');
}

export function decryptFailed(): WeComCallbackError {
  return new WeComCallbackError(WECOM_CALLBACK_DECRYPT_FAILED, DECRYPT_FAILED_MESSAGE);
}

export function malformed(what: string): WeComCallbackError {
  return new WeComCallbackError(WECOM_CALLBACK_MALFORMED, what);
}
