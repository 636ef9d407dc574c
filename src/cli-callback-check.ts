/**
 * `express-wecom-auth callback check URL --token T --key K --corp-id ID`: what the admin console
 * does when the 「接收消息」 URL is saved (https://developer.work.weixin.qq.com/document/path/90238),
 * against a deployed receiver, saying precisely what is wrong where the console only says
 * "请求URL失败": the echostr's plaintext must come back alone (no quotes, no BOM, no newline),
 * within 1 second, with status 200.
 *
 * Exit codes: 0 the URL passes, 1 it does not (the reason on stderr), 2 bad usage.
 */
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import { urlVerificationRequest } from './wecom/callback-testing.ts';
import { CALLBACK_TOKEN, ENCODING_AES_KEY } from './wecom/callback-crypto.ts';

export const CALLBACK_CHECK_USAGE = `       express-wecom-auth callback check URL --token TOKEN --key ENCODING_AES_KEY --corp-id ID [--timeout MS]

  callback check        sends the URL check the admin console sends when 接收消息 is saved, and
                        says what is wrong with the answer: status, quotes, BOM, newline, a wrong
                        Token or EncodingAESKey (or corp ID), too slow (WeCom waits 1 s)`;

/** What was wrong with an answer, or undefined when it is the exact plaintext. */
export function diagnoseAnswer(expected: string, status: number, body: Buffer, elapsedMs: number, limitMs: number): string | undefined {
  const text = body.toString('utf8');
  if (status === 401) return `answered 401: the receiver refused the signature (check the Token, "${'--token'}")`;
  if (status === 400)
    return 'answered 400: the receiver could not decrypt the echostr (check the EncodingAESKey, and the corp ID it expects)';
  if (status !== 200) return `answered ${status}, not 200${text ? `: ${JSON.stringify(text.slice(0, 120))}` : ''}`;
  if (elapsedMs > limitMs) return `answered in ${Math.round(elapsedMs)} ms: WeCom waits ${limitMs} ms`;
  if (text === expected) return undefined;
  if (body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf)
    return 'the answer starts with a BOM (EF BB BF): answer the plaintext alone';
  if (text.trim() !== text) return `the answer has whitespace around the plaintext (${JSON.stringify(text)}): no newline, no spaces`;
  if (text === `"${expected}"` || text === `'${expected}'`)
    return 'the answer is quoted: answer the plaintext without quotes (res.send(String), not res.json)';
  if (text.includes(expected))
    return `the answer holds the plaintext inside something else (${JSON.stringify(text.slice(0, 120))}): answer it alone`;
  return `the answer is not the decrypted echostr (${JSON.stringify(text.slice(0, 60))}): check the EncodingAESKey and the corp ID, or the URL points at another handler`;
}

export async function runCallbackCheck(args: readonly string[]): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: [...args],
      options: {
        token: { type: 'string' },
        key: { type: 'string' },
        'corp-id': { type: 'string' },
        timeout: { type: 'string' },
        help: { type: 'boolean' },
      },
      strict: true,
      allowPositionals: true,
    }));
  } catch (err) {
    return usage(err instanceof Error ? err.message : String(err));
  }
  if (values.help) {
    console.log(CALLBACK_CHECK_USAGE.trim());
    return 0;
  }
  const [target] = positionals;
  const token = values.token;
  const key = values.key;
  const corpId = values['corp-id'];
  if (typeof target !== 'string' || !/^https?:\/\//.test(target))
    return usage('the URL to check is required, e.g. https://app.example.com/wecom/events');
  if (typeof token !== 'string' || !CALLBACK_TOKEN.test(token))
    return usage('--token is required: the Token of 接收消息 (1 to 32 letters and digits)');
  if (typeof key !== 'string' || !ENCODING_AES_KEY.test(key))
    return usage('--key is required: the EncodingAESKey of 接收消息 (43 letters and digits)');
  if (typeof corpId !== 'string' || corpId === '') return usage('--corp-id is required: the corporation ID the receiver expects (企业ID)');
  const limitMs = typeof values.timeout === 'string' ? Number(values.timeout) : 1000;
  const echostr = String(randomBytes(8).readBigUInt64BE());
  const check = urlVerificationRequest({ token, encodingAESKey: key, receiveId: corpId }, { echostr });
  const url = new URL(target);
  for (const [name, value] of Object.entries(check.query)) url.searchParams.set(name, value);
  const began = performance.now();
  let status: number;
  let body: Buffer;
  try {
    const res = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(Math.max(limitMs, 1000) * 5) });
    status = res.status;
    body = Buffer.from(await res.arrayBuffer());
  } catch (err) {
    console.error(
      `express-wecom-auth: ${url.origin}${url.pathname} could not be reached: ${err instanceof Error ? err.message : String(err)}`,
    );
    return 1;
  }
  const problem = diagnoseAnswer(check.expected, status, body, performance.now() - began, limitMs);
  if (problem !== undefined) {
    console.error(`express-wecom-auth: ${url.origin}${url.pathname} fails the console's check: ${problem}`);
    return 1;
  }
  console.log(
    `${url.origin}${url.pathname} passes the console's check (answered the plaintext alone, in ${Math.round(performance.now() - began)} ms)`,
  );
  return 0;
}

function usage(message: string): number {
  console.error(`express-wecom-auth callback check: ${message} (try --help)`);
  return 2;
}
