/**
 * The garbage collector, event-driven: deletes dependents whose owners are all gone (background),
 * deletes the dependents of an owner deleted in the foreground and releases the owner's
 * `foregroundDeletion` finalizer once no blocking dependent is left, and strips ownerReferences from
 * dependents of an owner deleted with `orphan`.
 */
import type { ControllerGate } from './controller-gate.js';
import { FINALIZER_FOREGROUND, FINALIZER_ORPHAN, hasFinalizer, isDeleting, withoutFinalizer, type KubeObject } from './meta.js';
import type { Registry } from './registry.js';
import { resourceType } from './resources/index.js';
import type { Store, StoreEvent } from './store.js';
import type { Timers } from './timers.js';
import { WorkQueue } from './work-queue.js';

type Key = `owner:${string}` | `dependent:${string}` | `dependents-of:${string}`;

const ownerUids = (object: KubeObject | undefined) => (object?.metadata.ownerReferences ?? []).map((ref) => ref.uid).join(',');

export class GarbageCollector {
  private readonly queue: WorkQueue<Key>;

  constructor(
    private readonly store: Store,
    private readonly registry: Registry,
    gate: ControllerGate,
    timers: Timers,
  ) {
    this.queue = new WorkQueue<Key>('garbage-collector', gate, timers, (key) => this.sync(key));
    store.subscribe((event) => this.observe(event));
  }

  private observe(event: StoreEvent): void {
    const object = event.entry.object;
    const uid = object.metadata.uid!;
    const owners = object.metadata.ownerReferences ?? [];
    if (event.type === 'DELETED') {
      this.queue.add(`dependents-of:${uid}`);
      for (const owner of owners) this.queue.add(`owner:${owner.uid}`);
      return;
    }
    if (isDeleting(object) && (hasFinalizer(object, FINALIZER_FOREGROUND) || hasFinalizer(object, FINALIZER_ORPHAN))) {
      this.queue.add(`owner:${uid}`);
    }
    if (owners.length && ownerUids(object) !== ownerUids(event.previous?.object)) this.queue.add(`dependent:${uid}`);
    if (isDeleting(object)) for (const owner of owners) this.queue.add(`owner:${owner.uid}`);
  }

  private sync(key: Key): void {
    const [kind, uid] = key.split(':') as [string, string];
    if (kind === 'dependents-of') for (const dependent of this.store.dependentsOf(uid)) this.collectIfOrphaned(dependent.entry.object.metadata.uid!);
    else if (kind === 'dependent') this.collectIfOrphaned(uid);
    else this.finishOwnerDeletion(uid);
  }

  private located(uid: string): { resource: string; object: KubeObject } | undefined {
    const found = this.store.getByUid(uid);
    return found && { resource: found.resource, object: found.entry.object };
  }

  /** Deletes a dependent none of whose owners remains, or drops references to owners that vanished. */
  private collectIfOrphaned(uid: string): void {
    const dependent = this.located(uid);
    if (!dependent || isDeleting(dependent.object)) return;
    const refs = dependent.object.metadata.ownerReferences ?? [];
    if (!refs.length) return;
    const owners = refs.map((ref) => ({ ref, owner: this.located(ref.uid)?.object }));
    const dangling = owners.filter(({ owner }) => !owner);
    const waiting = owners.filter(({ owner }) => owner && isDeleting(owner) && hasFinalizer(owner, FINALIZER_FOREGROUND));
    const solid = owners.length - dangling.length - waiting.length;
    const type = resourceType(dependent.resource);
    const { namespace, name } = dependent.object.metadata;
    if (!solid) this.registry.delete(type, namespace, name!, { propagationPolicy: 'Background' });
    else if (dangling.length) {
      const gone = new Set(dangling.map(({ ref }) => ref.uid));
      this.registry.modify(type, namespace, name!, (o) => (o.metadata.ownerReferences = refs.filter((ref) => !gone.has(ref.uid))));
    }
  }

  private finishOwnerDeletion(uid: string): void {
    const owner = this.located(uid);
    if (!owner || !isDeleting(owner.object)) return;
    const type = resourceType(owner.resource);
    const { namespace, name } = owner.object.metadata;
    const dependents = this.store.dependentsOf(uid);
    if (hasFinalizer(owner.object, FINALIZER_ORPHAN)) {
      for (const dependent of dependents) {
        this.registry.modify(resourceType(dependent.resource), dependent.namespace || undefined, dependent.name, (o) => {
          o.metadata.ownerReferences = (o.metadata.ownerReferences ?? []).filter((ref) => ref.uid !== uid);
          if (!o.metadata.ownerReferences.length) delete o.metadata.ownerReferences;
        });
      }
      this.registry.modify(type, namespace, name!, (o) => withoutFinalizer(o, FINALIZER_ORPHAN));
    } else if (hasFinalizer(owner.object, FINALIZER_FOREGROUND)) {
      for (const dependent of dependents) {
        if (!isDeleting(dependent.entry.object)) {
          this.registry.delete(resourceType(dependent.resource), dependent.namespace || undefined, dependent.name, { propagationPolicy: 'Background' });
        }
      }
      const blocking = this.store
        .dependentsOf(uid)
        .filter(({ entry }) => entry.object.metadata.ownerReferences?.some((ref) => ref.uid === uid && ref.blockOwnerDeletion));
      if (!blocking.length) this.registry.modify(type, namespace, name!, (o) => withoutFinalizer(o, FINALIZER_FOREGROUND));
    }
  }
}
