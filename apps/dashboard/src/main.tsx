import { render } from 'preact';
import { useCallback, useMemo, useState } from 'preact/hooks';
import { Api, tokenStore } from './api.js';
import { JobPage } from './pages/job-page.js';
import { JobsPage } from './pages/jobs-page.js';
import { SignInPage } from './pages/sign-in-page.js';
import { SubmitPage } from './pages/submit-page.js';
import { useRoute } from './route.js';

function App() {
  const [token, setToken] = useState(tokenStore.get());
  const [signedOutBecause, setSignedOutBecause] = useState<string | null>(null);
  const route = useRoute();
  const signOut = useCallback((because: string | null) => {
    tokenStore.clear();
    setSignedOutBecause(because);
    setToken(null);
  }, []);
  const api = useMemo(() => token && new Api(token, () => signOut('The api no longer accepts your token; sign in again.')), [token, signOut]);

  if (!api) {
    return (
      <SignInPage
        notice={signedOutBecause}
        onSignedIn={(accepted) => {
          tokenStore.set(accepted);
          setSignedOutBecause(null);
          setToken(accepted);
        }}
      />
    );
  }
  return (
    <>
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <header class="site-header">
        <a class="brand" href="#/jobs">
          cloud-worker
        </a>
        <nav aria-label="Main">
          <a href="#/jobs" aria-current={route.page === 'jobs' || route.page === 'job' ? 'page' : undefined}>
            Jobs
          </a>
          <a href="#/submit" aria-current={route.page === 'submit' ? 'page' : undefined}>
            Submit
          </a>
          <a href="docs">API docs</a>
          <button type="button" class="link-button" onClick={() => signOut(null)}>
            Sign out
          </button>
        </nav>
      </header>
      <main id="main" tabIndex={-1}>
        {route.page === 'jobs' && <JobsPage api={api} params={route.params} />}
        {route.page === 'job' && <JobPage key={route.id} api={api} id={route.id} />}
        {route.page === 'submit' && <SubmitPage api={api} />}
        {route.page === 'not-found' && (
          <section>
            <h1>Not found</h1>
            <p>
              There is no page at <code>{route.path}</code>. <a href="#/jobs">See the jobs</a>.
            </p>
          </section>
        )}
      </main>
    </>
  );
}

const root = document.getElementById('root')!;
// Preact renders beside what the page holds; the "Loading…" placeholder goes first.
root.replaceChildren();
render(<App />, root);
