/**
 * Where a request comes from, judged by its User-Agent (docs/wecom-api.md §9; community knowledge only,
 * WeCom publishes no UA spec). `wxwork/` is tested before `MicroMessenger` because WeCom's UAs
 * contain both.
 */

export type UserAgentKind = 'wecom-mobile' | 'wecom-desktop' | 'wechat' | 'browser';

export interface UserAgentInfo {
  kind: UserAgentKind;
  /** The WeCom client version from `wxwork/x.y.z`, for WeCom kinds. */
  wecomVersion?: string;
}

const WXWORK = /\bwxwork\/([\d.]*\d)/i;
const MOBILE = /\b(?:Mobile|Android|iPhone)\b/i;
const MICRO_MESSENGER = /\bMicroMessenger\//i;

export function classifyUserAgent(ua?: string): UserAgentInfo {
  if (typeof ua !== 'string' || ua === '') return { kind: 'browser' };
  const wxwork = WXWORK.exec(ua) ?? (/\bwxwork\//i.test(ua) ? ['', ''] : null);
  if (wxwork !== null) {
    const version = wxwork[1];
    const info = (kind: UserAgentKind): UserAgentInfo => (version ? { kind, wecomVersion: version } : { kind });
    // WindowsWechat / Macintosh, or neither marker (the Linux or a future desktop client): not a phone.
    return info(MOBILE.test(ua) ? 'wecom-mobile' : 'wecom-desktop');
  }
  if (MICRO_MESSENGER.test(ua)) return { kind: 'wechat' };
  return { kind: 'browser' };
}
