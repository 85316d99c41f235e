/**
 * Redis for limiter tests: 127.0.0.1:6379 (TEST_REDIS_URL overrides). Every test file uses its own key prefix,
 * deleted afterwards, so parallel files and reruns never collide. With CI=true an unreachable server fails the
 * run; locally the suites skip, loudly.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { describeWithService } from './service-suite.js';

export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

async function probe(): Promise<string | undefined> {
  const client = new Redis(REDIS_URL, { lazyConnect: true, connectTimeout: 2000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.ping();
    return undefined;
  } catch (error) {
    return (error as Error).message || String(error);
  } finally {
    client.disconnect();
  }
}

const unreachable = await probe();

/** `describe`, when Redis is there; a failing test under CI=true; a loud skip otherwise. */
export function describeRedis(name: string, body: () => void): void {
  describeWithService({ name: 'Redis', url: REDIS_URL, unreachable, hint: 'Start Redis or set TEST_REDIS_URL' }, name, body);
}

/** A key prefix of this run's own, and a way to delete everything under it. */
export function testPrefix(): { prefix: string; cleanup(): Promise<void> } {
  const prefix = `sy:rl:test-${process.pid}-${randomBytes(4).toString('hex')}:`;
  return {
    prefix,
    async cleanup() {
      const client = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
      try {
        let cursor = '0';
        do {
          const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
          if (keys.length > 0) await client.del(...keys);
          cursor = next;
        } while (cursor !== '0');
      } finally {
        client.disconnect();
      }
    },
  };
}
