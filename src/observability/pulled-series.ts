/**
 * prom-client metrics whose per-request series are plain numbers, read by the registry on scrape. prom-client
 * validates and hashes the label set on every `inc`/`observe`, even through a `labels()` child; a request records
 * about ten values, so that was several hashes per request. Here a series is bound once and recording is an
 * addition; `/metrics` renders the same names, types, labels, buckets and values as prom-client's own series
 * (series appear once first recorded, in that order, and sum in the order they were recorded).
 */
import { Counter, Histogram, type CounterConfiguration, type HistogramConfiguration, type LabelValues } from 'prom-client';

/** Mirrors prom-client's checks, so a bad value still throws where it is recorded. */
function checkIncrement(value: number): void {
  if (value && !Number.isFinite(value)) throw new TypeError(`Value is not a valid number: ${value}`);
  if (value < 0) throw new Error('It is not possible to decrease a counter');
}

export class CounterSeries<T extends string> {
  value = 0;
  private recorded = false;

  constructor(
    readonly labels: LabelValues<T>,
    private readonly appear: (series: CounterSeries<T>) => void,
  ) {}

  inc(value = 1): void {
    checkIncrement(value);
    if (!this.recorded) {
      this.recorded = true;
      this.appear(this);
    }
    this.value += value;
  }
}

/**
 * A counter whose series come from `series()`. Its prom-client `inc(labels)` still counts, but those series render
 * before the pulled ones whatever the recording order: record each counter one way only.
 */
export class PulledCounter<T extends string> extends Counter<T> {
  private readonly recordedSeries: CounterSeries<T>[] = [];

  constructor(configuration: CounterConfiguration<T>) {
    super(configuration);
  }

  /** One label set's series; call once per label set and keep it. */
  series(labels: LabelValues<T>): CounterSeries<T> {
    return new CounterSeries(labels, (series) => this.recordedSeries.push(series));
  }

  override async get(): ReturnType<Counter<T>['get']> {
    const metric = await super.get();
    return { ...metric, values: [...metric.values, ...this.recordedSeries.map(({ labels, value }) => ({ labels, value }))] };
  }
}

export class HistogramSeries<T extends string> {
  /** Observations per bucket, not cumulative; the last slot counts those above the highest bound. */
  readonly counts: number[];
  sum = 0;
  count = 0;

  constructor(
    readonly labels: LabelValues<T>,
    private readonly bounds: readonly number[],
    private readonly appear: (series: HistogramSeries<T>) => void,
  ) {
    this.counts = new Array<number>(bounds.length + 1).fill(0);
  }

  observe(value: number): void {
    if (!Number.isFinite(value)) throw new TypeError(`Value is not a valid number: ${value}`);
    if (this.count === 0) this.appear(this);
    let bucket = 0;
    while (bucket < this.bounds.length && value > this.bounds[bucket]!) bucket++;
    this.counts[bucket]! += 1;
    this.sum += value;
    this.count += 1;
  }
}

/** One line of prom-client's histogram rendering: bucket lines carry `le` and the series labels as shared ones. */
interface HistogramLine<T extends string> {
  labels: LabelValues<T> | { le: number | string };
  sharedLabels: LabelValues<T>;
  value: number;
  metricName: string;
}

/**
 * A histogram recorded only through `series()` (its prom-client `observe` is not used, nor `reset`, which
 * prom-client's constructor calls before this class's fields exist). prom-client's registry renders a histogram
 * from `getForPromString()` and its `get()` builds on that, so both come from here.
 */
export class PulledHistogram<T extends string> extends Histogram<T> {
  private readonly recordedSeries: HistogramSeries<T>[] = [];
  private readonly bounds: readonly number[];
  private readonly metricName: string;
  private readonly metricHelp: string;

  constructor(configuration: HistogramConfiguration<T> & { buckets: number[] }) {
    super(configuration);
    this.bounds = [...configuration.buckets];
    this.metricName = configuration.name;
    this.metricHelp = configuration.help;
  }

  /** One label set's series; call once per label set and keep it. */
  series(labels: LabelValues<T>): HistogramSeries<T> {
    return new HistogramSeries(labels, this.bounds, (series) => this.recordedSeries.push(series));
  }

  async getForPromString(): Promise<{ name: string; help: string; type: 'histogram'; values: HistogramLine<T>[]; aggregator: 'sum' }> {
    const bucketName = `${this.metricName}_bucket`;
    const values: HistogramLine<T>[] = [];
    for (const series of this.recordedSeries) {
      const shared = series.labels;
      let cumulative = 0;
      for (let bucket = 0; bucket < this.bounds.length; bucket++) {
        cumulative += series.counts[bucket]!;
        values.push({ labels: { le: this.bounds[bucket]! }, sharedLabels: shared, value: cumulative, metricName: bucketName });
      }
      values.push(
        { labels: { le: '+Inf' }, sharedLabels: shared, value: series.count, metricName: bucketName },
        { labels: {}, sharedLabels: shared, value: series.sum, metricName: `${this.metricName}_sum` },
        { labels: {}, sharedLabels: shared, value: series.count, metricName: `${this.metricName}_count` },
      );
    }
    return { name: this.metricName, help: this.metricHelp, type: 'histogram', values, aggregator: 'sum' };
  }
}
