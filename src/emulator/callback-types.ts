// Public types of the emulator's callbacks (接收消息与事件): an app's 「接收消息」 settings, the
// deliveries it pushes and the address-book changes that cause some of them. The contract is
// docs/internals.md, "The emulator's contract"; the behaviour is docs/emulator.md, "Callbacks".

/**
 * An app's 「接收消息」 settings (应用管理 → the app → 接收消息 → 设置API接收), as the console saves
 * them once the URL has passed its check (https://developer.work.weixin.qq.com/document/path/90238).
 */
export interface FixtureCallback {
  /** Where WeCom sends the URL check (GET) and the deliveries (POST): http(s). */
  url: string;
  /** 1 to 32 letters and digits. */
  token: string;
  /** 43 letters and digits. */
  encodingAESKey: string;
  /** The message format the app chose: 'xml' (default) or 'json' (WeCom's JSON callbacks, weworkapi_golang json_callback). */
  format?: 'xml' | 'json';
}

/** What `setCallback` takes: the console's three fields, for one app. */
export interface CallbackSettingsInput {
  /** Default: the first corp. */
  corpId?: string;
  agentId: number;
  url: string;
  token: string;
  encodingAESKey: string;
  format?: 'xml' | 'json';
}

/** One try at delivering a callback. */
export interface CallbackAttempt {
  /** Emulator clock, ms, when the request went out. */
  at: number;
  /** How long the app took to answer (or until the emulator gave up), ms of real time. */
  ms: number;
  /** 'answered' (HTTP 200), 'http-error' (another status), 'timeout' (no answer in time), 'network-error'. */
  outcome: 'answered' | 'http-error' | 'timeout' | 'network-error';
  status?: number;
  /** The first 2 KB of the answer's body, as text. */
  body?: string;
  /** What went wrong, for 'timeout' and 'network-error'. */
  error?: string;
}

/** What the emulator did with a passive reply (an encrypted answer body) to a delivery. */
export interface PassiveReplyOutcome {
  /** 'applied' (a template-card update), 'ignored' (valid, but WeCom applies nothing here), 'refused' (not a valid reply). */
  outcome: 'applied' | 'ignored' | 'refused';
  /** The decrypted reply's MsgType, when it decrypted. */
  msgType?: string;
  detail: string;
}

/** One callback the emulator pushed (or is pushing) to an app's URL, with every attempt. */
export interface CallbackDelivery {
  id: number;
  corpId: string;
  agentId: number;
  /** 'enter_agent', 'click', 'view', 'template_card_event', 'change_contact.create_user', ... */
  event: string;
  /** The member who caused it, or 'sys' for address-book changes. */
  from: string;
  url: string;
  format: 'xml' | 'json';
  /** The decrypted message, as the app should read it. */
  message: string;
  /** Emulator clock, ms. */
  createdAt: number;
  /** 'pending' while attempts remain, 'delivered' once an attempt got HTTP 200, 'failed' after the last one. */
  state: 'pending' | 'delivered' | 'failed';
  attempts: CallbackAttempt[];
  reply?: PassiveReplyOutcome;
}

/** A member's fields as an address-book change sets them (WeCom's member fields, https://developer.work.weixin.qq.com/document/path/90970). */
export interface ContactMemberFields {
  name?: string;
  department?: number[];
  position?: string;
  mobile?: string;
  email?: string;
  bizMail?: string;
  gender?: '0' | '1' | '2';
  alias?: string;
  telephone?: string;
  address?: string;
  avatar?: string;
  /** 1 active (已激活), 2 disabled (已禁用), 4 not yet active (未激活), 5 left the corporation (退出企业). */
  status?: 1 | 2 | 4 | 5;
}

/**
 * An address-book change made in the admin console (通讯录), applied to the fixture and then
 * pushed as `change_contact` to the apps that see the member.
 */
export type ContactChange =
  | {
      changeType: 'create_user';
      corpId?: string;
      userId: string;
      fields: ContactMemberFields & { name: string };
      /** Apps (agentIds) whose visible range lists the new member by userid. Default none: departments and tags decide. */
      visibleIn?: number[];
    }
  | { changeType: 'update_user'; corpId?: string; userId: string; fields?: ContactMemberFields; newUserId?: string }
  | { changeType: 'delete_user'; corpId?: string; userId: string };
