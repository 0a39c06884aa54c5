/**
 * Compiles a loaded config into a frozen Plan. Everything that can be wrong is found here and
 * reported as `file:line:column: message`; a plan that compiled cannot fail on a rule later.
 */
import { BUILTIN_SHAPES, patternShape } from './shapes';
import * as path from 'node:path';
import { loadConfig, type LoadedConfig, type LoadedRulePack } from '../config/load';
import type { RuleSpec } from '../config/schema';
import { customDetector } from '../detectors/custom';
import { BUILTIN_DETECTORS } from '../detectors/index';
import { DEFAULT_DETECTOR_OPTIONS, type Detector, type DetectorOptions, type IdentifierKind, type SafeHarborLetter } from '../detectors/types';
import { ConfigError, PhiError, type ConfigIssue } from '../errors';
import { HmacPseudonymizer, readHmacKey } from '../vault/hmac';
import { TokenVault } from '../vault/token-vault';
import type { Pseudonymizer } from '../vault/types';
import { compileKeyPatterns, compileSuffixGlob, isAnywhereKeyGlob, isSuffixGlob, PathMatcher } from './matchers';
import type { CompiledRule, DetectorBinding, FindingKind, KeyRule, Mode, Plan, SuffixRule } from './plan';
import { scanUrlText } from './scrub';
import { compileAllowQuery, DEFAULT_ALLOW_QUERY } from './url';

/** The marker a whole-field `redact` writes when the rule names none. */
const FIELD_MARKERS: Record<SafeHarborLetter, string> = {
  A: '[NAME]', B: '[LOCATION]', C: '[DATE]', D: '[PHONE]', E: '[FAX]', F: '[EMAIL]', G: '[SSN]',
  H: '[MRN]', I: '[HEALTH_PLAN_ID]', J: '[ACCOUNT]', K: '[LICENSE]', L: '[VEHICLE]', M: '[DEVICE_ID]',
  N: '[URL]', O: '[IP]', P: '[BIOMETRIC]', Q: '[PHOTO]', R: '[ID]',
};

/** The `identifier_kind` of a rule that names a letter and nothing finer (see `findingKind`). */
const LETTER_KINDS: Record<SafeHarborLetter, FindingKind> = {
  A: 'name', B: 'location', C: 'date', D: 'phone', E: 'fax', F: 'email', G: 'ssn', H: 'mrn',
  I: 'health_plan', J: 'account', K: 'license', L: 'vehicle', M: 'device', N: 'url', O: 'ip',
  P: 'biometric', Q: 'photo', R: 'id',
};

/** What a `generalize` rule's `as` says the field is. */
const GENERALIZE_KINDS: Record<NonNullable<Extract<RuleSpec, { action: 'generalize' }>['as']>, FindingKind> = {
  zip: 'zip', date: 'date', birth_year: 'age', age: 'age', ip: 'ip',
};

/**
 * The kind of identifier a rule's findings count as, most specific first: a `generalize` rule's
 * `as`; the one kind all its detectors share (custom patterns, kind `other`, say nothing); its
 * letter's name; `other` for a detector rule without a letter whose detectors name no one kind; `none`.
 */
function findingKind(spec: RuleSpec, detectors: Map<string, Detector>): FindingKind {
  if (spec.action === 'generalize' && spec.as !== undefined) return GENERALIZE_KINDS[spec.as];
  const ids = spec.match.detectors ?? [];
  const kinds = new Set(ids.map((id) => detectors.get(id)!.kind).filter((k) => k !== 'other'));
  if (kinds.size === 1) return [...kinds][0]!;
  if (spec.identifier !== undefined) return LETTER_KINDS[spec.identifier];
  return ids.length > 0 ? 'other' : 'none';
}

/** What `generalize` can do to a detector's matches. */
const GENERALIZABLE: ReadonlySet<IdentifierKind> = new Set(['zip', 'date', 'age', 'ip']);

export const DEFAULT_MAX_DEPTH = 64;
/** Generous for stack traces and autocapture chains, small enough that no string stalls a detector pass. */
export const DEFAULT_MAX_STRING_LENGTH = 256 * 1024;
export const DEFAULT_MAX_KEYS = 5_000;
export const DEFAULT_VAULT_PATH = '.phi-proxy/vault.jsonl';

export interface CompileOptions {
  /** Use this pseudonymizer instead of the one the config describes (tests, shared vaults). */
  pseudonymizer?: Pseudonymizer;
  /** A vault already open for this deployment (routes share one, so surrogates agree across SDKs). */
  vault?: Pseudonymizer;
  /** Keep the vault in memory (e.g. `phi-proxy explain`, which must not grow the vault). */
  inMemoryVault?: boolean;
  /** Year against which birth years are judged (default: the current UTC year). */
  currentYear?: number;
  env?: NodeJS.ProcessEnv;
}

interface RuleSource {
  pack: LoadedRulePack;
  spec: RuleSpec;
  at: (sub: (string | number)[], message: string) => ConfigIssue;
}

function detectorOptions(config: LoadedConfig): DetectorOptions {
  return { phoneRegions: config.spec.detectors?.phone_regions ?? DEFAULT_DETECTOR_OPTIONS.phoneRegions };
}

/** Builds every detector the packs can name: built-ins plus each pack's custom ones. */
function buildDetectors(config: LoadedConfig, issues: ConfigIssue[], broken: Set<string>): Map<string, Detector> {
  const options = detectorOptions(config);
  const detectors = new Map<string, Detector>();
  for (const [id, factory] of Object.entries(BUILTIN_DETECTORS)) detectors.set(id, factory(options));
  for (const pack of config.packs) {
    (pack.spec.detectors ?? []).forEach((spec, i) => {
      if (detectors.has(spec.id)) {
        issues.push(pack.issueAt(['detectors', i, 'id'], `detector "${spec.id}" is already defined`));
        return;
      }
      try {
        detectors.set(spec.id, customDetector(spec));
      } catch (err) {
        issues.push(pack.issueAt(['detectors', i, 'pattern'], `bad regex: ${(err as Error).message}`));
        broken.add(spec.id); // reported once, at its pattern, not again where rules name it
      }
    });
  }
  return detectors;
}

function validateRule(src: RuleSource, mode: Mode, detectors: Map<string, Detector>, broken: Set<string>, seen: Set<string>, issues: ConfigIssue[]): void {
  const { spec, at } = src;
  if (seen.has(spec.id)) issues.push(at(['id'], `duplicate rule id "${spec.id}"`));
  seen.add(spec.id);
  const { keys, paths, detectors: ids } = spec.match;
  if (!keys?.length && !paths?.length && !ids?.length) {
    issues.push(at(['match'], 'match needs keys, paths or detectors'));
  }
  (ids ?? []).forEach((id, j) => {
    const detector = detectors.get(id);
    if (detector === undefined) {
      if (broken.has(id)) return;
      issues.push(at(['match', 'detectors', j], `unknown detector "${id}" (known: ${[...detectors.keys()].join(', ')})`));
    } else if (spec.action === 'generalize' && !GENERALIZABLE.has(detector.kind)) {
      issues.push(at(['match', 'detectors', j], `generalize cannot coarsen ${detector.kind} matches (detector "${id}"): use redact or pseudonymize`));
    } else if (spec.action === 'url' && id !== 'url') {
      issues.push(at(['match', 'detectors', j], `action url rewrites URLs: use detector "url", or match fields by keys/paths`));
    }
  });
  if (spec.action === 'keep' && spec.shape !== undefined && spec.shape_pattern !== undefined) {
    issues.push(at(['shape_pattern'], 'give shape or shape_pattern, not both'));
  }
  if (spec.action === 'keep' && spec.shape_pattern !== undefined) {
    try {
      patternShape(spec.shape_pattern);
    } catch (err) {
      issues.push(at(['shape_pattern'], `bad regex: ${(err as Error).message}`));
    }
  }
  if (spec.action === 'keep' && ids?.length) {
    issues.push(at(['match', 'detectors'], 'keep exempts fields: match them by keys or paths, not detectors'));
  }
  if (spec.action === 'pseudonymize' && spec.method === 'hmac' && mode === 'safe_harbor') {
    issues.push(at(['method'], 'method hmac derives pseudonyms from identifiers, which Safe Harbor does not allow (45 CFR 164.514(c)): use method vault, or mode expert_determination'));
  }
  [...(paths ?? [])].forEach((glob, j) => {
    if (glob.split('.').some((segment) => segment === '')) issues.push(at(['match', 'paths', j], `path glob "${glob}" has an empty segment`));
  });
}

function buildPseudonymizer(config: LoadedConfig, mode: Mode, usesHmac: boolean, options: CompileOptions, issues: ConfigIssue[]): Pseudonymizer | undefined {
  if (options.pseudonymizer) return options.pseudonymizer;
  if (usesHmac && mode === 'expert_determination') {
    const hmac = config.spec.hmac ?? {};
    try {
      const key = readHmacKey({ keyEnv: hmac.key_env, keyFile: hmac.key_file && path.resolve(config.baseDir, hmac.key_file) }, options.env);
      return new HmacPseudonymizer(key, hmac.key_id ?? 'k1');
    } catch (err) {
      issues.push(config.issueAt(['hmac'], (err as Error).message));
      return undefined;
    }
  }
  return undefined;
}

/** Compiles a loaded config into a frozen plan; throws ConfigError with every problem found. */
export function compilePlan(config: LoadedConfig, options: CompileOptions = {}): Plan {
  const issues: ConfigIssue[] = [];
  const mode: Mode = config.spec.mode ?? 'safe_harbor';
  const broken = new Set<string>();
  const detectors = buildDetectors(config, issues, broken);
  const currentYear = options.currentYear ?? new Date().getUTCFullYear();

  const sources: RuleSource[] = config.packs.flatMap((pack) =>
    pack.spec.rules.map((spec, i): RuleSource => ({ pack, spec, at: (sub, message) => pack.issueAt(['rules', i, ...sub], message) })),
  );
  const seen = new Set<string>();
  for (const src of sources) validateRule(src, mode, detectors, broken, seen, issues);

  const usesHmac = sources.some((s) => s.spec.action === 'pseudonymize' && s.spec.method === 'hmac');
  const hmacPseudonymizer = buildPseudonymizer(config, mode, usesHmac, options, issues);
  if (issues.length > 0) throw new ConfigError(issues);

  let vault: Pseudonymizer | undefined = options.pseudonymizer ?? options.vault;
  const vaultFor = (): Pseudonymizer => {
    if (vault === undefined) {
      try {
        vault = options.inMemoryVault
          ? new TokenVault()
          : new TokenVault(path.resolve(config.baseDir, config.spec.vault?.path ?? DEFAULT_VAULT_PATH));
      } catch (err) {
        throw new ConfigError([config.issueAt(['vault', 'path'], err instanceof PhiError ? err.message : 'cannot open token vault')]);
      }
    }
    return vault;
  };

  const rules: CompiledRule[] = [];
  const fieldKeyRules: KeyRule[] = [];
  const scopedKeyRules: KeyRule[] = [];
  const pathGlobs: { glob: string; rule: number }[] = [];
  const suffixRules: SuffixRule[] = [];
  const global: DetectorBinding[] = [];
  const scopedBindings = new Map<number, DetectorBinding[]>();
  const globalDetectorIds = new Set<string>();
  let planRef: Plan | undefined;

  for (const { spec, pack } of sources) {
    const index = rules.length;
    const detectorIds = spec.match.detectors ?? [];
    const rule: CompiledRule = Object.freeze({
      index,
      id: spec.id,
      identifier: spec.identifier,
      identifierKind: findingKind(spec, detectors),
      action: spec.action,
      marker: spec.action === 'redact' ? spec.marker : undefined,
      fieldMarker: (spec.action === 'redact' ? spec.marker : undefined) ?? (spec.identifier ? FIELD_MARKERS[spec.identifier] : '[REDACTED]'),
      generalizeAs: spec.action === 'generalize' ? spec.as : undefined,
      generalize: Object.freeze({
        currentYear,
        ipv4Prefix: spec.action === 'generalize' ? spec.ipv4_prefix : undefined,
        ipv6Prefix: spec.action === 'generalize' ? spec.ipv6_prefix : undefined,
      }),
      namespace: spec.action === 'pseudonymize' ? spec.namespace ?? 'id' : 'id',
      pseudonymizer: spec.action !== 'pseudonymize' ? undefined
        : spec.method === 'hmac' ? (options.pseudonymizer ?? hmacPseudonymizer) : vaultFor(),
      // `url` rules scan query values and path segments with the plan's own detectors.
      url: spec.action === 'url'
        ? Object.freeze({ allowQuery: compileAllowQuery(spec.allow_query ?? DEFAULT_ALLOW_QUERY), scanText: (text: string) => scanUrlText(planRef!, text), memo: new Map<string, string>() })
        : undefined,
      keepShape: spec.action !== 'keep' ? undefined
        : spec.shape !== undefined ? BUILTIN_SHAPES[spec.shape]
        : spec.shape_pattern !== undefined ? patternShape(spec.shape_pattern) : undefined,
      detectorIds: Object.freeze([...detectorIds]),
      file: pack.file,
    });
    rules.push(rule);

    const keyPatterns = [...(spec.match.keys ?? []), ...(spec.match.paths ?? []).filter(isAnywhereKeyGlob).map((g) => g.slice(3))];
    const globs = (spec.match.paths ?? []).filter((g) => !isAnywhereKeyGlob(g));
    const keyMatcher = compileKeyPatterns(keyPatterns);
    const scoped = keyPatterns.length > 0 || globs.length > 0;
    for (const glob of globs) {
      if (isSuffixGlob(glob)) suffixRules.push({ segments: compileSuffixGlob(glob), rule });
      else pathGlobs.push({ glob, rule: index });
    }

    if (detectorIds.length === 0) {
      if (keyMatcher) fieldKeyRules.push({ matcher: keyMatcher, rule });
      continue;
    }
    const bindings = detectorIds.map((id): DetectorBinding => ({ detector: detectors.get(id)!, rule, priority: scoped ? index - 1e6 : index }));
    if (scoped) {
      scopedBindings.set(index, bindings);
      if (keyMatcher) scopedKeyRules.push({ matcher: keyMatcher, rule });
    } else {
      // A detector enabled twice globally runs once: the first rule naming it decides.
      for (const b of bindings) {
        if (globalDetectorIds.has(b.detector.id)) continue;
        globalDetectorIds.add(b.detector.id);
        global.push(b);
      }
    }
  }

  const pseudonymizers = [...new Set(rules.map((r) => r.pseudonymizer).filter((p): p is Pseudonymizer => p !== undefined))];

  const plan: Plan = {
    mode,
    rules,
    fieldKeyRules,
    scopedKeyRules,
    suffixRules,
    paths: new PathMatcher(pathGlobs),
    global,
    wholeValueBindings: global.filter((b) => b.detector.claimsBlobs === true && (b.rule.action === 'redact' || b.rule.action === 'drop')),
    scopedBindings,
    pseudonymizers,
    maxDepth: config.spec.limits?.max_depth ?? DEFAULT_MAX_DEPTH,
    maxStringLength: config.spec.limits?.max_string_length ?? DEFAULT_MAX_STRING_LENGTH,
    maxKeys: config.spec.limits?.max_keys ?? DEFAULT_MAX_KEYS,
    detectorIds: Object.freeze([...new Set(rules.flatMap((r) => r.detectorIds))]),
  };
  planRef = Object.freeze(plan);
  return planRef;
}

/** Loads a config file (or the embedded default when undefined) and compiles it. */
export function compileRules(configFile?: string, options: CompileOptions = {}): Plan {
  return compilePlan(loadConfig(configFile), options);
}
