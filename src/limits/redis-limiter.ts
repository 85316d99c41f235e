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
import { ADMIT_SCRIPT, SLIDING_ADMIT_SCRIPT } from './redis-admit-scripts.js';
import { ACQUIRE_SCRIPT, ADJUST_SCRIPT, GCRA_SCRIPT, RELEASE_ADJUST_SCRIPT } from './redis-scripts.js';
import { SLIDING_ADJUST_SCRIPT, SLIDING_CHECK_SCRIPT, SLIDING_RELEASE_ADJUST_SCRIPT } from './redis-sliding-scripts.js';
import type { AdmissionOutcome, ConcurrencyCheck, ConcurrencyOutcome, RateAlgorithm, RateCheck, RateDecision, RateLimiter, RateOutcome, WallClock } from './types.js';

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
const admitScript = new RedisScript(ADMIT_SCRIPT);
const slidingAdmitScript = new RedisScript(SLIDING_ADMIT_SCRIPT);

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
    return { allowed: Number(reply[0]) === 1, decisions: gcraDecisions(checks, reply, 1) };
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

  /** One script call: the slots and the rates decided together, then taken together or not at all. */
  async admit(slots: readonly ConcurrencyCheck[], leaseId: string, ttlMs: number, checks: readonly RateCheck[]): Promise<AdmissionOutcome> {
    const keys: string[] = [];
    const args = [String(slots.length), leaseId, String(Math.ceil(ttlMs))];
    for (const slot of slots) {
      keys.push(this.prefix + slot.key);
      args.push(String(slot.limit));
    }
    const charge = this.sliding ? this.nextCharge() : undefined;
    if (charge !== undefined) args.push(charge);
    for (const check of checks) {
      keys.push(this.sliding ? this.logKey(check) : this.prefix + check.key);
      args.push(String(check.limit), String(this.sliding ? Math.round(check.cost) : check.cost));
    }
    const reply = await this.run(this.sliding ? slidingAdmitScript : admitScript, keys, args);
    const slotsAllowed = Number(reply[0]) === 1;
    const ratesAllowed = Number(reply[1]) === 1;
    const allowed = slotsAllowed && ratesAllowed;
    const decisions = slots.map((slot, index) => ({
      allowed: Number(reply[2 + 2 * index]) === 1,
      limit: slot.limit,
      active: Number(reply[3 + 2 * index]),
    }));
    const at = 2 + 2 * slots.length;
    const rates = this.sliding ? slidingDecisions(checks, reply, at) : gcraDecisions(checks, reply, at);
    return {
      allowed,
      slots: { allowed: slotsAllowed, decisions },
      rates: allowed && charge !== undefined ? { allowed: ratesAllowed, decisions: rates, charge } : { allowed: ratesAllowed, decisions: rates },
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
    const decisions = slidingDecisions(checks, reply, 1);
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

/** GCRA decisions from a reply holding, from `at`: now, then each limit's stored tat as found ('' when none). */
function gcraDecisions(checks: readonly RateCheck[], reply: Reply, at: number): RateDecision[] {
  const now = Number(reply[at]);
  return checks.map((check, index) => {
    const found = String(reply[at + 1 + index]);
    return gcra(found === '' ? undefined : Number(found), now, check.limit, check.cost).decision;
  });
}

/** Sliding-window decisions from a reply holding, from `at`, per limit: had room, remaining, reset, retry. */
function slidingDecisions(checks: readonly RateCheck[], reply: Reply, at: number): RateDecision[] {
  return checks.map((check, index) => ({
    allowed: Number(reply[at + 4 * index]) === 1,
    limit: check.limit,
    remaining: Number(reply[at + 1 + 4 * index]),
    resetMs: Number(reply[at + 2 + 4 * index]),
    retryAfterMs: Number(reply[at + 3 + 4 * index]),
  }));
}
