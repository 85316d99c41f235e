/**
 * A Redis connection for request-path callers (rate limits, budget counters), so they all behave the same in an
 * outage: opened by `connectRedis` (no offline queue, reconnect with backoff), every call bounded by
 * `withinTimeout` (fails at once during a known outage, never sent late), each outcome reported to one
 * `Availability` (one state change per outage), and a connection that looks open but has stopped answering (a
 * partition: no reset, just silence) dropped and reopened. Lua scripts run by EVALSHA, EVAL when the server lost
 * its script cache (a restart).
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Availability } from '../../core/availability.js';
import { closeRedis, connectRedis, withinTimeout } from './connect.js';

export class RedisScript {
  readonly sha: string;
  constructor(readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }
}

export interface BoundedRedisOptions {
  url: string;
  /** Longest one call may take, waiting for the connection included. */
  timeoutMs: number;
  availability: Availability;
}

export class BoundedRedis {
  readonly redis: Redis;
  readonly availability: Availability;
  readonly timeoutMs: number;
  /** When the connection last answered (monotonic ms). */
  private answeredAt = performance.now();

  constructor(options: BoundedRedisOptions) {
    this.timeoutMs = options.timeoutMs;
    const connection = connectRedis({ url: options.url, commandTimeoutMs: options.timeoutMs, availability: options.availability });
    this.redis = connection.redis;
    this.availability = connection.availability;
    this.redis.on('ready', () => {
      this.answeredAt = performance.now();
    });
  }

  /** Runs `script` on `keys` (full names) and `args`; the raw reply. */
  evalScript(script: RedisScript, keys: readonly string[], args: readonly string[]): Promise<unknown> {
    return this.call(async () => {
      try {
        return await this.redis.evalsha(script.sha, keys.length, ...keys, ...args);
      } catch (error) {
        if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
        return this.redis.eval(script.source, keys.length, ...keys, ...args);
      }
    });
  }

  /**
   * Runs `work` once the connection is ready and rejects after `timeoutMs` whatever the client does (connecting,
   * slow server); reports the outcome. Script errors (a bug, not an outage) count as answers.
   */
  async call<T>(work: () => Promise<T>): Promise<T> {
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

  close(): Promise<void> {
    return closeRedis(this.redis);
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
export function isServerReply(error: unknown): boolean {
  return error instanceof Error && error.name === 'ReplyError';
}
