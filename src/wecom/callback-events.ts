/**
 * From a decrypted message's fields to its typed event (callback-event-types.ts), and the names a
 * handler of it registers under. A known kind that lacks a field it needs (a delete_user without
 * UserID) becomes `unknown` with a `problem`, so '*' and 'unknown' handlers still see it; nothing
 * here throws on WeCom's content.
 *
 * Event names are matched whatever their case: WeCom documents `click`, `view` and `LOCATION`
 * (https://developer.work.weixin.qq.com/document/path/90240), and a `CLICK` in the Official
 * Account's spelling should not fall silently to 'unknown'.
 */
import type {
  BatchJobResultEvent,
  CallbackEvent,
  CallbackEventBase,
  CallbackEventName,
  CallbackMessage,
  ChangedMember,
  ContactChangeEvent,
  SelectedItem,
  TemplateCardEvent,
} from './callback-event-types.ts';
import type { XmlFields, XmlValue } from './callback-xml.ts';

class Missing extends Error {}

/** The event a message's fields describe. */
export function toCallbackEvent(fields: XmlFields): CallbackEvent {
  const base = baseOf(fields);
  try {
    return classify(fields, base) ?? unknownEvent(fields, base, undefined);
  } catch (err) {
    if (err instanceof Missing) return unknownEvent(fields, base, err.message);
    throw err;
  }
}

/** The names whose handlers an event runs: its own, its group's, then '*'. */
export function eventNames(event: CallbackEvent): CallbackEventName[] {
  const dot = event.name.indexOf('.');
  return dot === -1 ? [event.name, '*'] : [event.name, event.name.slice(0, dot) as CallbackEventName, '*'];
}

function classify(f: XmlFields, base: CallbackEventBase): CallbackEvent | undefined {
  const msgType = text(f, 'MsgType');
  if (msgType !== 'event') return msgType === undefined ? undefined : message(f, base, msgType);
  switch (text(f, 'Event')?.toLowerCase()) {
    case 'change_contact':
      return contactChange(f, base);
    case 'enter_agent':
      return { ...base, name: 'enter_agent', event: 'enter_agent' };
    case 'click':
      return { ...base, name: 'click', event: 'click', eventKey: text(f, 'EventKey') ?? '' };
    case 'view':
      return { ...base, name: 'view', event: 'view', url: required(f, 'EventKey') };
    case 'location':
      return {
        ...base,
        name: 'LOCATION',
        event: 'LOCATION',
        latitude: requiredNumber(f, 'Latitude'),
        longitude: requiredNumber(f, 'Longitude'),
        precision: num(f, 'Precision'),
      };
    case 'subscribe':
      return { ...base, name: 'subscribe', event: 'subscribe' };
    case 'unsubscribe':
      return { ...base, name: 'unsubscribe', event: 'unsubscribe' };
    case 'template_card_event':
      return templateCard(f, base);
    case 'batch_job_result':
      return batchJob(f, base);
    default:
      return undefined;
  }
}

function message(f: XmlFields, base: CallbackEventBase, msgType: string): CallbackMessage | undefined {
  const m = { ...base, msgId: required(f, 'MsgId') };
  switch (msgType) {
    case 'text':
      return { ...m, name: 'message.text', content: required(f, 'Content') };
    case 'image':
      return { ...m, name: 'message.image', picUrl: text(f, 'PicUrl') ?? '', mediaId: required(f, 'MediaId') };
    case 'voice':
      return { ...m, name: 'message.voice', mediaId: required(f, 'MediaId'), format: text(f, 'Format') ?? '' };
    case 'video':
      return { ...m, name: 'message.video', mediaId: required(f, 'MediaId'), thumbMediaId: text(f, 'ThumbMediaId') ?? '' };
    case 'location':
      return {
        ...m,
        name: 'message.location',
        latitude: requiredNumber(f, 'Location_X'),
        longitude: requiredNumber(f, 'Location_Y'),
        scale: num(f, 'Scale'),
        label: text(f, 'Label') ?? '',
      };
    case 'link':
      return {
        ...m,
        name: 'message.link',
        title: text(f, 'Title') ?? '',
        description: text(f, 'Description') ?? '',
        url: required(f, 'Url'),
        picUrl: text(f, 'PicUrl') ?? '',
      };
    default:
      return undefined;
  }
}

function contactChange(f: XmlFields, base: CallbackEventBase): ContactChangeEvent | undefined {
  const c = { ...base, event: 'change_contact' as const };
  switch (text(f, 'ChangeType')) {
    case 'create_user':
      return { ...c, ...member(f), name: 'change_contact.create_user', changeType: 'create_user' };
    case 'update_user':
      return { ...c, ...member(f), name: 'change_contact.update_user', changeType: 'update_user', newUserId: nonEmpty(f, 'NewUserID') };
    case 'delete_user':
      return { ...c, name: 'change_contact.delete_user', changeType: 'delete_user', userId: required(f, 'UserID') };
    case 'create_party':
      return { ...c, ...party(f), name: 'change_contact.create_party', changeType: 'create_party' };
    case 'update_party':
      return { ...c, ...party(f), name: 'change_contact.update_party', changeType: 'update_party' };
    case 'delete_party':
      return { ...c, name: 'change_contact.delete_party', changeType: 'delete_party', id: requiredInt(f, 'Id') };
    case 'update_tag':
      return {
        ...c,
        name: 'change_contact.update_tag',
        changeType: 'update_tag',
        tagId: requiredInt(f, 'TagId'),
        addUserItems: list(f, 'AddUserItems'),
        delUserItems: list(f, 'DelUserItems'),
        addPartyItems: intList(f, 'AddPartyItems') ?? [],
        delPartyItems: intList(f, 'DelPartyItems') ?? [],
      };
    default:
      return undefined;
  }
}

function member(f: XmlFields): ChangedMember {
  return {
    userId: required(f, 'UserID'),
    memberName: text(f, 'Name'),
    department: intList(f, 'Department'),
    mainDepartment: int(f, 'MainDepartment'),
    isLeaderInDept: intList(f, 'IsLeaderInDept'),
    directLeader: text(f, 'DirectLeader') === undefined ? undefined : list(f, 'DirectLeader'),
    position: text(f, 'Position'),
    mobile: text(f, 'Mobile'),
    gender: int(f, 'Gender'),
    email: text(f, 'Email'),
    bizMail: text(f, 'BizMail'),
    status: int(f, 'Status'),
    avatar: text(f, 'Avatar'),
    alias: text(f, 'Alias'),
    telephone: text(f, 'Telephone'),
    address: text(f, 'Address'),
  };
}

function party(f: XmlFields): { id: number; partyName: string | undefined; parentId: number | undefined; order: number | undefined } {
  return { id: requiredInt(f, 'Id'), partyName: text(f, 'Name'), parentId: int(f, 'ParentId'), order: int(f, 'Order') };
}

function templateCard(f: XmlFields, base: CallbackEventBase): TemplateCardEvent {
  const selected = f['SelectedItems'];
  const items = typeof selected === 'object' && !Array.isArray(selected) ? asArray(selected['SelectedItem']) : [];
  const selectedItems = items.flatMap((item): SelectedItem[] => {
    if (typeof item !== 'object' || Array.isArray(item)) return [];
    const ids = item['OptionIds'];
    const optionIds = typeof ids === 'object' && !Array.isArray(ids) ? asArray(ids['OptionId']).filter((id) => typeof id === 'string') : [];
    return [{ questionKey: text(item, 'QuestionKey') ?? '', optionIds }];
  });
  return {
    ...base,
    name: 'template_card_event',
    event: 'template_card_event',
    eventKey: text(f, 'EventKey') ?? '',
    taskId: required(f, 'TaskId'),
    cardType: text(f, 'CardType') ?? '',
    responseCode: required(f, 'ResponseCode'),
    selectedItems,
  };
}

function batchJob(f: XmlFields, base: CallbackEventBase): BatchJobResultEvent {
  const job = f['BatchJob'];
  if (typeof job !== 'object' || Array.isArray(job)) throw new Missing('BatchJob is missing');
  return {
    ...base,
    name: 'batch_job_result',
    event: 'batch_job_result',
    jobId: required(job, 'JobId'),
    jobType: text(job, 'JobType') ?? '',
    errCode: int(job, 'ErrCode') ?? 0,
    errMsg: text(job, 'ErrMsg') ?? '',
  };
}

function baseOf(f: XmlFields): CallbackEventBase {
  return {
    toUserName: text(f, 'ToUserName') ?? '',
    fromUserName: text(f, 'FromUserName') ?? '',
    createTime: int(f, 'CreateTime') ?? 0,
    agentId: int(f, 'AgentID'),
    raw: f,
  };
}

function unknownEvent(f: XmlFields, base: CallbackEventBase, problem: string | undefined): CallbackEvent {
  return { ...base, name: 'unknown', msgType: text(f, 'MsgType'), event: text(f, 'Event'), changeType: text(f, 'ChangeType'), problem };
}

// --- field readers -------------------------------------------------------------------------

function asArray(value: XmlValue | undefined): XmlValue[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/** A text field; a nested or repeated element is not text. */
function text(f: XmlFields, name: string): string | undefined {
  const value = f[name];
  return typeof value === 'string' ? value : undefined;
}

function nonEmpty(f: XmlFields, name: string): string | undefined {
  const value = text(f, name);
  return value === '' ? undefined : value;
}

function required(f: XmlFields, name: string): string {
  const value = nonEmpty(f, name);
  if (value === undefined) throw new Missing(`${name} is missing`);
  return value;
}

function int(f: XmlFields, name: string): number | undefined {
  const value = text(f, name)?.trim();
  return value !== undefined && /^-?[0-9]{1,15}$/.test(value) ? Number(value) : undefined;
}

function num(f: XmlFields, name: string): number | undefined {
  const value = text(f, name)?.trim();
  return value !== undefined && /^-?[0-9]{1,15}(?:\.[0-9]{1,15})?$/.test(value) ? Number(value) : undefined;
}

function requiredInt(f: XmlFields, name: string): number {
  const value = int(f, name);
  if (value === undefined) throw new Missing(`${name} is missing or not an integer`);
  return value;
}

function requiredNumber(f: XmlFields, name: string): number {
  const value = num(f, name);
  if (value === undefined) throw new Missing(`${name} is missing or not a number`);
  return value;
}

/** A comma-separated list ("zhangsan,lisi"); empty entries dropped. */
function list(f: XmlFields, name: string): string[] {
  return (text(f, name) ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** A comma-separated list of integers, or undefined when absent or not all integers. */
function intList(f: XmlFields, name: string): number[] | undefined {
  if (text(f, name) === undefined) return undefined;
  const items = list(f, name);
  return items.every((s) => /^-?[0-9]{1,15}$/.test(s)) ? items.map(Number) : undefined;
}
