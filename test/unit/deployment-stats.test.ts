import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DeploymentStats, type DeploymentRef } from '../../src/routing/deployment-stats.js';
import { parseDurationMs, parseQuotaHeaders } from '../../src/routing/quota-headers.js';

/** A clock the test moves by hand; `wall` is the Date.now() it pairs with. */
function fakeClocks(start = 1_000, wallStart = Date.parse('2025-03-01T12:00:00Z')) {
  const time = { now: start, wall: wallStart };
  const advance = (ms: number) => {
    time.now += ms;
    time.wall += ms;
  };
  const stats = (options: { latencyDecayMs?: number; quotaTtlMs?: number } = {}) =>
    new DeploymentStats({ clock: { now: () => time.now }, wallClock: { now: () => time.wall }, ...options });
  return { time, advance, stats };
}

const ref = (id: string, fields: Partial<DeploymentRef> = {}): DeploymentRef => ({
  id,
  provider: 'openai',
  model: 'gpt',
  weight: 1,
  ...fields,
});

describe('outstanding requests', () => {
  test('begin counts a request in flight until its finish is called, once', () => {
    const { stats } = fakeClocks();
    const s = stats();
    const first = s.begin('a');
    const second = s.begin('a');
    s.begin('b');
    assert.deepEqual(
      s.snapshot([ref('a'), ref('b')]).map((d) => d.outstanding),
      [2, 1],
    );
    first({ ok: true });
    first({ ok: true });
    first({ ok: false });
    assert.equal(s.snapshot([ref('a')])[0]!.outstanding, 1);
    second({ ok: false });
    assert.equal(s.snapshot([ref('a')])[0]!.outstanding, 0);
  });

  test('a deployment never seen has a neutral snapshot with its config', () => {
    const { stats } = fakeClocks();
    assert.deepEqual(stats().snapshot([ref('new', { weight: 3, healthWeight: 0.25 })]), [
      { id: 'new', weight: 3, healthWeight: 0.25, outstanding: 0, disabled: false },
    ]);
  });

  test('health weight defaults to 1', () => {
    const { stats } = fakeClocks();
    assert.equal(stats().snapshot([ref('a')])[0]!.healthWeight, 1);
  });
});

describe('peak-EWMA latency', () => {
  const latencyOf = (s: DeploymentStats, id = 'a') => s.snapshot([ref(id)])[0]!.latencyMs;

  test('is unknown until the first sample, then that sample', () => {
    const { stats } = fakeClocks();
    const s = stats();
    const finish = s.begin('a');
    assert.equal(latencyOf(s), undefined);
    finish({ ok: true, latencyMs: 250 });
    assert.equal(latencyOf(s), 250);
  });

  test('a sample above the current value replaces it at once', () => {
    const { stats, advance } = fakeClocks();
    const s = stats();
    s.observeLatency('a', 100);
    advance(10);
    s.observeLatency('a', 900);
    assert.equal(latencyOf(s), 900);
  });

  test('a lower sample pulls the value toward it, more the longer since the last sample', () => {
    const { stats, advance } = fakeClocks();
    const quick = stats({ latencyDecayMs: 10_000 });
    const slow = stats({ latencyDecayMs: 10_000 });
    quick.observeLatency('a', 1000);
    slow.observeLatency('a', 1000);
    advance(100);
    quick.observeLatency('a', 100);
    const afterShortGap = latencyOf(quick)!;
    advance(9_900);
    slow.observeLatency('a', 100);
    const afterLongGap = latencyOf(slow)!;
    assert.ok(afterShortGap > 900 && afterShortGap < 1000, `after 100 ms: ${afterShortGap}`);
    assert.ok(afterLongGap > 100 && afterLongGap < 500, `after 10 s: ${afterLongGap}`);
  });

  test('without samples the value decays toward zero with the time constant', () => {
    const { stats, advance } = fakeClocks();
    const s = stats({ latencyDecayMs: 10_000 });
    s.observeLatency('a', 800);
    advance(10_000);
    assert.ok(Math.abs(latencyOf(s)! - 800 / Math.E) < 1e-9);
    advance(20_000);
    assert.ok(Math.abs(latencyOf(s)! - 800 / Math.E ** 3) < 1e-9);
  });

  test('a failure only ever raises the estimate', () => {
    const { stats, advance } = fakeClocks();
    const s = stats();
    s.observeLatency('a', 500);
    advance(5_000);
    const before = latencyOf(s)!;
    s.begin('a')({ ok: false, latencyMs: 5 });
    assert.equal(latencyOf(s), before);
    s.begin('a')({ ok: false, latencyMs: 30_000 });
    assert.equal(latencyOf(s), 30_000);
  });

  test('nonsense samples are ignored', () => {
    const { stats } = fakeClocks();
    const s = stats();
    s.observeLatency('a', -1);
    s.observeLatency('a', Number.NaN);
    assert.equal(latencyOf(s), undefined);
  });
});

describe('duration strings in OpenAI reset headers', () => {
  const cases: [string, number | undefined][] = [
    ['6m0s', 360_000],
    ['1s', 1_000],
    ['20ms', 20],
    ['1h2m3.5s', 3_723_500],
    ['0.5s', 500],
    ['1m30.25s', 90_250],
    ['7.66s', 7_660],
    ['500us', 0.5],
    ['2', 2_000],
    ['', undefined],
    ['soon', undefined],
    ['5x', undefined],
    ['1m30', undefined],
    ['-1s', undefined],
  ];
  for (const [text, expected] of cases) {
    test(`"${text}" is ${expected === undefined ? 'rejected' : `${expected} ms`}`, () => {
      const parsed = parseDurationMs(text);
      if (expected === undefined) assert.equal(parsed, undefined);
      else assert.ok(parsed !== undefined && Math.abs(parsed - expected) < 1e-9, `got ${parsed}`);
    });
  }
});

describe('quota headers', () => {
  const wallNow = Date.parse('2025-03-01T12:00:00Z');

  test('OpenAI: requests and tokens with their reset durations', () => {
    const headers = new Headers({
      'x-ratelimit-limit-requests': '60',
      'x-ratelimit-remaining-requests': '59',
      'x-ratelimit-reset-requests': '1s',
      'x-ratelimit-limit-tokens': '150000',
      'x-ratelimit-remaining-tokens': '149984',
      'x-ratelimit-reset-tokens': '6m0s',
    });
    assert.deepEqual(parseQuotaHeaders(headers, wallNow), [
      { name: 'requests', limit: 60, remaining: 59, resetInMs: 1_000 },
      { name: 'tokens', limit: 150_000, remaining: 149_984, resetInMs: 360_000 },
    ]);
  });

  test('Anthropic: every quota with RFC 3339 reset times relative to the wall clock', () => {
    const headers = new Headers({
      'anthropic-ratelimit-requests-limit': '50',
      'anthropic-ratelimit-requests-remaining': '49',
      'anthropic-ratelimit-requests-reset': '2025-03-01T12:00:01Z',
      'anthropic-ratelimit-tokens-limit': '90000',
      'anthropic-ratelimit-tokens-remaining': '9000',
      'anthropic-ratelimit-tokens-reset': '2025-03-01T12:00:30Z',
      'anthropic-ratelimit-input-tokens-limit': '80000',
      'anthropic-ratelimit-input-tokens-remaining': '40000',
      'anthropic-ratelimit-input-tokens-reset': '2025-03-01T12:00:20.5Z',
      'anthropic-ratelimit-output-tokens-limit': '10000',
      'anthropic-ratelimit-output-tokens-remaining': '10000',
      'anthropic-ratelimit-output-tokens-reset': '2025-03-01T11:59:59Z',
    });
    assert.deepEqual(parseQuotaHeaders(headers, wallNow), [
      { name: 'requests', limit: 50, remaining: 49, resetInMs: 1_000 },
      { name: 'tokens', limit: 90_000, remaining: 9_000, resetInMs: 30_000 },
      { name: 'input-tokens', limit: 80_000, remaining: 40_000, resetInMs: 20_500 },
      { name: 'output-tokens', limit: 10_000, remaining: 10_000, resetInMs: 0 },
    ]);
  });

  test('a quota without its limit, or with an unreadable reset, keeps what can be used', () => {
    const headers = new Headers({
      'x-ratelimit-remaining-tokens': '100',
      'x-ratelimit-limit-requests': '10',
      'x-ratelimit-remaining-requests': '12',
      'x-ratelimit-reset-requests': 'later',
    });
    assert.deepEqual(parseQuotaHeaders(headers, wallNow), [{ name: 'requests', limit: 10, remaining: 10 }]);
  });

  test('no quota headers, no quotas', () => {
    assert.deepEqual(parseQuotaHeaders(new Headers({ 'content-type': 'application/json' }), wallNow), []);
  });
});

describe('quota headroom', () => {
  const headroomOf = (s: DeploymentStats) => s.snapshot([ref('a')])[0]!.quotaHeadroom;

  test('is the smallest remaining share, and each quota expires at its own reset time', () => {
    const { stats, advance } = fakeClocks();
    const s = stats();
    s.observeQuota(
      'a',
      new Headers({
        'x-ratelimit-limit-requests': '100',
        'x-ratelimit-remaining-requests': '10',
        'x-ratelimit-reset-requests': '2s',
        'x-ratelimit-limit-tokens': '1000',
        'x-ratelimit-remaining-tokens': '500',
        'x-ratelimit-reset-tokens': '1m0s',
      }),
    );
    assert.equal(headroomOf(s), 0.1);
    advance(2_000);
    assert.equal(headroomOf(s), 0.5);
    advance(58_000);
    assert.equal(headroomOf(s), undefined);
  });

  test('Anthropic reset times expire the reading on the monotonic clock', () => {
    const { stats, advance } = fakeClocks();
    const s = stats();
    s.observeQuota(
      'a',
      new Headers({
        'anthropic-ratelimit-tokens-limit': '1000',
        'anthropic-ratelimit-tokens-remaining': '200',
        'anthropic-ratelimit-tokens-reset': '2025-03-01T12:00:05Z',
      }),
    );
    assert.equal(headroomOf(s), 0.2);
    advance(4_999);
    assert.equal(headroomOf(s), 0.2);
    advance(1);
    assert.equal(headroomOf(s), undefined);
  });

  test('a newer reading of the same quota replaces the older one', () => {
    const { stats } = fakeClocks();
    const s = stats();
    const reading = (remaining: string) =>
      new Headers({ 'x-ratelimit-limit-requests': '100', 'x-ratelimit-remaining-requests': remaining });
    s.observeQuota('a', reading('10'));
    s.observeQuota('a', reading('90'));
    assert.equal(headroomOf(s), 0.9);
  });

  test('a reading without a reset time counts for the configured time to live', () => {
    const { stats, advance } = fakeClocks();
    const s = stats({ quotaTtlMs: 5_000 });
    s.observeQuota('a', new Headers({ 'x-ratelimit-limit-requests': '100', 'x-ratelimit-remaining-requests': '5' }));
    advance(4_999);
    assert.equal(headroomOf(s), 0.05);
    advance(1);
    assert.equal(headroomOf(s), undefined);
  });
});

describe('cooldown after a 429', () => {
  test('shows until its end, then disappears; a shorter later cooldown does not cut it short', () => {
    const { stats, time, advance } = fakeClocks();
    const s = stats();
    s.cooldown('a', time.now + 3_000);
    s.cooldown('a', time.now + 1_000);
    assert.equal(s.snapshot([ref('a')])[0]!.coolingDownUntil, time.now + 3_000);
    advance(3_000);
    assert.equal(s.snapshot([ref('a')])[0]!.coolingDownUntil, undefined);
  });
});

describe('admin kill switch', () => {
  const fleet = [
    ref('oa-1', { provider: 'openai', model: 'gpt' }),
    ref('oa-2', { provider: 'openai', model: 'mini' }),
    ref('an-1', { provider: 'anthropic', model: 'claude' }),
    ref('an-2', { provider: 'anthropic', model: 'gpt' }),
  ];
  const disabledIds = (s: DeploymentStats) =>
    s
      .snapshot(fleet)
      .filter((d) => d.disabled)
      .map((d) => d.id);

  test('takes one deployment out of rotation, and back', () => {
    const s = fakeClocks().stats();
    s.disable({ deployment: 'oa-2' });
    assert.deepEqual(disabledIds(s), ['oa-2']);
    assert.equal(s.isDisabled('oa-2', 'openai', 'mini'), true);
    s.enable({ deployment: 'oa-2' });
    assert.deepEqual(disabledIds(s), []);
  });

  test('takes every deployment of a provider out of rotation', () => {
    const s = fakeClocks().stats();
    s.disable({ provider: 'anthropic' });
    assert.deepEqual(disabledIds(s), ['an-1', 'an-2']);
  });

  test('takes every deployment of a model out of rotation, whatever the provider', () => {
    const s = fakeClocks().stats();
    s.disable({ model: 'gpt' });
    assert.deepEqual(disabledIds(s), ['oa-1', 'an-2']);
  });

  test('switches are independent: enabling a model keeps its provider switch', () => {
    const s = fakeClocks().stats();
    s.disable({ provider: 'openai' });
    s.disable({ model: 'gpt' });
    s.enable({ model: 'gpt' });
    assert.deepEqual(disabledIds(s), ['oa-1', 'oa-2']);
    assert.deepEqual(s.killSwitches(), [{ provider: 'openai' }]);
  });

  test('a provider and a model of the same name are different switches', () => {
    const s = fakeClocks().stats();
    s.disable({ model: 'openai' });
    assert.deepEqual(disabledIds(s), []);
  });
});

describe('lastAnsweredAt (passive health)', () => {
  test('is the time of the last attempt that ended ok with a latency; failures and client aborts leave it', () => {
    const { stats, advance } = fakeClocks();
    const s = stats();
    assert.equal(s.lastAnsweredAt('a'), undefined);
    s.begin('a')({ ok: true, latencyMs: 20 });
    assert.equal(s.lastAnsweredAt('a'), 1_000);
    advance(500);
    s.begin('a')({ ok: false, latencyMs: 20 });
    s.begin('a')({ ok: true });
    assert.equal(s.lastAnsweredAt('a'), 1_000);
    assert.equal(s.lastAnsweredAt('b'), undefined);
  });
});
