import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classifyUserAgent } from '../../src/wecom/user-agent.ts';

// The UAs of docs/wecom-api.md §9, completed into whole strings.
const UA = {
  wecomIos:
    'Mozilla/5.0 (iPhone; CPU iPhone OS 16_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 wxwork/3.1.12 MicroMessenger/7.0.1 Language/zh ColorScheme/Light',
  wecomAndroid:
    'Mozilla/5.0 (Linux; Android 12; M2012K11AC Build/SKQ1.211006.001; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/98.0.4758.102 Mobile Safari/537.36 wxwork/3.0.28 MicroMessenger/7.0.1 NetType/WIFI Language/en',
  wecomWindows:
    'Mozilla/5.0 (Windows NT 6.2; WOW64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/53.0.2785.116 Safari/537.36 QBCore/4.0.1301.400 QQBrowser/9.0.2524.400 Mozilla/5.0 (Windows NT 6.1; WOW64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/53.0.2875.116 Safari/537.36 NetType/WIFI wxwork/3.1.1 (MicroMessenger/6.2) WindowsWechat',
  wecomMac:
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) wxwork/3.0.8 (MicroMessenger/6.2) WeChat/2.0.4',
  wechatIos:
    'Mozilla/5.0 (iPhone; CPU iPhone OS 16_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.30(0x18001e31) NetType/WIFI Language/zh_CN',
  wechatWindows:
    'Mozilla/5.0 (Windows NT 10.0; WOW64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/81.0.4044.138 Safari/537.36 NetType/WIFI MicroMessenger/7.0.20.1781(0x6700143B) WindowsWechat(0x63090621) XWEB/8391 Flue',
  wechatMac:
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) MicroMessenger/6.8.0(0x16080000) MacWechat/3.8.5(0x13080510) Flue',
  chrome: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
  safariIphone:
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1',
  emulatorTestUa: 'wxwork/4.1.0 MicroMessenger/7.0.1 Mobile',
};

describe('classifyUserAgent (docs/wecom-api.md §9)', () => {
  it('WeCom mobile (iOS, Android), with the version', () => {
    assert.deepEqual(classifyUserAgent(UA.wecomIos), { kind: 'wecom-mobile', wecomVersion: '3.1.12' });
    assert.deepEqual(classifyUserAgent(UA.wecomAndroid), { kind: 'wecom-mobile', wecomVersion: '3.0.28' });
    assert.deepEqual(classifyUserAgent(UA.emulatorTestUa), { kind: 'wecom-mobile', wecomVersion: '4.1.0' });
  });

  it('WeCom desktop (Windows, Mac): wxwork/ wins over MicroMessenger', () => {
    assert.deepEqual(classifyUserAgent(UA.wecomWindows), { kind: 'wecom-desktop', wecomVersion: '3.1.1' });
    assert.deepEqual(classifyUserAgent(UA.wecomMac), { kind: 'wecom-desktop', wecomVersion: '3.0.8' });
  });

  it('personal WeChat: MicroMessenger without wxwork, mobile and desktop', () => {
    assert.deepEqual(classifyUserAgent(UA.wechatIos), { kind: 'wechat' });
    assert.deepEqual(classifyUserAgent(UA.wechatWindows), { kind: 'wechat' });
    assert.deepEqual(classifyUserAgent(UA.wechatMac), { kind: 'wechat' });
  });

  it('everything else is a browser, including no UA at all', () => {
    assert.deepEqual(classifyUserAgent(UA.chrome), { kind: 'browser' });
    assert.deepEqual(classifyUserAgent(UA.safariIphone), { kind: 'browser' });
    assert.deepEqual(classifyUserAgent(''), { kind: 'browser' });
    assert.deepEqual(classifyUserAgent(undefined), { kind: 'browser' });
    assert.deepEqual(classifyUserAgent(), { kind: 'browser' });
  });

  it('a WeCom UA without a readable version still counts as WeCom', () => {
    assert.deepEqual(classifyUserAgent('Mozilla/5.0 (iPhone) Mobile wxwork/ MicroMessenger/7'), { kind: 'wecom-mobile' });
  });
});
