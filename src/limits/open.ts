/** Picks the rate-limit store and its algorithm from the `limits` config. */
import type { LimitsConfig } from '../config/limits-schema.js';
import { MemoryRateLimiter } from './memory-limiter.js';
import { RedisRateLimiter } from './redis-limiter.js';
import type { RateLimiter } from './types.js';

export function openRateLimiter(config: LimitsConfig, env: NodeJS.ProcessEnv): RateLimiter {
  if (config.store === 'memory') return new MemoryRateLimiter(Date.now, config.algorithm);
  const url = config.redis_url ?? env.REDIS_URL;
  if (url === undefined || url === '') {
    throw new Error('limits.store is "redis" but neither limits.redis_url nor REDIS_URL is set.');
  }
  return new RedisRateLimiter({ url, prefix: config.redis_prefix, timeoutMs: config.timeout_ms, algorithm: config.algorithm });
}
