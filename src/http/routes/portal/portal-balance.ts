import type { FastifyInstance } from 'fastify';
import type { PortalPrincipal } from '../../../gateway/portal/portal-principal.js';
import { readBalance } from '../../../gateway/portal/read-balance.js';
import { html } from '../../../pages/layout.js';
import { renderBalanceBody } from '../../../pages/portal/balance-page.js';
import { BALANCE_STRINGS } from '../../../pages/portal/balance-strings.js';
import { portalLanguage, renderPortalPage } from '../../../pages/portal/portal-layout.js';
import { LedgerDayTotals } from '../../../store/ledger-day-totals.js';
import { sendPage } from '../../security-headers.js';
import { requirePortal } from './portal-session.js';

/** A query value given once; repeated or absent: undefined. */
const one = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/** GET /portal/balance?wallet=&from=&to=: each wallet's ledger by day (docs/portal.md#balance), for every role of an organisation. */
export async function portalBalanceRoutes(app: FastifyInstance): Promise<void> {
  const ctx = app.gateway;
  const totals = new LedgerDayTotals(ctx.store.db, ctx.config.timeZoneOffsetMinutes);
  app.get('/portal/balance', { preHandler: requirePortal('read') }, async (request, reply) => {
    const principal = request.portal as PortalPrincipal;
    const language = portalLanguage(request);
    const t = BALANCE_STRINGS[language];
    const q = (request.query ?? {}) as Record<string, unknown>;
    const view = await readBalance(ctx, totals, principal.organisationId as number, { wallet: one(q.wallet), from: one(q.from), to: one(q.to) });
    if (view.kind === 'unknown_wallet') {
      const body = html`<h1>${t.unknownWalletTitle}</h1><div class="card"><p>${t.unknownWallet}</p><p><a href="/portal/balance">${t.backToBalance}</a></p></div>`;
      return sendPage(reply, 404, renderPortalPage({ language, principal, title: t.unknownWalletTitle, active: 'balance', body }));
    }
    const body = renderBalanceBody({
      language,
      offsetMinutes: ctx.config.timeZoneOffsetMinutes,
      wallets: view.wallets.map((w) => ({ id: w.id, name: w.name, currency: w.currency, test: Number(w.test) === 1 })),
      selected: view.selected,
      fromDay: view.fromDay,
      toDay: view.toDay,
      badDates: view.badDates,
      statements: view.statements.map((s) => ({ wallet: { id: s.wallet.id, name: s.wallet.name, currency: s.wallet.currency, test: Number(s.wallet.test) === 1 }, statement: s.statement })),
    });
    return sendPage(reply, view.badDates ? 400 : 200, renderPortalPage({ language, principal, title: t.title, active: 'balance', body }));
  });
}
