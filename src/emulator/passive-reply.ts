// An app's passive reply (被动回复): the body of its 200 answer to a delivery, an encrypted
// message in its own envelope with its own signature (91144: <xml><Encrypt/><MsgSignature/>
// <TimeStamp/><Nonce/></xml>). The emulator opens it as WeCom would: the signature with the app's
// Token, the decryption with its key, the receiveid (the corp ID); then it applies the reply where
// WeCom applies one. Of the replies of https://developer.work.weixin.qq.com/document/path/90241
// that is the template-card update to a template_card_event: update_button (the pressing member's
// buttons replaced by a text) and update_template_card (their whole card replaced). A valid reply
// of any other kind is recorded as ignored; an invalid one as refused.
import { decrypt, msgSignature } from './callback-crypto.ts';
import { readReplyEnvelope, readReplyMessage } from './callback-messages.ts';
import { child, childText } from './xml-reader.ts';
import type { CallbackState } from './callback-state.ts';
import type { FixtureCallback, PassiveReplyOutcome } from './callback-types.ts';
import type { XmlElement } from './xml-reader.ts';

/** The button press a delivery carries, for applying its reply. */
export interface PressContext {
  msgid: string;
  userId: string;
}

/** XML card fields (PascalCase, 90241) back into message/send's JSON names, for the emulator's card renderer. */
function cardFromXml(element: XmlElement): Record<string, unknown> {
  const snake = (name: string): string => name.replace(/(?<=[a-z0-9])([A-Z])/g, '_$1').toLowerCase();
  const out: Record<string, unknown> = {};
  for (const c of element.children) {
    const name = snake(c.name);
    const value: unknown = c.children.length > 0 ? cardFromXml(c) : c.text;
    const existing = out[name];
    // Repeated elements (ButtonList's Button) become a list.
    if (existing !== undefined) out[name] = Array.isArray(existing) ? [...(existing as unknown[]), value] : [existing, value];
    else out[name] = value;
  }
  return out;
}

function normaliseButtons(card: Record<string, unknown>): Record<string, unknown> {
  const list = card['button_list'];
  if (list && typeof list === 'object' && !Array.isArray(list)) {
    const buttons = (list as Record<string, unknown>)['button'];
    card['button_list'] = Array.isArray(buttons) ? buttons : buttons === undefined ? [] : [buttons];
  }
  return card;
}

function apply(cards: CallbackState['cards'], message: XmlElement, press: PressContext | undefined, now: number): PassiveReplyOutcome {
  const msgType = childText(message, 'MsgType') ?? '';
  if (press === undefined || (msgType !== 'update_button' && msgType !== 'update_template_card')) {
    return { outcome: 'ignored', msgType, detail: 'a valid reply; the emulator applies only template-card updates to template_card_event' };
  }
  if (msgType === 'update_button') {
    const replaceName = childText(child(message, 'Button'), 'ReplaceName');
    if (replaceName === undefined || replaceName.trim() === '')
      return { outcome: 'refused', msgType, detail: 'update_button without Button.ReplaceName' };
    cards.setView(press.msgid, press.userId, { replaceName, updatedAt: now, by: 'reply' });
    return { outcome: 'applied', msgType, detail: `the card's buttons now read "${replaceName}" for ${press.userId}` };
  }
  const card = child(message, 'TemplateCard');
  if (!card || childText(card, 'CardType') === undefined)
    return { outcome: 'refused', msgType, detail: 'update_template_card without TemplateCard.CardType' };
  cards.setView(press.msgid, press.userId, { card: normaliseButtons(cardFromXml(card)), updatedAt: now, by: 'reply' });
  return { outcome: 'applied', msgType, detail: `the card was replaced for ${press.userId}` };
}

/** Opens and applies the reply in `body` (an empty body is no reply at all: undefined). */
export function handleReply(
  body: string,
  settings: FixtureCallback,
  corpId: string,
  cards: CallbackState['cards'],
  press: PressContext | undefined,
  now: number,
): PassiveReplyOutcome | undefined {
  if (body.trim() === '') return undefined;
  const format = settings.format ?? 'xml';
  const envelope = readReplyEnvelope(body, format);
  if ('problem' in envelope) return { outcome: 'refused', detail: envelope.problem };
  const expected = msgSignature(settings.token, envelope.timestamp, envelope.nonce, envelope.encrypt);
  if (expected !== envelope.signature) return { outcome: 'refused', detail: "MsgSignature does not match the app's Token" };
  const opened = decrypt(settings.encodingAESKey, envelope.encrypt);
  if (!opened) return { outcome: 'refused', detail: "Encrypt does not decrypt with the app's EncodingAESKey" };
  if (opened.receiveId !== corpId)
    return { outcome: 'refused', detail: `the reply is for receiveid "${opened.receiveId.slice(0, 64)}", not ${corpId}` };
  const message = readReplyMessage(opened.message, format);
  if (!message)
    return { outcome: 'refused', detail: `the decrypted reply is not ${format === 'json' ? 'a JSON object' : 'an <xml> message'}` };
  return apply(cards, message, press, now);
}
