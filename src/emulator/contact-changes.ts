// Address-book changes (通讯录: add, edit, disable, delete a member) as the admin console makes
// them: the fixture changes first, so that later logins, user/get and message/send see the new
// state, then change_contact goes to the apps that see the member
// (https://developer.work.weixin.qq.com/document/path/90970). Which apps get it is read here as:
// each enabled app with a 「接收消息」 URL whose visible range has the member, before the change or
// after it [assumed: docs/wecom-api.md §16 leaves who receives change_contact open].
import { createUserEvent, deleteUserEvent, updateUserEvent } from './event-messages.ts';
import { findMember, isVisible } from './state.ts';
import type { MessageField } from './callback-messages.ts';
import type { ContactChange, ContactMemberFields } from './callback-types.ts';
import type { EmulatorState } from './state.ts';
import type { FixtureApp, FixtureCorp, FixtureMember } from './types.ts';

/** A UserID as WeCom allows it (the fixture's rule): letters, digits, _ . @ -, at most 64. */
const USER_ID = /^[A-Za-z0-9_.@-]{1,64}$/;
const STATUSES: readonly number[] = [1, 2, 4, 5];

export class ContactChangeError extends Error {
  override name = 'ContactChangeError';
}

export interface AppliedChange {
  corp: FixtureCorp;
  /** 'change_contact.create_user', ... */
  event: string;
  fields: MessageField[];
  /** The apps to tell. */
  apps: FixtureApp[];
}

function appsSeeing(corp: FixtureCorp, userIds: readonly string[]): FixtureApp[] {
  return corp.apps.filter((app) => app.enabled && app.callback !== undefined && userIds.some((u) => isVisible(corp, app, u)));
}

/** Checks and copies the fields a change sets (the same rules as the fixture's). */
function checkFields(fields: ContactMemberFields): ContactMemberFields {
  const out: ContactMemberFields = {};
  for (const key of ['name', 'position', 'mobile', 'email', 'bizMail', 'alias', 'telephone', 'address', 'avatar'] as const) {
    const value = fields[key];
    if (value === undefined) continue;
    if (typeof value !== 'string' || (key === 'name' && value.trim() === ''))
      throw new ContactChangeError(`${key} must be a non-empty string`);
    out[key] = value;
  }
  if (fields.department !== undefined) {
    const d = fields.department;
    if (!Array.isArray(d) || d.length === 0 || !d.every((id) => Number.isSafeInteger(id) && id > 0))
      throw new ContactChangeError('department must be a non-empty list of department ids');
    out.department = [...d];
  }
  if (fields.gender !== undefined) {
    if (!['0', '1', '2'].includes(fields.gender)) throw new ContactChangeError('gender must be "0", "1" or "2"');
    out.gender = fields.gender;
  }
  if (fields.status !== undefined) {
    if (!STATUSES.includes(fields.status))
      throw new ContactChangeError('status must be 1 (active), 2 (disabled), 4 (not active) or 5 (left)');
    out.status = fields.status;
  }
  return out;
}

function assign(member: FixtureMember, fields: ContactMemberFields): void {
  const { status, ...rest } = fields;
  Object.assign(member, rest);
  if (status !== undefined) member.status = status;
}

function renameEverywhere(state: EmulatorState, corp: FixtureCorp, from: string, to: string): void {
  for (const app of corp.apps) app.visibleUserIds = app.visibleUserIds.map((u) => (u === from ? to : u));
  for (const tag of corp.tags ?? []) tag.userIds = tag.userIds.map((u) => (u === from ? to : u));
  // The member's chats stay theirs under the new UserID.
  for (const message of state.messages.list) {
    if (message.corpId === corp.corpId) message.deliveredTo = message.deliveredTo.map((u) => (u === from ? to : u));
  }
  state.callbacks.cards.renameUser(from, to);
}

function create(state: EmulatorState, corp: FixtureCorp, change: Extract<ContactChange, { changeType: 'create_user' }>): AppliedChange {
  if (typeof change.userId !== 'string' || !USER_ID.test(change.userId))
    throw new ContactChangeError('userId must be letters, digits, _ . @ - (at most 64)');
  if (findMember(corp, change.userId)) throw new ContactChangeError(`${change.userId} is already a member of ${corp.corpId}`);
  const fields = checkFields(change.fields);
  if (fields.name === undefined) throw new ContactChangeError('fields.name is required');
  const member: FixtureMember = { userId: change.userId, name: fields.name, department: fields.department ?? [1] };
  assign(member, fields);
  corp.members.push(member);
  state.callbacks.removedMembers.get(corp.corpId)?.delete(member.userId);
  for (const agentId of change.visibleIn ?? []) {
    const app = corp.apps.find((a) => a.agentId === agentId);
    if (!app) throw new ContactChangeError(`visibleIn: ${agentId} is not an app of ${corp.corpId}`);
    if (!app.visibleUserIds.includes(member.userId)) app.visibleUserIds.push(member.userId);
  }
  const now = Math.floor(state.clock.now() / 1000);
  return {
    corp,
    event: 'change_contact.create_user',
    fields: createUserEvent(corp.corpId, now, member),
    apps: appsSeeing(corp, [member.userId]),
  };
}

function update(state: EmulatorState, corp: FixtureCorp, change: Extract<ContactChange, { changeType: 'update_user' }>): AppliedChange {
  const member = findMember(corp, change.userId);
  if (!member) throw new ContactChangeError(`${String(change.userId)} is not a member of ${corp.corpId}`);
  const fields = checkFields(change.fields ?? {});
  const newUserId = change.newUserId;
  if (newUserId !== undefined && newUserId !== member.userId) {
    if (typeof newUserId !== 'string' || !USER_ID.test(newUserId))
      throw new ContactChangeError('newUserId must be letters, digits, _ . @ - (at most 64)');
    if (findMember(corp, newUserId)) throw new ContactChangeError(`${newUserId} is already a member of ${corp.corpId}`);
  }
  const before = appsSeeing(corp, [member.userId]);
  const oldUserId = member.userId;
  assign(member, fields);
  if (newUserId !== undefined && newUserId !== oldUserId) {
    member.userId = newUserId;
    renameEverywhere(state, corp, oldUserId, newUserId);
  }
  const after = appsSeeing(corp, [member.userId]);
  const now = Math.floor(state.clock.now() / 1000);
  return {
    corp,
    event: 'change_contact.update_user',
    fields: updateUserEvent(corp.corpId, now, oldUserId, member),
    apps: [...new Set([...before, ...after])],
  };
}

function remove(state: EmulatorState, corp: FixtureCorp, change: Extract<ContactChange, { changeType: 'delete_user' }>): AppliedChange {
  const member = findMember(corp, change.userId);
  if (!member) throw new ContactChangeError(`${String(change.userId)} is not a member of ${corp.corpId}`);
  // Who saw the member is decided before they are gone.
  const apps = appsSeeing(corp, [member.userId]);
  if (corp.members.length === 1)
    throw new ContactChangeError(`${member.userId} is the last member of ${corp.corpId}; the emulator keeps one`);
  corp.members.splice(corp.members.indexOf(member), 1);
  for (const app of corp.apps) app.visibleUserIds = app.visibleUserIds.filter((u) => u !== member.userId);
  for (const tag of corp.tags ?? []) tag.userIds = tag.userIds.filter((u) => u !== member.userId);
  const removed = state.callbacks.removedMembers.get(corp.corpId) ?? new Set<string>();
  removed.add(member.userId);
  state.callbacks.removedMembers.set(corp.corpId, removed);
  const now = Math.floor(state.clock.now() / 1000);
  return { corp, event: 'change_contact.delete_user', fields: deleteUserEvent(corp.corpId, now, member.userId), apps };
}

/** Applies `change` to the live fixture; what to push, and to which apps. Throws ContactChangeError for a change WeCom would refuse. */
export function applyContactChange(state: EmulatorState, change: ContactChange): AppliedChange {
  if (typeof change !== 'object' || change === null) throw new ContactChangeError('send a change: {changeType, userId, ...}');
  const corp = change.corpId === undefined ? state.fixture.corps[0] : state.fixture.corps.find((c) => c.corpId === change.corpId);
  if (!corp) throw new ContactChangeError(`unknown corpId ${JSON.stringify(change.corpId)}`);
  switch (change.changeType) {
    case 'create_user':
      return create(state, corp, change);
    case 'update_user':
      return update(state, corp, change);
    case 'delete_user':
      return remove(state, corp, change);
    default:
      throw new ContactChangeError("changeType must be 'create_user', 'update_user' or 'delete_user'");
  }
}
