import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseMessage } from '../../src/wecom/callback-envelope.ts';
import { eventNames, toCallbackEvent } from '../../src/wecom/callback-events.ts';
import type { CallbackEvent } from '../../src/wecom/callback-event-types.ts';
import { messageXml } from '../../src/wecom/callback-testing.ts';
import { SAMPLES } from './callback-samples.ts';

type WithoutRaw<E> = E extends unknown ? Omit<E, 'raw'> : never;

/** The typed event of a sample, without `raw` (checked on its own). */
function typed(xml: string): WithoutRaw<CallbackEvent> {
  const { raw, ...event } = toCallbackEvent(parseMessage(xml));
  assert.equal(Object.getPrototypeOf(raw), null);
  return event;
}

const MESSAGE_BASE = { toUserName: 'toUser', fromUserName: 'fromUser', agentId: 1, msgId: '1234567890123456' };
const EVENT_BASE = { toUserName: 'toUser', fromUserName: 'FromUser', createTime: 123456789, agentId: 1 };
const CONTACT_BASE = { toUserName: 'toUser', fromUserName: 'sys', createTime: 1403610513, agentId: undefined, event: 'change_contact' };

describe("messages (90239), from the doc's samples", () => {
  it('text, image, voice, video, location, link', () => {
    assert.deepEqual(typed(SAMPLES.text), { ...MESSAGE_BASE, createTime: 1348831860, name: 'message.text', content: 'this is a test' });
    assert.deepEqual(typed(SAMPLES.image), {
      ...MESSAGE_BASE,
      createTime: 1348831860,
      name: 'message.image',
      picUrl: 'this is a url',
      mediaId: 'media_id',
    });
    assert.deepEqual(typed(SAMPLES.voice), {
      ...MESSAGE_BASE,
      createTime: 1357290913,
      name: 'message.voice',
      mediaId: 'media_id',
      format: 'Format',
    });
    assert.deepEqual(typed(SAMPLES.video), {
      ...MESSAGE_BASE,
      createTime: 1357290913,
      name: 'message.video',
      mediaId: 'media_id',
      thumbMediaId: 'thumb_media_id',
    });
    assert.deepEqual(typed(SAMPLES.location), {
      ...MESSAGE_BASE,
      createTime: 1351776360,
      name: 'message.location',
      latitude: 23.134,
      longitude: 113.358,
      scale: 20,
      label: '位置信息',
    });
    assert.deepEqual(typed(SAMPLES.link), {
      ...MESSAGE_BASE,
      createTime: 1348831860,
      name: 'message.link',
      title: 'this is a title!',
      description: 'this is a description!',
      url: 'URL',
      picUrl: 'this is a url',
    });
  });

  it('keeps a 64-bit MsgId exact, as a string', () => {
    const event = toCallbackEvent(parseMessage(messageXml({ MsgType: 'text', Content: 'x', MsgId: '4561255354251345929' })));
    assert.equal(event.name === 'message.text' && event.msgId, '4561255354251345929');
  });
});

describe("address-book changes (90970, 90971, 90972), from the doc's samples", () => {
  it('create_user: every member field, lists split, numbers read', () => {
    assert.deepEqual(typed(SAMPLES.createUser), {
      ...CONTACT_BASE,
      name: 'change_contact.create_user',
      changeType: 'create_user',
      userId: 'zhangsan',
      memberName: '张三',
      department: [1, 2, 3],
      mainDepartment: 1,
      isLeaderInDept: [1, 0, 0],
      directLeader: ['lisi', 'wangwu'],
      position: '产品经理',
      mobile: '13800000000',
      gender: 1,
      email: 'zhangsan@gzdev.com',
      bizMail: 'zhangsan@qyycs2.wecom.work',
      status: 1,
      avatar: 'http://wx.qlogo.cn/mmopen/ajNVdqHZLLA3WJ6DSZUfiakYe37PKnQhBIeOQBO4czqrnZDS79FH5Wm5m4X69TBicnHFlhiafvDwklOpZeXYQQ2icg/0',
      alias: 'zhangsan',
      telephone: '020-123456',
      address: '广州市',
    });
    const raw = toCallbackEvent(parseMessage(SAMPLES.createUser)).raw;
    assert.deepEqual(JSON.parse(JSON.stringify(raw['ExtAttr'])), {
      Item: [
        { Name: '爱好', Type: '0', Text: { Value: '旅游' } },
        { Name: '卡号', Type: '1', Web: { Title: '企业微信', Url: 'https://work.weixin.qq.com' } },
      ],
    });
  });

  it('update_user with NewUserID, and without it, and with only UserID and Department', () => {
    const withNew = typed(SAMPLES.updateUser);
    assert.ok(withNew.name === 'change_contact.update_user');
    assert.deepEqual([withNew.userId, withNew.newUserId, withNew.status, withNew.memberName], ['zhangsan', 'zhangsan001', 1, '张三']);
    const withoutNew = typed(SAMPLES.updateUser.replace(/\s*<NewUserID>.*<\/NewUserID>/, ''));
    assert.ok(withoutNew.name === 'change_contact.update_user');
    assert.equal(withoutNew.newUserId, undefined);
    const minimal = typed(SAMPLES.updateUserMinimal);
    assert.deepEqual(minimal, {
      ...CONTACT_BASE,
      name: 'change_contact.update_user',
      changeType: 'update_user',
      userId: 'zhangsan',
      newUserId: undefined,
      memberName: undefined,
      department: [1, 2],
      mainDepartment: undefined,
      isLeaderInDept: undefined,
      directLeader: undefined,
      position: undefined,
      mobile: undefined,
      gender: undefined,
      email: undefined,
      bizMail: undefined,
      status: undefined,
      avatar: undefined,
      alias: undefined,
      telephone: undefined,
      address: undefined,
    });
  });

  it('delete_user, create_party, update_party, delete_party, update_tag', () => {
    assert.deepEqual(typed(SAMPLES.deleteUser), {
      ...CONTACT_BASE,
      name: 'change_contact.delete_user',
      changeType: 'delete_user',
      userId: 'zhangsan',
    });
    assert.deepEqual(typed(SAMPLES.createParty), {
      ...CONTACT_BASE,
      name: 'change_contact.create_party',
      changeType: 'create_party',
      id: 2,
      partyName: '张三',
      parentId: 1,
      order: 1,
    });
    assert.deepEqual(typed(SAMPLES.updateParty), {
      ...CONTACT_BASE,
      name: 'change_contact.update_party',
      changeType: 'update_party',
      id: 2,
      partyName: '张三',
      parentId: 1,
      order: undefined,
    });
    assert.deepEqual(typed(SAMPLES.deleteParty), {
      ...CONTACT_BASE,
      name: 'change_contact.delete_party',
      changeType: 'delete_party',
      id: 2,
    });
    assert.deepEqual(typed(SAMPLES.updateTag), {
      ...CONTACT_BASE,
      name: 'change_contact.update_tag',
      changeType: 'update_tag',
      tagId: 1,
      addUserItems: ['zhangsan', 'lisi'],
      delUserItems: ['zhangsan1', 'lisi1'],
      addPartyItems: [1, 2],
      delPartyItems: [3, 4],
    });
  });
});

describe("app events (90240, 90973), from the doc's samples", () => {
  it('enter_agent, menu click and view (lowercase), LOCATION, subscribe', () => {
    assert.deepEqual(typed(SAMPLES.enterAgent), { ...EVENT_BASE, createTime: 1408091189, name: 'enter_agent', event: 'enter_agent' });
    assert.deepEqual(typed(SAMPLES.click), { ...EVENT_BASE, name: 'click', event: 'click', eventKey: 'EVENTKEY' });
    assert.deepEqual(typed(SAMPLES.view), { ...EVENT_BASE, name: 'view', event: 'view', url: 'www.qq.com' });
    assert.deepEqual(typed(SAMPLES.location_event), {
      ...EVENT_BASE,
      name: 'LOCATION',
      event: 'LOCATION',
      latitude: 23.104,
      longitude: 113.32,
      precision: 65,
    });
    assert.deepEqual(typed(SAMPLES.subscribe), {
      ...EVENT_BASE,
      fromUserName: 'UserID',
      createTime: 1348831860,
      name: 'subscribe',
      event: 'subscribe',
    });
  });

  it("the Official Account's uppercase CLICK is still a click", () => {
    assert.equal(typed(SAMPLES.click.replace('[click]', '[CLICK]')).name, 'click');
  });

  it('template_card_event: the button, the card, the response code and the selected options', () => {
    assert.deepEqual(typed(SAMPLES.templateCard), {
      ...EVENT_BASE,
      name: 'template_card_event',
      event: 'template_card_event',
      eventKey: 'key111',
      taskId: 'taskid111',
      cardType: 'text_notice',
      responseCode: 'ResponseCode',
      selectedItems: [
        { questionKey: 'QuestionKey1', optionIds: ['OptionId1', 'OptionId2'] },
        { questionKey: 'QuestionKey2', optionIds: ['OptionId3'] },
      ],
    });
    const pressed = typed(SAMPLES.templateCard.replace(/<SelectedItems>[\s\S]*<\/SelectedItems>/, ''));
    assert.ok(pressed.name === 'template_card_event');
    assert.deepEqual(pressed.selectedItems, []);
  });

  it('batch_job_result', () => {
    assert.deepEqual(typed(SAMPLES.batchJob), {
      toUserName: 'wx28dbb14e3720FAKE',
      fromUserName: 'FromUser',
      createTime: 1425284517,
      agentId: undefined,
      name: 'batch_job_result',
      event: 'batch_job_result',
      jobId: 'S0MrnndvRG5fadSlLwiBqiDDbM143UqTmKP3152FZk4',
      jobType: 'sync_user',
      errCode: 0,
      errMsg: 'ok',
    });
  });
});

describe('unknown events', () => {
  it('keeps the raw fields of an event it does not type', () => {
    const event = toCallbackEvent(
      parseMessage(messageXml({ ToUserName: 'ww1', MsgType: 'event', Event: 'open_approval_change', ApprovalInfo: { ThirdNo: '1' } })),
    );
    assert.ok(event.name === 'unknown');
    assert.deepEqual(
      [event.msgType, event.event, event.changeType, event.problem],
      ['event', 'open_approval_change', undefined, undefined],
    );
    assert.deepEqual(JSON.parse(JSON.stringify(event.raw['ApprovalInfo'])), { ThirdNo: '1' });
  });

  it('a known kind without a field it needs is unknown, saying which', () => {
    const noUser = toCallbackEvent(parseMessage(SAMPLES.deleteUser.replace(/<UserID>.*<\/UserID>/, '')));
    assert.ok(noUser.name === 'unknown');
    assert.deepEqual([noUser.event, noUser.changeType, noUser.problem], ['change_contact', 'delete_user', 'UserID is missing']);
    const badTag = toCallbackEvent(parseMessage(SAMPLES.updateTag.replace('<TagId>1</TagId>', '<TagId>one</TagId>')));
    assert.ok(badTag.name === 'unknown');
    assert.equal(badTag.problem, 'TagId is missing or not an integer');
    for (const xml of [
      messageXml({ MsgType: 'text', Content: 'no MsgId' }),
      messageXml({ Content: 'no MsgType' }),
      messageXml({ MsgType: 'event', Event: 'change_contact', ChangeType: 'new_kind' }),
    ]) {
      assert.equal(toCallbackEvent(parseMessage(xml)).name, 'unknown');
    }
  });
});

describe('handler names', () => {
  it("an event runs its own name's handlers, then its group's, then '*'", () => {
    const name = (xml: string) => eventNames(toCallbackEvent(parseMessage(xml)));
    assert.deepEqual(name(SAMPLES.deleteUser), ['change_contact.delete_user', 'change_contact', '*']);
    assert.deepEqual(name(SAMPLES.text), ['message.text', 'message', '*']);
    assert.deepEqual(name(SAMPLES.click), ['click', '*']);
    assert.deepEqual(name(SAMPLES.location_event), ['LOCATION', '*']);
    assert.deepEqual(name(messageXml({ MsgType: 'shortvideo' })), ['unknown', '*']);
  });
});
