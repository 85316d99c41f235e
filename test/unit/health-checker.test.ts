import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { healthCheckSchema } from '../../src/config/resilience-schema.js';
import { GatewayError } from '../../src/core/errors.js';
import { systemTimers } from '../../src/core/timers.js';
import { HealthChecker, healthCheckTimingFromConfig, type HealthCheckerOptions, type HealthStatus, type ProbeResult } from '../../src/reliability/health-checker.js';
import { FakeTime, settle } from '../helpers/fake-time.js';

type Behaviour = 'ok' | 'fail' | 'hang' | 'ignore-abort';

/** An upstream whose health endpoint does what the test says, counting calls and overlaps. */
class FakeUpstream {
  behaviour: Behaviour = 'ok';
  calls = 0;
  inFlight = 0;
  maxInFlight = 0;
  readonly signals: AbortSignal[] = [];
  /** Finishes probes that ignore their abort. */
  private readonly pending: (() => void)[] = [];

  readonly adapter = {
    checkHealth: (signal: AbortSignal): Promise<void> => {
      this.calls++;
      this.signals.push(signal);
      this.inFlight++;
      this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
      const done = () => this.inFlight--;
      if (this.behaviour === 'ok') return Promise.resolve().finally(done);
      if (this.behaviour === 'fail') {
        return Promise.reject(new GatewayError('upstream_error', 'Upstream answered 500.', { upstreamStatus: 500 })).finally(done);
      }
      return new Promise<void>((resolve, reject) => {
        this.pending.push(() => {
          done();
          resolve();
        });
        if (this.behaviour === 'hang') {
          signal.addEventListener('abort', () => {
            done();
            reject(signal.reason);
          });
        }
      });
    },
  };

  finishIgnoredProbes(): void {
    for (const finish of this.pending.splice(0)) finish();
  }
}

function setup(options: Partial<HealthCheckerOptions> = {}) {
  const time = new FakeTime();
  const results: { id: string; result: ProbeResult; status: HealthStatus; at: number }[] = [];
  const checker = new HealthChecker({
    ...healthCheckTimingFromConfig(healthCheckSchema.parse({})),
    clock: time,
    wallClock: { now: () => 1_700_000_000_000 + time.now() },
    timers: time,
    random: () => 0.5,
    onResult: (id, result, status) => results.push({ id, result, status, at: time.now() }),
    ...options,
  });
  return { time, checker, results };
}

describe('HealthChecker', () => {
  test('the config defaults probe every 30 s with a 5 s timeout', () => {
    assert.deepEqual(healthCheckTimingFromConfig(healthCheckSchema.parse({})), { intervalMs: 30_000, timeoutMs: 5_000 });
  });

  test('probes each deployment at a jittered first delay, then about every interval', async () => {
    const { time, checker, results } = setup();
    const upstream = new FakeUpstream();
    checker.setTargets([{ id: 'a', adapter: upstream.adapter }]);
    checker.start();
    await time.advance(14_999);
    assert.equal(upstream.calls, 0);
    await time.advance(1);
    assert.equal(upstream.calls, 1);
    await time.advance(30_000);
    assert.equal(upstream.calls, 2);
    assert.deepEqual(
      results.map((entry) => [entry.id, entry.result.ok, entry.at]),
      [
        ['a', true, 16_000],
        ['a', true, 46_000],
      ],
    );
    assert.equal(checker.status().a?.lastCheckedAt, 1_700_000_046_000);
  });

  test('first probes of many deployments are spread over the interval, not aligned', async () => {
    const draws = [0.1, 0.7, 0.4];
    const { time, checker, results } = setup({ random: () => draws.shift() ?? 0.5 });
    const upstreams = [new FakeUpstream(), new FakeUpstream(), new FakeUpstream()];
    checker.setTargets(upstreams.map((upstream, index) => ({ id: `d${index}`, adapter: upstream.adapter })));
    checker.start();
    await time.advance(30_000);
    assert.deepEqual(
      results.map((entry) => [entry.id, entry.at - 1_000]),
      [
        ['d0', 3_000],
        ['d2', 12_000],
        ['d1', 21_000],
      ],
    );
  });

  test('a probe that does not answer within the timeout fails as upstream_timeout and is aborted', async () => {
    const { time, checker, results } = setup({ unhealthyAfter: 1 });
    const upstream = new FakeUpstream();
    upstream.behaviour = 'hang';
    checker.setTargets([{ id: 'a', adapter: upstream.adapter }]);
    checker.start();
    await time.advance(15_000 + 4_999);
    assert.equal(results.length, 0);
    await time.advance(1);
    assert.equal(results.length, 1);
    assert.equal(results[0]!.result.ok, false);
    assert.equal(results[0]!.result.error?.code, 'upstream_timeout');
    assert.equal(results[0]!.result.latencyMs, 5_000);
    assert.equal(upstream.signals[0]?.aborted, true);
    assert.equal(checker.status().a?.healthy, false);
    assert.match(checker.status().a?.lastError?.message ?? '', /timed out.*5000 ms/);
  });

  test('a deployment turns unhealthy after consecutive failures and healthy again after a success', async () => {
    const { time, checker, results } = setup({ unhealthyAfter: 2, healthyAfter: 1 });
    const upstream = new FakeUpstream();
    checker.setTargets([{ id: 'a', adapter: upstream.adapter }]);
    checker.start();
    upstream.behaviour = 'fail';
    await time.advance(15_000);
    assert.deepEqual(results.at(-1)?.status, {
      healthy: true,
      lastCheckedAt: 1_700_000_016_000,
      lastLatencyMs: 0,
      lastError: { code: 'upstream_error', message: 'Upstream answered 500.' },
      consecutiveFailures: 1,
      consecutiveSuccesses: 0,
    });
    await time.advance(30_000);
    assert.equal(results.at(-1)?.status.healthy, false);
    assert.equal(checker.status().a?.consecutiveFailures, 2);
    upstream.behaviour = 'ok';
    await time.advance(30_000);
    assert.equal(results.at(-1)?.status.healthy, true);
    assert.equal(checker.status().a?.consecutiveFailures, 0);
    assert.equal(checker.status().a?.lastError?.code, 'upstream_error', 'the last failure stays visible for /admin');
  });

  test('an adapter that throws a plain error is reported with its reason', async () => {
    const { time, checker, results } = setup();
    const adapter = { checkHealth: () => Promise.reject(new Error('connect ECONNREFUSED 10.0.0.7:8000')) };
    checker.setTargets([{ id: 'vllm', adapter }]);
    checker.start();
    await time.advance(15_000);
    assert.equal(results[0]?.result.error?.code, 'upstream_unavailable');
    assert.match(results[0]?.result.error?.message ?? '', /vllm.*ECONNREFUSED/);
  });

  test('never runs two probes at once for a deployment, even when the adapter ignores the abort', async () => {
    const { time, checker, results } = setup();
    const upstream = new FakeUpstream();
    upstream.behaviour = 'ignore-abort';
    checker.setTargets([{ id: 'a', adapter: upstream.adapter }]);
    checker.start();
    await time.advance(15_000 + 5_000 + 30_000 + 30_000);
    assert.equal(upstream.calls, 1);
    assert.equal(upstream.maxInFlight, 1);
    assert.deepEqual(
      results.map((entry) => entry.result.error?.code),
      ['upstream_timeout', 'upstream_timeout', 'upstream_timeout'],
    );
    upstream.behaviour = 'ok';
    upstream.finishIgnoredProbes();
    await time.advance(30_000);
    assert.equal(upstream.calls, 2);
    assert.equal(results.at(-1)?.result.ok, true);
  });

  test('stop() cancels pending probes, aborts running ones and reports nothing more', async () => {
    const { time, checker, results } = setup();
    const upstream = new FakeUpstream();
    upstream.behaviour = 'hang';
    checker.setTargets([{ id: 'a', adapter: upstream.adapter }]);
    checker.start();
    await time.advance(15_000);
    assert.equal(upstream.calls, 1);
    checker.stop();
    await settle();
    assert.equal(upstream.signals[0]?.aborted, true);
    assert.deepEqual(time.scheduled, []);
    await time.advance(120_000);
    assert.equal(upstream.calls, 1);
    assert.equal(results.length, 0);
  });

  test('start() after stop() resumes with one probe chain per deployment', async () => {
    const { time, checker } = setup();
    const upstream = new FakeUpstream();
    checker.setTargets([{ id: 'a', adapter: upstream.adapter }]);
    checker.start();
    checker.start();
    checker.stop();
    checker.start();
    await time.advance(15_000 + 30_000 * 3);
    assert.equal(upstream.calls, 4);
  });

  test('adapters without checkHealth are not probed and have no status', () => {
    const { checker } = setup();
    checker.setTargets([{ id: 'plain', adapter: {} }]);
    assert.deepEqual(checker.status(), {});
  });

  test('setTargets on reload keeps kept ids, probes through the new adapter, drops removed ones', async () => {
    const { time, checker, results } = setup({ unhealthyAfter: 1 });
    const [oldA, newA, removed, added] = [new FakeUpstream(), new FakeUpstream(), new FakeUpstream(), new FakeUpstream()];
    oldA.behaviour = 'fail';
    checker.setTargets([
      { id: 'a', adapter: oldA.adapter },
      { id: 'b', adapter: removed.adapter },
    ]);
    checker.start();
    await time.advance(15_000);
    assert.equal(checker.status().a?.healthy, false);
    checker.setTargets([
      { id: 'a', adapter: newA.adapter },
      { id: 'c', adapter: added.adapter },
    ]);
    assert.deepEqual(Object.keys(checker.status()).sort(), ['a', 'c']);
    assert.equal(checker.status().a?.healthy, false, 'a kept deployment keeps its status');
    await time.advance(30_000);
    assert.deepEqual([oldA.calls, newA.calls, removed.calls, added.calls], [1, 1, 1, 1]);
    assert.equal(checker.status().a?.healthy, true);
    assert.ok(results.every((entry) => entry.id !== 'b' || entry.at <= 16_000));
  });

  test('passive health: a healthy target that answered live traffic within the interval is not probed', async () => {
    const answeredAt: Record<string, number> = { live: 0 };
    const skipped: { id: string; at: number }[] = [];
    const { time, checker, results } = setup({
      answeredSince: (id, since) => (answeredAt[id] ?? -Infinity) >= since,
      onSkipped: (id) => skipped.push({ id, at: time.now() }),
    });
    const [live, idle] = [new FakeUpstream(), new FakeUpstream()];
    checker.setTargets([
      { id: 'live', adapter: live.adapter },
      { id: 'idle', adapter: idle.adapter },
    ]);
    checker.start();
    await time.advance(15_000);
    assert.deepEqual([live.calls, idle.calls], [0, 1]);
    assert.deepEqual(skipped, [{ id: 'live', at: 16_000 }]);
    answeredAt.live = 40_000;
    await time.advance(30_000);
    assert.deepEqual([live.calls, idle.calls], [0, 2], 'an answer 6 s before the due probe (46 s) counts');
    // No live answer within the last interval: probed as before, on the same schedule.
    await time.advance(30_000);
    assert.deepEqual([live.calls, idle.calls], [1, 3]);
    assert.equal(results.filter((entry) => entry.id === 'live').length, 1);
    assert.equal(checker.status().live?.healthy, true);
  });

  test('passive health: a target whose probe failed, or that is unhealthy, is probed despite live answers', async () => {
    let answering = false;
    const { time, checker } = setup({ unhealthyAfter: 2, answeredSince: () => answering });
    const upstream = new FakeUpstream();
    upstream.behaviour = 'fail';
    checker.setTargets([{ id: 'a', adapter: upstream.adapter }]);
    checker.start();
    await time.advance(15_000);
    assert.equal(upstream.calls, 1);
    answering = true;
    await time.advance(30_000);
    assert.equal(upstream.calls, 2, 'the last probe failed: probe again');
    assert.equal(checker.status().a?.healthy, false);
    upstream.behaviour = 'ok';
    await time.advance(30_000);
    assert.equal(upstream.calls, 3, 'unhealthy: probe until a probe says otherwise');
    assert.equal(checker.status().a?.healthy, true);
    await time.advance(30_000);
    assert.equal(upstream.calls, 3, 'healthy again and answering live traffic: skipped');
  });

  test('real timers are unref\'d so probes never keep the process alive', () => {
    const handle = systemTimers.setTimeout(() => {}, 60_000) as ReturnType<typeof setTimeout>;
    assert.equal(handle.hasRef(), false);
    systemTimers.clearTimeout(handle);
  });
});
