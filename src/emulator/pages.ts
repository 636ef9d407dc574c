// The emulator's HTML pages: small, valid, Chinese first with an English line, every interpolated
// value escaped, no script (choices are plain links, so they work with JavaScript off).

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A value already escaped (or a trusted literal). */
export interface SafeHtml {
  readonly html: string;
}

/** Tagged template: interpolated strings are escaped, SafeHtml and arrays of SafeHtml are not. */
export function html(strings: TemplateStringsArray, ...values: (string | number | SafeHtml | SafeHtml[])[]): SafeHtml {
  let out = strings[0] ?? '';
  values.forEach((value, i) => {
    if (Array.isArray(value)) out += value.map((v) => v.html).join('');
    else if (typeof value === 'object') out += value.html;
    else out += escapeHtml(String(value));
    out += strings[i + 1] ?? '';
  });
  return { html: out };
}

function layout(titleZh: string, titleEn: string, body: SafeHtml): string {
  return html`<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${titleZh}</title>
<style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:2rem auto;padding:0 1rem;color:#222}
.en{color:#666}ul{padding:0;list-style:none}li{margin:.5rem 0}a.choice{display:block;padding:.6rem .8rem;border:1px solid #ccd;border-radius:6px;text-decoration:none;color:#1a5}
.note{font-size:.85rem;color:#888}code{word-break:break-all}</style>
</head>
<body>
<h1>${titleZh}</h1>
<p class="en" lang="en">${titleEn}</p>
${body}
<p class="note">企业微信本地模拟器 · <span lang="en">local WeCom emulator</span></p>
</body>
</html>
`.html;
}

export function messagePage(titleZh: string, titleEn: string, detail?: string): string {
  return layout(titleZh, titleEn, detail === undefined ? html`` : html`<p><code>${detail}</code></p>`);
}

/** docs/wecom-api.md §1 "Ordinary browser": no redirect, only this message. */
export function openInWeComPage(): string {
  return messagePage('请在企业微信客户端打开链接', 'Please open this link in the WeCom client.');
}

/** docs/wecom-api.md §1 "Untrusted redirect domain": uriconfirm?err_type=domain_err. */
export function domainErrorPage(uri: string): string {
  return messagePage('redirect_uri需使用应用可信域名', 'The redirect_uri must be on a trusted domain of the app.', uri);
}

export interface Choice {
  label: string;
  detail: string;
  href: string;
}

function choiceList(choices: readonly Choice[]): SafeHtml {
  const items = choices.map((c) => html`<li><a class="choice" href="${c.href}">${c.label} <span class="note">${c.detail}</span></a></li>`);
  return html`<ul>${items}</ul>`;
}

/** Dev mode stand-in for "which WeCom user is holding the phone" in a desktop browser. */
export function memberPickerPage(corpName: string, choices: readonly Choice[]): string {
  return layout(
    '企业微信模拟器：选择身份',
    'WeCom emulator: choose who opens this link (a real browser would see "open in WeCom").',
    html`<p>企业：${corpName}</p>${choiceList(choices)}`,
  );
}

/** Stands for the QR code of /wwlogin/sso/login (docs/wecom-api.md §2): scan as someone, or refuse. */
export function qrLoginPage(corpName: string, appName: string, choices: readonly Choice[], refuseHref: string): string {
  return layout(
    '企业微信扫码登录',
    'WeCom QR login: pick who scans the code, or refuse.',
    html`<p>${corpName} · ${appName}</p><p>[二维码 / QR code]</p>${choiceList(choices)}<p><a class="choice" href="${refuseHref}">拒绝登录 <span class="note">refuse</span></a></p>`,
  );
}

/**
 * What WeCom's QR page does after the scan (or the refusal): it sends the browser to the callback
 * by a navigation of its own, not by a redirect, so the page's fragment does not ride along
 * (docs/wecom-api.md §2). Here a refresh does it (no script), with a link as a fallback.
 */
export function webLoginDonePage(location: string): string {
  const doc = layout(
    '登录成功，正在跳转…',
    'Signed in: going back to the app…',
    html`<p><a class="choice" href="${location}" data-callback>返回应用 <span class="note">back to the app</span></a></p>`,
  );
  return doc.replace('<head>\n', `<head>\n<meta http-equiv="refresh" content="0;url=${escapeHtml(location)}">\n`);
}

/** A picker choice (a member, refuse) that came from a page of another origin: choose again here. */
export function foreignChoicePage(reason: string, pickerHref: string): string {
  return layout(
    '请在模拟器页面上选择身份',
    "Refused: this choice came from a page of another origin, not from the emulator's own. Choose again on the emulator's page.",
    html`<p><code>${reason}</code></p><p><a class="choice" href="${pickerHref}">重新选择 <span class="note">choose again</span></a></p>`,
  );
}

export function indexPage(lines: readonly string[], clients: readonly Choice[] = []): string {
  const clientList = clients.length
    ? html`<h2>企业微信客户端 <span class="en" lang="en">WeCom client: workbench, custom menu, messages</span></h2>${choiceList(clients)}`
    : html``;
  const secrets = html`<p class="note">应用 Secret 不在此页显示：见 fixture 文件（<code>--config</code>）或 docs/emulator.md（默认 fixture）。<span lang="en">App secrets are not shown here: they are in your fixture (the <code>--config</code> file, or what you passed to startEmulator), or for the default fixture in docs/emulator.md.</span></p>`;
  return layout(
    '企业微信本地模拟器',
    'Local WeCom emulator',
    html`<ul>${lines.map((l) => html`<li><code>${l}</code></li>`)}</ul>${secrets}${clientList}<p><a href="/admin">管理后台 <span class="en" lang="en">admin console: 接收消息 settings, address book</span></a> · <a href="/admin/callbacks">回调记录 <span class="en" lang="en">callback deliveries</span></a></p>`,
  );
}
