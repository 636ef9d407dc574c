// Public entry of the local WeCom emulator (package export "./emulator"). See docs/internals.md,
// "The emulator's contract".
export { startEmulator } from './emulator.ts';
export { defaultFixture, parseFixture, FixtureError } from './fixture.ts';
export type {
  Emulator,
  EmulatorClock,
  EmulatorFaults,
  EmulatorFixture,
  EmulatorOptions,
  FixtureApp,
  FixtureCorp,
  FixtureMember,
  FixtureMiniProgram,
  FixtureNonMember,
  Gender,
  RecordedCall,
  SensitiveField,
} from './types.ts';
