/**
 * Delivers alerts to the configured webhooks (http(s) only) off the request path: a bounded queue (full: the
 * alert is dropped and counted), a few deliveries at a time, each attempt bounded by a timeout, 5xx, 429 and
 * network errors retried with exponential backoff, other 4xx given up at once. Every body is signed when the
 * webhook has a secret: `x-switchyard-signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, t + "." + body)>`,
 * so receivers can check origin and reject replays by `t`.
 */
import { createHmac } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AlertsConfig, WebhookConfig } from '../config/money-schema.js';
import { alertBody, slackBody, type AlertBody } from './alert-payload.js';
import type { BudgetAlert } from '../stages/budget.js';

export type DeliveryOutcome = 'delivered' | 'failed' | 'dropped';

export interface WebhookSenderOptions {
  /** Each delivery's end (per webhook). */
  onOutcome?(outcome: DeliveryOutcome, url: string, detail?: string): void;
  /** Deliveries in flight at once. */
  concurrency?: number;
}

interface Delivery {
  webhook: WebhookConfig;
  body: string;
}

export function signature(secret: string, timestamp: number, body: string): string {
  return `t=${timestamp},v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

const retryable = (status: number) => status >= 500 || status === 429 || status === 408;

export class WebhookSender {
  private readonly queue: Delivery[] = [];
  private active = 0;
  private readonly idle = new Set<() => void>();
  private readonly stop = new AbortController();

  constructor(
    private settings: AlertsConfig,
    private readonly options: WebhookSenderOptions = {},
  ) {}

  /** A reload's new webhooks apply to alerts raised from now on. */
  configure(settings: AlertsConfig): void {
    this.settings = settings;
  }

  /** Queues the alert for every webhook; never waits. */
  send(alert: BudgetAlert): void {
    const body: AlertBody = alertBody(alert);
    for (const webhook of this.settings.webhooks) {
      if (this.queue.length >= this.settings.queue_size) {
        this.options.onOutcome?.('dropped', webhook.url, 'queue full');
        continue;
      }
      this.queue.push({ webhook, body: JSON.stringify(webhook.format === 'slack' ? slackBody(body) : body) });
    }
    this.pump();
  }

  /** Waits until the queue is empty and nothing is in flight (tests, shutdown), at most `timeoutMs`. */
  async drain(timeoutMs: number): Promise<void> {
    if (this.queue.length === 0 && this.active === 0) return;
    let wake: (() => void) | undefined;
    const done = new Promise<void>((resolve) => {
      wake = resolve;
      this.idle.add(resolve);
    });
    await Promise.race([done, sleep(timeoutMs, undefined, { ref: false })]);
    this.idle.delete(wake!);
  }

  /** Gives up pending retries and drops the queue. */
  close(): void {
    this.queue.length = 0;
    this.stop.abort();
  }

  private pump(): void {
    const concurrency = this.options.concurrency ?? 4;
    while (this.active < concurrency && this.queue.length > 0) {
      const delivery = this.queue.shift()!;
      this.active++;
      void this.deliver(delivery).finally(() => {
        this.active--;
        this.pump();
        if (this.active === 0 && this.queue.length === 0) for (const wake of [...this.idle]) wake();
      });
    }
  }

  private async deliver({ webhook, body }: Delivery): Promise<void> {
    const { max_attempts: attempts, backoff_ms: backoffMs, timeout_ms: timeoutMs } = this.settings;
    let detail = '';
    for (let attempt = 1; attempt <= attempts && !this.stop.signal.aborted; attempt++) {
      if (attempt > 1) {
        try {
          await sleep(backoffMs * 2 ** (attempt - 2), undefined, { signal: this.stop.signal });
        } catch {
          break;
        }
      }
      const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'switchyard-alerts' };
      if (webhook.secret !== undefined) headers['x-switchyard-signature'] = signature(webhook.secret, Math.floor(Date.now() / 1000), body);
      try {
        const response = await fetch(webhook.url, {
          method: 'POST',
          headers,
          body,
          redirect: 'error',
          signal: AbortSignal.any([AbortSignal.timeout(timeoutMs), this.stop.signal]),
        });
        await response.body?.cancel();
        if (response.ok) {
          this.options.onOutcome?.('delivered', webhook.url);
          return;
        }
        detail = `HTTP ${response.status}`;
        if (!retryable(response.status)) break;
      } catch (error) {
        detail = error instanceof Error ? error.message : String(error);
      }
    }
    this.options.onOutcome?.('failed', webhook.url, detail);
  }
}
