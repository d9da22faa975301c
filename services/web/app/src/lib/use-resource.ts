import { useCallback, useEffect, useRef, useState } from 'react';
import type { ApiFailure } from './api.js';

export interface Resource<T> {
  data: T | null;
  error: ApiFailure | null;
  loading: boolean;
  reload: () => void;
}

/**
 * Loads `load()` and, while `pollMs` is set, reloads it on that interval. A failed reload keeps the last
 * good data visible alongside the error. Polling stops when `pollMs` becomes null (e.g. run finished).
 */
export function useResource<T>(
  load: () => Promise<T>,
  deps: unknown[],
  pollMs: number | null = null,
): Resource<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<ApiFailure | null>(null);
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  const current = useRef(0);
  // biome-ignore lint/correctness/useExhaustiveDependencies: callers list what `load` depends on.
  const stableLoad = useCallback(load, deps);

  // biome-ignore lint/correctness/useExhaustiveDependencies: a new `load` (new page or node) clears old data.
  useEffect(() => {
    setData(null);
    setError(null);
    setLoading(true);
  }, [stableLoad]);

  // biome-ignore lint/correctness/useExhaustiveDependencies: `tick` is the reload trigger.
  useEffect(() => {
    const id = ++current.current;
    stableLoad().then(
      (value) => {
        if (id !== current.current) return;
        setData(value);
        setError(null);
        setLoading(false);
      },
      (failure: ApiFailure) => {
        if (id !== current.current) return;
        setError(failure);
        setLoading(false);
      },
    );
  }, [stableLoad, tick]);

  useEffect(() => {
    if (pollMs === null) return;
    const timer = setInterval(() => setTick((n) => n + 1), pollMs);
    return () => clearInterval(timer);
  }, [pollMs]);

  return { data, error, loading, reload: () => setTick((n) => n + 1) };
}
