// The emulator's world: corps, apps, members. defaultFixture() is what `npm run emulator` and the
// demo use; parseFixture() validates a fixture from a JSON file (or from a test) and fills in
// defaults, naming the exact field that is wrong so a typo in a config file is a one-line fix.
import { settingsOf, settingsProblem } from './callback-settings.ts';
import { checkMenu } from './menu.ts';
import { SENSITIVE_FIELDS } from './types.ts';
import type {
  EmulatorFixture,
  FixtureApp,
  FixtureCorp,
  FixtureDepartment,
  FixtureTag,
  FixtureMember,
  FixtureMiniProgram,
  FixtureNonMember,
  Gender,
  SensitiveField,
} from './types.ts';

export function defaultFixture(): EmulatorFixture {
  return {
    corps: [
      {
        corpId: 'wwdemocorp0000001',
        name: '演示企业',
        apps: [
          {
            agentId: 1000002,
            name: '演示应用',
            secret: 'demo-secret',
            enabled: true,
            trustedDomains: ['localhost:3000', '127.0.0.1:3000'],
            visibleUserIds: ['zhangsan', 'lisi'],
            sensitiveFieldsEnabled: true,
            createdAfter20220620: true,
          },
        ],
        members: [
          {
            userId: 'zhangsan',
            name: '张三',
            department: [1],
            position: '产品经理',
            mobile: '13800000001',
            email: 'zhangsan@example.com',
            bizMail: 'zhangsan@demo.example.com',
            avatar: 'https://avatar.example.com/zhangsan/0',
            thumbAvatar: 'https://avatar.example.com/zhangsan/100',
            gender: '1',
            qrCode: 'https://open.work.weixin.qq.com/wwopen/userQRCode?vcode=demo-zhangsan',
            address: '广州市海珠区新港中路397号',
            telephone: '020-00000001',
            alias: 'San Zhang',
          },
          {
            userId: 'lisi',
            name: '李四',
            department: [1],
            position: '工程师',
            mobile: '13800000002',
            email: 'lisi@example.com',
            bizMail: 'lisi@demo.example.com',
            avatar: 'https://avatar.example.com/lisi/0',
            thumbAvatar: 'https://avatar.example.com/lisi/100',
            gender: '2',
            qrCode: 'https://open.work.weixin.qq.com/wwopen/userQRCode?vcode=demo-lisi',
            address: '深圳市南山区科技园',
          },
          {
            userId: 'wangwu',
            name: '王五',
            department: [2],
            position: '财务',
            mobile: '13800000003',
            email: 'wangwu@example.com',
            avatar: 'https://avatar.example.com/wangwu/0',
            thumbAvatar: 'https://avatar.example.com/wangwu/100',
            gender: '1',
          },
        ],
        nonMembers: [{ openId: 'oDemoWeChatVisitor0000000001', name: '微信访客', externalUserId: 'wmDemoExternalUser0000000001' }],
        miniPrograms: [{ appId: 'wxdemominiprogram1', name: '演示小程序', agentId: 1000002 }],
        departments: [
          { id: 1, name: '演示企业' },
          { id: 2, name: '财务部', parentId: 1 },
        ],
        tags: [{ tagId: 1, name: '产品组', userIds: ['zhangsan', 'lisi'] }],
      },
    ],
  };
}

export class FixtureError extends Error {
  override name = 'FixtureError';
}

type Obj = Record<string, unknown>;

function fail(path: string, expected: string, value: unknown): never {
  const got = value === undefined ? 'nothing' : (JSON.stringify(value)?.slice(0, 60) ?? String(value));
  throw new FixtureError(`${path} must be ${expected}, got ${got}`);
}

function obj(value: unknown, path: string): Obj {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(path, 'an object', value);
  return value as Obj;
}

function arr(value: unknown, path: string): unknown[] {
  if (!Array.isArray(value)) fail(path, 'an array', value);
  return value;
}

function str(value: unknown, path: string, pattern?: RegExp, expected = 'a non-empty string'): string {
  if (typeof value !== 'string' || value.length === 0 || (pattern && !pattern.test(value))) fail(path, expected, value);
  return value;
}

function optStr(o: Obj, key: string, path: string): string | undefined {
  return o[key] === undefined ? undefined : str(o[key], `${path}.${key}`);
}

function bool(o: Obj, key: string, path: string, fallback: boolean): boolean {
  const v = o[key];
  if (v === undefined) return fallback;
  if (typeof v !== 'boolean') fail(`${path}.${key}`, 'true or false', v);
  return v;
}

function strList(value: unknown, path: string, pattern?: RegExp, expected?: string): string[] {
  return arr(value, path).map((v, i) => str(v, `${path}[${i}]`, pattern, expected));
}

const HOST_PORT = /^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/;
// WeCom corp IDs start with "ww" (docs/wecom-api.md §1); the emulator only needs them to be URL-safe.
const ID = /^[A-Za-z0-9_.@-]{1,64}$/;

function parseApp(value: unknown, path: string): FixtureApp {
  const o = obj(value, path);
  const agentId = o['agentId'];
  if (typeof agentId !== 'number' || !Number.isSafeInteger(agentId) || agentId <= 0) fail(`${path}.agentId`, 'a positive integer', agentId);
  let sensitive: boolean | SensitiveField[] = false;
  const s = o['sensitiveFieldsEnabled'];
  if (typeof s === 'boolean') sensitive = s;
  else if (Array.isArray(s)) {
    sensitive = s.map((f, i) => {
      if (typeof f !== 'string' || !(SENSITIVE_FIELDS as readonly string[]).includes(f)) {
        fail(`${path}.sensitiveFieldsEnabled[${i}]`, `one of ${SENSITIVE_FIELDS.join(', ')}`, f);
      }
      return f as SensitiveField;
    });
  } else if (s !== undefined) fail(`${path}.sensitiveFieldsEnabled`, 'true, false or a list of field names', s);
  const app: FixtureApp = {
    agentId,
    name: o['name'] === undefined ? `应用${agentId}` : str(o['name'], `${path}.name`),
    secret: str(o['secret'], `${path}.secret`),
    enabled: bool(o, 'enabled', path, true),
    trustedDomains: strList(
      o['trustedDomains'] ?? [],
      `${path}.trustedDomains`,
      HOST_PORT,
      'a host[:port] without scheme or path (e.g. "localhost:3000")',
    ),
    visibleUserIds: strList(o['visibleUserIds'] ?? [], `${path}.visibleUserIds`),
    sensitiveFieldsEnabled: sensitive,
    createdAfter20220620: bool(o, 'createdAfter20220620', path, true),
  };
  if (o['trustedIps'] !== undefined) app.trustedIps = strList(o['trustedIps'], `${path}.trustedIps`);
  if (o['visiblePartyIds'] !== undefined) app.visiblePartyIds = intList(o['visiblePartyIds'], `${path}.visiblePartyIds`);
  if (o['visibleTagIds'] !== undefined) app.visibleTagIds = intList(o['visibleTagIds'], `${path}.visibleTagIds`);
  if (o['homeUrl'] !== undefined) {
    app.homeUrl = str(o['homeUrl'], `${path}.homeUrl`, /^https?:\/\/\S+$/i, 'an http(s) URL (the app homepage, 应用主页)');
  }
  const description = optStr(o, 'description', path);
  if (description !== undefined) app.description = description;
  if (o['menu'] !== undefined) {
    // The same rules as menu/create, so a fixture cannot hold a menu WeCom would refuse.
    const menu = checkMenu(o['menu']);
    if ('errcode' in menu)
      throw new FixtureError(
        `${path}.menu: ${menu.at.replace(/^button/, 'menu')} breaks WeCom's menu rules (menu/create would answer ${menu.errcode})`,
      );
    app.menu = menu;
  }
  if (o['callback'] !== undefined) {
    // Saved settings: the URL is not checked here (the console checked it when it saved them).
    const callback = obj(o['callback'], `${path}.callback`);
    const problem = settingsProblem(callback);
    if (problem) throw new FixtureError(`${path}.callback: ${problem}`);
    app.callback = settingsOf(callback as { url: string; token: string; encodingAESKey: string; format?: 'xml' | 'json' });
  }
  return app;
}

function intList(value: unknown, path: string): number[] {
  return arr(value, path).map((v, i) => {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) fail(`${path}[${i}]`, 'a non-negative integer', v);
    return v;
  });
}

function parseDepartment(value: unknown, path: string): FixtureDepartment {
  const o = obj(value, path);
  const id = o['id'];
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id <= 0) fail(`${path}.id`, 'a positive integer', id);
  const department: FixtureDepartment = { id, name: o['name'] === undefined ? `部门${id}` : str(o['name'], `${path}.name`) };
  const parentId = o['parentId'];
  if (parentId !== undefined) {
    if (typeof parentId !== 'number' || !Number.isSafeInteger(parentId) || parentId <= 0)
      fail(`${path}.parentId`, 'a department id', parentId);
    department.parentId = parentId;
  }
  return department;
}

function parseTag(value: unknown, path: string): FixtureTag {
  const o = obj(value, path);
  const tagId = o['tagId'];
  if (typeof tagId !== 'number' || !Number.isSafeInteger(tagId) || tagId <= 0) fail(`${path}.tagId`, 'a positive integer', tagId);
  return {
    tagId,
    name: o['name'] === undefined ? `标签${tagId}` : str(o['name'], `${path}.name`),
    userIds: strList(o['userIds'] ?? [], `${path}.userIds`),
  };
}

const GENDERS: readonly string[] = ['0', '1', '2'];

function parseMember(value: unknown, path: string): FixtureMember {
  const o = obj(value, path);
  const department =
    o['department'] === undefined
      ? [1]
      : arr(o['department'], `${path}.department`).map((d, i) => {
          if (typeof d !== 'number' || !Number.isSafeInteger(d)) fail(`${path}.department[${i}]`, 'an integer', d);
          return d;
        });
  const member: FixtureMember = {
    userId: str(o['userId'], `${path}.userId`, ID, 'a userid of letters, digits, _ . @ - (at most 64)'),
    name: str(o['name'], `${path}.name`),
    department,
  };
  for (const key of [
    'position',
    'mobile',
    'email',
    'bizMail',
    'avatar',
    'thumbAvatar',
    'qrCode',
    'address',
    'telephone',
    'alias',
  ] as const) {
    const v = optStr(o, key, path);
    if (v !== undefined) member[key] = v;
  }
  if (o['licensed'] !== undefined) member.licensed = bool(o, 'licensed', path, true);
  if (o['status'] !== undefined) {
    if (o['status'] !== 1 && o['status'] !== 2 && o['status'] !== 4 && o['status'] !== 5)
      fail(`${path}.status`, '1, 2, 4 or 5', o['status']);
    member.status = o['status'];
  }
  if (o['gender'] !== undefined) {
    if (typeof o['gender'] !== 'string' || !GENDERS.includes(o['gender'])) fail(`${path}.gender`, '"0", "1" or "2"', o['gender']);
    member.gender = o['gender'] as Gender;
  }
  return member;
}

function parseNonMember(value: unknown, path: string): FixtureNonMember {
  const o = obj(value, path);
  const n: FixtureNonMember = {
    openId: str(o['openId'], `${path}.openId`, ID, 'an openid of letters, digits, _ . @ - (at most 64)'),
    name: o['name'] === undefined ? '微信用户' : str(o['name'], `${path}.name`),
  };
  const ext = optStr(o, 'externalUserId', path);
  if (ext !== undefined) n.externalUserId = ext;
  return n;
}

function parseMiniProgram(value: unknown, path: string): FixtureMiniProgram {
  const o = obj(value, path);
  const agentId = o['agentId'];
  if (typeof agentId !== 'number' || !Number.isSafeInteger(agentId)) fail(`${path}.agentId`, 'the agentId of the associated app', agentId);
  return {
    appId: str(o['appId'], `${path}.appId`, ID, 'an appid of letters and digits'),
    name: o['name'] === undefined ? '小程序' : str(o['name'], `${path}.name`),
    agentId,
  };
}

function unique<T>(items: readonly T[], key: (t: T) => string | number, path: string, what: string): void {
  const seen = new Set<string | number>();
  items.forEach((item, i) => {
    const k = key(item);
    if (seen.has(k)) throw new FixtureError(`${path}[${i}].${what} ${JSON.stringify(k)} is used twice`);
    seen.add(k);
  });
}

function parseCorp(value: unknown, path: string): FixtureCorp {
  const o = obj(value, path);
  const corp: FixtureCorp = {
    corpId: str(o['corpId'], `${path}.corpId`, ID, 'a corp id of letters and digits (e.g. "ww...")'),
    name: o['name'] === undefined ? '企业' : str(o['name'], `${path}.name`),
    apps: arr(o['apps'], `${path}.apps`).map((a, i) => parseApp(a, `${path}.apps[${i}]`)),
    members: arr(o['members'], `${path}.members`).map((m, i) => parseMember(m, `${path}.members[${i}]`)),
    nonMembers: arr(o['nonMembers'] ?? [], `${path}.nonMembers`).map((n, i) => parseNonMember(n, `${path}.nonMembers[${i}]`)),
    miniPrograms: arr(o['miniPrograms'] ?? [], `${path}.miniPrograms`).map((m, i) => parseMiniProgram(m, `${path}.miniPrograms[${i}]`)),
  };
  if (o['departments'] !== undefined) {
    corp.departments = arr(o['departments'], `${path}.departments`).map((d, i) => parseDepartment(d, `${path}.departments[${i}]`));
  }
  if (o['tags'] !== undefined) corp.tags = arr(o['tags'], `${path}.tags`).map((t, i) => parseTag(t, `${path}.tags[${i}]`));
  if (corp.apps.length === 0) throw new FixtureError(`${path}.apps must list at least one app`);
  if (corp.members.length === 0) throw new FixtureError(`${path}.members must list at least one member`);
  unique(corp.apps, (a) => a.agentId, `${path}.apps`, 'agentId');
  unique(corp.members, (m) => m.userId, `${path}.members`, 'userId');
  unique(corp.nonMembers, (n) => n.openId, `${path}.nonMembers`, 'openId');
  const userIds = new Set(corp.members.map((m) => m.userId));
  corp.apps.forEach((app, i) => {
    app.visibleUserIds.forEach((u, j) => {
      if (!userIds.has(u)) throw new FixtureError(`${path}.apps[${i}].visibleUserIds[${j}] "${u}" is not a member of ${corp.corpId}`);
    });
  });
  unique(corp.departments ?? [], (d) => d.id, `${path}.departments`, 'id');
  unique(corp.tags ?? [], (t) => t.tagId, `${path}.tags`, 'tagId');
  const departmentIds = new Set((corp.departments ?? []).map((d) => d.id));
  (corp.departments ?? []).forEach((d, i) => {
    if (d.parentId !== undefined && !departmentIds.has(d.parentId)) {
      throw new FixtureError(`${path}.departments[${i}].parentId ${d.parentId} is not a department of ${corp.corpId}`);
    }
  });
  (corp.tags ?? []).forEach((tag, i) => {
    tag.userIds.forEach((u, j) => {
      if (!userIds.has(u)) throw new FixtureError(`${path}.tags[${i}].userIds[${j}] "${u}" is not a member of ${corp.corpId}`);
    });
  });
  const agentIds = new Set(corp.apps.map((a) => a.agentId));
  corp.miniPrograms.forEach((mp, i) => {
    if (!agentIds.has(mp.agentId))
      throw new FixtureError(`${path}.miniPrograms[${i}].agentId ${mp.agentId} is not an app of ${corp.corpId}`);
  });
  return corp;
}

/** Validates a fixture (e.g. parsed from a --config JSON file) and returns a normalised copy. */
export function parseFixture(input: unknown): EmulatorFixture {
  const o = obj(input, 'fixture');
  const corps = arr(o['corps'], 'fixture.corps').map((c, i) => parseCorp(c, `fixture.corps[${i}]`));
  if (corps.length === 0) throw new FixtureError('fixture.corps must list at least one corp');
  unique(corps, (c) => c.corpId, 'fixture.corps', 'corpId');
  const appIds = corps.flatMap((c) => c.miniPrograms.map((m) => m.appId));
  const seenAppIds = new Set<string>();
  for (const appId of appIds) {
    if (seenAppIds.has(appId))
      throw new FixtureError(`mini program appId ${JSON.stringify(appId)} is used twice in fixture.corps[*].miniPrograms`);
    seenAppIds.add(appId);
  }
  return { corps };
}
