import type { Logger } from 'pino';

/** Where a request came in: the api, or a message sent straight to RabbitMQ. */
export type AuditSource = 'http' | 'amqp';

/**
 * One entry of the audit trail (issue 12): every submission, cancellation, upload (issue 13) and denial, with who asked, for which
 * job and image, and through which door. Entries are log lines with an `audit` object, so that a log store can
 * select them (`audit.action`) without a second pipeline.
 */
export interface AuditEntry {
  action: 'submit' | 'cancel' | 'upload' | 'deny';
  /** The owner the request was made as; null when the caller could not be identified (a 401). */
  owner: string | null;
  source: AuditSource;
  /** The job's id, when there is one. */
  id?: string | null;
  image?: string;
  /** The object uploaded or asked for, as `s3://<bucket>/<key>`. */
  object?: string;
  /** Why a request was denied: the rule, role or limit it broke. */
  reason?: string;
  /** The HTTP status a denial was answered with, for requests over HTTP. */
  status?: number;
}

/** Writes an audit entry: submissions, cancellations and uploads at info, denials at warn. */
export function audit(logger: Logger, entry: AuditEntry): void {
  const level = entry.action === 'deny' ? 'warn' : 'info';
  logger[level]({ audit: entry }, `audit: ${entry.action}${entry.reason ? ` (${entry.reason})` : ''}`);
}
