/**
 * A small, strict reader for the XML WeCom sends to callback URLs: the envelope
 * (`<xml><ToUserName/><AgentID/><Encrypt/></xml>`) and the decrypted messages and events
 * (https://developer.work.weixin.qq.com/document/path/90238, 90239, 90240). That XML is a tree of
 * elements holding text or CDATA, a few of them nested (BatchJob, ScanCodeInfo, SendLocationInfo,
 * SendPicsInfo → PicList → item, SelectedItems → SelectedItem → OptionIds → OptionId, a member's
 * ExtAttr → Item → Text/Web), some repeated (OptionId, item, SpaceId).
 *
 * Why not a general parser (fast-xml-parser, sax): WeCom's XML needs none of what makes them
 * large, and what it does not need is where XML parsers have had their holes (entity expansion,
 * external DTDs, prototype pollution through element names, ReDoS in entity handling). This
 * reader has no DTD support at all, so there is nothing to configure off:
 *
 * - `<!DOCTYPE`, `<!ENTITY`, comments and any other `<!…` markup are refused before anything is
 *   built (`refuseDtd`), and again by the reader itself; processing instructions too, but for an
 *   XML declaration at the very start. CDATA sections are skipped by that scan: a chat message
 *   whose text is `<!DOCTYPE html>` is a text message, not a DTD;
 * - the only references are the five predefined entities and numeric character references; any
 *   other `&name;` is refused, so nothing can expand;
 * - element names become keys of objects without a prototype (`__proto__` is just a name);
 * - depth and element count are bounded; attributes are read past and dropped (WeCom sends none).
 *
 * Anything else that is not this shape (mixed text and elements, unclosed or mismatched tags,
 * text after the root) is refused. Every refusal is a WeComCallbackError MALFORMED.
 */
import { malformed } from './callback-errors.ts';

/** An element's value: its text, its child elements, or the values of a repeated element. */
export type XmlValue = string | XmlFields | XmlValue[];
/** Child elements by name; a repeated element's values in an array, in document order. Null prototype. */
export interface XmlFields {
  [name: string]: XmlValue;
}

export interface XmlLimits {
  /** Nesting depth below the root (default 8; WeCom's deepest is 4). */
  maxDepth?: number;
  /** Elements in all (default 10,000). */
  maxElements?: number;
}

export interface XmlDocument {
  root: string;
  fields: XmlFields;
}

const ONLY_SPACE = /^[ \t\r\n]*$/;
const PREDEFINED: Readonly<Record<string, string>> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

interface Frame {
  name: string;
  /** Made with the first child: most elements are leaves. */
  fields: XmlFields | undefined;
  text: string;
}

/** Refuses any `<!` markup but CDATA (DOCTYPE, ENTITY, ELEMENT, ATTLIST, comments), skipping CDATA contents. */
export function refuseDtd(text: string): void {
  let at = text.indexOf('<!');
  while (at !== -1) {
    if (!text.startsWith('<![CDATA[', at)) throw malformed('a DOCTYPE, entity declaration or comment is refused');
    const end = text.indexOf(']]>', at + 9);
    if (end === -1) return; // the reader reports the unterminated CDATA
    at = text.indexOf('<!', end + 3);
  }
}

/** Parses WeCom's XML: one root element; see the header for what is refused. */
export function parseXml(text: string, limits: XmlLimits = {}): XmlDocument {
  refuseDtd(text);
  return new Reader(text, limits.maxDepth ?? 8, limits.maxElements ?? 10_000).document();
}

class Reader {
  readonly #text: string;
  readonly #maxDepth: number;
  #budget: number;
  #at = 0;
  readonly #stack: Frame[] = [];

  constructor(text: string, maxDepth: number, maxElements: number) {
    this.#text = text;
    this.#maxDepth = maxDepth;
    this.#budget = maxElements;
  }

  document(): XmlDocument {
    const t = this.#text;
    this.#skipSpace();
    if (t.startsWith('<?xml', this.#at)) {
      const end = t.indexOf('?>', this.#at);
      if (end === -1) throw malformed('unterminated XML declaration');
      this.#at = end + 2;
    }
    this.#skipSpace();
    if (t[this.#at] !== '<') throw malformed('not XML');
    let root: XmlDocument | undefined;
    while (root === undefined) {
      if (this.#at >= t.length) throw malformed('unclosed element');
      root = this.#step();
    }
    this.#skipSpace();
    if (this.#at !== t.length) throw malformed('content after the root element');
    return root;
  }

  /** Reads one token; returns the document when it closed the root. */
  #step(): XmlDocument | undefined {
    const t = this.#text;
    const top = this.#stack[this.#stack.length - 1];
    if (t[this.#at] !== '<') {
      const end = t.indexOf('<', this.#at);
      const raw = t.slice(this.#at, end === -1 ? t.length : end);
      this.#at = end === -1 ? t.length : end;
      if (top) top.text += decodeText(raw);
      return undefined;
    }
    const next = t.charCodeAt(this.#at + 1);
    if (next === 0x21 /* ! */) {
      if (!t.startsWith('<![CDATA[', this.#at)) throw malformed('a DOCTYPE, entity declaration or comment is refused');
      const end = t.indexOf(']]>', this.#at + 9);
      if (end === -1 || !top) throw malformed('a CDATA section outside an element, or unterminated');
      top.text += t.slice(this.#at + 9, end);
      this.#at = end + 3;
      return undefined;
    }
    if (next === 0x3f /* ? */) throw malformed('a processing instruction is refused');
    if (next === 0x2f /* / */) return this.#close();
    this.#open();
    return undefined;
  }

  #open(): void {
    this.#at += 1;
    const name = this.#name();
    if (this.#stack.length > this.#maxDepth) throw malformed('elements nested too deeply');
    if (--this.#budget < 0) throw malformed('too many elements');
    const selfClosing = this.#skipAttributes();
    const frame: Frame = { name, fields: undefined, text: '' };
    if (selfClosing) this.#finish(frame);
    else this.#stack.push(frame);
  }

  #close(): XmlDocument | undefined {
    this.#at += 2;
    const name = this.#name();
    this.#skipSpace();
    if (this.#text[this.#at] !== '>') throw malformed('bad closing tag');
    this.#at += 1;
    const frame = this.#stack.pop();
    if (!frame || frame.name !== name) throw malformed('mismatched closing tag');
    return this.#finish(frame);
  }

  /** Hands a finished element to its parent; returns the document for the root. */
  #finish(frame: Frame): XmlDocument | undefined {
    if (frame.fields && !ONLY_SPACE.test(frame.text)) throw malformed('text mixed with elements');
    const value: XmlValue = frame.fields ?? frame.text;
    const parent = this.#stack[this.#stack.length - 1];
    if (!parent) {
      if (typeof value === 'string' && value !== '' && !ONLY_SPACE.test(value)) throw malformed('the root element holds text');
      return { root: frame.name, fields: typeof value === 'string' ? (Object.create(null) as XmlFields) : value };
    }
    const fields = (parent.fields ??= Object.create(null) as XmlFields);
    const existing = fields[frame.name];
    if (existing === undefined) fields[frame.name] = value;
    else if (Array.isArray(existing)) existing.push(value);
    else fields[frame.name] = [existing, value];
    return undefined;
  }

  /** `[A-Za-z_][A-Za-z0-9_.:-]*`, scanned by char code (the reader's hottest loop). */
  #name(): string {
    const t = this.#text;
    const start = this.#at;
    let i = start;
    if (!isNameStart(t.charCodeAt(i))) throw malformed('bad element name');
    for (i++; i < t.length && isNameChar(t.charCodeAt(i)); i++);
    this.#at = i;
    return t.slice(start, i);
  }

  /** Reads past `name="value"` pairs (values unread: no references in them are expanded); true for `/>`. */
  #skipAttributes(): boolean {
    const t = this.#text;
    for (;;) {
      this.#skipSpace();
      if (t[this.#at] === '>') {
        this.#at += 1;
        return false;
      }
      if (t.startsWith('/>', this.#at)) {
        this.#at += 2;
        return true;
      }
      this.#name();
      this.#skipSpace();
      if (t[this.#at] !== '=') throw malformed('bad attribute');
      this.#at += 1;
      this.#skipSpace();
      const quote = t[this.#at];
      if (quote !== '"' && quote !== "'") throw malformed('bad attribute');
      const end = t.indexOf(quote, this.#at + 1);
      if (end === -1 || t.slice(this.#at + 1, end).includes('<')) throw malformed('bad attribute');
      this.#at = end + 1;
    }
  }

  #skipSpace(): void {
    const t = this.#text;
    let i = this.#at;
    for (let c = t.charCodeAt(i); c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d; c = t.charCodeAt(++i));
    this.#at = i;
  }
}

function isNameStart(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f;
}

function isNameChar(c: number): boolean {
  return isNameStart(c) || (c >= 0x30 && c <= 0x39) || c === 0x2e || c === 0x3a || c === 0x2d;
}

/** Decodes the predefined entities and numeric references; anything else with `&` is refused. */
function decodeText(raw: string): string {
  if (!raw.includes('&')) return raw;
  let out = '';
  let from = 0;
  for (let at = raw.indexOf('&'); at !== -1; at = raw.indexOf('&', from)) {
    const end = raw.indexOf(';', at);
    if (end === -1 || end - at > 10) throw malformed('an entity reference is refused');
    out += raw.slice(from, at) + reference(raw.slice(at + 1, end));
    from = end + 1;
  }
  return out + raw.slice(from);
}

function reference(name: string): string {
  const predefined = Object.hasOwn(PREDEFINED, name) ? PREDEFINED[name] : undefined;
  if (predefined !== undefined) return predefined;
  const m = /^#(?:x([0-9A-Fa-f]{1,6})|([0-9]{1,7}))$/.exec(name);
  const code = m ? parseInt(m[1] ?? m[2] ?? '', m[1] ? 16 : 10) : NaN;
  // XML's Char production: no NUL or other C0 controls but tab and newlines, no surrogates.
  const allowed = code === 0x9 || code === 0xa || code === 0xd || (code >= 0x20 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff));
  if (!allowed) throw malformed('an entity reference is refused');
  return String.fromCodePoint(code);
}
