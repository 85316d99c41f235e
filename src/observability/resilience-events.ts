/** Turns resilience events into metrics and log lines: breaker transitions, outage alerts, engine-aware routing. */
import type { Resilience } from '../reliability/resilience.js';
import { observeEngineRouting } from './engine-routing-metrics.js';
import { log } from './log.js';
import type { GatewayMetrics } from './metrics.js';

export function observeResilience(resilience: Resilience, metrics: GatewayMetrics): void {
  observeEngineRouting(resilience.engineAware, metrics.registry);
  resilience.breakers.onTransition((deployment, from, to, reason) => {
    metrics.setCircuitState(deployment, to);
    const fields = { deployment, from, to, reason };
    if (to === 'open') log.warn('circuit opened', fields);
    else log.info('circuit state changed', fields);
  });
  resilience.onAlert((alert) => {
    metrics.countAlert(alert.kind);
    const fields = { deployment: alert.id, error_rate: Number(alert.errorRate.toFixed(3)), window_ms: alert.windowMs };
    if (alert.kind === 'outage_started') log.error('outage detected', fields);
    else log.info('outage resolved', fields);
  });
}
