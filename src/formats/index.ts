/** Wire formats by name: what a route's `format` may be. */
import { posthogFormat } from './posthog';
import type { WireFormat } from './types';

/**
 * Each format is one module exporting `<name>Format()`. Loaded on first use, so a deployment
 * pays only for the formats its routes name.
 */
const FORMATS: Record<string, () => WireFormat> = {
  posthog: () => posthogFormat(),
};

/** Registers a format module (used by the registry below and by tests of new formats). */
export function registerFormat(name: string, make: () => WireFormat): void {
  FORMATS[name] = make;
}

/** Formats in their own modules, each exporting `<name>Format()`: required on first use. */
const MODULES: Record<string, string> = {
  segment: './segment', rudderstack: './rudderstack', mixpanel: './mixpanel', amplitude: './amplitude',
  ga4: './ga4', plausible: './plausible', snowplow: './snowplow', matomo: './matomo',
};

export const FORMAT_NAMES: readonly string[] = Object.freeze(['posthog', ...Object.keys(MODULES)]);

export function formatFor(name: string): WireFormat {
  const make = FORMATS[name];
  if (make !== undefined) return make();
  const module = MODULES[name];
  if (module === undefined) throw new Error(`unknown wire format ${name}`);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const exported = require(module) as Record<string, () => WireFormat>;
  const factory = exported[`${name}Format`];
  if (typeof factory !== 'function') throw new Error(`wire format module ${module} does not export ${name}Format`);
  FORMATS[name] = factory;
  return factory();
}

export * from './types';
