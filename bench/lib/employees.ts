/**
 * The bench's corporation: the emulator's default fixture with 50 members in the app's visible
 * range, so that a run logs in 50 different employees in turn (returning employees after the
 * first 50 logins), as an app's users come back during a day.
 */
import { defaultFixture } from '../../src/emulator/index.ts';
import type { EmulatorFixture } from '../../src/emulator/index.ts';

export const EMPLOYEE_COUNT = 50;

/** zhangsan and lisi (the default fixture's members in range), then emp003 … emp050. */
export const EMPLOYEES: readonly string[] = [
  'zhangsan',
  'lisi',
  ...Array.from({ length: EMPLOYEE_COUNT - 2 }, (_, i) => `emp${String(i + 3).padStart(3, '0')}`),
];

export function benchFixture(): EmulatorFixture {
  const fixture = defaultFixture();
  const corp = fixture.corps[0];
  const app = corp?.apps[0];
  if (!corp || !app) throw new Error('bench fixture: the default fixture has no corp or app');
  for (const userId of EMPLOYEES) {
    if (corp.members.some((m) => m.userId === userId)) continue;
    corp.members.push({ userId, name: `员工${userId.slice(3)}`, department: [1], position: '工程师' });
  }
  app.visibleUserIds = [...EMPLOYEES];
  return fixture;
}
