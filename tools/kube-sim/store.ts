/**
 * The object store: every object of every resource under one monotonic resourceVersion, with each
 * object's JSON kept beside it (responses and watch events reuse it rather than serialising again),
 * an index of objects by uid and of dependents by owner uid, and a bounded history per resource.
 * Stored objects are never mutated: writers hand over a new object.
 */
import { EventHistory } from './event-history.js';
import type { KubeObject } from './meta.js';

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface Entry {
  object: KubeObject;
  /** JSON of `object`, without kind/apiVersion. */
  json: string;
}

export interface StoreEvent {
  type: EventType;
  resource: string;
  rv: number;
  entry: Entry;
  /** The object before this change (MODIFIED and DELETED). */
  previous?: Entry;
  /** Serialised watch lines by event type, filled by the first watcher that needs one. */
  lines: Partial<Record<string, string>>;
}

/** An object's key as etcd orders it (`namespace/name`, compared as strings): lists follow it, continue tokens resume after it. */
export function keyOf(object: KubeObject): string {
  return `${object.metadata.namespace ?? ''}/${object.metadata.name}`;
}

interface Location {
  resource: string;
  namespace: string;
  name: string;
}

export class Store {
  private rv = 1;
  private readonly objects = new Map<string, Map<string, Map<string, Entry>>>();
  private readonly byUid = new Map<string, Location>();
  private readonly dependentsByOwner = new Map<string, Set<string>>();
  private readonly histories = new Map<string, EventHistory<StoreEvent>>();
  private readonly listeners = new Set<(event: StoreEvent) => void>();

  constructor(private window: number) {}

  get resourceVersion(): number {
    return this.rv;
  }

  get(resource: string, namespace: string | undefined, name: string): Entry | undefined {
    return this.objects.get(resource)?.get(namespace ?? '')?.get(name);
  }

  getByUid(uid: string): (Location & { entry: Entry }) | undefined {
    const location = this.byUid.get(uid);
    const entry = location && this.get(location.resource, location.namespace, location.name);
    return entry && { ...location, entry };
  }

  /** Objects whose ownerReferences name this uid. */
  dependentsOf(uid: string): Array<Location & { entry: Entry }> {
    return [...(this.dependentsByOwner.get(uid) ?? [])].flatMap((dependent) => this.getByUid(dependent) ?? []);
  }

  /**
   * Objects of a resource in one namespace (or all) in key order; with `after` (a key), only those after
   * it, so that a later page does not sort what earlier pages returned.
   */
  list(resource: string, namespace?: string, after = ''): Entry[] {
    const byNamespace = this.objects.get(resource);
    if (!byNamespace) return [];
    const prefixes = (namespace !== undefined ? [namespace] : [...byNamespace.keys()]).map((ns) => `${ns}/`).sort();
    return prefixes.flatMap((prefix) => {
      const names = byNamespace.get(prefix.slice(0, -1));
      const resumesHere = after.startsWith(prefix);
      // A prefix below `after` that does not start it has every key below `after` too.
      if (!names || (prefix < after && !resumesHere)) return [];
      const start = resumesHere ? after.slice(prefix.length) : '';
      return [...names.keys()]
        .filter((name) => name > start)
        .sort()
        .map((name) => names.get(name)!);
    });
  }

  subscribe(listener: (event: StoreEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Changes of a resource after `rv`, or undefined when they are no longer all kept (410 Gone). */
  changesSince(resource: string, rv: number): StoreEvent[] | undefined {
    return this.history(resource).since(rv);
  }

  oldestResumable(resource: string): number {
    return this.history(resource).oldestResumable;
  }

  setWindow(events: number): void {
    this.window = events;
    for (const history of this.histories.values()) history.resize(events);
  }

  /** Stores a new object; the caller has checked that its name is free. */
  create(resource: string, object: KubeObject): Entry {
    return this.write(resource, 'ADDED', object, undefined);
  }

  update(resource: string, object: KubeObject): Entry {
    const previous = this.get(resource, object.metadata.namespace, object.metadata.name!);
    if (!previous) throw new Error(`update of missing ${resource} ${object.metadata.name}`);
    return this.write(resource, 'MODIFIED', object, previous);
  }

  /** Removes an object; the DELETED event carries its last state at the deletion's resourceVersion. */
  remove(resource: string, object: KubeObject): Entry {
    const previous = this.get(resource, object.metadata.namespace, object.metadata.name!);
    if (!previous) throw new Error(`removal of missing ${resource} ${object.metadata.name}`);
    return this.write(resource, 'DELETED', object, previous);
  }

  private history(resource: string): EventHistory<StoreEvent> {
    let history = this.histories.get(resource);
    if (!history) this.histories.set(resource, (history = new EventHistory(this.window)));
    return history;
  }

  private write(resource: string, type: EventType, object: KubeObject, previous: Entry | undefined): Entry {
    const rv = ++this.rv;
    object.metadata.resourceVersion = String(rv);
    const entry: Entry = { object, json: JSON.stringify(object) };
    const namespace = object.metadata.namespace ?? '';
    const name = object.metadata.name!;
    let byNamespace = this.objects.get(resource);
    if (!byNamespace) this.objects.set(resource, (byNamespace = new Map()));
    let names = byNamespace.get(namespace);
    if (!names) byNamespace.set(namespace, (names = new Map()));
    this.reindexOwners(previous?.object, type === 'DELETED' ? undefined : object);
    if (type === 'DELETED') {
      names.delete(name);
      if (!names.size) byNamespace.delete(namespace);
      this.byUid.delete(object.metadata.uid!);
    } else {
      names.set(name, entry);
      this.byUid.set(object.metadata.uid!, { resource, namespace, name });
    }
    const event: StoreEvent = { type, resource, rv, entry, previous, lines: {} };
    this.history(resource).push(event);
    for (const listener of this.listeners) listener(event);
    return entry;
  }

  private reindexOwners(before: KubeObject | undefined, after: KubeObject | undefined): void {
    const uid = (before ?? after)!.metadata.uid!;
    const owners = (object: KubeObject | undefined) => new Set((object?.metadata.ownerReferences ?? []).map((ref) => ref.uid));
    const old = owners(before);
    const current = owners(after);
    for (const owner of old) {
      if (current.has(owner)) continue;
      const set = this.dependentsByOwner.get(owner);
      set?.delete(uid);
      if (set && !set.size) this.dependentsByOwner.delete(owner);
    }
    for (const owner of current) {
      if (old.has(owner)) continue;
      let set = this.dependentsByOwner.get(owner);
      if (!set) this.dependentsByOwner.set(owner, (set = new Set()));
      set.add(uid);
    }
  }
}
