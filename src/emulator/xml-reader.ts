// A small reader for the XML an app answers the emulator with (passive replies,
// https://developer.work.weixin.qq.com/document/path/90241): elements holding text, CDATA or
// other elements, a few levels deep. No DTD support at all: a DOCTYPE, an entity declaration or an
// entity reference other than the five predefined and numeric ones makes the whole document
// unreadable, so nothing is ever expanded or fetched. The emulator's own, not the library's
// (src/wecom/callback-xml.ts): the two sides of the wire share no code.

export interface XmlElement {
  name: string;
  /** The element's text (CDATA and character data joined), trimmed of the whitespace around children. */
  text: string;
  children: XmlElement[];
}

const MAX_DEPTH = 10;
const MAX_ELEMENTS = 2000;
const NAME = /^[A-Za-z_][A-Za-z0-9_.-]*/;
const PREDEFINED: Readonly<Record<string, string>> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

class Reader {
  readonly src: string;
  pos = 0;
  count = 0;

  constructor(src: string) {
    this.src = src;
  }

  fail(): never {
    throw new SyntaxError('not a well-formed XML reply');
  }

  skipSpace(): void {
    while (this.pos < this.src.length && /\s/.test(this.src[this.pos] ?? '')) this.pos++;
  }

  element(depth: number): XmlElement {
    if (depth > MAX_DEPTH || ++this.count > MAX_ELEMENTS || this.src[this.pos] !== '<') this.fail();
    this.pos++;
    const name = NAME.exec(this.src.slice(this.pos, this.pos + 200))?.[0];
    if (name === undefined) this.fail();
    this.pos += name.length;
    this.skipSpace();
    // WeCom's replies carry no attributes; one that does is not a reply.
    if (this.src.startsWith('/>', this.pos)) {
      this.pos += 2;
      return { name, text: '', children: [] };
    }
    if (this.src[this.pos] !== '>') this.fail();
    this.pos++;
    return this.content(name, depth);
  }

  content(name: string, depth: number): XmlElement {
    const children: XmlElement[] = [];
    let text = '';
    for (;;) {
      if (this.pos >= this.src.length) this.fail();
      if (this.src.startsWith('<![CDATA[', this.pos)) {
        const end = this.src.indexOf(']]>', this.pos + 9);
        if (end === -1) this.fail();
        text += this.src.slice(this.pos + 9, end);
        this.pos = end + 3;
      } else if (this.src.startsWith('</', this.pos)) {
        const close = `</${name}`;
        if (!this.src.startsWith(close, this.pos)) this.fail();
        this.pos += close.length;
        this.skipSpace();
        if (this.src[this.pos] !== '>') this.fail();
        this.pos++;
        return { name, text: children.length > 0 ? text.trim() : text, children };
      } else if (this.src.startsWith('<!--', this.pos)) {
        const end = this.src.indexOf('-->', this.pos + 4);
        if (end === -1) this.fail();
        this.pos = end + 3;
      } else if (this.src.startsWith('<!', this.pos) || this.src.startsWith('<?', this.pos)) {
        this.fail(); // DOCTYPE, ENTITY, processing instructions: never in a reply
      } else if (this.src[this.pos] === '<') {
        children.push(this.element(depth + 1));
      } else {
        const next = this.src.indexOf('<', this.pos);
        if (next === -1) this.fail();
        text += decodeText(this.src.slice(this.pos, next));
        this.pos = next;
      }
    }
  }
}

function decodeText(raw: string): string {
  return raw.replace(/&([^;]{0,10});?/g, (all, ref: string) => {
    if (!all.endsWith(';')) throw new SyntaxError('a bare & in XML text');
    if (Object.hasOwn(PREDEFINED, ref)) return PREDEFINED[ref] ?? '';
    const code = /^#x[0-9A-Fa-f]{1,6}$/.test(ref) ? parseInt(ref.slice(2), 16) : /^#[0-9]{1,7}$/.test(ref) ? Number(ref.slice(1)) : NaN;
    if (!Number.isInteger(code) || code > 0x10ffff) throw new SyntaxError('an entity reference XML does not predefine');
    return String.fromCodePoint(code);
  });
}

/** The root element of `text`, or undefined when it is not one well-formed element (an XML declaration may lead). */
export function readXml(text: string): XmlElement | undefined {
  try {
    const reader = new Reader(text);
    reader.skipSpace();
    if (text.startsWith('<?xml', reader.pos)) {
      const end = text.indexOf('?>', reader.pos);
      if (end === -1) return undefined;
      reader.pos = end + 2;
      reader.skipSpace();
    }
    const root = reader.element(0);
    reader.skipSpace();
    return reader.pos === text.length ? root : undefined;
  } catch {
    return undefined;
  }
}

/** The first child named `name`. */
export function child(element: XmlElement | undefined, name: string): XmlElement | undefined {
  return element?.children.find((c) => c.name === name);
}

/** The text of the first child named `name`. */
export function childText(element: XmlElement | undefined, name: string): string | undefined {
  return child(element, name)?.text;
}
