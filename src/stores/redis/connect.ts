/**
 * One way to open Redis for every shared-state user (rate limits, breaker and kill-switch sharing), so all of
 * them behave the same in an outage: no offline queue (a command while disconnected fails at once instead of
 * waiting for the connection), a per-command timeout, reconnection with capped exponential backoff for ever,
 * and availability reported through `Availability` (one change per outage, not one per command).
 */
import { createRequire } from 'node:module';
import type { Redis } from 'ioredis';
import type * as IORedis from 'ioredis';
import { Availability } from '../../core/availability.js';

/**
 * ioredis is loaded on the first connection, not at startup: its command table alone allocates ~6 MB and the
 * module ~12 MB of RSS, which a gateway without Redis (the default) never needs. It is CommonJS, so `require`
 * loads it synchronously and `connectRedis` stays synchronous.
 */
const require = createRequire(import.meta.url);
let ioredis: typeof IORedis | undefined;
function redisClass(): typeof IORedis.Redis {
  ioredis ??= require('ioredis') as typeof IORedis;
  return ioredis.Redis;
}

export interface RedisConnectOptions {
  url: string;
  /** Longest one command may wait for its reply. */
  commandTimeoutMs: number;
  /** Tracks whether this connection answers; created with `name` when not given. */
  availability?: Availability;
  name?: string;
  /** Reconnect backoff cap (default 2 s); attempts start at 50 ms and double. */
  maxBackoffMs?: number;
  /** Subscriber connections need the offline queue: ioredis re-subscribes through it after a reconnect. */
  subscriber?: boolean;
}

export interface RedisConnection {
  readonly redis: Redis;
  readonly availability: Availability;
}

/** Reconnect delay for attempt `times` (1, 2, …): 50, 100, 200, … capped. */
export function reconnectDelay(times: number, maxBackoffMs: number): number {
  return Math.min(50 * 2 ** Math.min(times - 1, 16), maxBackoffMs);
}

export function connectRedis(options: RedisConnectOptions): RedisConnection {
  const availability = options.availability ?? new Availability(options.name ?? 'redis');
  const maxBackoffMs = options.maxBackoffMs ?? 2000;
  const subscriber = options.subscriber === true;
  const RedisClient = redisClass();
  const redis = new RedisClient(options.url, {
    connectTimeout: Math.max(1000, options.commandTimeoutMs * 4),
    // Subscribe commands must not time out while a subscriber waits for messages; its reads are never on a request path.
    ...(subscriber ? {} : { commandTimeout: options.commandTimeoutMs }),
    enableOfflineQueue: subscriber,
    maxRetriesPerRequest: subscriber ? null : 0,
    retryStrategy: (times) => reconnectDelay(times, maxBackoffMs),
  });
  redis.on('error', (error: Error) => availability.failed(error));
  redis.on('ready', () => availability.succeeded());
  // ioredis bounds the TCP connect but not the handshake after it: a silent peer would hold the connection in
  // "connect" for ever. Reopen it when it is not ready in time.
  const handshakeMs = Math.max(1000, options.commandTimeoutMs * 4);
  let handshake: NodeJS.Timeout | undefined;
  redis.on('connect', () => {
    clearTimeout(handshake);
    handshake = setTimeout(() => {
      if (redis.status !== 'connect') return;
      availability.failed(new Error(`Redis accepted the connection but did not answer within ${handshakeMs} ms.`));
      redis.disconnect(true);
    }, handshakeMs).unref();
  });
  redis.on('ready', () => clearTimeout(handshake));
  redis.on('end', () => clearTimeout(handshake));
  return { redis, availability };
}

/** Closes politely when the server answers, at once otherwise. */
export async function closeRedis(redis: Redis): Promise<void> {
  if (redis.status === 'ready') {
    try {
      await Promise.race([redis.quit(), new Promise((resolve) => setTimeout(resolve, 500).unref())]);
    } catch {
      // Falls through to disconnect.
    }
  }
  redis.disconnect();
}

export class RedisUnavailable extends Error {
  override readonly name = 'RedisUnavailable';
}

/**
 * Resolves when `redis` is ready: now, or (while it counts as up: the first connection, a fresh reconnect) as
 * soon as it is, unless `timeout` rejects first. During a known outage it rejects at once instead of waiting
 * out the timeout, so callers fail fast and nothing is queued to run late.
 */
export async function whenReady(redis: Redis, availability: Availability, timeout: Promise<never>): Promise<void> {
  if (redis.status === 'ready') return;
  if (!availability.up) throw new RedisUnavailable(`Redis is unreachable (connection ${redis.status}).`);
  let onReady: (() => void) | undefined;
  let onError: ((error: Error) => void) | undefined;
  const ready = new Promise<void>((resolve, reject) => {
    onReady = resolve;
    onError = reject;
    redis.once('ready', onReady);
    redis.once('error', onError);
  });
  try {
    await Promise.race([ready, timeout]);
  } finally {
    redis.off('ready', onReady!);
    redis.off('error', onError!);
  }
}

function start<T>(work: () => Promise<T>): Promise<T> {
  try {
    return work();
  } catch (error) {
    return Promise.reject(error as Error);
  }
}

/** Runs `work` once `redis` is ready, all within `timeoutMs`; rejects with RedisUnavailable otherwise. */
export async function withinTimeout<T>(redis: Redis, availability: Availability, timeoutMs: number, work: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new RedisUnavailable(`Redis did not answer within ${timeoutMs} ms.`)), timeoutMs);
  });
  try {
    // Ready (the usual case): straight to work, without a turn through whenReady's promise on the request path.
    const running = redis.status === 'ready' ? start(work) : whenReady(redis, availability, timeout).then(work);
    return await Promise.race([running, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
