/** Turns an identifier into a stable pseudonym; `namespace` keeps unrelated id spaces apart. */
export interface Pseudonymizer {
  /** Same (namespace, value) → same pseudonym, for the life of the deployment. */
  pseudonym(namespace: string, value: string): string;
  /** Number of identifiers held (a vault) or -1 (stateless, e.g. HMAC). */
  readonly size: number;
}
