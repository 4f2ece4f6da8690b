/**
 * Shows that nothing more happens: checks the condition again and again for the whole window (a resync period,
 * say) and fails at the first moment it does not hold, naming it. The counterpart of `eventually`.
 */
export async function holdsFor(check: () => boolean, windowMs: number, what: string, intervalMs = 50): Promise<void> {
  const until = Date.now() + windowMs;
  for (;;) {
    if (!check()) throw new Error(`${what} no longer held after ${windowMs - (until - Date.now())} ms`);
    if (Date.now() >= until) return;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
