/**
 * The client's tests again, against an emulator whose repeat gettoken and ticket fetches report
 * the seconds left instead of 7200 (WeCom documents neither; the client must be right with both).
 */
process.env['WECOM_TEST_REPEAT_EXPIRES_IN'] = 'remaining';
await import('./client.test.ts');
