import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { EngineMetricsScraper, type ScrapeOutcome, type ScrapeTarget } from '../../src/routing/engine-metrics/scraper.js';
import { FakeTime } from '../helpers/fake-time.js';
import { waitFor } from '../faults/harness.js';
import { startEngineMetricsMock, type EngineMetricsMock } from '../mocks/engine-metrics-mock.js';

/** Resolves with the outcome of the next scrape the scraper reports (real HTTP on loopback). */
function nextOutcome(outcomes: ScrapeOutcome[]): Promise<ScrapeOutcome> {
  const seen = outcomes.length;
  return new Promise((resolve, reject) => {
    const until = performance.now() + 5000;
    const poll = () => {
      if (outcomes.length > seen) resolve(outcomes[seen]!);
      else if (performance.now() > until) reject(new Error('no scrape finished within 5 s'));
      else setTimeout(poll, 5);
    };
    poll();
  });
}

describe('engine metrics scraper', () => {
  let time: FakeTime;
  let engine: EngineMetricsMock;
  let scraper: EngineMetricsScraper;
  let outcomes: ScrapeOutcome[];
  let mark: number;
  const target = (overrides: Partial<ScrapeTarget> = {}): ScrapeTarget => ({
    url: engine.url,
    intervalMs: 100,
    timeoutMs: 2000,
    idleAfterMs: 1000,
    ...overrides,
  });

  beforeEach(async () => {
    time = new FakeTime(1000);
    engine = await startEngineMetricsMock({ running: 3, waiting: 1, kvUsage: 0.25 });
    outcomes = [];
    mark = 0;
    scraper = new EngineMetricsScraper({
      clock: time,
      timers: time,
      maxBodyBytes: 64 * 1024,
      markOf: () => mark,
      onScrape: (_url, outcome) => outcomes.push(outcome),
    });
  });
  afterEach(async () => {
    await scraper.close();
    await engine.close();
  });

  test('nothing is scraped until there is demand; then at once and every interval', async () => {
    scraper.configure([target()]);
    await time.advance(500);
    assert.equal(engine.scrapes, 0, 'no traffic, no scrapes');
    mark = 7;
    scraper.demand(engine.url);
    const first = nextOutcome(outcomes);
    await time.advance(0);
    assert.equal(await first, 'ok');
    assert.deepEqual(scraper.reading(engine.url), { engine: 'vllm', running: 3, waiting: 1, kvUsage: 0.25, at: 1500, mark: 7 });
    engine.set({ waiting: 6 });
    const second = nextOutcome(outcomes);
    await time.advance(100);
    assert.equal(await second, 'ok');
    assert.equal(scraper.reading(engine.url)?.waiting, 6, 'the next interval brings the new load');
    assert.equal(scraper.reading(engine.url)?.at, 1600);
    assert.equal(engine.scrapes, 2);
  });

  test('stops after idle_after without demand, and starts again on demand', async () => {
    scraper.configure([target({ idleAfterMs: 300 })]);
    scraper.demand(engine.url);
    for (let i = 0; i < 4; i++) {
      const done = nextOutcome(outcomes);
      await time.advance(i === 0 ? 0 : 100);
      await done;
    }
    assert.equal(engine.scrapes, 4, 'scraped at 0, 100, 200, 300 ms');
    await time.advance(1000);
    assert.equal(engine.scrapes, 4, 'idle: no scrape after 300 ms without demand');
    assert.deepEqual(time.scheduled, [], 'no timer left running');
    const again = nextOutcome(outcomes);
    scraper.demand(engine.url);
    await time.advance(0);
    assert.equal(await again, 'ok');
    assert.equal(engine.scrapes, 5);
  });

  test('a failing endpoint keeps the last reading; errors, timeouts and oversized pages are failures', async () => {
    scraper.configure([target({ timeoutMs: 100 })]);
    assert.ok((await scraper.scrapeNow(engine.url)) !== undefined, 'first reading');
    engine.fault({ kind: 'status', status: 503 });
    await scraper.scrapeNow(engine.url);
    engine.fault({ kind: 'slow', delayMs: 3000 });
    await scraper.scrapeNow(engine.url);
    engine.fault({ kind: 'oversized', bytes: 100 * 1024 });
    await scraper.scrapeNow(engine.url);
    assert.deepEqual(outcomes, ['ok', 'failed', 'failed', 'failed']);
    assert.equal(scraper.reading(engine.url)?.at, 1000, 'the last good reading stays (and goes stale by itself)');
  });

  test('a page without engine metrics is reported as no_metrics', async () => {
    const server = createServer((_req, res) => res.end('process_cpu_seconds_total 1\n')).listen(0, '127.0.0.1');
    await once(server, 'listening');
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
    try {
      scraper.configure([target({ url })]);
      assert.equal(await scraper.scrapeNow(url), undefined);
      assert.deepEqual(outcomes, ['no_metrics']);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  test('one scrape per target at a time', async () => {
    scraper.configure([target()]);
    engine.fault({ kind: 'slow', delayMs: 50 });
    await Promise.all([scraper.scrapeNow(engine.url), scraper.scrapeNow(engine.url), scraper.scrapeNow(engine.url)]);
    assert.equal(engine.scrapes, 1);
  });

  test('a tick that finds the concurrency cap reached is skipped, not queued', async () => {
    const capped = new EngineMetricsScraper({ clock: time, timers: time, maxConcurrent: 1 });
    const other = await startEngineMetricsMock();
    try {
      capped.configure([target(), target({ url: other.url })]);
      engine.fault({ kind: 'slow', delayMs: 200 });
      const slow = capped.scrapeNow(engine.url);
      capped.demand(other.url);
      await time.advance(0);
      assert.equal(other.scrapes, 0, 'cap reached: the other target waits for its next tick');
      await slow;
      await time.advance(100);
      await waitFor('the other target scraped on its next tick', () => other.scrapes >= 1, 5000);
    } finally {
      await capped.close();
      await other.close();
    }
  });

  test('configure drops targets no longer listed, with their readings; unknown URLs are ignored', async () => {
    scraper.configure([target()]);
    await scraper.scrapeNow(engine.url);
    scraper.configure([]);
    assert.equal(scraper.reading(engine.url), undefined);
    scraper.demand(engine.url);
    await time.advance(500);
    assert.equal(engine.scrapes, 1, 'no scraping of a URL not in config');
  });
});
