import { useCallback, useEffect, useRef, useState } from 'react';

/** Loads with `load` when its inputs change; `reload` loads again; `everyMs` keeps it fresh while mounted. */
export function useLoad<T>(load: () => Promise<T>, inputs: unknown[], everyMs?: number) {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);
  const generation = useRef(0);
  const run = useCallback(load, inputs);

  const reload = useCallback(async () => {
    const mine = ++generation.current;
    try {
      const value = await run();
      if (mine === generation.current) {
        setData(value);
        setError(null);
      }
    } catch (problem) {
      if (mine === generation.current) setError(problem);
    } finally {
      if (mine === generation.current) setLoading(false);
    }
  }, [run]);

  useEffect(() => {
    setLoading(true);
    void reload();
    if (!everyMs) return undefined;
    const timer = setInterval(() => void reload(), everyMs);
    return () => clearInterval(timer);
  }, [reload, everyMs]);

  return { data, error, loading, reload, setData };
}
