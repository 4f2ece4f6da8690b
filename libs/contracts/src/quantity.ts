import { ValidateBy, type ValidationOptions } from 'class-validator';

/**
 * A Kubernetes resource quantity ("500m", "2", "1.5Gi", "1e3"), read by hand: @kubernetes/client-node's
 * `quantityToScalar` takes forms the API server refuses ("0x10", " 1", "-1", "Infinity"), throws on ones it takes
 * ("1.5Gi"), and answers a number or a bigint by suffix. This is the API's grammar (resource.Quantity) without the
 * sign, as a container's resources are never negative.
 */
const QUANTITY = /^(\d+(?:\.\d*)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?\d+)?$/;

const MULTIPLIERS: Record<string, number> = {
  n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
};

/** A quantity's value in its base unit (cores, bytes), close enough to compare two; undefined when it is no quantity. */
export function quantityValue(quantity: string): number | undefined {
  const match = QUANTITY.exec(quantity);
  if (!match) return undefined;
  const [, number, suffix = ''] = match;
  const multiplier = /^[eE]./.test(suffix) ? 10 ** Number(suffix.slice(1)) : MULTIPLIERS[suffix]!;
  return Number(number) * multiplier;
}

/**
 * A quantity as the request gives it: a string, or a number as Kubernetes also takes in JSON and YAML (cores for
 * cpu, bytes for memory). Numbers become their decimal string, which is a quantity of the same value.
 */
export function asQuantity(value: unknown): string | undefined {
  const text = typeof value === 'number' && Number.isFinite(value) && value >= 0 ? String(value) : value;
  return typeof text === 'string' && quantityValue(text) !== undefined ? text : undefined;
}

export function IsQuantity(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy({ name: 'quantity', validator: { validate: (value) => asQuantity(value) !== undefined } }, options);
}
