/** Picks the budget counter store: `budgets.store`, else the same as the rate limits (`limits.store`). */
import type { SwitchyardConfig } from '../config/schema.js';
import { MemoryBudgetCounter } from './memory-counter.js';
import { RedisBudgetCounter } from './redis-counter.js';
import type { BudgetCounter } from './types.js';

export function openBudgetCounter(config: SwitchyardConfig, env: NodeJS.ProcessEnv): BudgetCounter {
  const store = config.budgets.store ?? config.limits.store;
  if (store === 'memory') return new MemoryBudgetCounter();
  const url = config.limits.redis_url ?? env.REDIS_URL;
  if (url === undefined || url === '') {
    throw new Error('budgets use Redis (budgets.store or limits.store) but neither limits.redis_url nor REDIS_URL is set.');
  }
  return new RedisBudgetCounter({ url, prefix: config.budgets.redis_prefix, timeoutMs: config.limits.timeout_ms });
}
