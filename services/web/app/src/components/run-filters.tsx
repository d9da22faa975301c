import { RUN_STATUSES, TRIGGER_EVENTS } from '@sparkwing/contracts';
import { useId } from 'react';
import type { RunFilters } from '../lib/api.js';

/** Pipeline, branch, event and status filters over `GET /runs` (the same ones `sparkwing runs list` has). */
export function RunFiltersBar({
  value,
  onChange,
}: {
  value: RunFilters;
  onChange: (next: RunFilters) => void;
}) {
  const id = useId();
  const set = (key: keyof RunFilters) => (event: { target: { value: string } }) =>
    onChange({ ...value, [key]: event.target.value || undefined });
  return (
    <form className="run-filters" aria-label="Filter runs" onSubmit={(event) => event.preventDefault()}>
      <label htmlFor={`${id}-pipeline`}>Pipeline</label>
      <input
        id={`${id}-pipeline`}
        name="pipeline"
        className="input"
        type="search"
        placeholder="any"
        value={value.pipeline ?? ''}
        onChange={set('pipeline')}
      />
      <label htmlFor={`${id}-branch`}>Branch</label>
      <input
        id={`${id}-branch`}
        name="branch"
        className="input"
        type="search"
        placeholder="any"
        value={value.branch ?? ''}
        onChange={set('branch')}
      />
      <label htmlFor={`${id}-event`}>Event</label>
      <select
        id={`${id}-event`}
        name="event"
        className="input"
        value={value.event ?? ''}
        onChange={set('event')}
      >
        <option value="">any</option>
        {TRIGGER_EVENTS.map((event) => (
          <option key={event} value={event}>
            {event}
          </option>
        ))}
      </select>
      <label htmlFor={`${id}-status`}>Status</label>
      <select
        id={`${id}-status`}
        name="status"
        className="input"
        value={value.status ?? ''}
        onChange={set('status')}
      >
        <option value="">any</option>
        {RUN_STATUSES.map((status) => (
          <option key={status} value={status}>
            {status}
          </option>
        ))}
      </select>
    </form>
  );
}
