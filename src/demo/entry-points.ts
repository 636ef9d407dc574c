/**
 * With the bundled emulator, the app starts with a homepage and a custom menu, so that a
 * newcomer who opens the emulator's WeCom (/client) can try the three entry points at once:
 * tap the app in the workbench (its homepage), a menu item, and a card sent from the home page.
 * Set through the library's client, as a team's server would (docs/entry-points.md); against a
 * real WeCom the demo leaves the console's settings alone.
 */
import type { MenuButton, WeComAuth } from '../index.ts';

/** The menu: a plain deep link, a hash-routed one as a single-page app links, and the card form. */
export function demoMenu(publicUrl: string): MenuButton[] {
  return [
    { type: 'view', name: '我的订单', url: `${publicUrl}/orders/42?tab=items` },
    // A hash router's route (Vue/React Router in hash mode). The server never sees the fragment;
    // keeping it through the login is the library's job (issue 23), the item is here to show it.
    { type: 'view', name: '订单 7', url: `${publicUrl}/?tab=orders#/orders/7` },
    { type: 'view', name: '发送卡片', url: `${publicUrl}/send-card` },
  ];
}

export async function setUpEntryPoints(wecom: WeComAuth, publicUrl: string): Promise<void> {
  await wecom.client.setAgent({ homeUrl: `${publicUrl}/` });
  await wecom.client.createMenu(demoMenu(publicUrl));
}
