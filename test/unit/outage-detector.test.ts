import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { healthCheckSchema } from '../../src/config/resilience-schema.js';
import { OutageDetector, outageDetectorOptionsFromConfig, type OutageAlert } from '../../src/reliability/outage-detector.js';
import { FakeTime } from '../helpers/fake-time.js';

const defaults = outageDetectorOptionsFromConfig(healthCheckSchema.parse({}));

function setup() {
  const time = new FakeTime();
  const detector = new OutageDetector(defaults, time);
  const alerts: OutageAlert[] = [];
  detector.onAlert((alert) => alerts.push(alert));
  /** Records `failures` failures then `successes` successes for one deployment. */
  const traffic = (id: string, failures: number, successes: number) => {
    for (let i = 0; i < failures; i++) detector.record(id, false);
    for (let i = 0; i < successes; i++) detector.record(id, true);
  };
  return { time, detector, alerts, traffic };
}

const kinds = (alerts: OutageAlert[]) => alerts.map((alert) => alert.kind);

describe('OutageDetector', () => {
  test('the config defaults are 20% over one minute once 10 requests were seen', () => {
    assert.deepEqual(defaults, { windowMs: 60_000, errorRate: 0.2, minRequests: 10 });
  });

  test('raises no alert before the window holds the minimum number of requests', () => {
    const { alerts, traffic } = setup();
    traffic('a', 9, 0);
    assert.deepEqual(alerts, []);
  });

  test('fires one outage_started when the error rate crosses the threshold, not one per failure', () => {
    const { alerts, traffic } = setup();
    traffic('a', 0, 8);
    traffic('a', 3, 0);
    assert.deepEqual(alerts, [{ kind: 'outage_started', id: 'a', errorRate: 3 / 11, requests: 11, windowMs: 60_000 }]);
    traffic('a', 50, 0);
    assert.equal(alerts.length, 1);
  });

  test('an error rate exactly at the threshold is not an outage', () => {
    const { alerts, traffic } = setup();
    traffic('a', 0, 8);
    traffic('a', 2, 0);
    assert.deepEqual(alerts, []);
  });

  test('resolves once, only when the rate falls to half the threshold (hysteresis)', () => {
    const { alerts, traffic } = setup();
    traffic('a', 5, 5);
    assert.deepEqual(kinds(alerts), ['outage_started']);
    traffic('a', 0, 23); // 5 / 33 ≈ 15%: better, but not well enough
    assert.deepEqual(kinds(alerts), ['outage_started']);
    traffic('a', 0, 17); // 5 / 50 = 10%
    assert.deepEqual(alerts.at(-1), {
      kind: 'outage_resolved',
      reason: 'recovered',
      id: 'a',
      errorRate: 0.1,
      requests: 50,
      windowMs: 60_000,
    });
    traffic('a', 0, 100);
    assert.deepEqual(kinds(alerts), ['outage_started', 'outage_resolved']);
  });

  test('failures older than the window stop counting', async () => {
    const { time, alerts, traffic } = setup();
    traffic('a', 10, 0);
    await time.advance(61_000);
    traffic('a', 0, 10);
    assert.deepEqual(
      alerts.map((alert) => [alert.kind, alert.errorRate, alert.requests]),
      [
        ['outage_started', 1, 10],
        ['outage_resolved', 0, 10],
      ],
    );
  });

  test('a deployment in outage that gets no traffic for a whole window is resolved by sweep()', async () => {
    const { time, detector, alerts, traffic } = setup();
    traffic('a', 10, 0);
    await time.advance(30_000);
    detector.sweep();
    assert.deepEqual(kinds(alerts), ['outage_started']);
    await time.advance(31_000);
    detector.sweep();
    detector.sweep();
    assert.deepEqual(alerts.at(-1), { kind: 'outage_resolved', reason: 'no_traffic', id: 'a', errorRate: 0, requests: 0, windowMs: 60_000 });
    assert.equal(alerts.length, 2);
    assert.deepEqual(detector.status(), {});
  });

  test('a little traffic after an outage is not enough evidence to resolve it', async () => {
    const { time, alerts, traffic } = setup();
    traffic('a', 10, 0);
    await time.advance(61_000);
    traffic('a', 0, 3);
    assert.deepEqual(kinds(alerts), ['outage_started']);
  });

  test('forget() closes an open outage of a removed deployment, and is silent otherwise', () => {
    const { detector, alerts, traffic } = setup();
    traffic('down', 10, 0);
    traffic('fine', 0, 10);
    detector.forget('down');
    detector.forget('fine');
    detector.forget('unknown');
    assert.deepEqual(
      alerts.map((alert) => [alert.kind, alert.id, alert.kind === 'outage_resolved' ? alert.reason : '']),
      [
        ['outage_started', 'down', ''],
        ['outage_resolved', 'down', 'removed'],
      ],
    );
    assert.deepEqual(Object.keys(detector.status()), []);
  });

  test('deployments are judged independently', () => {
    const { detector, alerts, traffic } = setup();
    traffic('a', 10, 0);
    traffic('b', 1, 20);
    assert.deepEqual(
      alerts.map((alert) => alert.id),
      ['a'],
    );
    assert.deepEqual(detector.status(), {
      a: { inOutage: true, errorRate: 1, requests: 10 },
      b: { inOutage: false, errorRate: 1 / 21, requests: 21 },
    });
  });

  test('a reload with a stricter threshold applies to the next outcome', () => {
    const { detector, alerts, traffic } = setup();
    traffic('a', 1, 9);
    detector.configure({ ...defaults, errorRate: 0.05 });
    traffic('a', 0, 1);
    assert.deepEqual(kinds(alerts), ['outage_started']);
  });

  test('a listener that throws neither breaks record() nor starves other listeners; unsubscribing stops alerts', () => {
    const { detector, alerts, traffic } = setup();
    detector.onAlert(() => {
      throw new Error('pager is down');
    });
    const other: OutageAlert[] = [];
    const unsubscribe = detector.onAlert((alert) => other.push(alert));
    traffic('a', 10, 0);
    assert.deepEqual(kinds(other), ['outage_started']);
    unsubscribe();
    traffic('a', 0, 90);
    assert.deepEqual(kinds(other), ['outage_started']);
    assert.deepEqual(kinds(alerts), ['outage_started', 'outage_resolved']);
  });
});
