/** Types of the part of search.js that TypeScript tests use. */
/** The text and every decoded view of it (percent, `\\uXXXX`, base64/base64url, gzip), recursively. */
export function views(input: Buffer | string, depth?: number): string[];
/** The wire forms of a value, lower-cased: as is, percent-encoded, form-encoded, JSON-escaped. */
export function forms(value: string): string[];
