/** The resources a work request may ask for; a module of its own so that the CLI takes it without the validators. */
export const RESOURCE_NAMES = ['cpu', 'memory'] as const;
export type ResourceName = (typeof RESOURCE_NAMES)[number];
/** Quantities by resource, always strings once validated. */
export type ResourceList = Partial<Record<ResourceName, string>>;
