import { Counter } from 'prom-client';
import type { Registry } from 'prom-client';

/** The store's own Prometheus metrics, on the worker's registry (which labels them with the projection). */
export interface StoreMetrics {
  readonly commands: Counter;
  readonly conflicts: Counter;
}

/** Registers the store's metrics on `registry`. */
export function createStoreMetrics(registry: Registry): StoreMetrics {
  const registers = [registry];
  return {
    commands: new Counter({
      name: 'sc_projection_store_commands_total',
      help: 'MongoDB commands issued by the store (finds and bulk-write commands).',
      registers,
    }),
    conflicts: new Counter({
      name: 'sc_projection_store_conflicts_total',
      help: 'Guarded writes that lost a race and were re-read and re-folded.',
      registers,
    }),
  };
}
