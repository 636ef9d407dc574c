/**
 * The session index of a fleet (src/express/session-index.ts): which sessions each member has,
 * in Redis, so that a departure heard by any instance ends the sessions every instance wrote.
 *
 * One sorted set per member, `<prefix>{<corpId>:<userId>}`, scored by when each session would
 * expire; each command is one Lua script on that one key (so it works on a Cluster: the braces
 * keep a member's key in one slot), timed by the Redis server's clock:
 * - add: drop the members already expired, add the session, and let the key itself expire with
 *   its last session (PEXPIREAT), so an idle member costs nothing;
 * - take: the sessions still alive, and the key deleted in the same step (a departure processed
 *   twice at once ends each session once);
 * - remove: one session (logout).
 */
import type { SessionIndex, SessionOwner } from '../express/session-index.ts';
import { ensureErrorListener, type RedisEventSource, type RedisLogger } from './errors.ts';
import { numberOption, optionsObject, rejectUnknown, requiredString } from '../options.ts';
import { createLog } from '../wecom/logger.ts';

/** The node-redis command the index uses, typed structurally (createClient, createSentinel, createCluster; v5 and v6). */
export interface RedisSessionIndexClient extends RedisEventSource {
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
}

export interface RedisSessionIndexOptions {
  /** Prepended to every key. Default `'wecom:sessions:'`; give each app its own when apps share a Redis. */
  prefix?: string;
  /** Members of a set are capped (the oldest dropped): a bound on one member's logins in flight. Default 1000. */
  maxSessionsPerMember?: number;
  logger?: RedisLogger | null;
}

/** Server time in ms. */
const NOW = `local t = redis.call('TIME') local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

/** KEYS member; ARGV sessionId, ttlMs, max. */
const ADD = `${NOW}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
local extra = redis.call('ZCARD', KEYS[1]) - tonumber(ARGV[3])
if extra > 0 then redis.call('ZREMRANGEBYRANK', KEYS[1], 0, extra - 1) end
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
redis.call('PEXPIREAT', KEYS[1], math.floor(tonumber(last[2])))
return 1`;

/** KEYS member -> the sessions still alive; the key is gone after. */
const TAKE = `${NOW}
local alive = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. now, '+inf')
redis.call('DEL', KEYS[1])
return alive`;

/** KEYS member; ARGV sessionId. */
const REMOVE = `return redis.call('ZREM', KEYS[1], ARGV[1])`;

const WHERE = 'RedisSessionIndex';

export class RedisSessionIndex implements SessionIndex {
  readonly #client: RedisSessionIndexClient;
  readonly #prefix: string;
  readonly #max: number;

  constructor(client: RedisSessionIndexClient, options: RedisSessionIndexOptions = {}) {
    optionsObject(WHERE, options, '{ prefix }');
    rejectUnknown(WHERE, options, ['prefix', 'maxSessionsPerMember', 'logger']);
    this.#client = client;
    this.#prefix =
      options.prefix === undefined
        ? 'wecom:sessions:'
        : requiredString(WHERE, options.prefix, 'prefix', "a key prefix such as 'myapp:sessions:'");
    this.#max = numberOption(WHERE, options.maxSessionsPerMember, 'maxSessionsPerMember', { min: 1, integer: true }) ?? 1000;
    ensureErrorListener(client, createLog(options.logger ?? undefined, 'redis'), WHERE);
  }

  async add(owner: SessionOwner, sessionId: string, expiresAt: number): Promise<void> {
    const ttlMs = Math.max(1, Math.round(expiresAt - Date.now()));
    await this.#client.eval(ADD, { keys: [this.#key(owner)], arguments: [sessionId, String(ttlMs), String(this.#max)] });
  }

  async remove(owner: SessionOwner, sessionId: string): Promise<void> {
    await this.#client.eval(REMOVE, { keys: [this.#key(owner)], arguments: [sessionId] });
  }

  async take(owner: SessionOwner): Promise<string[]> {
    const alive = await this.#client.eval(TAKE, { keys: [this.#key(owner)], arguments: [] });
    return Array.isArray(alive) ? alive.map(String) : [];
  }

  #key(owner: SessionOwner): string {
    // One hash slot per member (Cluster); a userid never holds braces or a colon... and if one
    // did, the key would only be longer, never another member's: the corp ID cannot hold ':'.
    return `${this.#prefix}{${owner.corpId}:${owner.userId}}`;
  }
}
