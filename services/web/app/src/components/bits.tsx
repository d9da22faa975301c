import { FAILURE_REASON_HELP, type FailureReason } from '@sparkwing/contracts';
import { type ReactNode, useEffect, useState } from 'react';
import type { ApiFailure } from '../lib/api.js';
import { absoluteTime, relativeTime } from '../lib/format.js';

const ticks = new Set<() => void>();
let ticker: ReturnType<typeof setInterval> | null = null;

/** One shared 15 s clock so "2 minutes ago" keeps moving on pages that no longer poll. */
function useClock(): void {
  const [, setNow] = useState(0);
  useEffect(() => {
    const tick = () => setNow(Date.now());
    ticks.add(tick);
    ticker ??= setInterval(() => {
      for (const fn of ticks) fn();
    }, 15_000);
    return () => {
      ticks.delete(tick);
      if (ticks.size === 0 && ticker) {
        clearInterval(ticker);
        ticker = null;
      }
    };
  }, []);
}

/** Relative time with the absolute one on hover and for screen readers. */
export function Time({ iso, fallback = '—' }: { iso: string | null | undefined; fallback?: string }) {
  useClock();
  if (!iso) return <span className="muted">{fallback}</span>;
  return (
    <time dateTime={iso} title={absoluteTime(iso)}>
      {relativeTime(iso)}
    </time>
  );
}

export function StatusBadge({ status }: { status: string }) {
  return (
    <span className={`status status-${status}`} data-status={status}>
      <span className="dot" aria-hidden="true" />
      {status}
    </span>
  );
}

export function ReasonBadge({ reason }: { reason: FailureReason | null | undefined }) {
  if (!reason) return null;
  const help = FAILURE_REASON_HELP[reason];
  return (
    <span className="reason" data-reason={reason} title={`${help.title}: ${help.what}`}>
      {reason}
    </span>
  );
}

/** The seed's "what happened / what to do" for a classified failure, prominent. */
export function ReasonBanner({ reason, children }: { reason: FailureReason; children?: ReactNode }) {
  const help = FAILURE_REASON_HELP[reason];
  return (
    <div className="banner banner-failure" role="note" data-reason={reason}>
      <div className="banner-title">
        <ReasonBadge reason={reason} /> <strong>{help.title}</strong>
      </div>
      <p className="banner-what">{help.what}</p>
      <p className="banner-action">
        <strong>What to do:</strong> {help.action}
      </p>
      {children}
    </div>
  );
}

export function Loading({ label = 'Loading' }: { label?: string }) {
  return (
    <div className="state state-loading" aria-busy="true" aria-live="polite">
      <div className="skeleton" />
      <div className="skeleton" />
      <div className="skeleton short" />
      <span className="sr-only">{label}…</span>
    </div>
  );
}

export function Empty({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="state state-empty">
      <svg viewBox="0 0 48 48" width="40" height="40" aria-hidden="true">
        <rect
          x="6"
          y="10"
          width="36"
          height="28"
          rx="5"
          fill="none"
          stroke="currentColor"
          strokeWidth="2.5"
        />
        <path d="M6 20h36" stroke="currentColor" strokeWidth="2.5" />
      </svg>
      <h2>{title}</h2>
      {children && <div className="muted">{children}</div>}
    </div>
  );
}

export function ErrorState({ error, onRetry }: { error: ApiFailure; onRetry?: () => void }) {
  const title =
    error.status === 403
      ? 'You do not have permission to see this'
      : error.status === 404
        ? 'Not found'
        : error.status === 0
          ? 'The dashboard server is unreachable'
          : 'Something went wrong';
  return (
    <div className="state state-error" role="alert" data-status-code={error.status}>
      <h2>{title}</h2>
      <p>{error.message}</p>
      {error.status === 403 && (
        <p className="muted">Ask an admin for a token with the scope this page needs.</p>
      )}
      {onRetry && error.status !== 403 && error.status !== 404 && (
        <button type="button" className="btn" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}

export function Chips({ items, empty = 'none' }: { items: readonly string[]; empty?: string }) {
  if (items.length === 0) return <span className="muted">{empty}</span>;
  return (
    <span className="chips">
      {items.map((item) => (
        <code key={item} className="chip">
          {item}
        </code>
      ))}
    </span>
  );
}
