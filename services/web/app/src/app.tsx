import { useCallback, useEffect, useState } from 'react';
import { Empty, ErrorState, Loading } from './components/bits.js';
import { Layout } from './components/layout.js';
import { type ApiFailure, request, setCsrfToken, setUnauthorizedHandler } from './lib/api.js';
import { Link, match, navigate, useLocation } from './lib/router.js';
import { SessionContext, type SessionInfo, sessionSchema } from './lib/session.js';
import { HomePage } from './pages/home.js';
import { PipelinesPage } from './pages/pipelines.js';
import { QueuePage } from './pages/queue.js';
import { RunnersPage } from './pages/runners.js';
import { RunPage } from './pages/run.js';
import { SignInPage } from './pages/sign-in.js';

type Phase =
  | { kind: 'loading' }
  | { kind: 'error'; error: ApiFailure }
  | { kind: 'signed-out'; expired: boolean }
  | { kind: 'in'; session: SessionInfo };

const TITLES: [string, string][] = [
  ['/pipelines', 'Pipelines'],
  ['/runners', 'Runners'],
  ['/queue', 'Queue'],
  ['/runs/', 'Run'],
];

function Page({ path }: { path: string }) {
  useEffect(() => {
    const title = TITLES.find(([prefix]) => path.startsWith(prefix))?.[1] ?? 'Runs';
    document.title = `${title} · Sparkwing`;
  }, [path]);
  if (path === '/') return <HomePage />;
  if (path === '/pipelines') return <PipelinesPage />;
  if (path === '/runners') return <RunnersPage />;
  if (path === '/queue') return <QueuePage />;
  const node = match('/runs/:id/nodes/:node', path);
  if (node) return <RunPage runId={node.id!} nodeId={node.node!} />;
  const run = match('/runs/:id', path);
  if (run) return <RunPage runId={run.id!} nodeId={null} />;
  return (
    <Empty title="This page does not exist">
      <Link href="/">Back to recent runs</Link>
    </Empty>
  );
}

export function App() {
  const { path, search } = useLocation();
  const [phase, setPhase] = useState<Phase>({ kind: 'loading' });

  const load = useCallback(async (expired = false) => {
    try {
      const answer = await request('GET', '/api/session', sessionSchema);
      if (!answer.authenticated) {
        setCsrfToken(null);
        setPhase({ kind: 'signed-out', expired });
        return;
      }
      setCsrfToken(answer.csrf_token);
      setPhase({
        kind: 'in',
        session: {
          mode: answer.mode,
          principal: answer.principal,
          scopes: answer.scopes as SessionInfo['scopes'],
          csrfToken: answer.csrf_token,
          expiresAt: answer.expires_at,
        },
      });
    } catch (error) {
      setPhase({ kind: 'error', error: error as ApiFailure });
    }
  }, []);

  useEffect(() => {
    void load();
    setUnauthorizedHandler(() => void load(true));
    return () => setUnauthorizedHandler(null);
  }, [load]);

  useEffect(() => {
    if (phase.kind === 'signed-out' && path !== '/sign-in') {
      navigate(`/sign-in?next=${encodeURIComponent(path + location.search)}`, { replace: true });
    }
    if (phase.kind === 'in' && path === '/sign-in') {
      const next = search.get('next');
      navigate(next?.startsWith('/') && !next.startsWith('//') ? next : '/', { replace: true });
    }
  }, [phase, path, search]);

  if (phase.kind === 'loading') return <Loading label="Starting" />;
  if (phase.kind === 'error') return <ErrorState error={phase.error} onRetry={() => void load()} />;
  if (phase.kind === 'signed-out')
    return <SignInPage expired={phase.expired} onSignedIn={() => void load()} />;
  return (
    <SessionContext.Provider value={phase.session}>
      <Layout path={path} onSignedOut={() => setPhase({ kind: 'signed-out', expired: false })}>
        <Page path={path} />
      </Layout>
    </SessionContext.Provider>
  );
}
