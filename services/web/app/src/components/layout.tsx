import type { ReactNode } from 'react';
import { setCsrfToken } from '../lib/api.js';
import { Link, navigate } from '../lib/router.js';
import { useSession } from '../lib/session.js';

const NAV = [
  { href: '/', label: 'Runs' },
  { href: '/pipelines', label: 'Pipelines' },
  { href: '/runners', label: 'Runners' },
  { href: '/queue', label: 'Queue' },
];

function isCurrent(href: string, path: string): boolean {
  return href === '/' ? path === '/' || path.startsWith('/runs') : path.startsWith(href);
}

export function Layout({
  path,
  children,
  onSignedOut,
}: {
  path: string;
  children: ReactNode;
  onSignedOut: () => void;
}) {
  const session = useSession();
  const signOut = async () => {
    try {
      await fetch('/api/session', {
        method: 'DELETE',
        headers: { 'x-csrf-token': session.csrfToken },
        credentials: 'same-origin',
      });
    } finally {
      setCsrfToken(null);
      onSignedOut();
      navigate('/sign-in', { replace: true });
    }
  };
  return (
    <div className="shell">
      <a href="#main" className="skip">
        Skip to content
      </a>
      <header className="topbar">
        <Link href="/" className="brand" aria-label="Sparkwing home">
          <svg viewBox="0 0 32 32" width="24" height="24" aria-hidden="true">
            <rect width="32" height="32" rx="7" fill="var(--accent)" />
            <path d="M9 21c4-1 7-4 8-10l6 4c-3 1-6 4-7 8z" fill="#fff" />
          </svg>
          <span>Sparkwing</span>
          {session.mode === 'local' && <span className="pill">local</span>}
        </Link>
        <nav aria-label="Main">
          {NAV.map((item) => (
            <Link
              key={item.href}
              href={item.href}
              aria-current={isCurrent(item.href, path) ? 'page' : undefined}
            >
              {item.label}
            </Link>
          ))}
        </nav>
        <div className="who">
          <span className="muted" title={`scopes: ${session.scopes.join(', ')}`}>
            {session.principal.name}
          </span>
          {session.mode === 'cluster' && (
            <button type="button" className="btn btn-quiet" onClick={() => void signOut()}>
              Sign out
            </button>
          )}
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        {children}
      </main>
    </div>
  );
}
