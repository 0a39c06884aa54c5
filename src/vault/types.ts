/** Turns an identifier into a stable pseudonym; `namespace` keeps unrelated id spaces apart. */
export interface Pseudonymizer {
  /** Same (namespace, value) → same pseudonym, for the life of the deployment. */
  pseudonym(namespace: string, value: string): string;
  /**
   * True when `value` is a pseudonym this deployment issued, so scrubbing scrubbed output leaves
   * it alone. Must not accept a value merely shaped like one: an id that looks like `usr_…`
   * would otherwise pass through raw.
   */
  isIssued(value: string): boolean;
  /** Number of identifiers held (a vault) or -1 (stateless, e.g. HMAC). */
  readonly size: number;
}
