/**
 * Suites that need a real service (PostgreSQL, Redis): run them when it answers; under CI=true a missing
 * service is a failing test, never a silent skip; locally the suite skips with a loud line on stderr.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

export interface Service {
  /** Human name, e.g. "PostgreSQL". */
  name: string;
  url: string;
  /** Why the probe failed; undefined when the service answered. */
  unreachable: string | undefined;
  /** What to do about it, e.g. "Start Redis or set TEST_REDIS_URL". */
  hint: string;
}

export function describeWithService(service: Service, name: string, body: () => void): void {
  if (service.unreachable === undefined) {
    describe(name, body);
    return;
  }
  const why = `${service.name} is unreachable at ${service.url}: ${service.unreachable}`;
  if (process.env.CI === 'true') {
    test(`${name} (needs ${service.name})`, () => assert.fail(`CI=true and ${why}`));
    return;
  }
  process.stderr.write(`\n!!! SKIPPING "${name}": ${why}. ${service.hint}; CI fails here.\n\n`);
  describe(name, { skip: why }, body);
}
