#!/usr/bin/env node
// Micro-benchmark of the admission stages on one core, no I/O (bench/RESULTS.md "Admission stages"): key auth
// (the key cache's resolve), the rate-limit stage with the memory limiter and the budget stage with the memory counter,
// then the end-of-request release, reconcile and settle, as a full-embedded request does them. Reads dist/.
//   npm run build && node --expose-gc bench/admission-micro.mjs [requests]     (ADMISSION_DIST=<dir>: another build)
import { URL } from 'node:url';

const dist = process.env.ADMISSION_DIST ?? new URL('../dist/', import.meta.url).pathname;
const { authenticate } = await import(`${dist}/stages/authenticate.js`);
const { rateLimit } = await import(`${dist}/stages/rate-limit.js`);
const { budgetStage } = await import(`${dist}/stages/budget.js`);
const { MemoryRateLimiter } = await import(`${dist}/limits/memory-limiter.js`);
const { MemoryBudgetCounter } = await import(`${dist}/budgets/memory-counter.js`);
const { createContext } = await import(`${dist}/core/context.js`);
const { openMemoryStores } = await import(`${dist}/stores/memory/index.js`);
const { KeyCache } = await import(`${dist}/stores/key-cache.js`);

const requests = Number(process.argv[2] ?? 200_000);
const limits = { requests_per_minute: 100_000_000, tokens_per_minute: 10_000_000_000, concurrent_requests: 100_000 };
const budget = { amount_usd: 1_000_000, period: 'day', on_exhausted: 'block' };
// The gateway's key cache over the memory store: resolve() is what authenticate runs per request.
const stores = openMemoryStores('bench-pepper-not-a-secret-0000');
await stores.tenants.create({ id: 'bench', name: 'bench', limits, budget });
const { secret } = await stores.keys.create('bench', { name: 'bench', limits, budget });
const directory = await KeyCache.start(stores, { log: { info: () => undefined, warn: () => undefined, error: () => undefined }, flushMs: 3_600_000 });
const price = { input: 0.15, output: 0.6 };
const route = { name: 'gpt-4o-mini', kind: 'chat', deployments: [{ prices: { at: () => price, nextChangeAfter: () => Infinity } }], fallbacks: [], fallbacksOn: {} };
const routes = { models: new Map([[route.name, route]]), aliases: new Map() };

const limitRate = rateLimit(new MemoryRateLimiter(), { failOpen: () => true });
const reserveBudget = budgetStage({
  counter: new MemoryBudgetCounter(),
  routes: () => routes,
  settings: () => ({ failOpen: true, thresholds: [50, 80, 100], maxOutputTokens: () => 4096 }),
  onAlert: () => undefined,
  onSpend: () => undefined,
});
const signal = new globalThis.AbortController().signal;
const usage = { prompt_tokens: 12, completion_tokens: 9, total_tokens: 21 };

async function one(i, stage) {
  const ctx = createContext(`req-${i}`, 'chat', signal);
  if (stage === 'ctx') return;
  authenticate(ctx, secret, { master_key: 'sk-master' }, directory);
  if (stage === 'auth') return;
  await limitRate(ctx, () => 60);
  if (stage !== 'limits') await reserveBudget(ctx, route, { input: () => 20, maxOutput: 40 });
  ctx.usage = usage;
  ctx.costUsd = 0.00001;
  ctx.releaseLimits?.();
  ctx.settleSpend?.();
}

async function run(stage, n) {
  for (let i = 0; i < 20_000; i++) await one(i, stage);
  globalThis.gc?.();
  const started = process.cpuUsage();
  for (let i = 0; i < n; i++) await one(i, stage);
  const used = process.cpuUsage(started);
  return ((used.user + used.system) / n);
}

for (let round = 0; round < 3; round++) {
  const ctx = await run('ctx', requests);
  const auth = await run('auth', requests);
  const limitsOnly = await run('limits', requests);
  const all = await run('all', requests);
  console.log(
    `round ${round + 1}: µs CPU per request — context ${ctx.toFixed(2)}, auth ${(auth - ctx).toFixed(2)}, ` +
      `rate limits ${(limitsOnly - auth).toFixed(2)}, budget ${(all - limitsOnly).toFixed(2)}, admission total ${(all - ctx).toFixed(2)}`,
  );
}
await directory.close();
