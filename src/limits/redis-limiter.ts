/**
 * Rate and concurrency limits in Redis, shared by every replica: one Lua script per check, GCRA or sliding
 * window. Keys are `<prefix><scope>:<id>:<kind>` (sliding window: `…:<kind>:log` and `…:<kind>:log:amounts`, so
 * switching the algorithm never meets a key of the other's type), the prefix `sy:rl:` unless configured. The
 * connection is the same `BoundedRedis` the budget counters use: every call gives up after `timeoutMs` and never
 * queues while disconnected, so a slow or unreachable Redis makes the check fail (the stage then fails open or
 * closed) instead of holding the request, and `availability` changes once per outage.
 */
import { randomBytes } from 'node:crypto';
import { Availability } from '../core/availability.js';
import { BoundedRedis, RedisScript } from '../stores/redis/bounded-redis.js';
import { gcra } from './gcra.js';
import { ACQUIRE_SCRIPT, ADJUST_SCRIPT, GCRA_SCRIPT, RELEASE_ADJUST_SCRIPT } from './redis-scripts.js';
import { SLIDING_ADJUST_SCRIPT, SLIDING_CHECK_SCRIPT, SLIDING_RELEASE_ADJUST_SCRIPT } from './redis-sliding-scripts.js';
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

const gcraScript = new RedisScript(GCRA_SCRIPT);
const acquireScript = new RedisScript(ACQUIRE_SCRIPT);
const adjustScript = new RedisScript(ADJUST_SCRIPT);
const slidingCheckScript = new RedisScript(SLIDING_CHECK_SCRIPT);
const slidingAdjustScript = new RedisScript(SLIDING_ADJUST_SCRIPT);
const releaseAdjustScript = new RedisScript(RELEASE_ADJUST_SCRIPT);
const slidingReleaseAdjustScript = new RedisScript(SLIDING_RELEASE_ADJUST_SCRIPT);

export class RateLimiterUnavailable extends Error {
  override readonly name = 'RateLimiterUnavailable';
}

export class RedisRateLimiter implements RateLimiter {
  readonly availability: Availability;
  private readonly connection: BoundedRedis;
  private readonly prefix: string;
  private readonly now: WallClock | undefined;
  private readonly sliding: boolean;
  /** Names this limiter's sliding-window charges: unique across replicas, then a counter. */
  private readonly chargePrefix = `${randomBytes(9).toString('base64url')}:`;
  private charges = 0;

  constructor(options: RedisLimiterOptions) {
    this.prefix = options.prefix ?? 'sy:rl:';
    this.now = options.now;
    this.sliding = options.algorithm === 'sliding_window';
    this.connection = new BoundedRedis({
      url: options.url,
      timeoutMs: options.timeoutMs ?? 250,
      availability: options.availability ?? new Availability('redis (rate limits)'),
    });
    this.availability = this.connection.availability;
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
    await this.releaseAndAdjust(keys, leaseId, []);
  }

  /** One script call (one command, one round trip): the slots' ZREM, then the adjustment, atomically. */
  async releaseAndAdjust(keys: readonly string[], leaseId: string, checks: readonly RateCheck[], charge?: string): Promise<void> {
    if (keys.length === 0) return this.adjust(checks, charge);
    const slotKeys = keys.map((key) => this.prefix + key);
    const head = [String(keys.length), leaseId];
    if (this.sliding && checks.length > 0) {
      const args = [...head, charge ?? this.nextCharge(), ...checks.flatMap((check) => ['', String(Math.round(check.cost))])];
      await this.run(slidingReleaseAdjustScript, [...slotKeys, ...checks.map((check) => this.logKey(check))], args, false);
      return;
    }
    const args = [...head, ...checks.flatMap((check) => [String(check.limit), String(check.cost)])];
    await this.run(releaseAdjustScript, [...slotKeys, ...checks.map((check) => this.prefix + check.key)], args, false);
  }

  async close(): Promise<void> {
    await this.connection.close();
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

  private async run(script: RedisScript, fullKeys: readonly string[], args: readonly string[], expectArray = true): Promise<Reply> {
    const argv = [this.now === undefined ? '' : String(this.now()), ...args];
    const reply = await this.connection.evalScript(script, fullKeys, argv);
    if (!expectArray) return [];
    if (!Array.isArray(reply)) throw new RateLimiterUnavailable('Unexpected reply from the rate-limit script.');
    return reply as Reply;
  }
}
