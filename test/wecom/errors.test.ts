import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  WECOM_API_ERROR,
  WECOM_CONFIG_ERROR,
  WECOM_HTTP_ERROR,
  WECOM_RATE_LIMITED,
  WeComApiError,
  WeComConfigError,
  WeComError,
  WeComHttpError,
  WeComRateLimitError,
  describeWeComError,
  errorFromEnvelope,
} from '../../src/wecom/errors.ts';

describe('error classes', () => {
  it('WeComApiError carries errcode, errmsg, api and a readable message', () => {
    const err = errorFromEnvelope('user/getuserinfo', 40029, 'invalid code');
    assert.ok(err instanceof WeComApiError && err instanceof WeComError && err instanceof Error);
    assert.ok(!(err instanceof WeComConfigError));
    assert.equal(err.code, WECOM_API_ERROR);
    assert.equal(err.name, 'WeComApiError');
    assert.equal(err.errcode, 40029);
    assert.equal(err.errmsg, 'invalid code');
    assert.equal(err.api, 'user/getuserinfo');
    assert.equal(err.message, 'WeCom user/getuserinfo failed: 40029 invalid code');
    assert.equal(String(err), 'WeComApiError: WeCom user/getuserinfo failed: 40029 invalid code');
    assert.deepEqual(JSON.parse(JSON.stringify(err)), {
      name: 'WeComApiError',
      code: WECOM_API_ERROR,
      api: 'user/getuserinfo',
      message: 'WeCom user/getuserinfo failed: 40029 invalid code',
      errcode: 40029,
      errmsg: 'invalid code',
    });
  });

  it('maps configuration errcodes to WeComConfigError naming the setting', () => {
    const cases: [string, number, string][] = [
      ['gettoken', 40013, 'corpId'],
      ['gettoken', 41002, 'corpId'],
      ['gettoken', 40001, 'secret'],
      ['gettoken', 40091, 'secret'],
      ['gettoken', 41004, 'secret'],
      ['gettoken', 50003, 'secret'],
      ['ticket/get', 40056, 'agentId'],
    ];
    for (const [api, errcode, setting] of cases) {
      const err = errorFromEnvelope(api, errcode, 'x');
      assert.ok(err instanceof WeComConfigError, `${errcode}`);
      assert.equal(err.setting, setting);
      assert.equal(err.code, WECOM_CONFIG_ERROR);
      assert.match(err.message, new RegExp(`^WeCom ${api} failed: ${errcode} x\\. Check the \`${setting}\` option: `));
    }
  });

  it('40001 outside gettoken is a token error, not a configuration error', () => {
    assert.ok(!(errorFromEnvelope('user/get', 40001, 'invalid credential') instanceof WeComConfigError));
  });

  it('45009 and 45033 are WeComRateLimitError', () => {
    for (const errcode of [45009, 45033]) {
      const err = errorFromEnvelope('gettoken', errcode, 'api freq out of limit');
      assert.ok(err instanceof WeComRateLimitError && err instanceof WeComApiError);
      assert.equal(err.code, WECOM_RATE_LIMITED);
    }
  });

  it('WeComHttpError carries kind and status', () => {
    const err = new WeComHttpError('gettoken', 'not-json', 'HTTP 502 with HTML', { status: 502 });
    assert.equal(err.code, WECOM_HTTP_ERROR);
    assert.equal(err.kind, 'not-json');
    assert.equal(err.status, 502);
    assert.deepEqual(JSON.parse(JSON.stringify(err)), {
      name: 'WeComHttpError',
      code: WECOM_HTTP_ERROR,
      api: 'gettoken',
      message: 'WeCom gettoken failed: HTTP 502 with HTML',
      kind: 'not-json',
      status: 502,
    });
  });

  it('messages are redacted even if a caller passes a credential in', () => {
    const err = new WeComApiError('user/get', 1, 'bad url /cgi-bin/user/get?access_token=SECRETTOKEN&userid=u');
    assert.ok(!err.message.includes('SECRETTOKEN'));
    assert.ok(!err.errmsg.includes('SECRETTOKEN'));
  });
});

describe('describeWeComError', () => {
  it('gives actionable hints for the common errcodes', () => {
    const hint = (errcode: number, api = 'user/get') => describeWeComError(errorFromEnvelope(api, errcode, 'x')).hint;
    assert.match(hint(50001), /trusted domain/);
    assert.match(hint(60020), /trusted IP list.*after about a minute/);
    assert.match(hint(40056), /agentId/);
    assert.match(hint(60011), /visible range/);
    assert.match(hint(45009), /rate limit/);
    assert.match(hint(40013, 'gettoken'), /`corpId`/);
    assert.match(hint(40001, 'gettoken'), /`secret`/);
    assert.match(hint(40091, 'gettoken'), /`secret`/);
    assert.match(hint(41004, 'gettoken'), /`secret`/);
    assert.match(hint(40029), /code/);
    assert.match(hint(99999), /devtool\/query\?e=99999/);
    assert.deepEqual(describeWeComError(errorFromEnvelope('user/getuserinfo', 40029, 'invalid code')), {
      code: WECOM_API_ERROR,
      errcode: 40029,
      api: 'user/getuserinfo',
      hint: describeWeComError(errorFromEnvelope('user/getuserinfo', 40029, 'invalid code')).hint,
    });
  });

  it('describes HTTP failures and unknown errors', () => {
    const d = describeWeComError(new WeComHttpError('gettoken', 'timeout', 'timed out'));
    assert.equal(d.code, WECOM_HTTP_ERROR);
    assert.equal(d.api, 'gettoken');
    assert.match(d.hint, /did not answer in time/);
    assert.equal(d.errcode, undefined);
    assert.deepEqual(Object.keys(describeWeComError(new Error('x'))).sort(), ['code', 'hint']);
    assert.equal(describeWeComError('nope').code, 'UNKNOWN');
  });
});
