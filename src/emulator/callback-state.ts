// The emulator's memory for callbacks that the API handlers share with the pages: the template
// cards and their response codes (card-store.ts), and the members deleted from the address book,
// so that a browser still holding a deleted member's client cookie is refused rather than logged
// in as someone else.
import { CardStore } from './card-store.ts';

export interface CallbackState {
  readonly cards: CardStore;
  /** corpId -> UserIDs deleted by an address-book change (they can no longer log in). */
  readonly removedMembers: Map<string, Set<string>>;
}

export function createCallbackState(): CallbackState {
  return { cards: new CardStore(), removedMembers: new Map() };
}

export function wasRemoved(callbacks: CallbackState, corpId: string, userId: string): boolean {
  return callbacks.removedMembers.get(corpId)?.has(userId) ?? false;
}
