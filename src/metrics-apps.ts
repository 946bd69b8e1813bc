// Per-app Prometheus series, stored compactly: one row per app holds the values of every per-app
// family (a few numbers), and the label sets are built only while /metrics is being written.
//
// Why not prom-client's Gauge/Counter for these: each of their series keeps its own label object,
// hash key string and entry, ≈ 210 bytes × 14 series per app — 14.8 MB at 5,000 apps, a quarter of
// what drover retains (measured with `npm run bench:memory`). The families below register in the same
// prom-client Registry (it only asks a metric for `get()`), so the exposition is unchanged.
import type { MetricObjectWithValues, MetricValue, Registry } from 'prom-client';

/** Value slots of an app row; each per-app family owns one slot, or one per value of its extra label. */
type Slot = number;

interface AppRow {
  namespace: string;
  app: string;
  values: number[];
  /** drover_app_info's two status labels */
  info?: [sync: string, health: string];
  /** drover_service_instances: per service, the count for each state in the family's state order */
  instances?: { service: string; counts: number[] }[];
}

/** The rows shared by every per-app family of one registry. */
export class AppTable {
  private readonly rows = new Map<string, AppRow>();
  private width = 0;

  /** Reserves `n` value slots and returns the first. */
  allocate(n: number): Slot {
    const first = this.width;
    this.width += n;
    for (const row of this.rows.values()) while (row.values.length < this.width) row.values.push(0);
    return first;
  }

  row(namespace: string, app: string): AppRow {
    const key = `${namespace}/${app}`;
    let row = this.rows.get(key);
    if (!row) {
      row = { namespace, app, values: new Array<number>(this.width).fill(0) };
      this.rows.set(key, row);
    }
    return row;
  }

  find(namespace: string, app: string): AppRow | undefined {
    return this.rows.get(`${namespace}/${app}`);
  }

  delete(namespace: string, app: string): void {
    this.rows.delete(`${namespace}/${app}`);
  }

  all(): IterableIterator<AppRow> {
    return this.rows.values();
  }
}

type Kind = 'gauge' | 'counter';
type AppLabels = { namespace: string; app: string };

abstract class Family {
  readonly aggregator = 'sum' as const;
  constructor(
    protected readonly table: AppTable,
    readonly name: string,
    readonly help: string,
    readonly type: Kind,
    registry: Registry,
  ) {
    registry.registerMetric(this as never);
  }

  protected abstract values(): MetricValue<string>[];

  async get(): Promise<MetricObjectWithValues<MetricValue<string>>> {
    return { name: this.name, help: this.help, type: this.type as never, aggregator: this.aggregator, collect: () => undefined, values: this.values() };
  }

  /** Registry.resetMetrics(): every value back to 0. */
  abstract reset(): void;
}

/** A per-app family with labels {namespace, app}, optionally one more label with a fixed value set. */
export class AppFamily<Extra extends string = never> extends Family {
  private readonly slot: Slot;

  constructor(table: AppTable, registry: Registry, o: { name: string; help: string; type: Kind; extra?: { label: Extra; values: readonly string[] } }) {
    super(table, o.name, o.help, o.type, registry);
    this.extra = o.extra;
    this.slot = table.allocate(o.extra ? o.extra.values.length : 1);
  }

  private readonly extra: { label: Extra; values: readonly string[] } | undefined;

  set(labels: AppLabels & { [K in Extra]: string }, value: number): void {
    this.table.row(labels.namespace, labels.app).values[this.index(labels)] = value;
  }

  inc(labels: AppLabels & { [K in Extra]: string }, by = 1): void {
    if (this.type === 'counter' && by < 0) throw new Error(`${this.name}: a counter cannot go down`);
    this.table.row(labels.namespace, labels.app).values[this.index(labels)]! += by;
  }

  /** The value for one label set (tests, status); undefined when the app has no row. */
  value(labels: AppLabels & { [K in Extra]: string }): number | undefined {
    return this.table.find(labels.namespace, labels.app)?.values[this.index(labels)];
  }

  reset(): void {
    const width = this.extra ? this.extra.values.length : 1;
    for (const row of this.table.all()) for (let i = 0; i < width; i++) row.values[this.slot + i] = 0;
  }

  protected values(): MetricValue<string>[] {
    const out: MetricValue<string>[] = [];
    for (const row of this.table.all()) {
      if (!this.extra) {
        out.push({ labels: { namespace: row.namespace, app: row.app }, value: row.values[this.slot]! });
        continue;
      }
      this.extra.values.forEach((v, i) => out.push({ labels: { namespace: row.namespace, app: row.app, [this.extra!.label]: v }, value: row.values[this.slot + i]! }));
    }
    return out;
  }

  private index(labels: Record<string, string>): number {
    if (!this.extra) return this.slot;
    const i = this.extra.values.indexOf(labels[this.extra.label]!);
    if (i < 0) throw new Error(`${this.name}: unknown ${this.extra.label} "${labels[this.extra.label]}"`);
    return this.slot + i;
  }
}

/** drover_app_info: one series per app, value 1, its sync and health status as labels. */
export class AppInfoFamily extends Family {
  constructor(table: AppTable, registry: Registry, o: { name: string; help: string }) {
    super(table, o.name, o.help, 'gauge', registry);
  }

  set(namespace: string, app: string, sync: string, health: string): void {
    this.table.row(namespace, app).info = [sync, health];
  }

  reset(): void {
    for (const row of this.table.all()) row.info = undefined;
  }

  protected values(): MetricValue<string>[] {
    const out: MetricValue<string>[] = [];
    for (const row of this.table.all()) {
      if (row.info) out.push({ labels: { namespace: row.namespace, app: row.app, sync_status: row.info[0], health_status: row.info[1] }, value: 1 });
    }
    return out;
  }
}

/** drover_service_instances: per app and service, one series per state. */
export class InstancesFamily extends Family {
  constructor(table: AppTable, registry: Registry, private readonly states: readonly string[], o: { name: string; help: string }) {
    super(table, o.name, o.help, 'gauge', registry);
  }

  /** Replaces the app's services; a state without a count reads 0. */
  replace(namespace: string, app: string, services: string[], counts: { service: string; state: string; count: number }[]): void {
    const row = services.length ? this.table.row(namespace, app) : this.table.find(namespace, app);
    if (!row) return;
    if (!services.length) {
      row.instances = undefined;
      return;
    }
    row.instances = services.map((service) => ({
      service,
      counts: this.states.map((state) => counts.find((c) => c.service === service && c.state === state)?.count ?? 0),
    }));
  }

  reset(): void {
    for (const row of this.table.all()) for (const s of row.instances ?? []) s.counts.fill(0);
  }

  protected values(): MetricValue<string>[] {
    const out: MetricValue<string>[] = [];
    for (const row of this.table.all()) {
      for (const s of row.instances ?? []) {
        this.states.forEach((state, i) => out.push({ labels: { namespace: row.namespace, app: row.app, service: s.service, state }, value: s.counts[i]! }));
      }
    }
    return out;
  }
}
