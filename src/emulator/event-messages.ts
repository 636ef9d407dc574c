// The events the emulator pushes, field for field as WeCom's pages print them:
// enter_agent, click, view and template_card_event from 事件格式
// (https://developer.work.weixin.qq.com/document/path/90240), change_contact for members from
// 成员变更通知 (https://developer.work.weixin.qq.com/document/path/90970).
import type { MessageField } from './callback-messages.ts';
import type { FixtureMember } from './types.ts';

/** What every event starts with: ToUserName is the corp ID, FromUserName the member's UserID. */
function head(corpId: string, from: string, createTime: number, event: string): MessageField[] {
  return [
    ['ToUserName', corpId],
    ['FromUserName', from],
    ['CreateTime', createTime],
    ['MsgType', 'event'],
    ['Event', event],
  ];
}

/** 进入应用: "本事件在成员进入企业微信的应用时触发"; EventKey is empty. */
export function enterAgentEvent(corpId: string, userId: string, createTime: number, agentId: number): MessageField[] {
  return [...head(corpId, userId, createTime, 'enter_agent'), ['EventKey', ''], ['AgentID', agentId]];
}

/** 点击菜单拉取消息: EventKey is the menu item's key. WeCom writes the event lowercase. */
export function clickEvent(corpId: string, userId: string, createTime: number, agentId: number, key: string): MessageField[] {
  return [...head(corpId, userId, createTime, 'click'), ['EventKey', key], ['AgentID', agentId]];
}

/** 点击菜单跳转链接: EventKey is the item's URL. */
export function viewEvent(corpId: string, userId: string, createTime: number, agentId: number, url: string): MessageField[] {
  return [...head(corpId, userId, createTime, 'view'), ['EventKey', url], ['AgentID', agentId]];
}

export interface CardPress {
  key: string;
  taskId: string;
  cardType: string;
  responseCode: string;
}

/** 模板卡片事件推送: the button's key, the card's TaskId and type, a fresh ResponseCode. */
export function templateCardEvent(corpId: string, userId: string, createTime: number, agentId: number, press: CardPress): MessageField[] {
  return [
    ...head(corpId, userId, createTime, 'template_card_event'),
    ['EventKey', press.key],
    ['TaskId', press.taskId],
    ['CardType', press.cardType],
    ['ResponseCode', press.responseCode],
    ['AgentID', agentId],
  ];
}

/** The member fields of create_user / update_user, in 90970's order; absent fields are left out. */
function memberFields(member: FixtureMember): MessageField[] {
  const fields: MessageField[] = [
    ['Name', member.name],
    ['Department', member.department.join(',')],
    ['MainDepartment', member.department[0] ?? 1],
    ['IsLeaderInDept', member.department.map(() => '0').join(',')],
  ];
  const optional: [string, string | undefined][] = [
    ['Position', member.position],
    ['Mobile', member.mobile],
    ['Gender', member.gender],
    ['Email', member.email],
    ['BizMail', member.bizMail],
  ];
  for (const [name, value] of optional) if (value !== undefined) fields.push([name, name === 'Gender' ? Number(value) : value]);
  fields.push(['Status', member.status ?? 1]);
  const rest: [string, string | undefined][] = [
    ['Avatar', member.avatar],
    ['Alias', member.alias],
    ['Telephone', member.telephone],
    ['Address', member.address],
  ];
  for (const [name, value] of rest) if (value !== undefined) fields.push([name, value]);
  return fields;
}

function contactHead(corpId: string, createTime: number, changeType: string): MessageField[] {
  return [...head(corpId, 'sys', createTime, 'change_contact'), ['ChangeType', changeType]];
}

export function createUserEvent(corpId: string, createTime: number, member: FixtureMember): MessageField[] {
  return [...contactHead(corpId, createTime, 'create_user'), ['UserID', member.userId], ...memberFields(member)];
}

/** update_user names the member by the UserID they had; NewUserID when it changed (it can change once). */
export function updateUserEvent(corpId: string, createTime: number, oldUserId: string, member: FixtureMember): MessageField[] {
  const renamed: MessageField[] = oldUserId === member.userId ? [] : [['NewUserID', member.userId]];
  return [...contactHead(corpId, createTime, 'update_user'), ['UserID', oldUserId], ...renamed, ...memberFields(member)];
}

export function deleteUserEvent(corpId: string, createTime: number, userId: string): MessageField[] {
  return [...contactHead(corpId, createTime, 'delete_user'), ['UserID', userId]];
}
