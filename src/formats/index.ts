/** Wire formats by name: what a route's `format` may be. */
import { posthogFormat } from './posthog';
import type { WireFormat } from './types';

const FORMATS: Record<string, () => WireFormat> = {
  posthog: () => posthogFormat(),
};

export const FORMAT_NAMES = Object.freeze(Object.keys(FORMATS));

export function formatFor(name: string): WireFormat {
  const make = FORMATS[name];
  if (make === undefined) throw new Error(`unknown wire format ${name}`);
  return make();
}

export * from './types';
