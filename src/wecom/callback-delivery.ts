/**
 * The receiver's two requests, framework-free (https://developer.work.weixin.qq.com/document/path/90238
 * and 91144): any HTTP adapter hands over the query and the raw body and gets back what to answer.
 *
 * - GET, URL verification (when the URL is saved in the console): `verifyUrl()` checks
 *   msg_signature over token, timestamp, nonce and echostr, decrypts echostr, and answers its
 *   plaintext alone: no quotes, no BOM, no newline ("不能加引号，不能带bom头，不能带换行符"), within 1 s.
 * - POST, a delivery: `openDelivery()` reads the envelope (size limit, no DOCTYPE/entities),
 *   opens the ciphertext (signature, timestamp window, decryption, receiveid), parses the
 *   decrypted message with the same refusals, types the event and computes its de-duplication
 *   key; `CallbackDispatcher.receive()` then runs the handlers.
 *
 * The query values must be single strings (a repeated parameter arrives as an array: MALFORMED or,
 * for msg_signature, BAD_SIGNATURE). They are taken as already URL-decoded: WeCom percent-encodes
 * echostr's `+`, `/` and `=`, and a `+` decoded to a space by a form decoder is not base64 any more.
 */
import type { CallbackCrypto } from './callback-crypto.ts';
import type { SealOptions } from './callback-crypto.ts';
import { parseEnvelope, parseMessage } from './callback-envelope.ts';
import type { CallbackEnvelope, CallbackFormat, EnvelopeOptions } from './callback-envelope.ts';
import { toCallbackEvent } from './callback-events.ts';
import type { CallbackEvent } from './callback-event-types.ts';
import { deliveryKey } from './callback-dedup.ts';
import type { XmlFields } from './callback-xml.ts';

/** The query of a callback request, as a framework hands it over. */
export interface CallbackQuery {
  msg_signature?: unknown;
  timestamp?: unknown;
  nonce?: unknown;
  echostr?: unknown;
}

export interface CallbackRequest {
  query: CallbackQuery;
  /** The raw body, as received (Buffer or string). */
  body: string | Uint8Array;
}

/** What to answer a URL verification: status 200 and this body, exactly. */
export interface UrlVerificationAnswer {
  status: 200;
  contentType: 'text/plain; charset=utf-8';
  body: string;
  /** Which Token + EncodingAESKey pair verified it (0 = the newest). */
  credentialIndex: number;
}

export interface DeliveryOptions extends EnvelopeOptions {
  /** The app's AgentId, for the de-duplication key of messages that carry none (address-book events). Default: the envelope's. */
  agentId?: number | string;
}

/** A delivery verified, decrypted and typed. Holds the decrypted message: never log it above debug level. */
export interface OpenedDelivery {
  envelope: CallbackEnvelope;
  /** The decrypted message as WeCom sent it. */
  message: string;
  fields: XmlFields;
  event: CallbackEvent;
  /** The de-duplication key (callback-dedup.ts). */
  key: string;
  credentialIndex: number;
  /** Seals a passive reply with the pair that opened this delivery, in the delivery's format. */
  sealReply(message: string, options?: Omit<SealOptions, 'credentialIndex'>): { body: string; contentType: string };
}

/** Verifies and answers the console's GET. Throws WeComCallbackError. */
export function verifyUrl(crypto: CallbackCrypto, query: CallbackQuery): UrlVerificationAnswer {
  const opened = crypto.open({ msgSignature: query.msg_signature, timestamp: query.timestamp, nonce: query.nonce, encrypt: query.echostr });
  return { status: 200, contentType: 'text/plain; charset=utf-8', body: opened.message, credentialIndex: opened.credentialIndex };
}

/** Verifies, decrypts and types a POST. Throws WeComCallbackError. */
export function openDelivery(crypto: CallbackCrypto, request: CallbackRequest, options: DeliveryOptions = {}): OpenedDelivery {
  const envelope = parseEnvelope(request.body, options);
  const { query } = request;
  const opened = crypto.open({
    msgSignature: query.msg_signature,
    timestamp: query.timestamp,
    nonce: query.nonce,
    encrypt: envelope.encrypt,
  });
  const fields = parseMessage(opened.message, envelope.format);
  const event = toCallbackEvent(fields);
  const key = deliveryKey({ message: opened.message, fields, agentId: options.agentId ?? envelope.agentId });
  return {
    envelope,
    message: opened.message,
    fields,
    event,
    key,
    credentialIndex: opened.credentialIndex,
    sealReply: (message, sealOptions) =>
      sealReplyBody(crypto, message, envelope.format, { ...sealOptions, credentialIndex: opened.credentialIndex }),
  };
}

/**
 * A passive reply, encrypted and signed: the XML `<xml><Encrypt/><MsgSignature/><TimeStamp/><Nonce/></xml>`
 * of document/path/91144, or the JSON `{"encrypt","msgsignature","timestamp","nonce"}` of the JSON format.
 */
export function sealReplyBody(
  crypto: CallbackCrypto,
  message: string,
  format: CallbackFormat = 'xml',
  options: SealOptions = {},
): { body: string; contentType: string } {
  const s = crypto.seal(message, options);
  if (format === 'json') {
    const body = JSON.stringify({ encrypt: s.encrypt, msgsignature: s.msgSignature, timestamp: s.timestamp, nonce: s.nonce });
    return { body, contentType: 'application/json; charset=utf-8' };
  }
  // Base64, hex, digits and seal()'s letters-and-digits nonce never hold "]]>".
  const body =
    `<xml><Encrypt><![CDATA[${s.encrypt}]]></Encrypt><MsgSignature><![CDATA[${s.msgSignature}]]></MsgSignature>` +
    `<TimeStamp>${s.timestamp}</TimeStamp><Nonce><![CDATA[${s.nonce}]]></Nonce></xml>`;
  return { body, contentType: 'application/xml; charset=utf-8' };
}
