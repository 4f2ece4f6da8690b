/** The unique Kubernetes Job name of a request: deterministic, so a redelivered request finds its Job. */
export function uniqueJobName(jobName: string, id: string): string {
  return `${jobName}-${id}`;
}

/** The log object's name in the output bucket: `[<prefix>-]<unique Job name>.log`. */
export function logObjectName(uniqueName: string, prefix?: string): string {
  return prefix ? `${prefix}-${uniqueName}.log` : `${uniqueName}.log`;
}
