import { type FormEvent, useId, useState } from 'react';
import { type ApiFailure, request } from '../lib/api.js';
import { sessionSchema } from '../lib/session.js';

export function SignInPage({ onSignedIn, expired }: { onSignedIn: () => void; expired: boolean }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const inputId = useId();

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await request('POST', '/api/session', sessionSchema, { token: token.trim() });
      setToken('');
      onSignedIn();
    } catch (failure) {
      setError((failure as ApiFailure).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="sign-in" id="main">
      <form
        className="card sign-in-card"
        onSubmit={(event) => void submit(event)}
        aria-labelledby="sign-in-title"
      >
        <h1 id="sign-in-title">Sign in to Sparkwing</h1>
        {expired && <p className="note">Your session ended. Sign in again to continue.</p>}
        <label htmlFor={inputId}>Personal token</label>
        <input
          id={inputId}
          className="input"
          type="password"
          autoComplete="off"
          spellCheck={false}
          required
          value={token}
          onChange={(event) => setToken(event.target.value)}
          aria-describedby={`${inputId}-help`}
          aria-invalid={error ? true : undefined}
        />
        <p id={`${inputId}-help`} className="muted small">
          Ask an admin for a user token (<code>sparkwing tokens create --kind user</code>). It stays on the
          server; the browser only gets a session cookie.
        </p>
        {error && (
          <p className="error-text" role="alert">
            {error}
          </p>
        )}
        <button type="submit" className="btn btn-primary" disabled={busy || token.trim().length === 0}>
          {busy ? 'Checking…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
