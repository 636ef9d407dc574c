/**
 * The two wire formats of a callback (https://developer.work.weixin.qq.com/document/path/90238
 * and 91144): the XML envelope `<xml><ToUserName/><AgentID/><Encrypt/></xml>`, and the JSON
 * envelope `{"tousername", "agentid", "encrypt"}` of apps that chose JSON (WeCom's own
 * weworkapi_golang `json_callback/`), with the decrypted message in the same format.
 *
 * Only `Encrypt` is signed: `ToUserName` and `AgentID` of the envelope are hints (which app's key
 * to try), never facts; the facts are in the decrypted message.
 *
 * A body is checked for size before it is read (TOO_LARGE), for DOCTYPE and entities before it is
 * parsed (callback-xml.ts), and for the shape WeCom sends (MALFORMED). JSON numbers are kept as
 * their source text: a MsgId such as 4561255354251345929 does not fit in a double.
 */
import { malformed, WeComCallbackError, WECOM_CALLBACK_TOO_LARGE } from './callback-errors.ts';
import { parseXml } from './callback-xml.ts';
import type { XmlFields, XmlValue } from './callback-xml.ts';

export type CallbackFormat = 'xml' | 'json';
/** WeCom's deliveries are a few KB; an update_tag with 1,000 UserIDs stays under 100 KB once encrypted. */
export const DEFAULT_MAX_BODY_BYTES = 256 * 1024;

export interface CallbackEnvelope {
  format: CallbackFormat;
  /** The ciphertext, still base64. */
  encrypt: string;
  /** The corp ID (or suite ID) WeCom addressed, unsigned. */
  toUserName: string | undefined;
  /** The app's AgentId as sent, unsigned (absent for some contact and third-party callbacks). */
  agentId: string | undefined;
}

export interface EnvelopeOptions {
  /** The format the app chose in the console (default `'xml'`); a body in another is MALFORMED. */
  format?: CallbackFormat;
  /** Largest body accepted, in bytes (default 256 KiB). */
  maxBodyBytes?: number;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The body as text, refused when over the limit (before decoding) or not UTF-8. */
export function bodyText(body: string | Uint8Array, maxBodyBytes = DEFAULT_MAX_BODY_BYTES): string {
  if (tooLarge(body, maxBodyBytes)) throw new WeComCallbackError(WECOM_CALLBACK_TOO_LARGE, `the body is over ${maxBodyBytes} bytes`);
  if (typeof body === 'string') return body;
  try {
    return utf8.decode(body);
  } catch {
    throw malformed('the body is not UTF-8');
  }
}

/** Over `max` bytes once UTF-8? A UTF-16 code unit takes 1 to 3 bytes: count them only when in doubt. */
function tooLarge(body: string | Uint8Array, max: number): boolean {
  if (typeof body !== 'string') return body.byteLength > max;
  if (body.length > max) return true;
  if (body.length * 3 <= max) return false;
  return Buffer.byteLength(body, 'utf8') > max;
}

/** Reads a POST body: the envelope in the chosen format. */
export function parseEnvelope(body: string | Uint8Array, options: EnvelopeOptions = {}): CallbackEnvelope {
  const format = options.format ?? 'xml';
  const text = bodyText(body, options.maxBodyBytes);
  const { encrypt, toUserName, agentId } = format === 'xml' ? xmlEnvelope(text) : jsonEnvelope(text);
  if (encrypt === undefined || encrypt === '') throw malformed('the envelope has no Encrypt');
  return { format, encrypt, toUserName, agentId };
}

interface EnvelopeFields {
  encrypt: unknown;
  toUserName: unknown;
  agentId: unknown;
}

function xmlEnvelope(text: string): Partial<Record<keyof EnvelopeFields, string>> {
  const fields = parseDocument(text, 'xml', 'envelope');
  return checked({ encrypt: fields['Encrypt'], toUserName: fields['ToUserName'], agentId: fields['AgentID'] });
}

/** `{"tousername": string, "encrypt": string, "agentid": number | string}`; other members are ignored. */
function jsonEnvelope(text: string): Partial<Record<keyof EnvelopeFields, string>> {
  if (/\S/.exec(text)?.[0] !== '{') throw malformed('the envelope is not a JSON object');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw malformed('the envelope is not JSON');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw malformed('the envelope is not a JSON object');
  const o = parsed as Record<string, unknown>;
  const agentId = o['agentid'];
  if (typeof agentId === 'number' && !Number.isSafeInteger(agentId)) throw malformed("the envelope's agentid is not an integer");
  return checked({ encrypt: o['encrypt'], toUserName: o['tousername'], agentId: typeof agentId === 'number' ? String(agentId) : agentId });
}

function checked(fields: EnvelopeFields): Partial<Record<keyof EnvelopeFields, string>> {
  const out: Partial<Record<keyof EnvelopeFields, string>> = {};
  for (const name of ['encrypt', 'toUserName', 'agentId'] as const) {
    const value = fields[name];
    if (value !== undefined && typeof value !== 'string') throw malformed(`the envelope's ${name} has the wrong type`);
    if (value !== undefined) out[name] = value;
  }
  return out;
}

/** Parses a decrypted message of the given format into its fields. */
export function parseMessage(message: string, format: CallbackFormat = 'xml'): XmlFields {
  return parseDocument(message, format, 'message');
}

function parseDocument(text: string, format: CallbackFormat, what: 'envelope' | 'message'): XmlFields {
  const first = /\S/.exec(text)?.[0];
  if (format === 'xml') {
    if (first !== '<') throw malformed(`the ${what} is not XML`);
    const doc = parseXml(text);
    if (doc.root !== 'xml') throw malformed(`the ${what}'s root element is not <xml>`);
    return doc.fields;
  }
  if (first !== '{') throw malformed(`the ${what} is not a JSON object`);
  return jsonFields(text, what);
}

/**
 * JSON into the same shape as XML: strings, objects, arrays of repeats. Numbers and booleans
 * become their source text (JSON.parse's reviver context, Node >= 21), null becomes ''.
 */
function jsonFields(text: string, what: 'envelope' | 'message'): XmlFields {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text, (_key, value: unknown, context?: { source?: string }) =>
      typeof value === 'number' || typeof value === 'boolean' ? (context?.source ?? String(value)) : value,
    );
  } catch {
    throw malformed(`the ${what} is not JSON`);
  }
  const fields = toValue(parsed, 0);
  if (typeof fields !== 'object' || Array.isArray(fields)) throw malformed(`the ${what} is not a JSON object`);
  return fields;
}

function toValue(value: unknown, depth: number): XmlValue {
  if (depth > 8) throw malformed('JSON nested too deeply');
  if (typeof value === 'string') return value;
  if (value === null) return '';
  if (Array.isArray(value)) return value.map((v) => toValue(v, depth + 1));
  if (typeof value === 'object') {
    const fields = Object.create(null) as XmlFields;
    for (const [k, v] of Object.entries(value)) fields[k] = toValue(v, depth + 1);
    return fields;
  }
  throw malformed('unexpected JSON value');
}
