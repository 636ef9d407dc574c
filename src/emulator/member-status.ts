// Members the address book no longer lets in: deleted (删除成员), disabled (Status 2, 已禁用) or gone
// (Status 5, 退出企业). Their WeCom is signed out, so the emulator's in-app login and web login refuse
// them with a page saying so, instead of issuing a code (or, for a deleted member whose client cookie
// a browser still holds, silently logging in someone else).
import { wasRemoved } from './callback-state.ts';
import { messagePage } from './pages.ts';
import { findMember } from './state.ts';
import type { PageAnswer } from './oauth.ts';
import type { EmulatorState } from './state.ts';
import type { FixtureCorp } from './types.ts';

export function memberLoginRefusal(state: EmulatorState, corp: FixtureCorp, userId: string): PageAnswer | undefined {
  const member = findMember(corp, userId);
  if (!member && wasRemoved(state.callbacks, corp.corpId, userId)) {
    return {
      kind: 'html',
      status: 403,
      html: messagePage('该成员已被删除', 'This member was deleted from the address book: WeCom signs them out.', userId),
    };
  }
  if (member?.status === 2) {
    return {
      kind: 'html',
      status: 403,
      html: messagePage('该成员已被禁用', 'This member is disabled (Status 2): WeCom signs them out.', userId),
    };
  }
  if (member?.status === 5) {
    return { kind: 'html', status: 403, html: messagePage('该成员已退出企业', 'This member left the corporation (Status 5).', userId) };
  }
  return undefined;
}
