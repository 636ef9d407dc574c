/**
 * Handlers by event name, in the manner of @octokit/webhooks: `on('change_contact.delete_user',
 * (event) => event.userId)` is typed by the name, a group name (`'change_contact'`, `'message'`)
 * gets every event of the group, `'*'` every event. `receive()` runs the handlers of one opened
 * delivery and says what to answer WeCom; it knows no HTTP framework.
 *
 * What receive() decides, and what it leaves to the HTTP adapter:
 * - the delivery is claimed first (DeliveryDedup, callback-dedup.ts): a duplicate of one that
 *   succeeded is answered 200 without running anything, one whose first delivery is still running
 *   is answered 200 too (that first one answers for it), one that failed runs again;
 * - its handlers run concurrently; if any throws, the claim is dropped and the answer is 500, so
 *   WeCom's retry runs them again (any status but 200 is retried, document/path/90238). The
 *   handlers are written to be run again after a failure;
 * - a handler may give a passive reply (`context.reply(xml)`), sealed with the key that opened
 *   the delivery; otherwise the answer is an empty 200;
 * - WeCom's 5-second budget is the adapter's: it can answer before receive() settles, and it
 *   reports what `receive()` resolves to later (`errors`), so a slow failure is never silent;
 * - `drain()` waits for the deliveries in progress (shutdown).
 */
import { eventNames } from './callback-events.ts';
import type { CallbackEvent, CallbackEventMap, CallbackEventName } from './callback-event-types.ts';
import { sharedEntriesDedup } from './callback-dedup.ts';
import type { DeliveryDedup } from './callback-dedup.ts';
import { MemoryEntries } from './shared-entries.ts';

export interface HandlerContext {
  /** The delivery's de-duplication key. */
  readonly key: string;
  /** Answers this delivery with a passive reply: the plaintext XML (or JSON) of the reply message. The first reply given wins. */
  reply(message: string): void;
}

export type CallbackHandler<E> = (event: E, context: HandlerContext) => void | Promise<void>;

/** What receive() needs: the typed event, its key, and how to seal a reply (callback-delivery.ts makes one). */
export interface DispatchableDelivery {
  event: CallbackEvent;
  key: string;
  sealReply?: (message: string) => { body: string; contentType: string };
}

export type DispatchOutcome = 'handled' | 'ignored' | 'duplicate' | 'in-progress' | 'failed' | 'unavailable';

export interface CallbackAnswer {
  /** 200, 500 (a handler failed: WeCom retries), 503 (the de-duplication store failed: WeCom retries). */
  status: 200 | 500 | 503;
  /** Empty, or the sealed passive reply. */
  body: string;
  contentType: string | undefined;
}

export interface DispatchResult {
  /** handled; ignored (no handler for it); duplicate (done before); in-progress (running elsewhere); failed; unavailable (dedup store). */
  outcome: DispatchOutcome;
  answer: CallbackAnswer;
  event: CallbackEvent;
  /** How many handlers ran. */
  handlers: number;
  /** The plaintext of the passive reply, when a handler gave one. */
  reply: string | undefined;
  /** What the handlers (or the dedup store) threw. */
  errors: readonly unknown[];
}

export interface CallbackDispatcherOptions {
  /**
   * Where deliveries are claimed: `sharedEntriesDedup(tokenCache)` for a fleet, `false` to run
   * every delivery (tests). Default: claims kept in this process.
   */
  dedup?: DeliveryDedup | false;
}

type AnyHandler = CallbackHandler<never>;

const EMPTY: CallbackAnswer = Object.freeze({ status: 200, body: '', contentType: undefined });

export class CallbackDispatcher {
  readonly #handlers = new Map<CallbackEventName, AnyHandler[]>();
  readonly #dedup: DeliveryDedup | false;
  readonly #running = new Set<Promise<unknown>>();

  constructor(options: CallbackDispatcherOptions = {}) {
    this.#dedup = options.dedup ?? sharedEntriesDedup(new MemoryEntries());
  }

  /** Runs `handler` for every event of `name` (or of each name of a list). */
  on<N extends CallbackEventName>(name: N | readonly N[], handler: CallbackHandler<CallbackEventMap[N]>): this {
    for (const n of typeof name === 'string' ? [name] : name) {
      const list = this.#handlers.get(n) ?? [];
      list.push(handler as AnyHandler);
      this.#handlers.set(n, list);
    }
    return this;
  }

  /** Removes a handler registered with on(). */
  off<N extends CallbackEventName>(name: N, handler: CallbackHandler<CallbackEventMap[N]>): this {
    const list = this.#handlers.get(name);
    const at = list?.indexOf(handler as AnyHandler) ?? -1;
    if (list && at !== -1) list.splice(at, 1);
    return this;
  }

  /** Runs the handlers of one opened delivery (see the header). */
  receive(delivery: DispatchableDelivery): Promise<DispatchResult> {
    const run = this.#receive(delivery);
    this.#running.add(run);
    // then(f, f), not finally(): a finally() promise would reject unhandled along with `run`.
    const forget = (): void => void this.#running.delete(run);
    run.then(forget, forget);
    return run;
  }

  /** How many deliveries are being handled. */
  get running(): number {
    return this.#running.size;
  }

  /** Resolves when every delivery being handled has settled. */
  async drain(): Promise<void> {
    while (this.#running.size > 0) await Promise.allSettled([...this.#running]);
  }

  async #receive(delivery: DispatchableDelivery): Promise<DispatchResult> {
    const { event } = delivery;
    const handlers = eventNames(event).flatMap((n) => this.#handlers.get(n) ?? []);
    const result = (outcome: DispatchOutcome, answer = EMPTY, errors: unknown[] = [], reply?: string): DispatchResult => ({
      outcome,
      answer,
      event,
      handlers: outcome === 'handled' || outcome === 'failed' ? handlers.length : 0,
      reply,
      errors,
    });
    if (handlers.length === 0) return result('ignored');
    let claim;
    try {
      claim = this.#dedup === false ? undefined : await this.#dedup.claim(delivery.key);
    } catch (err) {
      return result('unavailable', { status: 503, body: '', contentType: undefined }, [err]);
    }
    if (claim?.state === 'done') return result('duplicate');
    if (claim?.state === 'running') return result('in-progress');
    let reply: string | undefined;
    const context: HandlerContext = {
      key: delivery.key,
      reply: (message) => {
        reply ??= message;
      },
    };
    const settled = await Promise.allSettled(handlers.map(async (h) => (h as CallbackHandler<CallbackEvent>)(event, context)));
    const failures = settled.flatMap((s) => (s.status === 'rejected' ? [s.reason as unknown] : []));
    const errors = [...failures];
    try {
      await claim?.settle(failures.length === 0);
    } catch (err) {
      errors.push(err); // the handlers ran; a lost record only weakens duplicate detection
    }
    if (failures.length > 0) return result('failed', { status: 500, body: '', contentType: undefined }, errors);
    return result('handled', answerOf(delivery, reply), errors, reply);
  }
}

function answerOf(delivery: DispatchableDelivery, reply: string | undefined): CallbackAnswer {
  if (reply === undefined || !delivery.sealReply) return EMPTY;
  const sealed = delivery.sealReply(reply);
  return { status: 200, body: sealed.body, contentType: sealed.contentType };
}
