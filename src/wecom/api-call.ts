/**
 * How the API modules (messages, menu, agent) reach WeCom: through the client's own call, which
 * adds the access_token, refreshes it and replays once when WeCom rejects it (WeCom refuses a
 * call with a bad token before acting on it, so that replay is safe even for a message), and
 * retries `-1 system busy` only for calls marked idempotent.
 */
export interface ApiCallInit {
  method: 'GET' | 'POST';
  query?: Record<string, string>;
  json?: unknown;
  /** Retry `-1` with backoff: only for calls that are safe to repeat (never a message send). */
  idempotent: boolean;
  /**
   * Errcodes whose body the module reads itself instead of the call throwing: message/send's 81013
   * still lists the invalid recipients, menu/get's 46003 just means "no menu".
   */
  answerErrcodes?: readonly number[];
}

/** Resolves with WeCom's JSON body (errcode 0 or one of `answerErrcodes`); rejects with the client's errors. */
export type ApiCall = (api: string, init: ApiCallInit) => Promise<Record<string, unknown>>;

/** The calls that name the app need the client's `agentId` option. */
export function requireAgentId(fn: string, agentId: number | undefined): number {
  if (agentId === undefined) {
    throw new TypeError(`${fn}: set the \`agentId\` option of WeComClient (the AgentId on the app's page in the admin console).`);
  }
  return agentId;
}
