/** The Kubernetes API simulator: a real HTTP API for client-node and kubectl, with a Job controller and a kubelet that runs processes. */
export { startKubeSim, type InspectableResource, type KubeSim, type KubeSimOptions } from './sim.js';
export type { RequestRecord } from './http-exchange.js';
export type { RequestMatcher } from './faults.js';
export type { CatalogueEntry, ImageCatalogue, InProcessImage, ProcessImage } from './images.js';
export { defaultTiming, type SimTiming } from './timing.js';
export type { OpenWatch } from './watch.js';
export { NODE_NAME } from './kubelet.js';
