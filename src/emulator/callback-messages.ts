// The messages the emulator pushes, in WeCom's shapes: the decrypted event in XML or JSON
// (事件格式 https://developer.work.weixin.qq.com/document/path/90240; address book 90970), the
// envelope around its ciphertext (90238: <xml><ToUserName/><AgentID/><Encrypt/></xml>, or the JSON
// {"tousername","encrypt","agentid"} of WeCom's JSON callbacks), and the reading of an app's
// passive reply envelope (91144: <xml><Encrypt/><MsgSignature/><TimeStamp/><Nonce/></xml>).
import { childText, readXml } from './xml-reader.ts';
import type { XmlElement } from './xml-reader.ts';

/** A field of a message, in WeCom's order: text (CDATA in XML), a number (bare), or nested fields. */
export type MessageValue = string | number | MessageField[];
export type MessageField = readonly [name: string, value: MessageValue];

function cdata(value: string): string {
  return `<![CDATA[${value.replaceAll(']]>', ']]]]><![CDATA[>')}]]>`;
}

function xmlFields(fields: readonly MessageField[]): string {
  return fields
    .map(([name, value]) => {
      if (typeof value === 'number') return `<${name}>${value}</${name}>`;
      if (typeof value === 'string') return `<${name}>${cdata(value)}</${name}>`;
      return `<${name}>${xmlFields(value)}</${name}>`;
    })
    .join('');
}

function jsonFields(fields: readonly MessageField[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of fields) out[name] = typeof value === 'object' ? jsonFields(value) : value;
  return out;
}

/** The decrypted message in the app's format: WeCom's XML, or the same names as a JSON object. */
export function renderMessage(fields: readonly MessageField[], format: 'xml' | 'json'): string {
  return format === 'json' ? JSON.stringify(jsonFields(fields)) : `<xml>${xmlFields(fields)}</xml>`;
}

/** The POST body around the ciphertext: only Encrypt is signed, ToUserName and AgentID are hints. */
export function renderEnvelope(
  format: 'xml' | 'json',
  toUserName: string,
  agentId: number,
  encryptText: string,
): { body: string; contentType: string } {
  if (format === 'json') {
    return { body: JSON.stringify({ tousername: toUserName, encrypt: encryptText, agentid: agentId }), contentType: 'application/json' };
  }
  return {
    body: `<xml><ToUserName>${cdata(toUserName)}</ToUserName><AgentID>${cdata(String(agentId))}</AgentID><Encrypt>${cdata(encryptText)}</Encrypt></xml>`,
    contentType: 'text/xml',
  };
}

/** The four fields of a passive reply's envelope, or why the body is not one. */
export type ReplyEnvelope = { encrypt: string; signature: string; timestamp: string; nonce: string } | { problem: string };

export function readReplyEnvelope(body: string, format: 'xml' | 'json'): ReplyEnvelope {
  let fields: Record<string, unknown>;
  if (format === 'json') {
    try {
      const parsed: unknown = JSON.parse(body);
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return { problem: 'the reply is not a JSON object' };
      const o = parsed as Record<string, unknown>;
      fields = { encrypt: o['encrypt'], signature: o['msgsignature'], timestamp: o['timestamp'], nonce: o['nonce'] };
    } catch {
      return { problem: 'the reply is not JSON (the app chose the JSON format)' };
    }
  } else {
    const root = readXml(body);
    if (root?.name !== 'xml') return { problem: 'the reply is not an <xml> document (or has a DOCTYPE or an entity)' };
    fields = {
      encrypt: childText(root, 'Encrypt'),
      signature: childText(root, 'MsgSignature'),
      timestamp: childText(root, 'TimeStamp'),
      nonce: childText(root, 'Nonce'),
    };
  }
  const { encrypt, signature, timestamp, nonce } = fields;
  // JSON writers may send the timestamp as a number.
  const ts = typeof timestamp === 'number' && Number.isSafeInteger(timestamp) ? String(timestamp) : timestamp;
  if (typeof encrypt !== 'string' || encrypt === '') return { problem: 'the reply has no Encrypt' };
  if (typeof signature !== 'string' || !/^[0-9a-f]{40}$/i.test(signature)) return { problem: 'the reply has no MsgSignature' };
  if (typeof ts !== 'string' || !/^\d{1,12}$/.test(ts)) return { problem: 'the reply has no TimeStamp of digits' };
  if (typeof nonce !== 'string' || nonce === '') return { problem: 'the reply has no Nonce' };
  return { encrypt, signature: signature.toLowerCase(), timestamp: ts, nonce };
}

/** A decrypted reply read as elements: XML as it is, JSON turned into the same tree. */
export function readReplyMessage(message: string, format: 'xml' | 'json'): XmlElement | undefined {
  if (format === 'xml') {
    const root = readXml(message);
    return root?.name === 'xml' ? root : undefined;
  }
  try {
    const parsed: unknown = JSON.parse(message);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
    return { name: 'xml', text: '', children: toElements(parsed as Record<string, unknown>, 0) };
  } catch {
    return undefined;
  }
}

function toElements(o: Record<string, unknown>, depth: number): XmlElement[] {
  if (depth > 8) return [];
  return Object.entries(o).flatMap(([name, value]): XmlElement[] => {
    if (Array.isArray(value)) return value.flatMap((v) => toElements({ [name]: v }, depth + 1));
    if (typeof value === 'object' && value !== null)
      return [{ name, text: '', children: toElements(value as Record<string, unknown>, depth + 1) }];
    return [{ name, text: value === null || value === undefined ? '' : String(value), children: [] }];
  });
}
