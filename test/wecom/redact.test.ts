import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { redact } from '../../src/wecom/redact.ts';

describe('redact', () => {
  it('removes credential values from query strings, keeping the names', () => {
    const url = 'https://qyapi.weixin.qq.com/cgi-bin/gettoken?corpid=ww1&corpsecret=s3cr3t&x=1';
    assert.equal(redact(url), 'https://qyapi.weixin.qq.com/cgi-bin/gettoken?corpid=ww1&corpsecret=[REDACTED]&x=1');
    assert.equal(
      redact(new URL('https://q/cgi-bin/user/getuserinfo?access_token=TOK&code=CODE&agentid=2')),
      'https://q/cgi-bin/user/getuserinfo?access_token=[REDACTED]&code=[REDACTED]&agentid=2',
    );
    assert.equal(
      redact('GET /cgi-bin/miniprogram/jscode2session?access_token=T&js_code=J&grant_type=authorization_code#frag'),
      'GET /cgi-bin/miniprogram/jscode2session?access_token=[REDACTED]&js_code=[REDACTED]&grant_type=authorization_code#frag',
    );
  });

  it('does not mistake errcode= for code=', () => {
    assert.equal(redact('errcode=40029&errmsg=invalid'), 'errcode=40029&errmsg=invalid');
    assert.equal(redact('a?errcode=1&code=X'), 'a?errcode=1&code=[REDACTED]');
  });

  it('removes credential members from JSON', () => {
    const json = JSON.stringify({ user_ticket: 'UT"x', session_key: 'SK', userid: 'zhangsan', access_token: 'AT' });
    assert.equal(redact(json), '{"user_ticket":"[REDACTED]","session_key":"[REDACTED]","userid":"zhangsan","access_token":"[REDACTED]"}');
  });

  it('removes known secret values wherever they appear, also URL-encoded', () => {
    const secret = 'demo secret/+=';
    assert.equal(redact(`invalid credential ${secret}, hint: [x]`, [secret]), 'invalid credential [REDACTED], hint: [x]');
    assert.equal(redact(`q=${encodeURIComponent(secret)}`, [secret]), 'q=[REDACTED]');
    assert.equal(redact('nothing here', ['', undefined]), 'nothing here');
  });

  it('keeps the rest of a WeCom errmsg intact', () => {
    const errmsg =
      'invalid code, hint: [1700000000_1_abc], from ip: 1.2.3.4, more info at https://open.work.weixin.qq.com/devtool/query?e=40029';
    assert.equal(redact(errmsg), errmsg);
  });
});
