import { useState } from 'preact/hooks';
import { Api, ApiError } from '../api.js';

/** Asks for an API token (a static token's secret or an OIDC JWT) and checks it on the api before keeping it. */
export function SignInPage({ notice, onSignedIn }: { notice: string | null; onSignedIn: (token: string) => void }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [checking, setChecking] = useState(false);

  const signIn = async (event: Event) => {
    event.preventDefault();
    setChecking(true);
    setError(null);
    try {
      await new Api(token.trim()).json('/jobs?limit=1');
      onSignedIn(token.trim());
    } catch (failure) {
      setError(
        failure instanceof ApiError && failure.status === 401
          ? 'The api refused this token.'
          : failure instanceof ApiError && failure.status === 403
            ? 'This token may not read jobs: it lacks the read role.'
            : `The api could not be reached: ${(failure as Error).message}`,
      );
    } finally {
      setChecking(false);
    }
  };

  return (
    <main id="main" class="sign-in">
      <h1>Sign in to cloud-worker</h1>
      {notice && <p class="notice" role="status">{notice}</p>}
      <form onSubmit={signIn}>
        <label for="token">API token</label>
        <input
          id="token"
          name="token"
          type="password"
          autocomplete="current-password"
          required
          value={token}
          aria-invalid={error ? 'true' : undefined}
          aria-describedby="token-help token-error"
          onInput={(event) => setToken(event.currentTarget.value)}
        />
        <p id="token-help" class="help">
          A token from <code>AUTH_TOKENS</code> or a JWT of your identity provider. It is kept for this browser tab only.
        </p>
        {error && (
          <p id="token-error" class="field-error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" class="primary" disabled={checking || token.trim() === ''}>
          {checking ? 'Checking…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
