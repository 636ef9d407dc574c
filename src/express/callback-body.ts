/**
 * A delivery's body, whatever the app mounted before the receiver: its bytes when they are still
 * to be read (read here, refused past the limit without reading the rest), the string or Buffer
 * of express.text() / express.raw(), or the fields an XML or JSON body parser made of it. The
 * signature covers the Encrypt field, not the bytes around it, so an envelope rebuilt from parsed
 * fields verifies exactly as the original.
 */
import type { Request } from 'express';
import type { CallbackFormat } from '../wecom/callback-envelope.ts';
import { WeComCallbackError, WECOM_CALLBACK_MALFORMED, WECOM_CALLBACK_TOO_LARGE } from '../wecom/callback-errors.ts';

export async function readBodyOf(req: Request, maxBytes: number, format: CallbackFormat): Promise<string | Uint8Array> {
  const parsed: unknown = (req as Request & { body?: unknown }).body;
  if (typeof parsed === 'string' || parsed instanceof Uint8Array) return parsed;
  // body-parser marks a body it consumed; any other parser leaves fields behind it.
  const consumed = (req as Request & { _body?: boolean })._body === true || req.readableEnded;
  if (!consumed) return readRaw(req, maxBytes);
  if (parsed === null || typeof parsed !== 'object')
    throw new WeComCallbackError(WECOM_CALLBACK_MALFORMED, 'the body was consumed and left nothing');
  return format === 'json' ? JSON.stringify(parsed) : envelopeXml(parsed as Record<string, unknown>);
}

function readRaw(req: Request, maxBytes: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) {
    // Not read at all: the 413 closes the connection (callback-receiver.ts), which drops the rest.
    return Promise.reject(new WeComCallbackError(WECOM_CALLBACK_TOO_LARGE, `the body is over ${maxBytes} bytes`));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > maxBytes) {
        req.off('data', onData);
        req.pause();
        reject(new WeComCallbackError(WECOM_CALLBACK_TOO_LARGE, `the body is over ${maxBytes} bytes`));
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('error', reject);
  });
}

/** The three envelope fields from what an XML parser made (xml2js, fast-xml-parser…: any case, values in arrays or `_`). */
function envelopeXml(fields: Record<string, unknown>): string {
  const found = new Map<string, string>();
  const visit = (node: unknown, depth: number): void => {
    if (depth > 4 || node === null || typeof node !== 'object') return;
    for (const [key, value] of Object.entries(node)) {
      const name = ENVELOPE_FIELDS.get(key.toLowerCase());
      const text = textOf(value);
      if (name !== undefined && text !== undefined && !found.has(name)) found.set(name, text);
      else visit(Array.isArray(value) ? value[0] : value, depth + 1);
    }
  };
  visit(fields, 0);
  const encrypt = found.get('Encrypt');
  if (encrypt === undefined) throw new WeComCallbackError(WECOM_CALLBACK_MALFORMED, 'the parsed body has no Encrypt');
  const cdata = (v: string): string => `<![CDATA[${v.replaceAll(']]>', '')}]]>`;
  return `<xml>${[...found].map(([name, value]) => `<${name}>${cdata(value)}</${name}>`).join('')}</xml>`;
}

const ENVELOPE_FIELDS = new Map([
  ['tousername', 'ToUserName'],
  ['agentid', 'AgentID'],
  ['encrypt', 'Encrypt'],
]);

function textOf(value: unknown): string | undefined {
  if (typeof value === 'string' || typeof value === 'number') return String(value);
  if (Array.isArray(value) && value.length === 1) return textOf(value[0]);
  if (value !== null && typeof value === 'object' && '_' in value) return textOf((value as { _: unknown })._);
  return undefined;
}
