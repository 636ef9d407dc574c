// WeCom's callback encryption, as the emulator (WeCom's side of the wire) applies it. Written from
// WeCom's 加解密方案说明 (https://developer.work.weixin.qq.com/document/path/91144, the self-built
// copy 90968) and nothing else: it shares no code with the library's receiver in src/wecom/, so a
// misreading in one cannot hide in the other (test/emulator/callback-crypto.test.ts checks both
// against WeCom's published vectors, and each against the other).
//
// - AESKey = base64decode(EncodingAESKey + "="): 32 bytes from the console's 43 characters;
// - AES-256-CBC, IV = AESKey[0..16), the cipher's own padding off;
// - plaintext = 16 random bytes ‖ msg_len (4 bytes, network order) ‖ msg ‖ receiveid, padded
//   PKCS#7-style to a multiple of 32 bytes (1 to 32 pad bytes: a whole block when aligned);
// - msg_signature = sha1 of token, timestamp, nonce and the ciphertext, sorted and concatenated.
import { createCipheriv, createDecipheriv, createHash, randomBytes, randomInt } from 'node:crypto';

/** The console's EncodingAESKey: 43 letters and digits (接收消息 → 设置API接收). */
export const ENCODING_AES_KEY_PATTERN = /^[A-Za-z0-9]{43}$/;

const BLOCK = 32;

/** The 32-byte AES key of a 43-character EncodingAESKey (throws on any other shape). */
export function aesKey(encodingAESKey: string): Buffer {
  if (!ENCODING_AES_KEY_PATTERN.test(encodingAESKey)) throw new RangeError('EncodingAESKey must be 43 letters and digits');
  const key = Buffer.from(`${encodingAESKey}=`, 'base64');
  if (key.length !== 32) throw new RangeError('EncodingAESKey does not decode to 32 bytes');
  return key;
}

/** msg_signature (91144 §消息体签名): sha1 over the four strings in lexicographic order. */
export function msgSignature(token: string, timestamp: string, nonce: string, encrypt: string): string {
  const parts = [token, timestamp, nonce, encrypt];
  parts.sort();
  return createHash('sha1').update(parts.join(''), 'utf8').digest('hex');
}

/** Encrypts `message` for `receiveId`: the base64 ciphertext. `random` (16 bytes) for published vectors only. */
export function encrypt(encodingAESKey: string, message: string, receiveId: string, random: Buffer = randomBytes(16)): string {
  if (random.length !== 16) throw new RangeError('the random prefix must be 16 bytes');
  const key = aesKey(encodingAESKey);
  const msg = Buffer.from(message, 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32BE(msg.length, 0);
  const body = Buffer.concat([random, length, msg, Buffer.from(receiveId, 'utf8')]);
  const padLength = BLOCK - (body.length % BLOCK);
  const padded = Buffer.concat([body, Buffer.alloc(padLength, padLength)]);
  const cipher = createCipheriv('aes-256-cbc', key, key.subarray(0, 16));
  cipher.setAutoPadding(false);
  return Buffer.concat([cipher.update(padded), cipher.final()]).toString('base64');
}

export interface Decrypted {
  message: string;
  receiveId: string;
}

/**
 * Decrypts a ciphertext (an app's passive reply, or a test's input) with WeCom's layout, or
 * undefined when it is not one: bad base64, not whole 32-byte blocks, a pad byte outside 1..32 or
 * pad bytes that differ, a length field past the end, or a message that is not UTF-8.
 */
export function decrypt(encodingAESKey: string, ciphertext: string): Decrypted | undefined {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(ciphertext) || ciphertext.length % 4 !== 0) return undefined;
  const data = Buffer.from(ciphertext, 'base64');
  if (data.length === 0 || data.length % BLOCK !== 0) return undefined;
  const key = aesKey(encodingAESKey);
  const decipher = createDecipheriv('aes-256-cbc', key, key.subarray(0, 16));
  decipher.setAutoPadding(false);
  const plain = Buffer.concat([decipher.update(data), decipher.final()]);
  const padLength = plain[plain.length - 1] ?? 0;
  if (padLength < 1 || padLength > BLOCK) return undefined;
  for (let i = plain.length - padLength; i < plain.length; i++) if (plain[i] !== padLength) return undefined;
  const body = plain.subarray(0, plain.length - padLength);
  if (body.length < 20) return undefined;
  const length = body.readUInt32BE(16);
  if (20 + length > body.length) return undefined;
  try {
    const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
    return {
      message: utf8.decode(body.subarray(20, 20 + length)),
      receiveId: utf8.decode(body.subarray(20 + length)),
    };
  } catch {
    return undefined;
  }
}

/** WeCom's nonces are digits (the published vectors: 47744683, 1597212914). */
export function nonce(): string {
  return String(randomInt(100_000_000, 2_000_000_000));
}

/** An echostr plaintext of the console's shape: a decimal number of up to 19 digits (vector A: 1288432023552776189). */
export function echoPlaintext(): string {
  return (randomBytes(8).readBigUInt64BE() >> 1n).toString();
}

/** A random EncodingAESKey of the console's shape (its 「随机获取」 button). */
export function randomEncodingAESKey(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  let out = '';
  for (let i = 0; i < 43; i++) out += alphabet[randomInt(alphabet.length)];
  return out;
}
