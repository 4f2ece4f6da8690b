/** Every delay of the simulated controllers and kubelet. Defaults are small so that tests run fast. */
export interface SimTiming {
  /** Pod created → bound to the node and reported `ContainerCreating`. */
  scheduleMs: number;
  /** `ContainerCreating` → container started (the simulated image pull). */
  imagePullMs: number;
  /** `ErrImagePull` → `ImagePullBackOff` for images missing from the catalogue. */
  imagePullBackOffMs: number;
  /** Job controller: delay before replacing a failed pod, doubled per failure (10 s in Kubernetes). */
  podBackoffMs: number;
  /** Job controller: cap of that delay (6 min in Kubernetes). */
  podBackoffMaxMs: number;
  /** Upper bound of SIGTERM → SIGKILL, whatever `terminationGracePeriodSeconds` says. */
  maxTerminationGraceMs: number;
  /** Length of one second in spec fields: `ttlSecondsAfterFinished`, `activeDeadlineSeconds`, grace periods. */
  specSecondMs: number;
  /** Interval of BOOKMARK events on watches that allow them (about a minute in Kubernetes). */
  bookmarkIntervalMs: number;
  /** Watches without `timeoutSeconds` end after this long (30–60 min in Kubernetes). */
  defaultWatchTimeoutMs: number;
  /** Events are deleted this long after they were recorded (1 h in Kubernetes). */
  eventTtlMs: number;
}

export const defaultTiming: SimTiming = {
  scheduleMs: 2,
  imagePullMs: 5,
  imagePullBackOffMs: 20,
  podBackoffMs: 10,
  podBackoffMaxMs: 200,
  maxTerminationGraceMs: 500,
  specSecondMs: 1000,
  bookmarkIntervalMs: 1000,
  defaultWatchTimeoutMs: 30 * 60_000,
  eventTtlMs: 60 * 60_000,
};
