/**
 * Budget counters in Redis, shared by every replica: one Lua script per call (EVALSHA, EVAL when the server
 * lost its script cache), keys `<prefix><scope>:<id>:<period>`. Every call gives up after `timeoutMs` and never
 * queues while disconnected, so an outage fails the call (the stage then fails open or closed) instead of
 * holding the request.
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { Availability } from '../core/availability.js';
import { closeRedis, connectRedis } from '../stores/redis/connect.js';
import { READ_SCRIPT, RESERVE_SCRIPT, SEED_SCRIPT, SETTLE_SCRIPT } from './redis-scripts.js';
import type { BudgetCounter, BudgetState, Reservation, ReserveOutcome, SeedEntry, SettleOutcome, Settlement, WallClock } from './types.js';

export interface RedisBudgetCounterOptions {
  url: string;
  /** Namespace for every key (default `sy:budget:`). */
  prefix?: string;
  /** Longest one call may take (default 250 ms). */
  timeoutMs?: number;
  /** Tests: the caller's clock instead of the Redis server's. */
  now?: WallClock;
  availability?: Availability;
}

class Script {
  readonly sha: string;
  constructor(readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }
}

const reserveScript = new Script(RESERVE_SCRIPT);
const settleScript = new Script(SETTLE_SCRIPT);
const seedScript = new Script(SEED_SCRIPT);
const readScript = new Script(READ_SCRIPT);

export class BudgetStoreUnavailable extends Error {
  override readonly name = 'BudgetStoreUnavailable';
}

const int = (value: number) => String(Math.round(value));

export class RedisBudgetCounter implements BudgetCounter {
  readonly availability: Availability;
  private readonly redis: Redis;
  private readonly prefix: string;
  private readonly timeoutMs: number;
  private readonly now: WallClock | undefined;

  constructor(options: RedisBudgetCounterOptions) {
    this.prefix = options.prefix ?? 'sy:budget:';
    this.timeoutMs = options.timeoutMs ?? 250;
    this.now = options.now;
    const connection = connectRedis({
      url: options.url,
      commandTimeoutMs: this.timeoutMs,
      availability: options.availability ?? new Availability('redis (budgets)'),
    });
    this.redis = connection.redis;
    this.availability = connection.availability;
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
    await closeRedis(this.redis);
  }

  private async run(script: Script, keys: readonly string[], args: readonly string[]): Promise<number[]> {
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
    const reply = await this.bounded(call);
    if (!Array.isArray(reply)) return [];
    return reply.map(Number);
  }

  /** Runs `work` if the connection is ready, and rejects after `timeoutMs` whatever the client does. */
  private async bounded<T>(work: () => Promise<T>): Promise<T> {
    if (this.redis.status !== 'ready' && !this.availability.up) {
      throw new BudgetStoreUnavailable(`Redis is unreachable (connection ${this.redis.status}).`);
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new BudgetStoreUnavailable(`Redis did not answer within ${this.timeoutMs} ms.`)), this.timeoutMs);
    });
    let onReady: (() => void) | undefined;
    try {
      const ready = this.redis.status === 'ready' ? Promise.resolve() : new Promise<void>((resolve) => this.redis.once('ready', (onReady = resolve)));
      const result = await Promise.race([ready.then(work), timeout]);
      this.availability.succeeded();
      return result;
    } catch (error) {
      if (!(error instanceof Error && error.name === 'ReplyError')) this.availability.failed(error);
      throw error;
    } finally {
      clearTimeout(timer);
      if (onReady !== undefined) this.redis.off('ready', onReady);
    }
  }
}
