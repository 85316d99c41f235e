/**
 * Every admin route, in the order the OpenAPI document lists them. To add routes, declare them with
 * `defineAdminRoute` in your module and spread your array here (see registry.ts).
 */
import type { AdminRoute } from './registry.js';
import { resilienceRoutes } from './resilience.js';

const declaredRoutes: readonly AdminRoute[] = [...resilienceRoutes];

export const adminRoutes: readonly AdminRoute[] = declaredRoutes;
