import { useEffect, useState } from 'preact/hooks';

/**
 * The page the address names. Routes live in the hash (`#/jobs`, `#/jobs/<id>`, `#/submit`) so that they never
 * meet the api's own paths (`/jobs`, `/events`, …) and any page can be reloaded or bookmarked.
 */
export type Route = { page: 'jobs'; params: URLSearchParams } | { page: 'job'; id: string } | { page: 'submit' } | { page: 'not-found'; path: string };

export function parseRoute(hash: string): Route {
  const [path, query = ''] = hash.replace(/^#/, '').split('?', 2);
  if (path === '' || path === '/' || path === '/jobs') return { page: 'jobs', params: new URLSearchParams(query) };
  if (path === '/submit') return { page: 'submit' };
  const job = /^\/jobs\/([0-9a-fA-F-]{36})$/.exec(path);
  if (job) return { page: 'job', id: job[1].toLowerCase() };
  return { page: 'not-found', path };
}

export function jobsHref(params: Record<string, string | undefined>): string {
  const query = new URLSearchParams(Object.entries(params).filter((entry): entry is [string, string] => Boolean(entry[1]))).toString();
  return query ? `#/jobs?${query}` : '#/jobs';
}

export const jobHref = (id: string): string => `#/jobs/${id}`;

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const changed = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', changed);
    return () => removeEventListener('hashchange', changed);
  }, []);
  return route;
}

/** The time now, renewed every second while a page shows ages and running durations. */
export function useNow(): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  return now;
}
