/**
 * The library with node:https in place of got, for table 7 (got's share per login), built at bench
 * time and never committed: src/ and views/ are copied from this checkout (uncommitted edits
 * included) into scratch/bench-variants/node-https/, and that copy's src/wecom/http.ts gets a
 * two-line patch:
 *
 *   1. an import of bench/variants/node-https-send.ts, copied next to it;
 *   2. a first statement in HttpTransport's #send(url, req, fresh, totalMs) that returns
 *      sendViaNodeHttps(...) with the transport's own agents, timeouts and deadline, and its
 *      StaleConnection for the one resend, so that the rest of the library (the retry on a reset,
 *      the JSON checks, the error mapping) runs as it does with got.
 *
 * Everything else in the copy is this checkout's code. Each anchor of the patch must be found
 * exactly once; when src/wecom/http.ts has changed so that one is not, the build fails with the
 * anchor's name, and the bench prints the table without the variant (fix the anchors here).
 */
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

export interface Variant {
  /** The copy's src/ (AppConfig.libSrc). */
  src: string;
  /** One sentence for the report. */
  description: string;
}

const SEND_FILE = join(import.meta.dirname, '../variants/node-https-send.ts');

/** The patch itself: where it goes in http.ts and what it inserts. Exported for the tests. */
export function patchHttpTs(source: string): string {
  const once = (what: string, re: RegExp): RegExpExecArray => {
    const all = [...source.matchAll(new RegExp(re.source, `${re.flags.replace('g', '')}g`))];
    if (all.length !== 1 || !all[0])
      throw new Error(`bench variant: ${what} found ${all.length} times in src/wecom/http.ts (expected once)`);
    return all[0];
  };
  const firstImport = /^import [^\n]*\n/m.exec(source);
  if (!firstImport) throw new Error('bench variant: no import line in src/wecom/http.ts');
  const send = once(
    'the #send(url, req, fresh, totalMs) method',
    /\n([ \t]+)#send\(\s*url: URL,\s*req: HttpRequest,\s*fresh: boolean,\s*totalMs: number,?\s*\)[^\n]*\{\n/,
  );
  for (const field of ['#httpAgent', '#httpsAgent', '#freshAgents', '#timeouts', 'class StaleConnection'])
    if (!source.includes(field)) throw new Error(`bench variant: ${field} is not in src/wecom/http.ts`);
  const indent = `${send[1] ?? '  '}  `;
  const call =
    `${indent}// bench variant: node:https in place of got (bench/lib/variant.ts)\n` +
    `${indent}return sendViaNodeHttps(url, req, fresh ? this.#freshAgents : { http: this.#httpAgent, https: this.#httpsAgent }, ` +
    `this.#timeouts, totalMs, fresh, (err) => new StaleConnection(err));\n`;
  const sendEnd = send.index + send[0].length;
  const importAt = firstImport.index;
  return (
    source.slice(0, importAt) +
    "import { sendViaNodeHttps } from './node-https-send.ts';\n" +
    source.slice(importAt, sendEnd) +
    call +
    source.slice(sendEnd)
  );
}

export function buildHttpsVariant(root: string): Variant {
  const dest = join(root, 'scratch', 'bench-variants', 'node-https');
  rmSync(dest, { recursive: true, force: true });
  mkdirSync(dest, { recursive: true });
  cpSync(join(root, 'src'), join(dest, 'src'), { recursive: true });
  cpSync(join(root, 'views'), join(dest, 'views'), { recursive: true });
  const http = join(dest, 'src', 'wecom', 'http.ts');
  writeFileSync(http, patchHttpTs(readFileSync(http, 'utf8')));
  cpSync(SEND_FILE, join(dest, 'src', 'wecom', 'node-https-send.ts'));
  return {
    src: join(dest, 'src'),
    description:
      `The variant: this checkout's src/ and views/ copied into ${relative(root, dest)}/ with src/wecom/http.ts's #send() returning ` +
      "bench/variants/node-https-send.ts (node:https on the transport's own agents, the same phase timeouts, deadline, size cap and resend; bench/lib/variant.ts).",
  };
}
