/**
 * Alert webhooks retry network errors, not only 5xx (issue 5): a receiver that refuses connections at first
 * (nothing listening), resets them (a crashed server, through the TCP proxy) or never answers (blackhole, the
 * attempt times out) gets the alert once it is back, exactly once; a receiver that stays down is given up after
 * `max_attempts`, reported as failed.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { periodOf } from '../../src/budgets/period.js';
import { WebhookSender, type DeliveryOutcome } from '../../src/budgets/webhooks.js';
import { alertsConfigSchema } from '../../src/config/money-schema.js';
import type { BudgetAlert } from '../../src/stages/budget.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';

const alert: BudgetAlert = {
  scope: 'tenant',
  tenantId: 'acme',
  keyId: undefined,
  budget: { amount_usd: 10, period: 'day' },
  period: periodOf('day', Date.now()),
  spentUsd: 8.5,
  threshold: 80,
};

interface Receiver {
  server: Server;
  bodies: string[];
}

async function listen(port = 0): Promise<Receiver & { port: number }> {
  const bodies: string[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      bodies.push(body);
      res.writeHead(204).end();
    });
  });
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  return { server, bodies, port: (server.address() as AddressInfo).port };
}

function sender(url: string, outcomes: { outcome: DeliveryOutcome; detail?: string }[], overrides: Record<string, number> = {}): WebhookSender {
  const settings = alertsConfigSchema.parse({ webhooks: [{ url }], timeout_ms: 300, max_attempts: 6, backoff_ms: 50, ...overrides });
  return new WebhookSender(settings, { onOutcome: (outcome, _url, detail) => outcomes.push({ outcome, detail }) });
}

async function until(what: string, check: () => boolean, limitMs = 5000): Promise<void> {
  const started = performance.now();
  while (!check()) {
    if (performance.now() - started > limitMs) assert.fail(`${what}: not within ${limitMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('alert webhooks through network errors', () => {
  let receiver: Receiver & { port: number };
  let proxy: TcpProxy;

  before(async () => {
    receiver = await listen();
    proxy = await TcpProxy.start(`127.0.0.1:${receiver.port}`);
  });
  after(async () => {
    await proxy.close();
    receiver.server.close();
  });

  test('connection refused: delivered once the receiver starts listening', async () => {
    // A port that nothing listens on until the receiver starts there.
    const late = await listen();
    late.server.close();
    await once(late.server, 'close');
    const outcomes: { outcome: DeliveryOutcome; detail?: string }[] = [];
    const webhooks = sender(`http://127.0.0.1:${late.port}/hook`, outcomes);
    try {
      webhooks.send(alert);
      await new Promise((resolve) => setTimeout(resolve, 120));
      assert.equal(outcomes.length, 0, 'still retrying after the first refusals');
      const up = await listen(late.port);
      try {
        await webhooks.drain(5000);
        assert.deepEqual(outcomes.map((o) => o.outcome), ['delivered']);
        assert.equal(up.bodies.length, 1, 'delivered exactly once');
        assert.equal((JSON.parse(up.bodies[0]!) as { threshold_percent: number }).threshold_percent, 80);
      } finally {
        up.server.close();
      }
    } finally {
      webhooks.close();
    }
  });

  for (const mode of ['refuse', 'blackhole'] as const) {
    test(`${mode === 'refuse' ? 'connection reset' : 'no answer (timeout)'}: delivered once the receiver is reachable again`, async () => {
      const outcomes: { outcome: DeliveryOutcome; detail?: string }[] = [];
      const webhooks = sender(`http://${proxy.address}/hook`, outcomes);
      const before = receiver.bodies.length;
      try {
        proxy[mode]();
        webhooks.send(alert);
        await until('a first attempt reached the proxy', () => mode === 'refuse' || proxy.connections > 0);
        await new Promise((resolve) => setTimeout(resolve, mode === 'refuse' ? 120 : 400));
        assert.equal(outcomes.length, 0, 'still retrying');
        assert.equal(receiver.bodies.length, before, 'nothing delivered while cut');
        proxy.resume();
        await webhooks.drain(8000);
        assert.deepEqual(outcomes.map((o) => o.outcome), ['delivered']);
        assert.equal(receiver.bodies.length - before, 1, 'delivered exactly once');
      } finally {
        proxy.resume();
        webhooks.close();
      }
    });
  }

  test('a receiver that stays down is given up after max_attempts and reported failed with the network error', async () => {
    const outcomes: { outcome: DeliveryOutcome; detail?: string }[] = [];
    const webhooks = sender(`http://${proxy.address}/hook`, outcomes, { max_attempts: 3, backoff_ms: 20 });
    try {
      proxy.refuse();
      webhooks.send(alert);
      await until('the delivery ends', () => outcomes.length > 0);
      assert.equal(outcomes[0]!.outcome, 'failed');
      assert.ok((outcomes[0]!.detail ?? '').length > 0, `the failure names its cause: ${outcomes[0]!.detail}`);
    } finally {
      proxy.resume();
      webhooks.close();
    }
  });
});
