import type { JobRecord } from '@app/contracts';

/** What a token may do: submit jobs, read them and their logs, cancel them; admin does all of it, for every owner. */
export const ROLES = ['submit', 'read', 'cancel', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export function isRole(value: unknown): value is Role {
  return ROLES.includes(value as Role);
}

/** Who is asking, as the bearer token says. */
export interface Caller {
  /** The static token's name or the JWT's owner claim: the owner of what this caller submits. */
  owner: string;
  roles: ReadonlySet<Role>;
}

export function hasRole(caller: Caller, role: Role): boolean {
  return caller.roles.has('admin') || caller.roles.has(role);
}

/** Whether the caller may see this job: its owner, or an admin (the only ones who see records without owner). */
export function maySee(caller: Caller, record: Pick<JobRecord, 'owner'>): boolean {
  return caller.roles.has('admin') || (record.owner !== undefined && record.owner === caller.owner);
}

/** The owner a listing is narrowed to: none for an admin, who sees every job. */
export function listedOwner(caller: Caller): string | undefined {
  return caller.roles.has('admin') ? undefined : caller.owner;
}
