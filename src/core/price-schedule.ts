/**
 * Prices over time (DESIGN.md §6): every price row applies from `effectiveFrom` (inclusive) until `effectiveTo`
 * (exclusive, absent = until further notice). A `PriceSchedule` holds one model's rows at one provider and answers
 * "what did a request at time t cost"; a `PriceTable` holds every row, for lookup by provider, model and time.
 */
import { lookupPrice, type Price } from './pricing.js';

/** One version of a model's price. Times are Unix epoch milliseconds. */
export interface PricePeriod {
  readonly price: Price;
  readonly effectiveFrom: number;
  readonly effectiveTo?: number;
}

/** A shipped or configured price row: which model, at which provider (`null` for every provider), when, how much. */
export interface PriceRow extends PricePeriod {
  readonly provider: string | null;
  readonly model: string;
}

/** A price list entry as the lists in core/prices/ write it: dates as `YYYY-MM-DD` (UTC midnight). */
export type ListedPrice = Price & { readonly model: string; readonly from: string; readonly to?: string };

const covers = (period: PricePeriod, at: number) =>
  period.effectiveFrom <= at && (period.effectiveTo === undefined || at < period.effectiveTo);

/** One model's prices over time, oldest first. Lookup is a scan of a handful of rows: cheap per request. */
export class PriceSchedule {
  readonly periods: readonly PricePeriod[];

  constructor(periods: readonly PricePeriod[]) {
    this.periods = [...periods].sort((a, b) => a.effectiveFrom - b.effectiveFrom);
  }

  /** A price that has always applied and always will (a deployment's `price:` in config, simulated tokens). */
  static always(price: Price): PriceSchedule {
    return new PriceSchedule([{ price, effectiveFrom: Number.NEGATIVE_INFINITY }]);
  }

  /** The price in effect at `at` (epoch ms); undefined before the first row or in a gap between rows. */
  at(at: number): Price | undefined {
    for (let index = this.periods.length - 1; index >= 0; index--) {
      const period = this.periods[index]!;
      if (covers(period, at)) return period.price;
    }
    return undefined;
  }

  /** The first time after `at` when the price in effect may change (a row starts or ends); Infinity if never. */
  nextChangeAfter(at: number): number {
    let next = Number.POSITIVE_INFINITY;
    for (const { effectiveFrom, effectiveTo } of this.periods) {
      if (effectiveFrom > at) next = Math.min(next, effectiveFrom);
      if (effectiveTo !== undefined && effectiveTo > at) next = Math.min(next, effectiveTo);
    }
    return next;
  }
}

export const utcDate = (date: string): number => {
  const ms = Date.parse(`${date}T00:00:00Z`);
  if (Number.isNaN(ms)) throw new Error(`invalid price date "${date}" (want YYYY-MM-DD)`);
  return ms;
};

/** A list entry as a table row of `provider` (`null` for every provider). */
export function rowOf(provider: string | null, { model, from, to, ...price }: ListedPrice): PriceRow {
  return { provider, model, price, effectiveFrom: utcDate(from), ...(to === undefined ? {} : { effectiveTo: utcDate(to) }) };
}

/** Rows grouped into one schedule per model. */
function groupByModel(rows: readonly PriceRow[]): Record<string, PriceSchedule> {
  const byModel = new Map<string, PricePeriod[]>();
  for (const row of rows) byModel.set(row.model, [...(byModel.get(row.model) ?? []), row]);
  return Object.fromEntries([...byModel].map(([model, periods]) => [model, new PriceSchedule(periods)]));
}

/** A list's rows grouped into one schedule per model. */
export function schedulesOf(listed: readonly ListedPrice[]): Record<string, PriceSchedule> {
  return groupByModel(listed.map((entry) => rowOf(null, entry)));
}

/** Each model's price in effect at `at`: what a list "is" today (the capacity planner compares against it). */
export function pricesAt(schedules: Readonly<Record<string, PriceSchedule>>, at: number): Record<string, Price> {
  const prices: Record<string, Price> = {};
  for (const [model, schedule] of Object.entries(schedules)) {
    const price = schedule.at(at);
    if (price !== undefined) prices[model] = price;
  }
  return prices;
}

/**
 * Every price row, shipped and configured. Rows of a model at a provider replace that model's shipped rows as a
 * whole (a configured history is the whole truth for that model); rows with no provider apply at any provider
 * that has no row of its own for the model.
 */
export class PriceTable {
  private readonly byProvider = new Map<string | null, Record<string, PriceSchedule>>();

  constructor(readonly rows: readonly PriceRow[]) {
    const grouped = new Map<string | null, PriceRow[]>();
    for (const row of rows) grouped.set(row.provider, [...(grouped.get(row.provider) ?? []), row]);
    for (const [provider, own] of grouped) this.byProvider.set(provider, groupByModel(own));
  }

  /** The schedule of `model` at `provider`: its own rows, else the any-provider rows; dated names match their base. */
  scheduleOf(provider: string, model: string): PriceSchedule | undefined {
    const own = this.byProvider.get(provider);
    const found = own === undefined ? undefined : lookupPrice(own, model);
    if (found !== undefined) return found;
    const any = this.byProvider.get(null);
    return any === undefined ? undefined : lookupPrice(any, model);
  }

  /** The price of `model` at `provider` at time `at`. */
  priceAt(provider: string, model: string, at: number): Price | undefined {
    return this.scheduleOf(provider, model)?.at(at);
  }
}
