/**
 * Turns a dependency's availability changes into one log line and one gauge change each: an outage of Redis
 * under load logs "unreachable" once and "reachable again" once, never a line per request.
 */
import type { Availability } from '../core/availability.js';
import { log } from './log.js';
import type { GatewayMetrics } from './metrics.js';

/** `dependency`: the metric label, e.g. `redis_rate_limits`. Returns the unsubscribe function. */
export function observeAvailability(availability: Availability, dependency: string, metrics: GatewayMetrics): () => void {
  metrics.setDependencyUp(dependency, availability.up);
  return availability.onChange((up, error) => {
    metrics.setDependencyUp(dependency, up);
    if (up) log.info(`${availability.name} reachable again`, { dependency });
    else log.warn(`${availability.name} unreachable`, { dependency, error: error?.message });
  });
}
