/**
 * WeCom's callback encryption (加解密方案说明,
 * https://developer.work.weixin.qq.com/document/path/91144, the self-built copy 90968):
 *
 * - the 43-character EncodingAESKey is base64 without its final "=": AESKey = base64(key + "="),
 *   32 bytes; AES-256-CBC with IV = AESKey[0..16);
 * - plaintext = 16 random bytes ‖ msg_len (4 bytes, big-endian) ‖ msg ‖ receiveid, padded with
 *   PKCS#7 to a multiple of **32** bytes (a whole 32-byte block when already aligned; WeCom's
 *   samples use block_size = 32, not AES's 16);
 * - msg_signature = sha1(sort([token, timestamp, nonce, ciphertext]).join("")).
 *
 * The order of the checks in `open()` is part of the contract: parameters well formed (else
 * MALFORMED), the signature (constant time, else BAD_SIGNATURE: nobody without the token gets
 * further, so nobody without it can probe the decryption), the timestamp window (else STALE: an
 * authentic delivery replayed late), then decryption, where every failure is the one
 * DECRYPT_FAILED. WeCom's own decoder treats a pad byte outside 1..32 as 0 and reads the length
 * field unchecked (WxJava crashed on it: PR #3759); this one refuses both.
 *
 * Key rotation: the console's Token and EncodingAESKey can be changed while deliveries are in
 * flight, so a CallbackCrypto holds a list of pairs, the newest first; a delivery is opened with
 * the first pair whose token signs it and whose key decrypts it, and `open()` says which.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import { badSignature, decryptFailed, malformed, WeComCallbackError, WECOM_CALLBACK_STALE } from './callback-errors.ts';
import { WeComOptionsError, optionsObject, rejectUnknown } from '../options.ts';

/** The console's EncodingAESKey: 43 letters and digits (接收消息 → 设置API接收 → EncodingAESKey). */
export const ENCODING_AES_KEY = /^[A-Za-z0-9]{43}$/;
/** The console's Token: letters and digits, at most 32. */
export const CALLBACK_TOKEN = /^[A-Za-z0-9]{1,32}$/;
/** WeCom pads to 32-byte blocks. */
export const PAD_BLOCK = 32;
export const DEFAULT_TIMESTAMP_WINDOW_MS = 5 * 60_000;
/** More pairs than this is a configuration mistake, and each costs a SHA-1 per delivery. */
const MAX_CREDENTIALS = 8;
const SIGNATURE = /^[0-9a-fA-F]{40}$/;
const TIMESTAMP = /^[0-9]{1,12}$/;
const MAX_NONCE_LENGTH = 128;
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** One Token + EncodingAESKey pair of the console's 「接收消息」 settings. */
export interface CallbackCredential {
  token: string;
  encodingAESKey: string;
}

export interface CallbackCryptoOptions {
  /** One pair, or several while a change in the console is rolled out: the newest first. */
  credentials: CallbackCredential | readonly CallbackCredential[];
  /** The receiveid the plaintext must end with: the corp ID of a corporation's own app (the suite ID for third-party apps; '' for an app of an individual). */
  receiveId: string;
  /** How far a delivery's timestamp may be from now, either way, in ms (default 5 minutes). `Infinity` turns the check off. */
  timestampWindowMs?: number;
  /** Clock in ms since the epoch (tests). Default `Date.now`. */
  now?: () => number;
}

/** What the receiver is handed: the query's three values and the ciphertext (`Encrypt`, or the GET's `echostr`). */
export interface SignedCiphertext {
  msgSignature: unknown;
  timestamp: unknown;
  nonce: unknown;
  encrypt: unknown;
}

export interface OpenedMessage {
  /** The decrypted message, exactly as WeCom sent it (UTF-8). */
  message: string;
  /** Which pair of `credentials` opened it (0 = the newest). */
  credentialIndex: number;
}

/** A message encrypted and signed for WeCom: the four fields of a passive reply. */
export interface SealedMessage {
  encrypt: string;
  msgSignature: string;
  timestamp: string;
  nonce: string;
}

export interface SealOptions {
  /** The pair to seal with (default 0, the newest; a reply uses the pair that opened its delivery). */
  credentialIndex?: number;
  /** Seconds since the epoch, as a string (default now). */
  timestamp?: string;
  /** Default: 10 random digits. */
  nonce?: string;
  /** The 16 random bytes that start the plaintext (tests and published vectors only). */
  random?: Uint8Array;
}

interface Keyed {
  token: string;
  key: Buffer;
  decrypt: (data: Buffer) => Buffer;
}

const WHERE = 'CallbackCrypto';
const KNOWN_OPTIONS = ['credentials', 'receiveId', 'timestampWindowMs', 'now'];

/** AESKey = base64decode(EncodingAESKey + "="): refuses anything but 43 letters and digits. */
export function decodeEncodingAESKey(encodingAESKey: unknown, option = 'encodingAESKey'): Buffer {
  if (typeof encodingAESKey !== 'string' || !ENCODING_AES_KEY.test(encodingAESKey)) {
    const got = typeof encodingAESKey === 'string' ? `${encodingAESKey.length} characters` : typeof encodingAESKey;
    throw new WeComOptionsError(
      WHERE,
      option,
      `must be the 43-character EncodingAESKey (letters and digits) of the app's 「接收消息」 settings (应用管理 → the app → 接收消息 → 设置API接收); got ${got}.`,
    );
  }
  // The 43rd character carries 2 bits beyond the 256 the key uses; WeCom's keys do set them
  // (vector A's ends in "t"), and base64 decoders ignore them, as Node's does.
  return Buffer.from(`${encodingAESKey}=`, 'base64');
}

/** msg_signature = sha1 of the four strings sorted and joined (document/path/91144 §消息体签名). */
export function callbackSignature(token: string, timestamp: string, nonce: string, encrypt: string): string {
  return createHash('sha1').update([token, timestamp, nonce, encrypt].sort().join('')).digest('hex');
}

/** Encrypts `message` for `receiveId` with a 32-byte AES key: base64 of the ciphertext. */
export function encryptMessage(key: Uint8Array, message: string, receiveId: string, random: Uint8Array = randomBytes(16)): string {
  if (random.length !== 16) throw new TypeError('encryptMessage: random must be 16 bytes');
  const body = Buffer.from(message, 'utf8');
  const tail = Buffer.from(receiveId, 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32BE(body.length);
  const unpadded = 16 + 4 + body.length + tail.length;
  const pad = PAD_BLOCK - (unpadded % PAD_BLOCK); // 1..32: a whole block when aligned
  const plain = Buffer.concat([random, length, body, tail, Buffer.alloc(pad, pad)]);
  const cipher = createCipheriv('aes-256-cbc', key, key.subarray(0, 16));
  cipher.setAutoPadding(false);
  return Buffer.concat([cipher.update(plain), cipher.final()]).toString('base64');
}

/**
 * Decrypts WeCom's base64 ciphertext with a 32-byte AES key and checks that it is a message for
 * `receiveId`. Every failure throws the same WeComCallbackError (DECRYPT_FAILED).
 */
export function decryptMessage(key: Uint8Array, encrypt: string, receiveId: string): string {
  return openPlaintext(cbcDecryptor(key), encrypt, receiveId);
}

/** The checks of document/path/91144's plaintext layout, after `decrypt` (see decryptMessage). */
function openPlaintext(decrypt: (data: Buffer) => Buffer, encrypt: string, receiveId: string): string {
  // Buffer.from(…, 'base64') skips what is not base64: check the alphabet and the length first.
  if (encrypt.length === 0 || encrypt.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(encrypt)) throw decryptFailed();
  const data = Buffer.from(encrypt, 'base64');
  if (data.length === 0 || data.length % PAD_BLOCK !== 0) throw decryptFailed();
  const plain = decrypt(data);
  const pad = plain[plain.length - 1] ?? 0;
  if (!padOk(plain, pad) || plain.length - pad < 20) throw decryptFailed();
  const end = plain.length - pad;
  const length = plain.readUInt32BE(16);
  if (length > end - 20) throw decryptFailed();
  const expected = Buffer.from(receiveId, 'utf8');
  const actual = plain.subarray(20 + length, end);
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) throw decryptFailed();
  try {
    return utf8.decode(plain.subarray(20, 20 + length));
  } catch {
    throw decryptFailed();
  }
}

/**
 * AES-256-CBC decryption of whole blocks with IV = key[0..16), through one long-lived ECB
 * decipher: P[i] = D(C[i]) xor C[i-1] (C[-1] = IV). Creating a CBC decipher per delivery costs
 * about ten times the decryption itself (bench/callback-crypto.ts); an ECB decipher without
 * padding returns every whole block from update() and keeps no state between calls.
 */
function cbcDecryptor(key: Uint8Array): (data: Buffer) => Buffer {
  const ecb = createDecipheriv('aes-256-ecb', key, null);
  ecb.setAutoPadding(false);
  const iv = Buffer.from(key.subarray(0, 16));
  return (data) => {
    const out = ecb.update(data);
    if (out.length !== data.length) throw decryptFailed();
    for (let i = 0; i < out.length; i++) out[i] = (out[i] ?? 0) ^ ((i < 16 ? iv[i] : data[i - 16]) ?? 0);
    return out;
  };
}

/** PKCS#7 to 32: the pad byte is 1..32 and so is each of the last `pad` bytes, read without an early exit. */
function padOk(plain: Buffer, pad: number): boolean {
  let bad = pad < 1 || pad > PAD_BLOCK ? 1 : 0;
  for (let i = 1; i <= PAD_BLOCK; i++) {
    const inPad = i <= pad ? 1 : 0;
    bad |= inPad & (plain[plain.length - i] === pad ? 0 : 1);
  }
  return bad === 0;
}

function signatureMatches(expectedHex: string, givenHex: string): boolean {
  const expected = Buffer.from(expectedHex, 'hex');
  const given = Buffer.from(givenHex.toLowerCase(), 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function credentialList(value: unknown): Keyed[] {
  const list = Array.isArray(value) ? (value as unknown[]) : [value];
  if (list.length === 0 || list.length > MAX_CREDENTIALS) {
    throw new WeComOptionsError(
      WHERE,
      'credentials',
      `pass one { token, encodingAESKey } pair, or up to ${MAX_CREDENTIALS} (the newest first).`,
    );
  }
  return list.map((pair, i) => {
    const option = Array.isArray(value) ? `credentials[${i}]` : 'credentials';
    if (pair === null || typeof pair !== 'object')
      throw new WeComOptionsError(WHERE, option, 'must be a { token, encodingAESKey } object.');
    const { token, encodingAESKey } = pair as Record<string, unknown>;
    rejectUnknown(WHERE, pair, ['token', 'encodingAESKey'], `${option}.`);
    if (typeof token !== 'string' || !CALLBACK_TOKEN.test(token)) {
      throw new WeComOptionsError(
        WHERE,
        `${option}.token`,
        "must be the Token of the app's 「接收消息」 settings: 1 to 32 letters and digits (the value is not shown here).",
      );
    }
    const key = decodeEncodingAESKey(encodingAESKey, `${option}.encodingAESKey`);
    return { token, key, decrypt: cbcDecryptor(key) };
  });
}

export class CallbackCrypto {
  readonly receiveId: string;
  readonly timestampWindowMs: number;
  readonly #keys: readonly Keyed[];
  readonly #now: () => number;

  constructor(options: CallbackCryptoOptions) {
    const o = optionsObject(WHERE, options, "{ credentials: { token, encodingAESKey }, receiveId: 'ww…' }");
    rejectUnknown(WHERE, o, KNOWN_OPTIONS);
    this.#keys = credentialList(o['credentials']);
    if (typeof o['receiveId'] !== 'string' || o['receiveId'].length > 64) {
      throw new WeComOptionsError(
        WHERE,
        'receiveId',
        'must be the corp ID (我的企业 → 企业信息 → 企业ID), or the suite ID of a third-party app.',
      );
    }
    this.receiveId = o['receiveId'];
    const window = o['timestampWindowMs'] ?? DEFAULT_TIMESTAMP_WINDOW_MS;
    if (typeof window !== 'number' || Number.isNaN(window) || window < 1000) {
      throw new WeComOptionsError(WHERE, 'timestampWindowMs', 'must be a number of ms, at least 1000 (Infinity turns the check off).');
    }
    this.timestampWindowMs = window;
    if (o['now'] !== undefined && typeof o['now'] !== 'function')
      throw new WeComOptionsError(WHERE, 'now', 'must be a function returning ms.');
    this.#now = (o['now'] as (() => number) | undefined) ?? Date.now;
  }

  /** How many Token + EncodingAESKey pairs this receiver accepts. */
  get credentialCount(): number {
    return this.#keys.length;
  }

  /** Verifies the signature and the timestamp, then decrypts (see the header for the order). */
  open(input: SignedCiphertext): OpenedMessage {
    const { msgSignature, timestamp, nonce, encrypt } = input;
    if (typeof msgSignature !== 'string' || !SIGNATURE.test(msgSignature)) throw badSignature();
    if (typeof timestamp !== 'string' || !TIMESTAMP.test(timestamp)) throw malformed('timestamp must be seconds since the epoch');
    if (typeof nonce !== 'string' || nonce.length === 0 || nonce.length > MAX_NONCE_LENGTH) throw malformed('nonce is missing or too long');
    if (typeof encrypt !== 'string' || encrypt.length === 0) throw malformed('the ciphertext is missing');
    const signedBy = this.#keys.flatMap((k, i) =>
      signatureMatches(callbackSignature(k.token, timestamp, nonce, encrypt), msgSignature) ? [i] : [],
    );
    if (signedBy.length === 0) throw badSignature();
    if (Math.abs(this.#now() - Number(timestamp) * 1000) > this.timestampWindowMs) {
      throw new WeComCallbackError(WECOM_CALLBACK_STALE, 'the timestamp is outside the accepted window');
    }
    for (const i of signedBy) {
      try {
        return { message: openPlaintext(this.#key(i).decrypt, encrypt, this.receiveId), credentialIndex: i };
      } catch (err) {
        if (!(err instanceof WeComCallbackError)) throw err;
      }
    }
    throw decryptFailed();
  }

  /** Encrypts and signs `message` (a passive reply, or a delivery in tests). */
  seal(message: string, options: SealOptions = {}): SealedMessage {
    const { token, key } = this.#key(options.credentialIndex ?? 0);
    const timestamp = options.timestamp ?? String(Math.floor(this.#now() / 1000));
    const nonce = options.nonce ?? randomNonce();
    // Both go into the reply's XML as they are: digits, and letters and digits.
    if (!TIMESTAMP.test(timestamp) || !/^[A-Za-z0-9]{1,128}$/.test(nonce)) throw new TypeError(`${WHERE}.seal: bad timestamp or nonce`);
    const encrypt = encryptMessage(key, message, this.receiveId, options.random);
    return { encrypt, msgSignature: callbackSignature(token, timestamp, nonce, encrypt), timestamp, nonce };
  }

  #key(index: number): Keyed {
    const keyed = this.#keys[index];
    if (keyed === undefined) throw new RangeError(`${WHERE}: no credentials at index ${index}`);
    return keyed;
  }
}

/** 10 random digits, the shape of WeCom's own nonces. */
export function randomNonce(): string {
  return String(randomInt(1_000_000_000, 10_000_000_000));
}
