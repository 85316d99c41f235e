import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { orderDeployments, type DeploymentSnapshot, type RoutingStrategy } from '../../src/routing/balancers.js';
import { DeploymentStats, type DeploymentRef } from '../../src/routing/deployment-stats.js';
import { createRandom } from '../../src/providers/sim/generate.js';

const strategies: RoutingStrategy[] = ['weighted', 'least_outstanding', 'latency'];
const picks = 20_000;

function deployment(id: string, fields: Partial<DeploymentSnapshot> = {}): DeploymentSnapshot {
  return { id, weight: 1, healthWeight: 1, outstanding: 0, disabled: false, ...fields };
}

/** Share of first picks per deployment id over `picks` seeded orderings of the same snapshot. */
function firstPickShares(strategy: RoutingStrategy, candidates: DeploymentSnapshot[], now = 0): Map<string, number> {
  const random = createRandom(42);
  const counts = new Map<string, number>();
  for (let i = 0; i < picks; i++) {
    const first = orderDeployments(strategy, candidates, { random, now })[0];
    assert.ok(first !== undefined, 'no deployment was picked');
    counts.set(first.id, (counts.get(first.id) ?? 0) + 1);
  }
  return new Map([...counts].map(([id, count]) => [id, count / picks]));
}

function assertShare(shares: Map<string, number>, id: string, expected: number, tolerance = 0.015): void {
  const actual = shares.get(id) ?? 0;
  assert.ok(Math.abs(actual - expected) <= tolerance, `${id}: share ${actual.toFixed(4)}, expected ${expected.toFixed(4)}`);
}

const ids = (order: DeploymentSnapshot[]) => order.map((d) => d.id);

describe('weighted strategy', () => {
  test('first picks are proportional to weight over 20k seeded picks', () => {
    const shares = firstPickShares('weighted', [
      deployment('a', { weight: 1 }),
      deployment('b', { weight: 2 }),
      deployment('c', { weight: 7 }),
    ]);
    assertShare(shares, 'a', 0.1);
    assertShare(shares, 'b', 0.2);
    assertShare(shares, 'c', 0.7);
  });

  test('a recovering breaker at weight 0.1 gets a tenth of its normal weight', () => {
    const shares = firstPickShares('weighted', [deployment('steady'), deployment('recovering', { healthWeight: 0.1 })]);
    assertShare(shares, 'recovering', 0.1 / 1.1);
    assertShare(shares, 'steady', 1 / 1.1);
  });

  test('the order holds every deployment in rotation once, the backups after the pick', () => {
    const order = orderDeployments('weighted', [deployment('a'), deployment('b'), deployment('c')], {
      random: createRandom(1),
      now: 0,
    });
    assert.deepEqual(ids(order).sort(), ['a', 'b', 'c']);
  });
});

describe('every strategy leaves out what is out of rotation', () => {
  for (const strategy of strategies) {
    test(`${strategy}: zero weight, open breaker and kill switch are excluded`, () => {
      const order = orderDeployments(
        strategy,
        [
          deployment('zero-weight', { weight: 0 }),
          deployment('open-breaker', { healthWeight: 0 }),
          deployment('disabled', { disabled: true }),
          deployment('healthy'),
        ],
        { random: createRandom(7), now: 0 },
      );
      assert.deepEqual(ids(order), ['healthy']);
    });

    test(`${strategy}: nothing in rotation gives an empty order`, () => {
      const order = orderDeployments(strategy, [deployment('open', { healthWeight: 0 })], { random: Math.random, now: 0 });
      assert.deepEqual(order, []);
    });
  }
});

describe('least_outstanding strategy', () => {
  test('prefers the idle deployment', () => {
    const candidates = [deployment('busy', { outstanding: 3 }), deployment('idle'), deployment('busier', { outstanding: 5 })];
    for (let seed = 0; seed < 50; seed++) {
      const order = orderDeployments('least_outstanding', candidates, { random: createRandom(seed), now: 0 });
      assert.deepEqual(ids(order), ['idle', 'busy', 'busier']);
    }
  });

  test('counts outstanding per unit of effective weight', () => {
    const order = orderDeployments(
      'least_outstanding',
      [deployment('small', { outstanding: 2 }), deployment('large', { weight: 4, outstanding: 4 })],
      { random: createRandom(3), now: 0 },
    );
    assert.deepEqual(ids(order), ['large', 'small']);
  });

  test('spreads concurrent load in proportion to weight', () => {
    const stats = new DeploymentStats({ clock: { now: () => 0 } });
    const refs: DeploymentRef[] = [
      { id: 'a', provider: 'p', model: 'm', weight: 2 },
      { id: 'b', provider: 'p', model: 'm', weight: 1 },
      { id: 'c', provider: 'p', model: 'm', weight: 1 },
    ];
    const random = createRandom(9);
    for (let i = 0; i < 40; i++) {
      const first = orderDeployments('least_outstanding', stats.snapshot(refs), { random, now: 0 })[0]!;
      stats.begin(first.id);
    }
    const outstanding = Object.fromEntries(stats.snapshot(refs).map((d) => [d.id, d.outstanding]));
    assert.deepEqual(outstanding, { a: 20, b: 10, c: 10 });
  });

  test('idle deployments still split traffic by weight', () => {
    const shares = firstPickShares('least_outstanding', [deployment('a', { weight: 3 }), deployment('b')]);
    assertShare(shares, 'a', 0.75);
    assertShare(shares, 'b', 0.25);
  });
});

describe('latency strategy', () => {
  const refs: DeploymentRef[] = [
    { id: 'a', provider: 'p', model: 'm', weight: 1 },
    { id: 'b', provider: 'p', model: 'm', weight: 1 },
  ];

  /** Sends `count` sequential requests 100 ms apart; each deployment answers in its current latency. */
  function run(stats: DeploymentStats, clock: { t: number }, latency: Record<string, number>, count: number) {
    const random = createRandom(clock.t);
    const served = { a: 0, b: 0 };
    for (let i = 0; i < count; i++) {
      const first = orderDeployments('latency', stats.snapshot(refs), { random, now: clock.t })[0]!;
      const finish = stats.begin(first.id);
      clock.t += 100;
      finish({ ok: true, latencyMs: latency[first.id]! });
      served[first.id as keyof typeof served] += 1;
    }
    return served;
  }

  test('shifts traffic to the fast deployment, then back when the slow one recovers', () => {
    const clock = { t: 0 };
    const stats = new DeploymentStats({ clock: { now: () => clock.t }, latencyDecayMs: 10_000 });

    run(stats, clock, { a: 100, b: 800 }, 100);
    const whileBSlow = run(stats, clock, { a: 100, b: 800 }, 1000);
    assert.ok(whileBSlow.a >= 980, `a served ${whileBSlow.a} of 1000 while b was slow`);
    assert.ok(whileBSlow.b >= 1, 'the slow deployment is still probed now and then');

    run(stats, clock, { a: 100, b: 40 }, 300);
    const afterRecovery = run(stats, clock, { a: 100, b: 40 }, 1000);
    assert.ok(afterRecovery.b >= 950, `b served ${afterRecovery.b} of 1000 after it became the faster one`);
  });

  test('requests in flight raise the cost: a busy fast deployment loses to an idle slower one', () => {
    const order = orderDeployments(
      'latency',
      [deployment('fast-busy', { latencyMs: 100, outstanding: 9 }), deployment('slow-idle', { latencyMs: 500 })],
      { random: createRandom(5), now: 0 },
    );
    assert.deepEqual(ids(order), ['slow-idle', 'fast-busy']);
  });

  test('a deployment without measurements is tried, but does not draw requests while they are in flight', () => {
    const shares = firstPickShares('latency', [deployment('known', { latencyMs: 200 }), deployment('new')]);
    assert.ok((shares.get('new') ?? 0) > 0.3, `new deployment got ${shares.get('new')} of first picks`);

    const busyNew = orderDeployments(
      'latency',
      [deployment('known', { latencyMs: 200 }), deployment('new', { outstanding: 4 })],
      { random: createRandom(2), now: 0 },
    );
    assert.deepEqual(ids(busyNew), ['known', 'new']);
  });

  test('lower effective weight raises the cost', () => {
    const order = orderDeployments(
      'latency',
      [deployment('recovering', { latencyMs: 100, healthWeight: 0.1 }), deployment('steady', { latencyMs: 300 })],
      { random: createRandom(4), now: 0 },
    );
    assert.deepEqual(ids(order), ['steady', 'recovering']);
  });

  test('the order holds every deployment in rotation once', () => {
    const candidates = ['a', 'b', 'c', 'd', 'e'].map((id, i) => deployment(id, { latencyMs: 100 * (i + 1) }));
    const order = orderDeployments('latency', candidates, { random: createRandom(8), now: 0 });
    assert.deepEqual(ids(order).sort(), ['a', 'b', 'c', 'd', 'e']);
  });
});

describe('quota headroom and cooldowns keep a deployment as a last resort', () => {
  /** A deployment every strategy ranks below a plain one: tiny weight, busy and slow. */
  const disfavoured = () => deployment('other', { weight: 1e-9, outstanding: 3, latencyMs: 900 });

  for (const strategy of strategies) {
    test(`${strategy}: 20% headroom goes last with quota share 0.7`, () => {
      const candidates = [deployment('near-quota', { quotaHeadroom: 0.2 }), disfavoured()];
      for (let seed = 0; seed < 20; seed++) {
        const order = orderDeployments(strategy, candidates, { random: createRandom(seed), now: 0, quotaShare: 0.7 });
        assert.deepEqual(ids(order), ['other', 'near-quota']);
      }
    });

    test(`${strategy}: cooling down goes last until the cooldown ends`, () => {
      const candidates = [deployment('cooling', { coolingDownUntil: 5_000 }), disfavoured()];
      assert.deepEqual(ids(orderDeployments(strategy, candidates, { random: createRandom(1), now: 4_999 })), ['other', 'cooling']);
      assert.deepEqual(ids(orderDeployments(strategy, candidates, { random: createRandom(1), now: 5_000 })), ['cooling', 'other']);
    });
  }

  test('headroom above the quota share stays in normal rotation', () => {
    const candidates = [deployment('a', { quotaHeadroom: 0.4 }), deployment('b')];
    assertShare(firstPickShares('weighted', candidates), 'a', 0.5);
  });

  test('a larger quota share lets a deployment use more of its quota before it goes last', () => {
    const candidates = [deployment('a', { quotaHeadroom: 0.2 }), deployment('b', { outstanding: 1 })];
    const order = orderDeployments('least_outstanding', candidates, { random: createRandom(1), now: 0, quotaShare: 0.9 });
    assert.deepEqual(ids(order), ['a', 'b']);
  });

  test('the default quota share is 0.7', () => {
    const candidates = [deployment('a', { quotaHeadroom: 0.29 }), deployment('b', { quotaHeadroom: 0.31, outstanding: 1 })];
    const order = orderDeployments('least_outstanding', candidates, { random: createRandom(1), now: 0 });
    assert.deepEqual(ids(order), ['b', 'a']);
  });

  test('several last-resort deployments keep the strategy order among themselves', () => {
    const order = orderDeployments(
      'least_outstanding',
      [
        deployment('cooling-busy', { coolingDownUntil: 10, outstanding: 4 }),
        deployment('quota-idle', { quotaHeadroom: 0 }),
        deployment('fine', { outstanding: 9 }),
      ],
      { random: createRandom(1), now: 0 },
    );
    assert.deepEqual(ids(order), ['fine', 'quota-idle', 'cooling-busy']);
  });

  test('a deployment that reported 20% headroom returns to normal after its reset time', () => {
    let now = 0;
    const stats = new DeploymentStats({ clock: { now: () => now } });
    const refs: DeploymentRef[] = [
      { id: 'a', provider: 'openai', model: 'm', weight: 1 },
      { id: 'b', provider: 'openai', model: 'm', weight: 1 },
    ];
    stats.observeQuota(
      'a',
      new Headers({ 'x-ratelimit-limit-requests': '100', 'x-ratelimit-remaining-requests': '20', 'x-ratelimit-reset-requests': '6m0s' }),
    );
    stats.begin('b');
    const order = () => ids(orderDeployments('least_outstanding', stats.snapshot(refs), { random: createRandom(1), now }));
    assert.deepEqual(order(), ['b', 'a']);
    now = 359_999;
    assert.deepEqual(order(), ['b', 'a']);
    now = 360_000;
    assert.deepEqual(order(), ['a', 'b']);
  });
});
