// The emulator's callbacks in one place: the console's 「接收消息」 settings (saved only once the URL
// passed the console's check), the events a member causes on /client, the address-book changes,
// and the deliveries they become. The Emulator object, the control routes and the pages all call
// this, so that the three cannot drift apart.
import { applyContactChange } from './contact-changes.ts';
import { CallbackDeliveries } from './callback-delivery.ts';
import { CallbackSettingsError, checkUrl, settingsOf, settingsProblem } from './callback-settings.ts';
import { clickEvent, enterAgentEvent, templateCardEvent, viewEvent } from './event-messages.ts';
import { Outgoing } from './outgoing.ts';
import { findApp } from './state.ts';
import type { DeliveryOptions, Pushed } from './callback-delivery.ts';
import type { MessageField } from './callback-messages.ts';
import type { CallbackDelivery, CallbackSettingsInput, ContactChange } from './callback-types.ts';
import type { EmulatorState } from './state.ts';
import type { FixtureApp, FixtureCorp, FixtureMember } from './types.ts';

export class Callbacks {
  readonly deliveries: CallbackDeliveries;
  readonly #state: EmulatorState;
  readonly #outgoing = new Outgoing();

  constructor(state: EmulatorState, options: DeliveryOptions) {
    this.#state = state;
    this.deliveries = new CallbackDeliveries(this.#outgoing, state.clock, state.callbacks, options);
  }

  #target(corpId: string | undefined, agentId: unknown): { corp: FixtureCorp; app: FixtureApp } {
    const corp = corpId === undefined ? this.#state.fixture.corps[0] : this.#state.fixture.corps.find((c) => c.corpId === corpId);
    if (!corp) throw new RangeError(`unknown corpId ${JSON.stringify(corpId)}`);
    const app = typeof agentId === 'number' ? findApp(corp, agentId) : undefined;
    if (!app) throw new RangeError(`agentId ${JSON.stringify(agentId)} is not an app of ${corp.corpId}`);
    return { corp, app };
  }

  /** The console's 保存: checks the fields, runs the URL check, and only then saves the settings. */
  async set(input: CallbackSettingsInput): Promise<void> {
    if (typeof input !== 'object' || input === null)
      throw new CallbackSettingsError('参数错误', 'send { agentId, url, token, encodingAESKey }');
    const { corp, app } = this.#target(input.corpId, input.agentId);
    const problem = settingsProblem(input as unknown as Record<string, unknown>);
    if (problem) throw new CallbackSettingsError('参数错误', problem);
    const settings = settingsOf(input);
    await checkUrl(this.#outgoing, settings, corp.corpId, this.#state.clock.now());
    app.callback = settings;
  }

  clear(input: { corpId?: string; agentId: number }): void {
    delete this.#target(input.corpId, input.agentId).app.callback;
  }

  #push(
    corp: FixtureCorp,
    app: FixtureApp,
    event: string,
    from: string,
    fields: MessageField[],
    press?: { msgid: string; userId: string },
  ): Pushed | undefined {
    const settings = app.callback;
    if (!settings || !app.enabled) return undefined;
    return this.deliveries.push({ corpId: corp.corpId, agentId: app.agentId, settings, event, from, fields, ...(press ? { press } : {}) });
  }

  #seconds(): number {
    return Math.floor(this.#state.clock.now() / 1000);
  }

  /** A member opened the app from the workbench. */
  enterAgent(corp: FixtureCorp, app: FixtureApp, member: FixtureMember): Pushed | undefined {
    return this.#push(corp, app, 'enter_agent', member.userId, enterAgentEvent(corp.corpId, member.userId, this.#seconds(), app.agentId));
  }

  menuClick(corp: FixtureCorp, app: FixtureApp, member: FixtureMember, key: string): Pushed | undefined {
    return this.#push(corp, app, 'click', member.userId, clickEvent(corp.corpId, member.userId, this.#seconds(), app.agentId, key));
  }

  menuView(corp: FixtureCorp, app: FixtureApp, member: FixtureMember, url: string): Pushed | undefined {
    return this.#push(corp, app, 'view', member.userId, viewEvent(corp.corpId, member.userId, this.#seconds(), app.agentId, url));
  }

  /** A button of a button_interaction card: the event carries a fresh response code for the press. */
  cardPress(
    corp: FixtureCorp,
    app: FixtureApp,
    member: FixtureMember,
    press: { msgid: string; key: string; taskId: string; cardType: string },
  ): Pushed | undefined {
    const responseCode = this.#state.callbacks.cards.issue(press.msgid, this.#state.clock.now());
    const fields = templateCardEvent(corp.corpId, member.userId, this.#seconds(), app.agentId, { ...press, responseCode });
    return this.#push(corp, app, 'template_card_event', member.userId, fields, { msgid: press.msgid, userId: member.userId });
  }

  /** Applies an address-book change to the fixture, then tells the apps that see the member. */
  changeContact(change: ContactChange): CallbackDelivery[] {
    const applied = applyContactChange(this.#state, change);
    return applied.apps.flatMap((app) => this.#push(applied.corp, app, applied.event, 'sys', applied.fields)?.delivery ?? []);
  }

  close(): void {
    this.deliveries.close();
    this.#outgoing.close();
  }
}
