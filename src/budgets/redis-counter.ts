/**
 * Budget counters in Redis, shared by every replica: one Lua script per call, keys `<prefix><scope>:<id>:<period>`.
 * The connection is the same `BoundedRedis` the rate limiter uses: every call gives up after `timeoutMs` and
 * never queues while disconnected, so an outage fails the call (the stage then fails open or closed) instead of
 * holding the request, and `availability` changes once per outage.
 */
import { Availability } from '../core/availability.js';
import { BoundedRedis, RedisScript } from '../stores/redis/bounded-redis.js';
import { READ_SCRIPT, RESERVE_SCRIPT, SEED_SCRIPT, SETTLE_SCRIPT } from './redis-scripts.js';
import type { BudgetCounter, BudgetState, Reservation, ReserveOutcome, SeedEntry, SettleOutcome, Settlement, WallClock } from './types.js';

export interface RedisBudgetCounterOptions {
  url: string;
  /** Namespace for every key (default `sy:budget:`). */
  prefix?: string;
  /** Longest one call may take, waiting for the connection included (default 250 ms). */
  timeoutMs?: number;
  /** Tests: the caller's clock instead of the Redis server's. */
  now?: WallClock;
  /** Reports when Redis stops and starts answering (created here when not given). */
  availability?: Availability;
}

const reserveScript = new RedisScript(RESERVE_SCRIPT);
const settleScript = new RedisScript(SETTLE_SCRIPT);
const seedScript = new RedisScript(SEED_SCRIPT);
const readScript = new RedisScript(READ_SCRIPT);

const int = (value: number) => String(Math.round(value));

export class RedisBudgetCounter implements BudgetCounter {
  readonly availability: Availability;
  private readonly connection: BoundedRedis;
  private readonly prefix: string;
  private readonly now: WallClock | undefined;

  constructor(options: RedisBudgetCounterOptions) {
    this.prefix = options.prefix ?? 'sy:budget:';
    this.now = options.now;
    this.connection = new BoundedRedis({
      url: options.url,
      timeoutMs: options.timeoutMs ?? 250,
      availability: options.availability ?? new Availability('redis (budgets)'),
    });
    this.availability = this.connection.availability;
  }

  async reserve(lines: readonly Reservation[], leaseId: string, leaseTtlMs: number): Promise<ReserveOutcome> {
    if (lines.length === 0) return { allowed: true, states: [] };
    const args = [leaseId, int(leaseTtlMs), ...lines.flatMap((line) => [int(line.limit), int(line.amount), line.mustFit ? '1' : '0', int(line.ttlMs)])];
    const reply = await this.run(reserveScript, lines.map((line) => line.key), args);
    return { allowed: reply[0] === 1, states: lines.map((_, index) => ({ spent: reply[1 + 2 * index]!, reserved: reply[2 + 2 * index]! })) };
  }

  async settle(lines: readonly Settlement[], leaseId: string, thresholds: readonly number[]): Promise<SettleOutcome[]> {
    if (lines.length === 0) return [];
    const args = [leaseId, String(thresholds.length), ...thresholds.map(String), ...lines.flatMap((line) => [int(line.limit), int(line.spent), int(line.ttlMs)])];
    const reply = await this.run(settleScript, lines.map((line) => line.key), args);
    return lines.map((_, index) => {
      const [spent, before, after] = reply.slice(3 * index, 3 * index + 3) as [number, number, number];
      return { spent, crossed: thresholds.filter((threshold) => threshold > before && threshold <= after) };
    });
  }

  async seed(entries: readonly SeedEntry[]): Promise<void> {
    // In slices, so one script never holds Redis long however many keys a big deployment has.
    for (let start = 0; start < entries.length; start += 500) {
      const slice = entries.slice(start, start + 500);
      await this.run(seedScript, slice.map((entry) => entry.key), slice.flatMap((entry) => [int(entry.spent), int(entry.ttlMs)]));
    }
  }

  async read(keys: readonly string[]): Promise<BudgetState[]> {
    if (keys.length === 0) return [];
    const reply = await this.run(readScript, keys, []);
    return keys.map((_, index) => ({ spent: reply[2 * index]!, reserved: reply[2 * index + 1]! }));
  }

  async close(): Promise<void> {
    await this.connection.close();
  }

  private async run(script: RedisScript, keys: readonly string[], args: readonly string[]): Promise<number[]> {
    const argv = [this.now === undefined ? '' : String(this.now()), ...args];
    const reply = await this.connection.evalScript(
      script,
      keys.map((key) => this.prefix + key),
      argv,
    );
    return Array.isArray(reply) ? reply.map(Number) : [];
  }
}
