// Which Host headers the emulator answers. It listens on loopback, but a web page the developer
// visits can still reach it through DNS rebinding: the page's own name is made to resolve to
// 127.0.0.1, and the browser then treats the emulator as that page's origin (it may read answers
// and post anything). Such a request carries the page's name in Host, so the emulator answers only
// its own names (127.0.0.1, localhost, [::1] and the address it was told to bind, each with its
// port) and the names the developer allowed explicitly (`allowedHosts`, `--allow-host`).
//
// Compared byte for byte after the browser's own normalisation (lower case, no trailing dot,
// IPv4 and IPv6 written canonically), so `LOCALHOST`, `localhost.` or `[0:0::1]` are refused:
// no browser sends them for a URL that names the emulator. `*.localhost` is not one of its own
// names: whether it resolves to loopback depends on the resolver (browsers hard-wire it, the
// system's getaddrinfo may ask DNS), so it takes `--allow-host .localhost` like any other name.

/** An allowedHosts entry: a name (any port), a name with a port, or `.suffix` (it and its subdomains). */
export interface HostRule {
  name: string;
  port: string | undefined;
  subdomains: boolean;
}

export interface Refusal {
  status: number;
  message: string;
}

const NAME = /^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*|\[[0-9a-f:.]+\])$/;
const PORT = /^\d{1,5}$/;

/** `name[:port]` -> its parts; undefined for anything that is not that shape. */
export function splitHost(value: string): { name: string; port: string | undefined } | undefined {
  const close = value.startsWith('[') ? value.indexOf(']') : -1;
  const colon = close === -1 ? value.indexOf(':') : value.indexOf(':', close);
  if (close === -1 && colon !== value.lastIndexOf(':')) return undefined; // an IPv6 literal without brackets
  const name = colon === -1 ? value : value.slice(0, colon);
  const port = colon === -1 ? undefined : value.slice(colon + 1);
  if (name === '' || (port !== undefined && !PORT.test(port))) return undefined;
  return { name, port };
}

/** Checks `allowedHosts` / `--allow-host` at start-up, so a typo fails loudly instead of refusing later. */
export function parseAllowedHosts(entries: unknown): HostRule[] {
  if (entries === undefined) return [];
  if (!Array.isArray(entries)) throw new RangeError('startEmulator: allowedHosts must be an array of host names');
  return entries.map((entry: unknown, i) => {
    const text = typeof entry === 'string' ? entry.trim().toLowerCase() : '';
    const subdomains = text.startsWith('.');
    const parts = splitHost(subdomains ? text.slice(1) : text);
    const badPort = parts?.port !== undefined && Number(parts.port) > 65535;
    if (!parts || badPort || !NAME.test(parts.name) || (subdomains && parts.name.startsWith('[')))
      throw new RangeError(
        `startEmulator: allowedHosts[${i}] ${JSON.stringify(entry)} is not a host name: write it as a browser sends it in Host, ` +
          'e.g. "emu.test", "emu.test:8443", ".test" (it and its subdomains), "192.168.1.5" or "[fe80::1]"',
      );
    return { name: parts.name, port: parts.port, subdomains };
  });
}

function matches(rule: HostRule, name: string, port: string | undefined): boolean {
  if (rule.port !== undefined && rule.port !== port) return false;
  return name === rule.name || (rule.subdomains && name.endsWith(`.${rule.name}`));
}

/** What a refused Host gets told: what was refused, which names are answered, how to allow another. */
function refusalFor(host: string, own: readonly string[], rules: readonly HostRule[]): Refusal {
  const shown = JSON.stringify(host.slice(0, 100));
  const candidate = splitHost(host)?.name.toLowerCase().replace(/\.$/, '') ?? '';
  const example = NAME.test(candidate) ? candidate : 'NAME';
  const extra = rules.map((r) => `${r.subdomains ? '.' : ''}${r.name}${r.port === undefined ? '' : `:${r.port}`}`);
  return {
    status: 421,
    message:
      `wecom-emulator: refused a request for Host ${shown}.\n` +
      `It answers only its own names: ${own.join(', ')}${extra.length ? `, and the allowed hosts ${extra.join(', ')}` : ''}. ` +
      'A web page reaching it under another name may be a DNS-rebinding attack.\n' +
      `To allow a name, start it with startEmulator({ allowedHosts: ['${example}'] }) or wecom-emulator --allow-host ${example}.\n`,
  };
}

export class HostCheck {
  readonly #rules: readonly HostRule[];
  #ownUrl = '';
  #own: readonly string[] = [];

  constructor(rules: readonly HostRule[]) {
    this.#rules = rules;
  }

  /** The Host values of the emulator's own names, for the URL it listens on. */
  #ownHosts(ownUrl: string): readonly string[] {
    if (ownUrl === this.#ownUrl) return this.#own;
    const url = new URL(ownUrl);
    const names = [...new Set(['127.0.0.1', 'localhost', '[::1]', url.hostname])];
    // A default port (80, 443) is not written in Host; URL.port is '' then.
    this.#own = names.flatMap((name) =>
      url.port === '' ? [name, `${name}:${url.protocol === 'https:' ? 443 : 80}`] : [`${name}:${url.port}`],
    );
    this.#ownUrl = ownUrl;
    return this.#own;
  }

  /** undefined when the Host header names this emulator, else what to answer. */
  refusal(host: string | undefined, ownUrl: string): Refusal | undefined {
    const own = this.#ownHosts(ownUrl);
    if (host === undefined || host === '') {
      return {
        status: 400,
        message: `wecom-emulator: refused a request without a Host header (HTTP/1.0?): send Host: ${own[0] ?? '127.0.0.1'}.\n`,
      };
    }
    if (own.includes(host)) return undefined;
    const parts = splitHost(host);
    if (parts && this.#rules.some((rule) => matches(rule, parts.name, parts.port))) return undefined;
    return refusalFor(host, own, this.#rules);
  }
}
