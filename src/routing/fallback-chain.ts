/**
 * The models a request may be served by, in order: the requested one, then its fallbacks. Conditional
 * fallbacks (context too long, content filtered, rate limited) are inserted right after the model that failed
 * that way, ahead of the general list. Each model appears once; only deployments that support the operation
 * count, and only models of the same kind (chat or embedding) as the requested one.
 */
import { GatewayError } from '../core/errors.js';
import { supports, type Operation } from '../core/provider.js';
import { resolveModel, type Random } from './resolve.js';
import { operationKind, type ConditionalFallbackKind, type Deployment, type ModelRoute, type RouteTable } from './route-table.js';

export class FallbackChain {
  private readonly models: ModelRoute[] = [];
  private readonly seen = new Set<string>();
  /** The general fallbacks are resolved only when the loop runs out of models: most requests never need them. */
  private generalAdded = false;

  constructor(
    private readonly table: RouteTable,
    readonly primary: ModelRoute,
    readonly operation: Operation,
    private readonly random: Random,
  ) {
    if (primary.kind !== operationKind(operation)) {
      const what = primary.kind === 'embedding' ? 'an embedding model' : 'not an embedding model';
      throw new GatewayError('invalid_request', `The model \`${primary.name}\` is ${what} and cannot serve ${operation}.`, {
        param: 'model',
      });
    }
    if (this.deploymentsOf(primary).length === 0) {
      throw new GatewayError('invalid_request', `The model \`${primary.name}\` has no deployment that supports ${operation}.`, {
        param: 'model',
      });
    }
    this.insert(this.models.length, [primary.name]);
  }

  /** The model at `position`, or undefined past the end. */
  at(position: number): ModelRoute | undefined {
    if (position >= this.models.length && !this.generalAdded) {
      this.generalAdded = true;
      this.insert(this.models.length, this.primary.fallbacks);
    }
    return this.models[position];
  }

  /** Runs a few times per request: when every deployment supports the operation (always for chat), the model's own list, read-only. */
  deploymentsOf(model: ModelRoute): readonly Deployment[] {
    const { deployments } = model;
    for (const deployment of deployments) {
      if (!supports(deployment.adapter, this.operation)) return deployments.filter((each) => supports(each.adapter, this.operation));
    }
    return deployments;
  }

  /** After `model` (at `position`) failed with `kind`, its conditional fallbacks go next. */
  addConditional(position: number, model: ModelRoute, kind: ConditionalFallbackKind): void {
    this.insert(position + 1, model.fallbacksOn[kind]);
  }

  private insert(position: number, names: readonly string[]): void {
    const added: ModelRoute[] = [];
    for (const name of names) {
      const model = resolveModel(this.table, name, this.random);
      if (this.seen.has(model.name) || model.kind !== this.primary.kind || this.deploymentsOf(model).length === 0) continue;
      this.seen.add(model.name);
      added.push(model);
    }
    this.models.splice(position, 0, ...added);
  }
}
