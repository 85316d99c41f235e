/**
 * Every admin route, in the order the OpenAPI document lists them. To add routes, declare them with
 * `defineAdminRoute` in your module and spread your array into `declaredRoutes` (see registry.ts).
 */
import { budgetRoutes } from './budgets.js';
import { keyRoutes } from './keys.js';
import { openApiRoute } from './openapi.js';
import { planRoutes } from './plan.js';
import { requestLogRoutes } from './requests.js';
import type { AdminRoute } from './registry.js';
import { resilienceRoutes } from './resilience.js';
import { tenantRoutes } from './tenants.js';
import { usageRoutes } from './usage.js';

const declaredRoutes: readonly AdminRoute[] = [...tenantRoutes, ...keyRoutes, ...budgetRoutes, ...usageRoutes, ...resilienceRoutes, ...planRoutes, ...requestLogRoutes];

export const adminRoutes: readonly AdminRoute[] = [...declaredRoutes, openApiRoute(() => adminRoutes)];
