/** The namespace controller: empties a Terminating namespace, then releases its `kubernetes` finalizer. */
import type { ControllerGate } from './controller-gate.js';
import { isDeleting } from './meta.js';
import type { Registry } from './registry.js';
import { RESOURCE_TYPES, resourceType } from './resources/index.js';
import type { Store, StoreEvent } from './store.js';
import type { Timers } from './timers.js';
import { WorkQueue } from './work-queue.js';

const namespaces = resourceType('namespaces');
const namespacedTypes = RESOURCE_TYPES.filter((type) => type.namespaced);

export class NamespaceController {
  private readonly queue: WorkQueue<string>;

  constructor(
    private readonly store: Store,
    private readonly registry: Registry,
    gate: ControllerGate,
    timers: Timers,
  ) {
    this.queue = new WorkQueue('namespace-controller', gate, timers, (name) => this.sync(name));
    store.subscribe((event) => this.observe(event));
  }

  private observe(event: StoreEvent): void {
    const object = event.entry.object;
    if (event.resource === 'namespaces') {
      if (event.type !== 'DELETED' && isDeleting(object)) this.queue.add(object.metadata.name!);
    } else if (event.type === 'DELETED' && object.metadata.namespace) {
      const ns = this.store.get('namespaces', undefined, object.metadata.namespace);
      if (ns && isDeleting(ns.object)) this.queue.add(object.metadata.namespace);
    }
  }

  private sync(name: string): void {
    const ns = this.registry.find(namespaces, undefined, name);
    if (!ns || !isDeleting(ns.object)) return;
    let remaining = 0;
    for (const type of namespacedTypes) {
      for (const entry of this.store.list(type.resource, name)) {
        remaining++;
        if (!isDeleting(entry.object)) this.registry.delete(type, name, entry.object.metadata.name!, { propagationPolicy: 'Background' });
      }
    }
    if (!remaining) this.registry.modify(namespaces, undefined, name, (o) => (o.spec = { ...o.spec, finalizers: [] }));
  }
}
