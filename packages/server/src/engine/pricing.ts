import type { MessageKind } from '@switchboard/protocol';

/** What a message costs to send, per the operator's price table. */
export interface PriceQuote {
  /** Total in `unit`, or null when unpriced. */
  readonly price: number | null;
  readonly unit: string;
}

/** Prices messages when they are handed to a carrier. */
export interface Pricing {
  quote(message: { readonly to: string; readonly kind: MessageKind; readonly segments: number; readonly direction: 'inbound' | 'outbound' }): PriceQuote;
}

/** No price table: messages carry no price. */
export const unpriced: Pricing = { quote: () => ({ price: null, unit: 'USD' }) };
