/**
 * De-duplication of deliveries. WeCom retries a delivery it got no 200 for within 5 seconds
 * ("总共重试三次", https://developer.work.weixin.qq.com/document/path/90238), and a captured
 * delivery can be replayed while its timestamp is inside the window: a handler must run once per
 * event, and never twice at the same time, across every instance that receives them.
 *
 * The key: the MsgId where there is one; otherwise a SHA-256 of the whole decrypted message plus
 * the AgentID. WeCom's doc suggests FromUserName + CreateTime for events, which collides when one
 * member causes two events in one second (WxJava widened that key five times: issues/PRs #1745,
 * #2314/#2321, #2880, #3002, #3311). The AgentID is added because address-book events carry none
 * in the message and every app in the visible range receives the same XML: without it, one app's
 * delivery would mark another's as a duplicate in a shared cache. This assumes that WeCom's
 * retries repeat the plaintext (not its encryption) unchanged, which is what a retry of the same
 * request means; WeCom does not say so in as many words.
 *
 * `sharedEntriesDedup` keeps the claims in SharedEntries (token-cache.ts): per process with the
 * memory cache, fleet-wide with RedisTokenCache.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { SharedEntries } from './token-cache.ts';
import type { XmlFields } from './callback-xml.ts';

/** The delivery is this caller's to run; `settle` records how it went. */
export interface DeliveryClaimed {
  state: 'claimed';
  /** Succeeded: later deliveries of the key are duplicates. Failed: the claim is dropped, so WeCom's retry runs it again. */
  settle(succeeded: boolean): Promise<void>;
}

export type DeliveryClaim = DeliveryClaimed | { state: 'running' } | { state: 'done' };

/** Where the dispatcher claims a delivery before running its handlers. */
export interface DeliveryDedup {
  claim(key: string): Promise<DeliveryClaim>;
}

/** What the key is computed from: the decrypted message, its fields, and the app's AgentId when the message has none. */
export interface DeliveryKeyInput {
  message: string;
  fields: XmlFields;
  agentId?: string | number | undefined;
}

/** The de-duplication key of a delivery (see the header). */
export function deliveryKey(input: DeliveryKeyInput): string {
  const field = (name: string): string | undefined => {
    const value = input.fields[name];
    return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
  };
  const agentId = field('AgentID') ?? (input.agentId === undefined ? '' : String(input.agentId));
  const msgId = field('MsgId');
  if (msgId !== undefined) return `msgid:${field('ToUserName') ?? ''}:${agentId}:${msgId}`;
  const digest = createHash('sha256').update(agentId).update('\n').update(input.message, 'utf8').digest('base64url');
  return `sha256:${digest}`;
}

export interface SharedEntriesDedupOptions {
  /** Prefix of the entries' keys (default `wecom-callback:`). */
  prefix?: string;
  /**
   * How long a claim holds while its handlers run, in ms (default 15 s). It is renewed every
   * third of that while they run, so it only lapses when its instance died: WeCom's next retry
   * then runs the handlers elsewhere.
   */
  runningTtlMs?: number;
  /** How long a succeeded delivery is remembered, in ms (default 15 min: longer than the timestamp window on either side, so a replay accepted by it is still known). */
  doneTtlMs?: number;
}

const DONE = 'done';
const RELEASED = /^released:([0-9]{1,6})$/;

/**
 * A DeliveryDedup over a token cache's shared entries. SharedEntries has an atomic add but no
 * delete or compare-and-set, so a failed attempt is not erased: the delivery's entry says
 * `released:N`, and the next attempt claims its own entry `<key>#N` with an atomic add (two
 * retries arriving together cannot both win it). Attempt 0 claims the delivery's entry itself.
 */
export function sharedEntriesDedup(entries: SharedEntries, options: SharedEntriesDedupOptions = {}): DeliveryDedup {
  const prefix = options.prefix ?? 'wecom-callback:';
  const runningTtlMs = options.runningTtlMs ?? 15_000;
  const doneTtlMs = options.doneTtlMs ?? 15 * 60_000;
  if (!(runningTtlMs >= 1000) || !(doneTtlMs >= runningTtlMs)) {
    throw new RangeError('sharedEntriesDedup: runningTtlMs must be >= 1000 and doneTtlMs >= runningTtlMs');
  }

  /** Claims attempt `attempt` of the delivery whose entry is `key`; undefined when another caller holds it. */
  const take = async (key: string, attempt: number): Promise<DeliveryClaimed | undefined> => {
    const claimKey = attempt === 0 ? key : `${key}#${attempt}`;
    const owner = `running:${randomBytes(8).toString('hex')}`;
    if (!(await entries.addEntry(claimKey, owner, runningTtlMs))) return undefined;
    let renewal: Promise<void> = Promise.resolve();
    const timer = setInterval(
      () => {
        renewal = entries.setEntry(claimKey, owner, runningTtlMs).catch(() => undefined);
      },
      Math.floor(runningTtlMs / 3),
    );
    timer.unref();
    return {
      state: 'claimed',
      async settle(succeeded) {
        clearInterval(timer);
        await renewal; // a renewal still on its way must not land after the final value
        await entries.setEntry(key, succeeded ? DONE : `released:${attempt + 1}`, doneTtlMs);
      },
    };
  };

  return {
    async claim(rawKey) {
      const key = prefix + rawKey;
      const first = await take(key, 0);
      if (first) return first;
      const value = await entries.getEntry(key);
      if (value === DONE) return { state: 'done' };
      const released = value === undefined ? undefined : RELEASED.exec(value);
      // Released: claim the next attempt. Expired between the two calls: one more try at the first.
      const next = released ? await take(key, Number(released[1])) : value === undefined ? await take(key, 0) : undefined;
      return next ?? { state: 'running' };
    },
  };
}
