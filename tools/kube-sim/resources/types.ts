import type { FieldError, ResourceNames } from '../errors.js';
import type { KubeObject } from '../meta.js';
import type { MessageSpec } from '../schema.js';
import type { NameRule } from '../validation.js';

export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection';
export type Propagation = 'Orphan' | 'Background' | 'Foreground';

export interface Subresource {
  kind: string;
  verbs: Verb[];
}

/** What the API server knows of one resource: its names, its rules (the "strategy"), its schema. */
export interface ResourceType extends ResourceNames {
  version: string;
  apiVersion: string;
  listKind: string;
  singular: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  verbs: Verb[];
  subresources: Record<string, Subresource>;
  schema: MessageSpec;
  /** How metadata.name is checked; the Registry checks ObjectMeta before `validate`. */
  nameRule: NameRule;
  /** Status belongs to the status subresource: main-resource writes keep it, status writes change only it. */
  hasStatusSubresource: boolean;
  /** metadata.generation counts changes of `spec`. */
  tracksGeneration: boolean;
  /** What DELETE does to dependents when the request names no propagation policy. */
  defaultPropagation: Propagation;
  /** Whether a completed DELETE answers with the object rather than a success Status. */
  returnsDeletedObject: boolean;
  /** Field selectors beyond metadata.name and metadata.namespace. */
  fieldSelectors: Record<string, (obj: KubeObject) => string | undefined>;
  /** Defaults and server-owned fields on create; uid, name and namespace are already set. */
  prepareForCreate(obj: KubeObject): void;
  /** Normalisation on every write from a client (create and update). */
  normalize?(obj: KubeObject): void;
  /** Rules of this type beyond ObjectMeta. */
  validate?(obj: KubeObject): FieldError[];
  validateUpdate?(obj: KubeObject, old: KubeObject): FieldError[];
  /** Seconds a DELETE gives the object to wind down (a running pod); 0 removes it as soon as finalizers allow. */
  gracePeriodSeconds?(obj: KubeObject, requested: number | undefined): number;
  /** Something other than metadata.finalizers that holds a deleted object back (a namespace's spec.finalizers). */
  holdsDeletion?(obj: KubeObject): boolean;
  /** Changes an object makes when its deletion starts (a namespace turns Terminating). */
  onDeletionStarted?(obj: KubeObject): void;
  /** A Warning header for a DELETE without a propagation policy. */
  defaultDeletionWarning?: string;
}
