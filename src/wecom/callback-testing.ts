/**
 * Test helpers for apps (the way @octokit/webhooks lets an app sign its own test payloads): make
 * the requests WeCom would make to the app's callback URL, signed and encrypted with the app's
 * test Token and EncodingAESKey, and read the passive replies the app gives. They use the same
 * CallbackCrypto as the receiver, whose algorithm the tests check against WeCom's published
 * vectors (docs/callbacks.md).
 *
 * ```ts
 * const app = { token: 'testtoken', encodingAESKey: generateEncodingAESKey(), receiveId: 'wwtestcorp' };
 * const request = signDelivery(app, messageXml({ MsgType: 'event', Event: 'enter_agent', AgentID: 1000002 }));
 * // request.query and request.body: what WeCom POSTs to the callback URL
 * ```
 */
import { randomBytes, randomInt } from 'node:crypto';
import { CallbackCrypto } from './callback-crypto.ts';
import type { CallbackCredential } from './callback-crypto.ts';
import { parseEnvelope } from './callback-envelope.ts';
import type { CallbackFormat } from './callback-envelope.ts';

/** A test app's 「接收消息」 settings. */
export interface TestCallbackApp extends CallbackCredential {
  /** The corp ID (or suite ID) the plaintext ends with. */
  receiveId: string;
}

export interface SignOptions {
  /** Default `'xml'`. */
  format?: CallbackFormat;
  /** Seconds since the epoch, as a string (default now). */
  timestamp?: string;
  nonce?: string;
  /** The envelope's ToUserName / tousername (default the receiveId). */
  toUserName?: string;
  /** The envelope's AgentID / agentid (default none). */
  agentId?: number | string;
}

export interface SignedDelivery {
  query: { msg_signature: string; timestamp: string; nonce: string };
  body: string;
  contentType: string;
}

export interface UrlVerificationRequest {
  query: { msg_signature: string; timestamp: string; nonce: string; echostr: string };
  /** What the app must answer, exactly. */
  expected: string;
}

function cryptoOf(app: TestCallbackApp): CallbackCrypto {
  return new CallbackCrypto({
    credentials: { token: app.token, encodingAESKey: app.encodingAESKey },
    receiveId: app.receiveId,
    timestampWindowMs: Infinity,
  });
}

/** A random EncodingAESKey of the console's shape (43 letters and digits). */
export function generateEncodingAESKey(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  return Array.from({ length: 43 }, () => alphabet[randomInt(alphabet.length)]).join('');
}

/** The POST WeCom would send for `message` (the decrypted XML or JSON). */
export function signDelivery(app: TestCallbackApp, message: string, options: SignOptions = {}): SignedDelivery {
  const sealed = cryptoOf(app).seal(message, { timestamp: options.timestamp, nonce: options.nonce });
  const query = { msg_signature: sealed.msgSignature, timestamp: sealed.timestamp, nonce: sealed.nonce };
  const toUserName = options.toUserName ?? app.receiveId;
  if (options.format === 'json') {
    const agentid = options.agentId === undefined ? undefined : Number(options.agentId);
    return { query, body: JSON.stringify({ tousername: toUserName, encrypt: sealed.encrypt, agentid }), contentType: 'application/json' };
  }
  const agent = options.agentId === undefined ? '' : `<AgentID><![CDATA[${String(options.agentId)}]]></AgentID>`;
  const body = `<xml><ToUserName><![CDATA[${toUserName}]]></ToUserName><Encrypt><![CDATA[${sealed.encrypt}]]></Encrypt>${agent}</xml>`;
  return { query, body, contentType: 'text/xml' };
}

/** The GET the console sends when the URL is saved; `expected` is the one right answer. */
export function urlVerificationRequest(
  app: TestCallbackApp,
  options: { echostr?: string; timestamp?: string; nonce?: string } = {},
): UrlVerificationRequest {
  const expected = options.echostr ?? String(randomBytes(8).readBigUInt64BE());
  const sealed = cryptoOf(app).seal(expected, { timestamp: options.timestamp, nonce: options.nonce });
  return {
    query: { msg_signature: sealed.msgSignature, timestamp: sealed.timestamp, nonce: sealed.nonce, echostr: sealed.encrypt },
    expected,
  };
}

/** Verifies and decrypts a passive reply the app gave (its body, XML or JSON): the reply's plaintext. */
export function openReply(app: TestCallbackApp, body: string, format: CallbackFormat = 'xml'): string {
  const envelope = parseEnvelope(body, { format });
  const fields = replyFields(body, format);
  return cryptoOf(app).open({ msgSignature: fields.signature, timestamp: fields.timestamp, nonce: fields.nonce, encrypt: envelope.encrypt })
    .message;
}

function replyFields(body: string, format: CallbackFormat): { signature: unknown; timestamp: unknown; nonce: unknown } {
  if (format === 'json') {
    const o = JSON.parse(body) as Record<string, unknown>;
    return { signature: o['msgsignature'], timestamp: o['timestamp'], nonce: o['nonce'] };
  }
  const read = (name: string): string | undefined => new RegExp(`<${name}>(?:<!\\[CDATA\\[)?([^<\\]]*)`).exec(body)?.[1];
  return { signature: read('MsgSignature'), timestamp: read('TimeStamp'), nonce: read('Nonce') };
}

/** A value of messageXml(): text, a number, nested elements, or a repeated element's values. */
export type XmlInput = string | number | readonly XmlInput[] | { readonly [name: string]: XmlInput };

/** WeCom-shaped XML (`<xml>…</xml>`, strings in CDATA, numbers bare) from fields, for signDelivery(). */
export function messageXml(fields: { readonly [name: string]: XmlInput }): string {
  return `<xml>${elements(fields)}</xml>`;
}

function elements(fields: { readonly [name: string]: XmlInput }): string {
  return Object.entries(fields)
    .map(([name, value]) => element(name, value))
    .join('');
}

function element(name: string, value: XmlInput): string {
  if (Array.isArray(value)) return value.map((v: XmlInput) => element(name, v)).join('');
  if (typeof value === 'number') return `<${name}>${value}</${name}>`;
  if (typeof value === 'string') return `<${name}><![CDATA[${value.replaceAll(']]>', ']]]]><![CDATA[>')}]]></${name}>`;
  return `<${name}>${elements(value as { readonly [name: string]: XmlInput })}</${name}>`;
}
