/**
 * phi-proxy as a library: the same engine the proxy and the CLI use.
 *
 * @example
 *   import { compileRules, scrubEvent } from 'phi-proxy';
 *   const plan = compileRules('config.yaml');          // or compileRules() for the Safe Harbor default
 *   const clean = scrubEvent(plan, JSON.parse(line));  // scrubs in place; throws ScrubError to drop
 */
export { compileRules, compilePlan, type CompileOptions } from './engine/compile';
export { scrubEvent, type Finding, type Json, type ScrubOptions } from './engine/scrub';
export type { Plan, CompiledRule, Mode } from './engine/plan';
export { loadConfig, DEFAULT_RULES_FILE, type LoadedConfig } from './config/load';
export { BUILTIN_DETECTORS } from './detectors/index';
export type { Detector, DetectorFactory, Span, IdentifierKind, SafeHarborLetter } from './detectors/types';
export { TokenVault } from './vault/token-vault';
export { HmacPseudonymizer } from './vault/hmac';
export type { Pseudonymizer } from './vault/types';
export * from './errors';
