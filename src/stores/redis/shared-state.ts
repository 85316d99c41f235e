/**
 * Circuit-breaker transitions and kill switches shared across replicas through Redis (DESIGN.md §4, §12).
 *
 *   `<prefix>cb:events`   channel: every breaker transition, as it happens
 *   `<prefix>cb:state`    hash: deployment id → its last transition and when (wall clock), for late joiners
 *   `<prefix>ks`          hash: kill-switch key → target, the switches in force
 *   `<prefix>ks:events`   channel: "a switch changed", each replica then re-reads `<prefix>ks`
 *
 * Cheap by construction: nothing is read or written per request. A replica publishes only its own transitions
 * (rare) and applies the others' locally, so the request path reads local memory only. When Redis is down each
 * replica runs on its own breakers and switches; when it (or this replica) comes back, the subscriber replays
 * recent breaker transitions and the kill switches are re-read. Two connections: one for commands (no offline
 * queue, bounded), one subscribed.
 */
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { Availability } from '../../core/availability.js';
import type { BreakerStateStore, BreakerTransition } from '../../reliability/circuit-breaker-store.js';
import { targetKey, type KillSwitchTarget } from '../../routing/deployment-stats.js';
import type { KillSwitchStore } from '../../routing/kill-switch-store.js';
import { closeRedis, connectRedis, withinTimeout } from './connect.js';

export interface RedisSharedStateOptions {
  url: string;
  /** Namespace of keys and channels (default `sy:`). */
  prefix?: string;
  /** Longest one command may take (default 1000 ms). */
  timeoutMs?: number;
  /** Replayed breaker transitions older than this are over and skipped: the breakers' `open_ms`. */
  replayWithinMs: () => number;
}

const state = z.enum(['closed', 'open', 'half_open', 'recovering']);
const transitionSchema = z.object({
  deploymentId: z.string().min(1),
  from: state,
  to: state,
  reason: z.string().min(1),
  origin: z.string().min(1),
});
const storedTransitionSchema = transitionSchema.extend({ at: z.number() });
const targetSchema = z.union([
  z.strictObject({ deployment: z.string().min(1) }),
  z.strictObject({ provider: z.string().min(1) }),
  z.strictObject({ model: z.string().min(1) }),
]);

function parse<T>(schema: z.ZodType<T>, text: string): T | undefined {
  try {
    const result = schema.safeParse(JSON.parse(text));
    return result.success ? result.data : undefined;
  } catch {
    return undefined;
  }
}

/** Replicas act on `to` (and `ageMs`) only; the reason is carried for their logs. */
const asTransition = (parsed: z.output<typeof transitionSchema>): BreakerTransition => parsed as BreakerTransition;

/** A day: far longer than any open period, short enough that a decommissioned deployment's entry goes away. */
const STATE_TTL_MS = 86_400_000;

export class RedisSharedState {
  readonly availability = new Availability('redis (shared breakers and kill switches)');
  readonly breakers: BreakerStateStore;
  readonly killSwitches: KillSwitchStore;
  private readonly command: Redis;
  private readonly subscriber: Redis;
  private readonly keys: { breakerEvents: string; breakerState: string; switches: string; switchEvents: string };
  private readonly breakerListeners = new Set<(transition: BreakerTransition) => void>();
  private readonly switchListeners = new Set<() => void>();
  private readonly timeoutMs: number;

  constructor(private readonly options: RedisSharedStateOptions) {
    const prefix = options.prefix ?? 'sy:';
    this.keys = { breakerEvents: `${prefix}cb:events`, breakerState: `${prefix}cb:state`, switches: `${prefix}ks`, switchEvents: `${prefix}ks:events` };
    const timeoutMs = options.timeoutMs ?? 1000;
    this.timeoutMs = timeoutMs;
    this.command = connectRedis({ url: options.url, commandTimeoutMs: timeoutMs, availability: this.availability }).redis;
    this.subscriber = connectRedis({ url: options.url, commandTimeoutMs: timeoutMs, availability: this.availability, subscriber: true }).redis;
    this.subscriber.on('message', (channel: string, message: string) => this.heard(channel, message));
    // Also after every reconnect: whatever was said while this replica was not listening is caught up on.
    this.subscriber.on('ready', () => {
      void this.replayBreakers();
      this.tellSwitchListeners();
    });
    this.subscriber.subscribe(this.keys.breakerEvents, this.keys.switchEvents).catch((error: unknown) => this.availability.failed(error));
    this.breakers = {
      publish: (transition) => this.publishTransition(transition),
      subscribe: (listener) => {
        this.breakerListeners.add(listener);
        return () => this.breakerListeners.delete(listener);
      },
    };
    this.killSwitches = {
      write: (target, disabled) => this.writeSwitch(target, disabled),
      readAll: () => this.readSwitches(),
      onChange: (listener) => {
        this.switchListeners.add(listener);
        return () => this.switchListeners.delete(listener);
      },
    };
  }

  async close(): Promise<void> {
    this.breakerListeners.clear();
    this.switchListeners.clear();
    await Promise.all([closeRedis(this.subscriber), closeRedis(this.command)]);
  }

  private async publishTransition(transition: BreakerTransition): Promise<void> {
    const { deploymentId, from, to, reason, origin } = transition;
    const message = JSON.stringify({ deploymentId, from, to, reason, origin });
    await this.tracked(() =>
      this.command
        .multi()
        .hset(this.keys.breakerState, deploymentId, JSON.stringify({ deploymentId, from, to, reason, origin, at: Date.now() }))
        .pexpire(this.keys.breakerState, STATE_TTL_MS)
        .publish(this.keys.breakerEvents, message)
        .exec(),
    );
  }

  private async writeSwitch(target: KillSwitchTarget, disabled: boolean): Promise<void> {
    const key = targetKey(target);
    await this.tracked(() => {
      const multi = this.command.multi();
      if (disabled) multi.hset(this.keys.switches, key, JSON.stringify(target));
      else multi.hdel(this.keys.switches, key);
      return multi.publish(this.keys.switchEvents, key).exec();
    });
  }

  private async readSwitches(): Promise<KillSwitchTarget[]> {
    const stored = await this.tracked(() => this.command.hgetall(this.keys.switches));
    return Object.values(stored)
      .map((text) => parse(targetSchema, text))
      .filter((target): target is KillSwitchTarget => target !== undefined);
  }

  private async replayBreakers(): Promise<void> {
    let stored: Record<string, string>;
    try {
      stored = await this.tracked(() => this.command.hgetall(this.keys.breakerState));
    } catch {
      return; // counted by `tracked`; the next reconnect replays again
    }
    const within = this.options.replayWithinMs();
    for (const text of Object.values(stored)) {
      const entry = parse(storedTransitionSchema, text);
      if (entry === undefined || (entry.to !== 'open' && entry.to !== 'recovering')) continue;
      const ageMs = Math.max(0, Date.now() - entry.at);
      if (ageMs >= within) continue;
      const { at: _at, ...transition } = entry;
      this.tellBreakerListeners({ ...asTransition(transition), ageMs });
    }
  }

  private heard(channel: string, message: string): void {
    if (channel === this.keys.switchEvents) return this.tellSwitchListeners();
    if (channel !== this.keys.breakerEvents) return;
    const parsed = parse(transitionSchema, message);
    if (parsed !== undefined) this.tellBreakerListeners(asTransition(parsed));
  }

  private tellBreakerListeners(transition: BreakerTransition): void {
    for (const listener of [...this.breakerListeners]) listener(transition);
  }

  private tellSwitchListeners(): void {
    for (const listener of [...this.switchListeners]) listener();
  }

  /** Runs a command once connected, within the timeout, and reports its outcome to `availability`. */
  private async tracked<T>(work: () => Promise<T>): Promise<T> {
    try {
      const result = await withinTimeout(this.command, this.availability, this.timeoutMs, work);
      this.availability.succeeded();
      return result;
    } catch (error) {
      this.availability.failed(error);
      throw error;
    }
  }
}

/** The `shared_state` config's store: Redis when configured, none (each replica on its own) for `memory`. */
export function openSharedState(
  config: { store: 'memory' | 'redis'; redis_url?: string; redis_prefix: string; timeout_ms: number },
  env: NodeJS.ProcessEnv,
  replayWithinMs: () => number,
): RedisSharedState | undefined {
  if (config.store === 'memory') return undefined;
  const url = config.redis_url ?? env.REDIS_URL;
  if (url === undefined || url === '') {
    throw new Error('shared_state.store is "redis" but neither shared_state.redis_url nor REDIS_URL is set.');
  }
  return new RedisSharedState({ url, prefix: config.redis_prefix, timeoutMs: config.timeout_ms, replayWithinMs });
}
