/**
 * The transaction state machine. Statuses as the wire shows them (spec §4.6); one
 * function says which moves are legal.
 */
export const ORDER_STATUSES = ['pending', 'paid', 'failed', 'canceled', 'rejected'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];
export type FinalStatus = Exclude<OrderStatus, 'pending'>;

const LEGAL_MOVES: Record<OrderStatus, readonly OrderStatus[]> = {
  pending: ['paid', 'failed', 'canceled', 'rejected'],
  paid: [],
  failed: [],
  canceled: [],
  rejected: [],
};

export function canMove(from: OrderStatus, to: OrderStatus): boolean {
  return LEGAL_MOVES[from].includes(to);
}

export function isFinal(status: OrderStatus): status is FinalStatus {
  return status !== 'pending';
}

/** The status a return_url redirect carries (spec §4.5): `paid` or `cancel_or_fail`. */
export function redirectStatus(status: FinalStatus): 'paid' | 'cancel_or_fail' {
  return status === 'paid' ? 'paid' : 'cancel_or_fail';
}
