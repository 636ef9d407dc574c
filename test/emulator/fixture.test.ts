// parseFixture: clear messages naming the wrong field, and defaults for optional fields.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FixtureError, defaultFixture, parseFixture } from '../../src/emulator/index.ts';

test('the default fixture is valid and matches docs/internals.md', () => {
  const fixture = parseFixture(defaultFixture());
  const corp = fixture.corps[0];
  assert.ok(corp);
  assert.equal(corp.corpId, 'wwdemocorp0000001');
  assert.equal(corp.name, '演示企业');
  assert.deepEqual(
    corp.apps.map((a) => [a.agentId, a.name, a.secret, a.trustedDomains, a.visibleUserIds]),
    [[1000002, '演示应用', 'demo-secret', ['localhost:3000', '127.0.0.1:3000'], ['zhangsan', 'lisi']]],
  );
  assert.deepEqual(
    corp.members.map((m) => [m.userId, m.name]),
    [
      ['zhangsan', '张三'],
      ['lisi', '李四'],
      ['wangwu', '王五'],
    ],
  );
  assert.equal(corp.members[0]?.position, '产品经理');
  assert.equal(corp.nonMembers.length, 1);
  assert.deepEqual(
    corp.miniPrograms.map((m) => [m.appId, m.agentId]),
    [['wxdemominiprogram1', 1000002]],
  );
  assert.notEqual(defaultFixture(), defaultFixture(), 'a fresh object each time');
});

test('optional fields get defaults', () => {
  const fixture = parseFixture({ corps: [{ corpId: 'ww1', apps: [{ agentId: 1, secret: 's' }], members: [{ userId: 'u', name: 'U' }] }] });
  const app = fixture.corps[0]?.apps[0];
  assert.deepEqual(app, {
    agentId: 1,
    name: '应用1',
    secret: 's',
    enabled: true,
    trustedDomains: [],
    visibleUserIds: [],
    sensitiveFieldsEnabled: false,
    createdAfter20220620: true,
  });
  assert.deepEqual(fixture.corps[0]?.nonMembers, []);
});

test('each mistake is reported with the path of the wrong field', () => {
  const base = (): { corps: Record<string, unknown>[] } => ({
    corps: [{ corpId: 'ww1', apps: [{ agentId: 1, secret: 's', visibleUserIds: ['u'] }], members: [{ userId: 'u', name: 'U' }] }],
  });
  const cases: [(f: ReturnType<typeof base>) => void, RegExp][] = [
    [
      (f) => {
        f.corps = [];
      },
      /fixture\.corps must list at least one corp/,
    ],
    [
      (f) => {
        delete f.corps[0]?.['corpId'];
      },
      /fixture\.corps\[0\]\.corpId must be a corp id/,
    ],
    [
      (f) => {
        (f.corps[0] as { apps: unknown[] }).apps = [{ agentId: 1, secret: 's', trustedDomains: ['https://a.com/'] }];
      },
      /apps\[0\]\.trustedDomains\[0\] must be a host\[:port\]/,
    ],
    [
      (f) => {
        (f.corps[0] as { apps: unknown[] }).apps = [{ agentId: 1, secret: '' }];
      },
      /apps\[0\]\.secret must be a non-empty string, got ""/,
    ],
    [
      (f) => {
        (f.corps[0] as { apps: unknown[] }).apps = [{ agentId: 1, secret: 's', visibleUserIds: ['ghost'] }];
      },
      /visibleUserIds\[0\] "ghost" is not a member/,
    ],
    [
      (f) => {
        (f.corps[0] as { apps: unknown[] }).apps = [{ agentId: 1, secret: 's', sensitiveFieldsEnabled: ['phone'] }];
      },
      /sensitiveFieldsEnabled\[0\] must be one of gender/,
    ],
    [
      (f) => {
        (f.corps[0] as { members: unknown[] }).members = [{ userId: 'u', name: 'U', gender: 1 }];
      },
      /members\[0\]\.gender must be "0", "1" or "2"/,
    ],
    [
      (f) => {
        (f.corps[0] as { members: unknown[] }).members = [
          { userId: 'u', name: 'U' },
          { userId: 'u', name: 'V' },
        ];
      },
      /members\[1\]\.userId "u" is used twice/,
    ],
    [
      (f) => {
        (f.corps[0] as { miniPrograms: unknown[] }).miniPrograms = [{ appId: 'wx1', agentId: 9 }];
      },
      /miniPrograms\[0\]\.agentId 9 is not an app/,
    ],
  ];
  for (const [mutate, message] of cases) {
    const f = base();
    mutate(f);
    assert.throws(
      () => parseFixture(f),
      (err: unknown) => err instanceof FixtureError && message.test(err.message),
      String(message),
    );
  }
});
