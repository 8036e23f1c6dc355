import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { createTestDatabase, TEST_DIALECT } from '../helpers/database.js';
import {
  cleanupStack,
  createMerchantViaCli,
  createTransaction,
  newReference,
  newSecretKey,
  queryTransaction,
  settleOrder,
  startGatewayProcess,
  startMerchantServer,
  waitFor,
} from './helpers.js';

// `serve --processes N` (PROCESSES=N): N gateway processes on one port, PostgreSQL only.

/** The pids of a process's children (Linux); none once it has exited. */
function childrenOf(pid: number): number[] {
  const file = `/proc/${pid}/task/${pid}/children`;
  if (!existsSync(file)) return [];
  const text = readFileSync(file, 'utf8').trim();
  return text === '' ? [] : text.split(/\s+/).map(Number);
}

if (TEST_DIALECT === 'postgres') {
  test('PROCESSES=2 serves one port from two processes, replaces one that dies, and stops them all on SIGTERM', { timeout: 90_000 }, async (t) => {
    const cleanup = cleanupStack(t);
    const database = await createTestDatabase();
    cleanup(() => database.cleanup());
    const secretKey = newSecretKey();
    const merchant = await createMerchantViaCli(database.url, database.dataDir, secretKey);
    const shop = await startMerchantServer(() => 'sent');
    cleanup(() => shop.close());

    const gateway = await startGatewayProcess({ databaseUrl: database.url, dataDir: database.dataDir, secretKey, env: { PROCESSES: '2', LOG_LEVEL: 'info' } });
    cleanup(() => {
      for (const pid of childrenOf(gateway.child.pid!)) process.kill(pid, 'SIGKILL');
      gateway.kill();
    });
    const parent = gateway.child.pid!;
    const first = await waitFor('two gateway processes', () => childrenOf(parent).length === 2 && childrenOf(parent));
    await waitFor('both processes listening', () => gateway.output().split('latipay gateway listening').length - 1 === 2);

    // Orders made and settled through the shared port: each request may land on either process.
    const references = Array.from({ length: 6 }, () => newReference('processes'));
    for (const reference of references) {
      const created = await createTransaction(gateway.baseUrl, merchant, { payment_method: 'alipay', merchant_reference: reference, callback_url: shop.callbackUrl, return_url: shop.returnUrl });
      assert.equal(created.answer.code, 0, JSON.stringify(created.answer));
      const pending = await queryTransaction(gateway.baseUrl, merchant, reference);
      assert.equal((await settleOrder(gateway.baseUrl, String(pending.order_id), 'paid')).status, 'paid');
    }
    for (const reference of references) {
      const [callback] = await shop.waitForCallbacks(reference, 1);
      assert.equal(callback.fields.status, 'paid');
      assert.equal((await queryTransaction(gateway.baseUrl, merchant, reference)).status, 'paid');
    }

    // A process killed outright is replaced; the port keeps answering meanwhile.
    process.kill(first[0], 'SIGKILL');
    const replaced = await waitFor('a replacement process', () => {
      const now = childrenOf(parent);
      return now.length === 2 && !now.includes(first[0]) && now;
    });
    assert.ok(replaced.includes(first[1]), 'the other process was left alone');
    await waitFor('the replacement listening', () => gateway.output().split('latipay gateway listening').length - 1 === 3);
    assert.equal((await fetch(`${gateway.baseUrl}/healthz`)).status, 200);
    assert.match(gateway.output(), /a gateway process exited; starting another/);

    const exit = await gateway.stop('SIGTERM');
    assert.deepEqual(exit, { code: 0, signal: null }, gateway.output());
    for (const pid of replaced) assert.equal(existsSync(`/proc/${pid}`), false, `process ${pid} is still running`);
  });
} else {
  test('PROCESSES=2 on SQLite is refused before anything is opened or created', async (t) => {
    const cleanup = cleanupStack(t);
    const database = await createTestDatabase();
    cleanup(() => database.cleanup());
    await assert.rejects(
      startGatewayProcess({ databaseUrl: database.url, dataDir: database.dataDir, secretKey: newSecretKey(), env: { PROCESSES: '2' }, startTimeoutMs: 10_000 }),
      (error: Error) => /exited before it was healthy \(code 1/.test(error.message) && /PROCESSES: more than one process needs PostgreSQL/.test(error.message),
    );
    assert.deepEqual(readdirSync(database.dataDir), [], `left behind: ${readdirSync(database.dataDir).join(', ')} in ${join(database.dataDir)}`);
  });
}
