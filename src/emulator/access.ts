// Who may use what (docs/emulator.md, "Who can reach it"), decided before a request is routed:
// every request must name the emulator in Host (hosts.ts).
import type { IncomingMessage } from 'node:http';
import type { HostCheck } from './hosts.ts';
import type { PageAnswer } from './oauth.ts';

export type AccessRefusal =
  | { kind: 'text'; status: number; message: string }
  | { kind: 'json'; status: number; message: string }
  | { kind: 'page'; answer: PageAnswer };

/** undefined when the request may go on; else what to answer. */
export function accessRefusal(
  hosts: HostCheck,
  ownUrl: string,
  req: IncomingMessage,
  _path: string,
  _query: URLSearchParams,
): AccessRefusal | undefined {
  const badHost = hosts.refusal(req.headers.host, ownUrl);
  if (badHost) return { kind: 'text', ...badHost };
  return undefined;
}
