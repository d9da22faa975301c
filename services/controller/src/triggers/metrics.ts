import { Counter, type Registry } from 'prom-client';

/** Label values of sparkwing_commit_statuses_total. */
export const STATUS_OUTCOMES = ['posted', 'retried', 'failed'] as const;
export type StatusOutcome = (typeof STATUS_OUTCOMES)[number];

export interface TriggerMetrics {
  schedulesFired: Counter<string>;
  schedulesSkipped: Counter<string>;
  commitStatuses: Counter<'outcome'>;
}

/** Reuses a family already on the registry (a controller rebuilt over the same metrics in tests). */
function counter<L extends string>(registry: Registry, name: string, help: string, labelNames: L[] = []) {
  return (
    (registry.getSingleMetric(name) as Counter<L> | undefined) ??
    new Counter<L>({ name, help, labelNames, registers: [registry] })
  );
}

export function createTriggerMetrics(registry: Registry): TriggerMetrics {
  return {
    schedulesFired: counter(registry, 'sparkwing_schedules_fired_total', 'Schedule slots that created a run'),
    schedulesSkipped: counter(
      registry,
      'sparkwing_schedules_skipped_total',
      'Schedule slots missed during downtime and not run (catch-up fires the latest one only)',
    ),
    commitStatuses: counter(
      registry,
      'sparkwing_commit_statuses_total',
      'GitHub commit status posts by outcome (posted, retried after a transient error, failed for good)',
      ['outcome'],
    ),
  };
}
