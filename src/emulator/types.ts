// Public types of the local WeCom emulator. The contract is docs/internals.md, "The emulator's
// contract"; the fixture is described in docs/emulator.md.
import type { CallbackDelivery, CallbackSettingsInput, ContactChange, FixtureCallback } from './callback-types.ts';

/** "0" unknown, "1" male, "2" female: WeCom sends gender as a string (docs/wecom-api.md §5). */
export type Gender = '0' | '1' | '2';

/** The fields `auth/getuserdetail` may return after privateinfo consent (docs/wecom-api.md §5). */
export type SensitiveField = 'gender' | 'avatar' | 'qr_code' | 'mobile' | 'email' | 'biz_mail' | 'address';

export const SENSITIVE_FIELDS: readonly SensitiveField[] = ['gender', 'avatar', 'qr_code', 'mobile', 'email', 'biz_mail', 'address'];

export interface FixtureMember {
  userId: string;
  name: string;
  department: number[];
  position?: string;
  mobile?: string;
  email?: string;
  bizMail?: string;
  avatar?: string;
  thumbAvatar?: string;
  gender?: Gender;
  qrCode?: string;
  address?: string;
  telephone?: string;
  alias?: string;
  /**
   * false: the member has no basic licence (基础接口许可), so message/send lists them in
   * `unlicenseduser` and does not deliver (https://developer.work.weixin.qq.com/document/path/90236). Default true.
   */
  licensed?: boolean;
  /** 1 active (default), 2 disabled, 4 not yet active, 5 left (user/get `status`); 2 and 5 cannot log in. */
  status?: 1 | 2 | 4 | 5;
}

/** A department (部门); `parentId` links it into the tree (the root has none). */
export interface FixtureDepartment {
  id: number;
  name: string;
  parentId?: number;
}

/** A tag (标签) and the members holding it. */
export interface FixtureTag {
  tagId: number;
  name: string;
  userIds: string[];
}

/**
 * A custom-menu button as menu/create takes it and menu/get returns it
 * (https://developer.work.weixin.qq.com/document/path/90231): WeCom's field names.
 */
export interface FixtureMenuButton {
  name: string;
  type?: string;
  key?: string;
  url?: string;
  appid?: string;
  pagepath?: string;
  sub_button?: FixtureMenuButton[];
}

/** Someone who opens a corp link in personal WeChat: identified by an openid (docs/wecom-api.md §1, §4). */
export interface FixtureNonMember {
  openId: string;
  name: string;
  /** Present when the visitor is a customer (external contact) of the corp. */
  externalUserId?: string;
}

/** A mini program associated with one self-built app of the corp (docs/wecom-api.md §6). */
export interface FixtureMiniProgram {
  appId: string;
  name: string;
  agentId: number;
}

export interface FixtureApp {
  agentId: number;
  name: string;
  secret: string;
  enabled: boolean;
  /** host[:port], matched exactly against the redirect_uri's host (docs/wecom-api.md §10). */
  trustedDomains: string[];
  /** When set, every API except gettoken from another IP answers 60020 (docs/wecom-api.md §10). */
  trustedIps?: string[];
  visibleUserIds: string[];
  /** Departments in the visible range (with their sub-departments); default none. */
  visiblePartyIds?: number[];
  /** Tags in the visible range (their members are visible); default none. */
  visibleTagIds?: number[];
  /** true = every sensitive field, false = none, or the list of enabled fields. */
  sensitiveFieldsEnabled: boolean | SensitiveField[];
  /** Apps created after 2022-06-20 get no avatar/mobile/email/... from user/get (docs/wecom-api.md §5). */
  createdAfter20220620: boolean;
  /** 应用主页 (agent/set `home_url`, https://developer.work.weixin.qq.com/document/path/90228): what the workbench opens. */
  homeUrl?: string;
  /** agent/get `description`. */
  description?: string;
  /** The custom menu (自定义菜单) that menu/create stored; none until then. */
  menu?: FixtureMenuButton[];
  /** The 「接收消息」 settings (URL, Token, EncodingAESKey); none until set. setCallback() checks the URL first. */
  callback?: FixtureCallback;
}

export interface FixtureCorp {
  corpId: string;
  name: string;
  apps: FixtureApp[];
  members: FixtureMember[];
  nonMembers: FixtureNonMember[];
  miniPrograms: FixtureMiniProgram[];
  /** The department tree; a member's department ids that are not listed here still exist. */
  departments?: FixtureDepartment[];
  tags?: FixtureTag[];
}

export interface EmulatorFixture {
  corps: FixtureCorp[];
}

export interface EmulatorOptions {
  /** 0 (default) = a free port. */
  port?: number;
  /** Default '127.0.0.1'. */
  host?: string;
  /**
   * Host names it answers besides its own (127.0.0.1, localhost, [::1] and `host`, with its port);
   * any other Host is refused with 421 (DNS rebinding, docs/emulator.md "Who can reach it").
   * Each entry as a browser sends it: 'emu.test' (any port), 'emu.test:8443' (that port only),
   * '.test' (it and its subdomains), '192.168.1.5', '[fe80::1]'. Default none.
   */
  allowedHosts?: readonly string[];
  /** Default defaultFixture(). Validated and normalised; the emulator keeps its own copy. */
  fixture?: EmulatorFixture;
  /** false (default): desktop browsers get a member picker; true: WeCom's "open in WeCom" page. */
  strict?: boolean;
  /** Serve HTTPS instead of HTTP. */
  tls?: { key: string | Buffer; cert: string | Buffer };
  /** What an expired token answers; default 42001 (some users see 40014, docs/wecom-api.md §8). */
  expiredTokenErrcode?: 42001 | 40014;
  /**
   * What a member over WeCom's per-app limit of 30 messages a minute or 1,000 an hour gets:
   * 'drop' (default; the documentation says the excess is dropped, 丢弃不下发) or 'error'
   * (the whole message/send answers 45009, as WeCom staff describe it).
   */
  messageRateLimit?: 'drop' | 'error';
  /**
   * `expires_in` of a gettoken or ticket call made again while the returned value is still valid
   * (the same value comes back): 'full' (default) = 7200 although it still expires on its first
   * schedule, 'remaining' = the seconds it has left. WeCom does not document which it sends.
   */
  repeatExpiresIn?: 'full' | 'remaining';
  /** How long a callback delivery waits for the app's answer before it counts as failed: default 5000 (WeCom's 5 seconds). */
  callbackTimeoutMs?: number;
  /** Deliveries of one callback in all, the first included: default 3 ("总共重试三次"; 4 reads it as 1 + 3). */
  callbackAttempts?: number;
  /** The wait after a failed delivery before the next attempt: default 5000 ms (WeCom documents none). */
  callbackRetryDelayMs?: number;
  /** How long a response_code may update its card: default 72 hours (older WeCom texts: 24). */
  cardUpdateWindowMs?: number;
}

export interface EmulatorClock {
  now(): number;
  advance(ms: number): void;
  set(ms: number): void;
  reset(): void;
}

export interface EmulatorFaults {
  /** The next `count` (default 1) matching API calls answer `errcode`. */
  failNext(errcode: number, count?: number, api?: string): void;
  /** Add latency to API answers (0 = off). */
  delay(ms: number, api?: string): void;
  /** The next `count` (default 1) matching API calls answer an HTML 502 page. */
  html502(count?: number, api?: string): void;
  reset(): void;
}

export interface RecordedCall {
  /** The path after /cgi-bin/, e.g. 'gettoken', 'auth/getuserinfo'. */
  api: string;
  method: string;
  /** First value of each parameter; secrets (corpsecret, ...) read '[redacted by the emulator]' (redact.ts). */
  query: Record<string, string>;
  /** The parsed JSON body, or the first 1024 characters of one that is not JSON; secrets redacted likewise. */
  body?: unknown;
  /** The errcode answered; -1 for an injected HTML 502 (see httpStatus). */
  errcode: number;
  /** Emulator clock, ms. */
  at: number;
  /** HTTP status of the answer: 200, or 502 for an injected HTML 502. */
  httpStatus: number;
  /** Caller IP as the emulator saw it (IPv4-mapped IPv6 addresses are unwrapped). */
  ip: string;
}

/** An app message accepted by message/send (https://developer.work.weixin.qq.com/document/path/90236). */
export interface SentMessage {
  msgid: string;
  corpId: string;
  agentId: number;
  msgtype: string;
  /** The message body under its msgtype key as delivered: over-long fields cut to WeCom's byte limits. */
  content: Record<string, unknown>;
  /** Fields that were longer than WeCom keeps and arrived cut, e.g. 'textcard.description'. */
  truncated: string[];
  /** Members who received it (in the visible range, licensed, under the rate limit). */
  deliveredTo: string[];
  invalidUsers: string[];
  invalidParties: string[];
  invalidTags: string[];
  unlicensedUsers: string[];
  /** Recipients over the per-member rate limit: accepted but not delivered. */
  dropped: string[];
  /** Emulator clock, ms. */
  sentAt: number;
  /** Set by message/recall. */
  recalledAt?: number;
}

export interface Emulator {
  /** 'http://127.0.0.1:PORT' (or https), no trailing slash. */
  readonly url: string;
  /** Live: tests may change it (e.g. trusted domains); the emulator reads it on every request. */
  readonly fixture: EmulatorFixture;
  readonly clock: EmulatorClock;
  readonly faults: EmulatorFaults;
  readonly calls: readonly RecordedCall[];
  callCount(api?: string): number;
  clearCalls(): void;
  /** Every message message/send accepted, oldest first (the newest 10,000). */
  readonly messages: readonly SentMessage[];
  /** What a member's WeCom shows: the messages delivered to them, oldest first, recalled ones included. */
  inbox(userId: string, options?: { corpId?: string; agentId?: number }): SentMessage[];
  revokeTokens(filter?: { corpId?: string; agentId?: number }): void;
  /** What `expires_in` says on a repeat fetch from now on (see EmulatorOptions.repeatExpiresIn). */
  repeatExpiresIn: 'full' | 'remaining';
  /** Stands for `wx.qy.login` on a device: a js_code for jscode2session. */
  issueMiniProgramCode(input: { userId: string; corpId?: string; appId?: string }): string;
  /**
   * Saves an app's 「接收消息」 settings as the console does: after a GET to the URL with an encrypted
   * echostr answered with exactly its plaintext within 1 second; else rejects with a
   * CallbackSettingsError carrying the console's message, and nothing is saved.
   */
  setCallback(input: CallbackSettingsInput): Promise<void>;
  /** Removes an app's 「接收消息」 settings: no more deliveries to it. */
  clearCallback(input: { corpId?: string; agentId: number }): void;
  /** Every callback delivery, oldest first (the newest 10,000), with its attempts and answers. */
  readonly callbacks: readonly CallbackDelivery[];
  clearCallbacks(): void;
  /** Resolves when no delivery has attempts left to make. */
  callbacksSettled(): Promise<void>;
  /** An address-book change: applied to the fixture, then pushed as change_contact to the apps that see the member. */
  changeContact(change: ContactChange): CallbackDelivery[];
  /** How long a response_code may update its card (see EmulatorOptions.cardUpdateWindowMs); settable while running. */
  cardUpdateWindowMs: number;
  close(): Promise<void>;
}
