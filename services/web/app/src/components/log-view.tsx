import type { LogRecord } from '@sparkwing/contracts';
import { useEffect, useId, useMemo, useRef, useState } from 'react';
import { paths } from '../lib/api.js';
import { followLog, type StreamState } from '../lib/log-stream.js';

const MAX_LINES = 50_000;

const STATE_TEXT: Record<StreamState, string> = {
  connecting: 'connecting…',
  live: 'live',
  reconnecting: 'reconnecting…',
  ended: 'complete',
  error: 'unavailable',
};

function Highlight({ text, query }: { text: string; query: string }) {
  if (!query) return <>{text}</>;
  const lower = text.toLowerCase();
  const parts: React.ReactNode[] = [];
  let from = 0;
  let at = lower.indexOf(query);
  while (at >= 0) {
    parts.push(text.slice(from, at), <mark key={at}>{text.slice(at, at + query.length)}</mark>);
    from = at + query.length;
    at = lower.indexOf(query, from);
  }
  parts.push(text.slice(from));
  return <>{parts}</>;
}

/** The node's log over SSE: follows the tail, resumes without duplicates, filters by a search term. */
export function LogView({ runId, nodeId }: { runId: string; nodeId: string }) {
  const [records, setRecords] = useState<LogRecord[]>([]);
  const [state, setState] = useState<StreamState>('connecting');
  const [detail, setDetail] = useState<string | undefined>();
  const [query, setQuery] = useState('');
  const [follow, setFollow] = useState(true);
  const box = useRef<HTMLDivElement>(null);
  const searchId = useId();

  useEffect(() => {
    setRecords([]);
    const controller = new AbortController();
    void followLog(paths.logStream(runId, nodeId), {
      signal: controller.signal,
      onRecords: (fresh) =>
        setRecords((old) =>
          old.length + fresh.length > MAX_LINES ? [...old, ...fresh].slice(-MAX_LINES) : [...old, ...fresh],
        ),
      onState: (next, why) => {
        setState(next);
        setDetail(why);
      },
    });
    return () => controller.abort();
  }, [runId, nodeId]);

  const needle = query.trim().toLowerCase();
  const shown = useMemo(
    () => (needle ? records.filter((r) => r.msg.toLowerCase().includes(needle)) : records),
    [records, needle],
  );

  useEffect(() => {
    if (follow && box.current && shown.length >= 0) box.current.scrollTop = box.current.scrollHeight;
  }, [shown, follow]);

  const onScroll = () => {
    const el = box.current;
    if (!el) return;
    setFollow(el.scrollHeight - el.scrollTop - el.clientHeight < 24);
  };

  return (
    <section className="panel log" aria-label="Log">
      <div className="log-head">
        <h3 className="panel-title">Log</h3>
        <span className={`stream-state stream-${state}`} data-testid="stream-state" title={detail}>
          {STATE_TEXT[state]}
        </span>
        <label htmlFor={searchId} className="sr-only">
          Search the log
        </label>
        <input
          id={searchId}
          type="search"
          className="input log-search"
          placeholder="Search log"
          value={query}
          onChange={(event) => setQuery(event.target.value)}
        />
        {needle && (
          <span className="muted small" data-testid="match-count">
            {shown.length} match{shown.length === 1 ? '' : 'es'}
          </span>
        )}
        {!follow && (
          <button type="button" className="btn btn-small" onClick={() => setFollow(true)}>
            Follow tail
          </button>
        )}
      </div>
      {state === 'error' && <p className="warn-text">{detail ?? 'The log could not be loaded.'}</p>}
      <div
        className="log-lines"
        ref={box}
        onScroll={onScroll}
        // biome-ignore lint/a11y/noNoninteractiveTabindex: the log scrolls, so keyboard users must be able to focus it.
        tabIndex={0}
        role="log"
        aria-live="off"
        data-testid="log-lines"
      >
        {shown.length === 0 && (
          <div className="muted log-empty">
            {needle
              ? 'No lines match.'
              : state === 'ended'
                ? 'This job wrote no output.'
                : 'Waiting for output…'}
          </div>
        )}
        {shown.map((record) => (
          <div key={record.seq} className={`log-line line-${record.stream}`} data-seq={record.seq}>
            <span className="seq" aria-hidden="true">
              {record.seq}
            </span>
            {record.step && <span className="step">{record.step}</span>}
            <span className="msg">
              <Highlight text={record.msg} query={needle} />
            </span>
          </div>
        ))}
      </div>
    </section>
  );
}
