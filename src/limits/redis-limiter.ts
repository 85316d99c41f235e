/**
 * Rate and concurrency limits in Redis, shared by every replica: one Lua script per check (EVALSHA, EVAL when
 * the server does not have it cached yet, e.g. after a restart). Keys are `<prefix><scope>:<id>:<kind>`, the
 * prefix `sy:rl:` unless configured. Every call gives up after `timeoutMs`: a slow or unreachable Redis makes
 * the check fail (the stage then fails open or closed), it never holds the request.
 */
import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import { gcra } from './gcra.js';
import { ACQUIRE_SCRIPT, ADJUST_SCRIPT, GCRA_SCRIPT } from './redis-scripts.js';
import type { ConcurrencyCheck, ConcurrencyOutcome, RateCheck, RateLimiter, RateOutcome, WallClock } from './types.js';

export interface RedisLimiterOptions {
  url: string;
  /** Namespace for every key (default `sy:rl:`). */
  prefix?: string;
  /** Longest one check may take, connection included (default 250 ms). */
  timeoutMs?: number;
  /** Tests: the caller's clock instead of the Redis server's. */
  now?: WallClock;
  /** Connection errors (ioredis reconnects on its own). */
  onError?: (error: Error) => void;
}

type Reply = (string | number)[];

class Script {
  readonly sha: string;
  constructor(readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }
}

const gcraScript = new Script(GCRA_SCRIPT);
const acquireScript = new Script(ACQUIRE_SCRIPT);
const adjustScript = new Script(ADJUST_SCRIPT);

export class RateLimiterUnavailable extends Error {
  override readonly name = 'RateLimiterUnavailable';
}

export class RedisRateLimiter implements RateLimiter {
  private readonly redis: Redis;
  private readonly prefix: string;
  private readonly timeoutMs: number;
  private readonly now: WallClock | undefined;

  constructor(options: RedisLimiterOptions) {
    this.prefix = options.prefix ?? 'sy:rl:';
    this.timeoutMs = options.timeoutMs ?? 250;
    this.now = options.now;
    this.redis = new Redis(options.url, {
      connectTimeout: Math.max(1000, this.timeoutMs * 4),
      commandTimeout: this.timeoutMs,
      maxRetriesPerRequest: 1,
      // Reconnect quickly after an outage; checks in the meantime fail after timeoutMs.
      retryStrategy: (times) => Math.min(times * 100, 2000),
    });
    const onError = options.onError ?? (() => undefined);
    this.redis.on('error', onError);
  }

  async check(checks: readonly RateCheck[]): Promise<RateOutcome> {
    if (checks.length === 0) return { allowed: true, decisions: [] };
    const args = checks.flatMap((check) => [String(check.limit), String(check.cost)]);
    const reply = await this.run(gcraScript, checks.map((check) => check.key), args);
    const now = Number(reply[1]);
    const decisions = checks.map((check, index) => {
      const found = String(reply[2 + index]);
      return gcra(found === '' ? undefined : Number(found), now, check.limit, check.cost).decision;
    });
    return { allowed: Number(reply[0]) === 1, decisions };
  }

  async adjust(checks: readonly RateCheck[]): Promise<void> {
    if (checks.length === 0) return;
    const args = checks.flatMap((check) => [String(check.limit), String(check.cost)]);
    await this.run(adjustScript, checks.map((check) => check.key), args, false);
  }

  async acquire(checks: readonly ConcurrencyCheck[], leaseId: string, ttlMs: number): Promise<ConcurrencyOutcome> {
    if (checks.length === 0) return { allowed: true, decisions: [] };
    const args = [leaseId, String(Math.ceil(ttlMs)), ...checks.map((check) => String(check.limit))];
    const reply = await this.run(acquireScript, checks.map((check) => check.key), args);
    return {
      allowed: Number(reply[0]) === 1,
      decisions: checks.map((check, index) => ({
        allowed: Number(reply[1 + 2 * index]) === 1,
        limit: check.limit,
        active: Number(reply[2 + 2 * index]),
      })),
    };
  }

  async release(keys: readonly string[], leaseId: string): Promise<void> {
    if (keys.length === 0) return;
    const pipeline = this.redis.multi();
    for (const key of keys) pipeline.zrem(this.prefix + key, leaseId);
    await this.bounded(pipeline.exec());
  }

  async close(): Promise<void> {
    try {
      await this.redis.quit();
    } catch {
      this.redis.disconnect();
    }
  }

  private async run(script: Script, keys: readonly string[], args: readonly string[], expectArray = true): Promise<Reply> {
    const fullKeys = keys.map((key) => this.prefix + key);
    const argv = [this.now === undefined ? '' : String(this.now()), ...args];
    const call = async (): Promise<unknown> => {
      try {
        return await this.redis.evalsha(script.sha, fullKeys.length, ...fullKeys, ...argv);
      } catch (error) {
        if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
        return this.redis.eval(script.source, fullKeys.length, ...fullKeys, ...argv);
      }
    };
    const reply = await this.bounded(call());
    if (!expectArray) return [];
    if (!Array.isArray(reply)) throw new RateLimiterUnavailable('Unexpected reply from the rate-limit script.');
    return reply as Reply;
  }

  /** Rejects after timeoutMs whatever the client does (queued while reconnecting, slow server). */
  private bounded<T>(work: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new RateLimiterUnavailable(`Redis did not answer within ${this.timeoutMs} ms.`)), this.timeoutMs);
    });
    return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
  }
}
