/**
 * Offboarding that takes effect at once (docs/callbacks.md): when WeCom says a member was
 * deleted, disabled or left, or taken out of the app's visible range,
 * every session of theirs ends on every instance, and what was remembered about them (the
 * visible-range verdict) is forgotten, so their next login is checked afresh.
 *
 * How a session ends: its id is destroyed in the app's express-session store, the store every
 * instance reads, so the next request with that cookie or bearer token is anonymous wherever it
 * lands. The ids come from the session index (session-index.ts), written at each login; the guard
 * reads nothing more than before.
 *
 * Which URL hears what (docs/callbacks.md): an app's own 「接收消息」 URL gets `unsubscribe` when a
 * member of its visible range leaves the corporation, is disabled, or is taken out of the range
 * (https://developer.work.weixin.qq.com/document/path/90240, "成员关注及取消关注事件"); member
 * change_contact events go to the contacts helper's 通讯录同步 URL (and 代开发 and shared apps,
 * https://developer.work.weixin.qq.com/document/path/90970). Both are handled:
 *
 * - unsubscribe: the sessions end, the verdict goes;
 * - delete_user, and update_user with Status 2 (disabled) or 5 (left): the same;
 * - update_user with NewUserID: the sessions under the old UserID end (the member logs in again
 *   under the new one), the verdict of both goes;
 * - any other update_user: the verdict goes (department or status may have changed).
 */
import type { Request } from 'express';
import type { Store } from 'express-session';
import type { CallbackDispatcher } from '../wecom/callback-dispatch.ts';
import type { UpdateUserEvent } from '../wecom/callback-event-types.ts';
import type { WeComClient } from '../wecom/index.ts';
import { channels, isObserved, publish } from '../diagnostics.ts';
import { createLog } from '../wecom/logger.ts';
import type { Log, WeComLogger } from '../wecom/logger.ts';
import type { SessionIndex, SessionOwner } from './session-index.ts';
import { SessionUnavailableError } from './session.ts';
import type { WeComUser } from './session.ts';

/** Status values of update_user that end a member's sessions (90970: 2 disabled, 5 left). */
const GONE_STATUSES = new Set([2, 5]);
/** How long an index entry lives when the session cookie gives no lifetime (a browser-session cookie). */
const DEFAULT_SESSION_MS = 24 * 3600_000;

export interface OffboardingOptions {
  index: SessionIndex;
  /** The express-session store; default the one requests carry (`req.sessionStore`), seen at the first login. */
  store?: Store | undefined;
  /** The WeCom client of a corporation (its visible-range verdicts are forgotten), or undefined. */
  clientFor: (corpId: string) => WeComClient | undefined;
  logger?: WeComLogger | undefined;
}

export class Offboarding {
  readonly #index: SessionIndex;
  readonly #clientFor: (corpId: string) => WeComClient | undefined;
  readonly #log: Log;
  #store: Store | undefined;

  constructor(options: OffboardingOptions) {
    this.#index = options.index;
    this.#store = options.store;
    this.#clientFor = options.clientFor;
    this.#log = createLog(options.logger, 'callbacks');
  }

  /** Learn the session store from a request that went through express-session (a login, the receiver's). */
  seeStore(req: Request): void {
    this.#store ??= (req as Request & { sessionStore?: Store }).sessionStore;
  }

  /** After a login wrote `user` into this request's session: index the session under its member. */
  async remember(req: Request, user: WeComUser): Promise<void> {
    const owner = ownerOf(user);
    if (!owner) return;
    this.seeStore(req);
    const cookie = (req as Request & { session?: { cookie?: { expires?: unknown; originalMaxAge?: number | null } } }).session?.cookie;
    const expires = cookie?.expires instanceof Date ? cookie.expires.getTime() : undefined;
    const until = Math.min(expires ?? Date.now() + (cookie?.originalMaxAge ?? DEFAULT_SESSION_MS), user.expiresAt ?? Infinity);
    try {
      await this.#index.add(owner, req.sessionID, until);
    } catch (err) {
      // Where the session store lives (Redis), the index does: the same 503, the login not written.
      throw new SessionUnavailableError('The session index failed.', { cause: err });
    }
  }

  /** At logout: the session leaves the index (it is destroyed anyway; this keeps the index small). */
  async forget(req: Request, user: WeComUser | undefined): Promise<void> {
    const owner = user && ownerOf(user);
    if (owner) await this.#index.remove(owner, req.sessionID);
  }

  /**
   * End every session of a member, on every instance sharing the store and the index, and
   * forget their visible-range verdict. Resolves to how many sessions were destroyed.
   */
  async endSessionsOf(owner: SessionOwner): Promise<number> {
    const began = performance.now();
    const ids = await this.#index.take(owner);
    const store = this.#store;
    if (ids.length > 0 && !store) {
      this.#log.warn(
        'wecom offboarding: no session store known: mount the receiver after express-session, or pass wecomAuth({ sessionStore })',
        {},
      );
    }
    let ended = 0;
    for (const id of store ? ids : []) {
      await destroy(store as Store, id);
      ended++;
    }
    await this.#clientFor(owner.corpId)?.forgetVisibility(owner.userId);
    this.#log.debug('sessions ended', { corpId: owner.corpId, userId: owner.userId, sessions: ended });
    if (isObserved(channels.sessionsEnded)) {
      publish(channels.sessionsEnded, {
        corpId: owner.corpId,
        userId: owner.userId,
        sessions: ended,
        durationMs: performance.now() - began,
      });
    }
    return ended;
  }

  /** The change_contact handlers of the list in the header, on `dispatcher`. */
  register(dispatcher: CallbackDispatcher, corpIdOf: (toUserName: string) => string = (to) => to): void {
    dispatcher.on('change_contact.delete_user', async (event) => {
      await this.endSessionsOf({ corpId: corpIdOf(event.toUserName), userId: event.userId });
    });
    dispatcher.on('change_contact.update_user', (event) => this.#updated(event, corpIdOf(event.toUserName)));
    dispatcher.on('unsubscribe', async (event) => {
      await this.endSessionsOf({ corpId: corpIdOf(event.toUserName), userId: event.fromUserName });
    });
  }

  async #updated(event: UpdateUserEvent, corpId: string): Promise<void> {
    const client = this.#clientFor(corpId);
    if (event.status !== undefined && GONE_STATUSES.has(event.status)) {
      await this.endSessionsOf({ corpId, userId: event.userId });
      return;
    }
    if (event.newUserId !== undefined && event.newUserId !== event.userId) {
      await this.endSessionsOf({ corpId, userId: event.userId });
      await client?.forgetVisibility(event.newUserId);
      return;
    }
    await client?.forgetVisibility(event.userId);
  }
}

/** Members only: a non-member (OpenId) is not in the address book, so no change_contact names them. */
function ownerOf(user: WeComUser): SessionOwner | undefined {
  return user.type === 'member' && user.userId !== undefined ? { corpId: user.corpId, userId: user.userId } : undefined;
}

function destroy(store: Store, id: string): Promise<void> {
  return new Promise((resolve, reject) => store.destroy(id, (err?: unknown) => (err ? reject(err as Error) : resolve())));
}
