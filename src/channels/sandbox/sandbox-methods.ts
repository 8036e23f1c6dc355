import type { PaymentMethod } from '../../domain/payment-methods.js';
import type { PaymentRejection } from '../provider.js';

/**
 * What the sandbox knows of each payment method it serves: how the payer pays (a wallet
 * app's QR, a bank chosen from a list, UnionPay's card page, a PayID transfer), which
 * outcomes a tester may choose, the banks on offer, and how a PayID payment is screened.
 * Pure: no I/O.
 */

/** How the payer pays in the sandbox. */
export type SandboxFlow = 'wallet' | 'bank' | 'unionpay' | 'payid';

/** What a tester can make of a payment: `canceled` at a bank's Cancel, `rejected` by PayID's screening. */
export type SandboxOutcome = 'paid' | 'failed' | 'canceled' | 'rejected';

export const SANDBOX_METHODS = ['alipay', 'wechat', 'onlineBank', 'polipay', 'payid', 'upi_upop'] as const satisfies readonly PaymentMethod[];

export function sandboxFlowOf(method: string): SandboxFlow | undefined {
  switch (method) {
    case 'alipay':
    case 'wechat':
      return 'wallet';
    case 'onlineBank':
    case 'polipay':
      return 'bank';
    case 'upi_upop':
      return 'unionpay';
    case 'payid':
      return 'payid';
    default:
      return undefined;
  }
}

/** The outcomes a tester may choose for a payment of `method` (a wallet app has no Cancel; only PayID rejects). */
export function sandboxOutcomesOf(method: string): readonly SandboxOutcome[] {
  switch (sandboxFlowOf(method)) {
    case 'wallet':
      return ['paid', 'failed'];
    case 'bank':
    case 'unionpay':
      return ['paid', 'failed', 'canceled'];
    case 'payid':
      return ['paid', 'failed', 'rejected'];
    default:
      return [];
  }
}

export interface SandboxBank {
  /** In the bank page's path: `/sandbox/bank/{trade}/{id}`. */
  readonly id: string;
  readonly name: string;
  /** The tile's colour on the bank list. */
  readonly color: string;
}

const NZ_BANKS: readonly SandboxBank[] = [
  { id: 'anz', name: 'ANZ', color: '#004165' },
  { id: 'asb', name: 'ASB', color: '#1b1b1b' },
  { id: 'bnz', name: 'BNZ', color: '#00254a' },
  { id: 'kiwibank', name: 'Kiwibank', color: '#1f7a3a' },
  { id: 'westpac', name: 'Westpac', color: '#b3001b' },
  { id: 'tsb', name: 'TSB', color: '#00617f' },
];

const AU_BANKS: readonly SandboxBank[] = [
  { id: 'anz-au', name: 'ANZ', color: '#004165' },
  { id: 'commbank', name: 'Commonwealth Bank', color: '#1b1b1b' },
  { id: 'nab', name: 'NAB', color: '#b3001b' },
  { id: 'westpac-au', name: 'Westpac', color: '#8a0015' },
  { id: 'stgeorge', name: 'St.George', color: '#6a1b1b' },
  { id: 'bendigo', name: 'Bendigo Bank', color: '#7a0a3a' },
];

export const UNIONPAY: SandboxBank = { id: 'unionpay', name: 'UnionPay', color: '#0b5e8c' };

/**
 * The banks a payer of `method` picks from: NZ banks for `onlineBank`; for POLi, which
 * serves New Zealand and Australia, the banks of the order's currency (AUD: Australian).
 * UnionPay has one page, its own.
 */
export function sandboxBanksFor(method: string, currency: string): readonly SandboxBank[] {
  if (method === 'upi_upop') return [UNIONPAY];
  if (method === 'polipay' && currency === 'AUD') return AU_BANKS;
  if (method === 'onlineBank' || method === 'polipay') return NZ_BANKS;
  return [];
}

/** A test UnionPay card (the sandbox shows it; nothing is checked). */
export const SANDBOX_UNIONPAY_CARD = '6216 6100 0000 0000 018';

/**
 * Words that make the sandbox's PayID screening refuse a payment's reference, as a
 * receiving bank refuses a reference it must not accept: `blocked` is there for tests.
 */
export const PROHIBITED_REFERENCE_WORDS = ['blocked', 'bitcoin', 'crypto', 'gambling', 'casino'] as const;

/** The longest reference a payer may type (NPP's reference field). */
export const PAYID_REFERENCE_MAX = 35;

export const REJECTED_REFERENCE_MESSAGE = 'The payment reference is not allowed; the payment was returned to the payer.';
export const REJECTED_MESSAGE = 'The payment was rejected by the receiving bank and returned to the payer.';

/** The sandbox's screening of the reference a PayID payer typed: a rejection, or undefined when it may be paid. */
export function screenPayIdReference(reference: string): PaymentRejection | undefined {
  const lower = reference.toLowerCase();
  if (!PROHIBITED_REFERENCE_WORDS.some((word) => lower.includes(word))) return undefined;
  return { message: REJECTED_REFERENCE_MESSAGE, blockData: reference };
}
