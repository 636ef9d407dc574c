/**
 * The typed events of WeCom's callbacks, one TypeScript type per event, discriminated by `name`:
 * the name a handler registers under (in the manner of @octokit/webhooks: `'change_contact'` for
 * every address-book change, `'change_contact.delete_user'` for one kind).
 *
 * Names follow WeCom's own values: `Event` for events (`enter_agent`, `click`, `view` (menu events
 * are lowercase in WeCom, unlike the Official Account's CLICK/VIEW), `LOCATION`,
 * `template_card_event`…), `Event.ChangeType` for address-book changes, `message.<MsgType>` for
 * what members send. Sources (prefix https://developer.work.weixin.qq.com/document/path/):
 * 90239 (messages), 90240 (events), 90970 / 90971 / 90972 (members, departments, tags), 90973
 * (batch jobs).
 *
 * Every event keeps `raw`, the fields as WeCom sent them, for what the types do not name.
 * Numbers that can exceed 2^53 (MsgId) stay strings.
 */
import type { XmlFields } from './callback-xml.ts';

/** What every message and event carries (the fields common to 90239 and 90240). */
export interface CallbackEventBase {
  /** The corp ID the callback was addressed to. */
  toUserName: string;
  /** The member's UserID, or `sys` for address-book and batch events. */
  fromUserName: string;
  /** Seconds since the epoch. */
  createTime: number;
  /** The app's AgentId, when the message has one (address-book events do not). */
  agentId: number | undefined;
  /** Every field as sent. */
  raw: Readonly<XmlFields>;
}

// --- messages (90239) --------------------------------------------------------------------

interface MessageBase extends CallbackEventBase {
  /** A 64-bit id, as a string. */
  msgId: string;
}

export interface TextMessage extends MessageBase {
  name: 'message.text';
  content: string;
}
export interface ImageMessage extends MessageBase {
  name: 'message.image';
  picUrl: string;
  mediaId: string;
}
export interface VoiceMessage extends MessageBase {
  name: 'message.voice';
  mediaId: string;
  /** `amr`, `speex`… */
  format: string;
}
export interface VideoMessage extends MessageBase {
  name: 'message.video';
  mediaId: string;
  thumbMediaId: string;
}
export interface LocationMessage extends MessageBase {
  name: 'message.location';
  /** Location_X. */
  latitude: number;
  /** Location_Y. */
  longitude: number;
  scale: number | undefined;
  label: string;
}
export interface LinkMessage extends MessageBase {
  name: 'message.link';
  title: string;
  description: string;
  url: string;
  picUrl: string;
}

export type CallbackMessage = TextMessage | ImageMessage | VoiceMessage | VideoMessage | LocationMessage | LinkMessage;

// --- address-book changes (90970, 90971, 90972) ----------------------------------------------

/**
 * A member as create_user / update_user carry them. Only `userId` is sure: for contact-helper
 * URLs configured after 2022-08-15 WeCom sends UserID and Department alone (90970).
 */
export interface ChangedMember {
  userId: string;
  /** The member's name (Name). */
  memberName: string | undefined;
  department: number[] | undefined;
  mainDepartment: number | undefined;
  isLeaderInDept: number[] | undefined;
  directLeader: string[] | undefined;
  position: string | undefined;
  mobile: string | undefined;
  /** 1 male, 2 female (0 unset). */
  gender: number | undefined;
  email: string | undefined;
  bizMail: string | undefined;
  /** 1 active, 2 disabled, 4 not activated, 5 left the corporation. */
  status: number | undefined;
  avatar: string | undefined;
  alias: string | undefined;
  telephone: string | undefined;
  address: string | undefined;
}

interface ContactChangeBase extends CallbackEventBase {
  event: 'change_contact';
}
export interface CreateUserEvent extends ContactChangeBase, ChangedMember {
  name: 'change_contact.create_user';
  changeType: 'create_user';
}
export interface UpdateUserEvent extends ContactChangeBase, ChangedMember {
  name: 'change_contact.update_user';
  changeType: 'update_user';
  /** The member's new UserID, when it changed (a system-generated UserID can be changed once). */
  newUserId: string | undefined;
}
export interface DeleteUserEvent extends ContactChangeBase {
  name: 'change_contact.delete_user';
  changeType: 'delete_user';
  userId: string;
}
interface PartyFields {
  /** The department id. */
  id: number;
  /** The department's name (absent for contact-helper URLs configured after 2022-08-15). */
  partyName: string | undefined;
  parentId: number | undefined;
  order: number | undefined;
}
export interface CreatePartyEvent extends ContactChangeBase, PartyFields {
  name: 'change_contact.create_party';
  changeType: 'create_party';
}
export interface UpdatePartyEvent extends ContactChangeBase, PartyFields {
  name: 'change_contact.update_party';
  changeType: 'update_party';
}
export interface DeletePartyEvent extends ContactChangeBase {
  name: 'change_contact.delete_party';
  changeType: 'delete_party';
  id: number;
}
/** The order of tag and member events is not guaranteed (90972): re-read the tag when it matters. */
export interface UpdateTagEvent extends ContactChangeBase {
  name: 'change_contact.update_tag';
  changeType: 'update_tag';
  tagId: number;
  addUserItems: string[];
  delUserItems: string[];
  addPartyItems: number[];
  delPartyItems: number[];
}

export type ContactChangeEvent =
  CreateUserEvent | UpdateUserEvent | DeleteUserEvent | CreatePartyEvent | UpdatePartyEvent | DeletePartyEvent | UpdateTagEvent;

// --- app events (90240, 90973) -----------------------------------------------------------------

/** A member opened the app (from the workbench or a chat). */
export interface EnterAgentEvent extends CallbackEventBase {
  name: 'enter_agent';
  event: 'enter_agent';
}
/** A custom-menu item of type `click`. */
export interface MenuClickEvent extends CallbackEventBase {
  name: 'click';
  event: 'click';
  /** The menu item's key. */
  eventKey: string;
}
/** A custom-menu item of type `view`. */
export interface MenuViewEvent extends CallbackEventBase {
  name: 'view';
  event: 'view';
  /** The URL the item opens. */
  url: string;
}
/** Location reports while the app reports them (every 5 s in the client, or on entering the app). */
export interface LocationEvent extends CallbackEventBase {
  name: 'LOCATION';
  event: 'LOCATION';
  latitude: number;
  longitude: number;
  precision: number | undefined;
}
/** A member added to the app's visible range, or a member in it joining the corporation (90240). */
export interface SubscribeEvent extends CallbackEventBase {
  name: 'subscribe';
  event: 'subscribe';
}
/** A member removed from the visible range, leaving the corporation, or disabled (90240). */
export interface UnsubscribeEvent extends CallbackEventBase {
  name: 'unsubscribe';
  event: 'unsubscribe';
}
/** One question of a vote or multiple-choice card and the options picked. */
export interface SelectedItem {
  questionKey: string;
  optionIds: string[];
}
/** A button pressed (or a choice submitted) on a template card the app sent. */
export interface TemplateCardEvent extends CallbackEventBase {
  name: 'template_card_event';
  event: 'template_card_event';
  /** The key of the button pressed. */
  eventKey: string;
  /** The card's task_id, as sent. */
  taskId: string;
  /** `button_interaction`, `vote_interaction`, `multiple_interaction`, `text_notice`… */
  cardType: string;
  /** For message/update_template_card: once, within 72 hours (94888, 94945). */
  responseCode: string;
  selectedItems: SelectedItem[];
}
/** An asynchronous import (batch/syncuser, replaceuser, invite, replaceparty) finished. */
export interface BatchJobResultEvent extends CallbackEventBase {
  name: 'batch_job_result';
  event: 'batch_job_result';
  jobId: string;
  /** `sync_user`, `replace_user`, `invite_user`, `replace_party`. */
  jobType: string;
  errCode: number;
  errMsg: string;
}

/** Anything else, or a known kind without a field it needs: the raw fields, for '*' and 'unknown' handlers. */
export interface UnknownEvent extends CallbackEventBase {
  name: 'unknown';
  msgType: string | undefined;
  event: string | undefined;
  changeType: string | undefined;
  /** Why a known kind ended here (a required field missing), when it did. */
  problem: string | undefined;
}

export type CallbackEvent =
  | CallbackMessage
  | ContactChangeEvent
  | EnterAgentEvent
  | MenuClickEvent
  | MenuViewEvent
  | LocationEvent
  | SubscribeEvent
  | UnsubscribeEvent
  | TemplateCardEvent
  | BatchJobResultEvent
  | UnknownEvent;

/** Every name a handler can register under, and the event it is handed. */
export type CallbackEventMap = { [E in CallbackEvent as E['name']]: E } & {
  message: CallbackMessage;
  change_contact: ContactChangeEvent;
  '*': CallbackEvent;
};

export type CallbackEventName = keyof CallbackEventMap;
