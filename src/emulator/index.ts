// Public entry of the local WeCom emulator (package export "./emulator"). See docs/internals.md,
// "The emulator's contract", and docs/emulator.md.
//
// One listener serves /connect/oauth2/authorize, /wwlogin/sso/login, /wwopen/sso/qrConnect,
// /wwopen/uriconfirm, /cgi-bin/{gettoken, auth/getuserinfo, user/getuserinfo, auth/getuserdetail,
// user/get, miniprogram/jscode2session, get_jsapi_ticket, ticket/get, message/send, message/recall,
// menu/create, menu/get, menu/delete, agent/get, agent/set, message/update_template_card}, the
// page /client?user=<userid> (one member's WeCom: workbench, custom menu, messages) and the
// control paths
// GET|DELETE /__emulator/calls, GET|POST /__emulator/clock, POST /__emulator/faults,
// POST /__emulator/revoke-tokens [{corpId?, agentId?}], GET|POST /__emulator/repeat-expires-in
// [{mode: 'full'|'remaining'}], GET /__emulator/fixture, GET /__emulator/messages,
// POST /__emulator/miniprogram/code, GET|POST|DELETE /__emulator/callback, GET|DELETE
// /__emulator/callbacks, POST /__emulator/callbacks/settled, POST /__emulator/contact; the admin
// console /admin and /admin/callbacks; /client's event entries /client/{enter,view,click,card}.
// Who is signed in: the X-WeCom-Emulator-User request header (a member's userid or a visitor's
// openid); in a desktop browser, the picker pages add ?__emulator_user=... to their links.
export { startEmulator } from './emulator.ts';
export { defaultFixture, parseFixture, FixtureError } from './fixture.ts';
export { CallbackSettingsError } from './callback-settings.ts';
export { ContactChangeError } from './contact-changes.ts';
export type {
  CallbackAttempt,
  CallbackDelivery,
  CallbackSettingsInput,
  ContactChange,
  ContactMemberFields,
  FixtureCallback,
  PassiveReplyOutcome,
} from './callback-types.ts';
export type {
  Emulator,
  EmulatorClock,
  EmulatorFaults,
  EmulatorFixture,
  EmulatorOptions,
  FixtureApp,
  FixtureCorp,
  FixtureDepartment,
  FixtureMenuButton,
  FixtureTag,
  FixtureMember,
  FixtureMiniProgram,
  FixtureNonMember,
  Gender,
  RecordedCall,
  SensitiveField,
  SentMessage,
} from './types.ts';
