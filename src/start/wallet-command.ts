import type { Command } from 'commander';
import { loadConfig } from '../config.js';
import { formatAmount } from '../domain/money.js';
import { walletTotalsByKind } from '../store/ledger.js';
import { findWallet } from '../store/merchants.js';
import { CliError, printResult, withCliStore } from './cli-runtime.js';

const signed = (minor: number) => (minor < 0 ? `-${formatAmount(-minor)}` : formatAmount(minor));

/** `latipay wallet balance`: what a wallet holds, from its ledger (payments in, refunds out). */
export function addWalletCommands(program: Command): void {
  const wallet = program.command('wallet').description("wallets: their balance, from the ledger");
  wallet
    .command('balance')
    .description("a wallet's balance and its ledger totals per kind (payment, refund, refund_failed, reversal)")
    .argument('<wallet_id>')
    .option('--json', 'print JSON', false)
    .action(async (walletId: string, options: { json: boolean }) => {
      const answer = await withCliStore(loadConfig(), async (store) => {
        const found = await findWallet(store.db, walletId);
        if (!found) throw new CliError(`no wallet ${walletId}`);
        const totals = await walletTotalsByKind(store.db, walletId);
        const balance = totals.reduce((sum, t) => sum + t.total, 0);
        return {
          wallet_id: walletId,
          currency: found.currency,
          balance: signed(balance),
          totals: totals.map((t) => ({ kind: t.kind, amount: signed(t.total), entries: t.entries })),
        };
      });
      printResult(options.json, answer, (a) =>
        `${a.wallet_id}: ${a.balance} ${a.currency}\n${a.totals.map((t) => `  ${t.kind.padEnd(14)} ${t.amount.padStart(12)} (${t.entries} entr${t.entries === 1 ? 'y' : 'ies'})\n`).join('')}`,
      );
    });
}
