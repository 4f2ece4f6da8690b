/** The Job's name appends `-<uuid>` (37 characters) to `jobName` and must stay a 63-character DNS label. */
export const MAX_JOB_NAME_LENGTH = 26;

/**
 * The unique Kubernetes Job name of a request, from the user's `jobName` and the request id: deterministic, so a
 * redelivered request finds its Job. Records carry it as `jobName` (a wire field); the code calls it the unique
 * Job name, and the user's the request's `jobName`.
 */
export function uniqueJobName(requestJobName: string, id: string): string {
  return `${requestJobName}-${id}`;
}

/** The log object's name in the output bucket: `[<prefix>-]<unique Job name>.log`. */
export function logObjectName(uniqueName: string, prefix?: string): string {
  return prefix ? `${prefix}-${uniqueName}.log` : `${uniqueName}.log`;
}

/** The output manifest's name in the output bucket, beside the log: `[<prefix>-]<unique Job name>.manifest.json`. */
export function manifestObjectName(uniqueName: string, prefix?: string): string {
  return prefix ? `${prefix}-${uniqueName}.manifest.json` : `${uniqueName}.manifest.json`;
}
