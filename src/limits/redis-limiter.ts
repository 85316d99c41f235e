/**
 * Rate and concurrency limits in Redis, shared by every replica: one Lua script per check (EVALSHA, EVAL when
 * the server does not have it cached yet, e.g. after a restart), GCRA or sliding window. Keys are
 * `<prefix><scope>:<id>:<kind>` (sliding window: `…:<kind>:log` and `…:<kind>:log:amounts`, so switching the
 * algorithm never meets a key of the other's type), the prefix `sy:rl:` unless configured. Every call gives up after `timeoutMs`: a slow or unreachable Redis makes
 * the check fail (the stage then fails open or closed), it never holds the request. While disconnected a call
 * fails at once (no offline queue); the client reconnects with backoff, and a connection that stops answering
 * (a partition: no reset, just silence) is dropped and reopened after `timeoutMs` of unanswered calls.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { Availability } from '../core/availability.js';
import { closeRedis, connectRedis, withinTimeout } from '../stores/redis/connect.js';
import { gcra } from './gcra.js';
import { ACQUIRE_SCRIPT, ADJUST_SCRIPT, GCRA_SCRIPT } from './redis-scripts.js';
import { SLIDING_ADJUST_SCRIPT, SLIDING_CHECK_SCRIPT } from './redis-sliding-scripts.js';
import type { ConcurrencyCheck, ConcurrencyOutcome, RateAlgorithm, RateCheck, RateDecision, RateLimiter, RateOutcome, WallClock } from './types.js';

export interface RedisLimiterOptions {
  url: string;
  /** Namespace for every key (default `sy:rl:`). */
  prefix?: string;
  /** Longest one check may take, connection included (default 250 ms). */
  timeoutMs?: number;
  /** Default `gcra`. */
  algorithm?: RateAlgorithm;
  /** Tests: the caller's clock instead of the Redis server's. */
  now?: WallClock;
  /** Reports when Redis stops and starts answering (created here when not given). */
  availability?: Availability;
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
const slidingCheckScript = new Script(SLIDING_CHECK_SCRIPT);
const slidingAdjustScript = new Script(SLIDING_ADJUST_SCRIPT);

export class RateLimiterUnavailable extends Error {
  override readonly name = 'RateLimiterUnavailable';
}

export class RedisRateLimiter implements RateLimiter {
  readonly availability: Availability;
  private readonly redis: Redis;
  private readonly prefix: string;
  private readonly timeoutMs: number;
  private readonly now: WallClock | undefined;
  private readonly sliding: boolean;
  /** Names this limiter's sliding-window charges: unique across replicas, then a counter. */
  private readonly chargePrefix = `${randomBytes(9).toString('base64url')}:`;
  private charges = 0;
  /** When the connection last answered (monotonic ms). */
  private answeredAt = performance.now();

  constructor(options: RedisLimiterOptions) {
    this.prefix = options.prefix ?? 'sy:rl:';
    this.timeoutMs = options.timeoutMs ?? 250;
    this.now = options.now;
    this.sliding = options.algorithm === 'sliding_window';
    const connection = connectRedis({
      url: options.url,
      commandTimeoutMs: this.timeoutMs,
      availability: options.availability ?? new Availability('redis (rate limits)'),
    });
    this.redis = connection.redis;
    this.availability = connection.availability;
    this.redis.on('ready', () => {
      this.answeredAt = performance.now();
    });
  }

  async check(checks: readonly RateCheck[]): Promise<RateOutcome> {
    if (checks.length === 0) return { allowed: true, decisions: [] };
    if (this.sliding) return this.checkSliding(checks);
    const args = checks.flatMap((check) => [String(check.limit), String(check.cost)]);
    const reply = await this.run(gcraScript, checks.map((check) => this.prefix + check.key), args);
    const now = Number(reply[1]);
    const decisions = checks.map((check, index) => {
      const found = String(reply[2 + index]);
      return gcra(found === '' ? undefined : Number(found), now, check.limit, check.cost).decision;
    });
    return { allowed: Number(reply[0]) === 1, decisions };
  }

  async adjust(checks: readonly RateCheck[], charge?: string): Promise<void> {
    if (checks.length === 0) return;
    if (this.sliding) {
      const args = [charge ?? this.nextCharge(), ...checks.flatMap((check) => ['', String(Math.round(check.cost))])];
      await this.run(slidingAdjustScript, checks.map((check) => this.logKey(check)), args, false);
      return;
    }
    const args = checks.flatMap((check) => [String(check.limit), String(check.cost)]);
    await this.run(adjustScript, checks.map((check) => this.prefix + check.key), args, false);
  }

  async acquire(checks: readonly ConcurrencyCheck[], leaseId: string, ttlMs: number): Promise<ConcurrencyOutcome> {
    if (checks.length === 0) return { allowed: true, decisions: [] };
    const args = [leaseId, String(Math.ceil(ttlMs)), ...checks.map((check) => String(check.limit))];
    const reply = await this.run(acquireScript, checks.map((check) => this.prefix + check.key), args);
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
    const pipeline = () => {
      const multi = this.redis.multi();
      for (const key of keys) multi.zrem(this.prefix + key, leaseId);
      return multi;
    };
    await this.bounded(() => pipeline().exec());
  }

  async close(): Promise<void> {
    await closeRedis(this.redis);
  }

  /** The sliding-window check: the script replies allowed, then per limit had-room, remaining, reset, retry. */
  private async checkSliding(checks: readonly RateCheck[]): Promise<RateOutcome> {
    const charge = this.nextCharge();
    const args = [charge, ...checks.flatMap((check) => [String(check.limit), String(Math.round(check.cost))])];
    const reply = await this.run(slidingCheckScript, checks.map((check) => this.logKey(check)), args);
    const allowed = Number(reply[0]) === 1;
    const decisions = checks.map((check, index): RateDecision => ({
      allowed: Number(reply[1 + 4 * index]) === 1,
      limit: check.limit,
      remaining: Number(reply[2 + 4 * index]),
      resetMs: Number(reply[3 + 4 * index]),
      retryAfterMs: Number(reply[4 + 4 * index]),
    }));
    return allowed ? { allowed, decisions, charge } : { allowed, decisions };
  }

  private logKey(check: RateCheck): string {
    return `${this.prefix}${check.key}:log`;
  }

  private nextCharge(): string {
    this.charges += 1;
    return this.chargePrefix + String(this.charges);
  }

  private async run(script: Script, fullKeys: readonly string[], args: readonly string[], expectArray = true): Promise<Reply> {
    const argv = [this.now === undefined ? '' : String(this.now()), ...args];
    const call = async (): Promise<unknown> => {
      try {
        return await this.redis.evalsha(script.sha, fullKeys.length, ...fullKeys, ...argv);
      } catch (error) {
        if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
        return this.redis.eval(script.source, fullKeys.length, ...fullKeys, ...argv);
      }
    };
    const reply = await this.bounded(call);
    if (!expectArray) return [];
    if (!Array.isArray(reply)) throw new RateLimiterUnavailable('Unexpected reply from the rate-limit script.');
    return reply as Reply;
  }

  /**
   * Runs `work` once the connection is ready and rejects after timeoutMs whatever the client does (connecting,
   * slow server); reports the outcome to `availability`. Script errors (a bug, not an outage) count as answers.
   * Nothing is queued: a call that could not be sent in time is never sent late.
   */
  private async bounded<T>(work: () => Promise<T>): Promise<T> {
    try {
      const result = await withinTimeout(this.redis, this.availability, this.timeoutMs, work);
      this.answered();
      return result;
    } catch (error) {
      if (isServerReply(error)) this.answered();
      else this.unanswered(error);
      throw error;
    }
  }

  private answered(): void {
    this.answeredAt = performance.now();
    this.availability.succeeded();
  }

  private unanswered(error: unknown): void {
    this.availability.failed(error);
    // A connection that looks open but has not answered for a while is silently dead: reopen it.
    if (this.redis.status === 'ready' && performance.now() - this.answeredAt > 2 * this.timeoutMs) {
      this.answeredAt = performance.now();
      this.redis.disconnect(true);
    }
  }
}

/** An error the Redis server sent (`ERR …`, `NOSCRIPT …`): the server is there. */
function isServerReply(error: unknown): boolean {
  return error instanceof Error && error.name === 'ReplyError';
}
