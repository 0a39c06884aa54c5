'use strict';
/**
 * Leak search for the soak: the planted values, and every view of a text in which one could
 * hide. Plain JavaScript so the soak runs as a Node script; test/proxy/side-doors.test.ts uses
 * the same `views` and `forms` (types in search.d.ts).
 */
const zlib = require('node:zlib');

// ---------------------------------------------------------------------------------------------
// Planted values

const EMAIL = 'jane.doe@example.com';
const PHONE = '617-555-0123';
const SSN = '123-45-6789';
const NAME = 'Maria Gonzalez';
const STREET = '742 Evergreen Terrace';
const ZIP = '02139';
const DOB = '1985-03-14';
const MRN = 'MRN 00482913';
const IP = '198.51.100.7';
const URL_WITH_EMAIL = `https://clinic.example.org/patients/48213/chart?email=${encodeURIComponent(EMAIL)}&utm_source=mail`;

/** What must never surface, as is or in any wire form. Parts too (the MRN's digits, the URL's patient path). */
const PLANTED = Object.freeze([EMAIL, PHONE, SSN, NAME, STREET, ZIP, DOB, MRN, '00482913', IP, URL_WITH_EMAIL, 'patients/48213']);

/**
 * Per-event values, searched by pattern: every event has its own e-mail address
 * (`pt<n>.soak@example.com`) and one of a bounded set of patient ids (`soak-patient-<k>`,
 * pseudonymized by the vault; bounded so the vault stays small and memory can be flat).
 */
const PATTERNS = Object.freeze([
  { name: 'e-mail at example.com', re: /[a-z0-9._+-]@example\.com/i },
  { name: 'soak patient id', re: /soak-patient-\d/i },
]);

const uniqueEmail = (n) => `pt${n}.soak@example.com`;
const patientId = (n) => `soak-patient-${n % 40}`;

/** The properties every format carries, in fields named for what they hold (how apps send them). */
function phiProps(n) {
  return {
    email: EMAIL,
    contact_email: uniqueEmail(n),
    phone: PHONE,
    ssn: SSN,
    full_name: NAME,
    address: STREET,
    zip: ZIP,
    dob: DOB,
    note: `Chart ${MRN}, call back ${PHONE} or ${uniqueEmail(n)}`,
    ip: IP,
    page_url: URL_WITH_EMAIL,
    plan: 'pro',
    slot_count: n % 5,
    soak_probe: 'rules-version',
  };
}

// ---------------------------------------------------------------------------------------------
// Searching

const gunzipIfGzip = (bytes) => {
  if (bytes.length < 2 || bytes[0] !== 0x1f || bytes[1] !== 0x8b) return bytes;
  try {
    return zlib.gunzipSync(bytes);
  } catch {
    return bytes;
  }
};

function percentDecoded(text) {
  return text.replace(/(?:%[0-9A-Fa-f]{2})+/g, (run) => {
    try {
      return decodeURIComponent(run);
    } catch {
      return run;
    }
  });
}

function readable(text) {
  if (text.length === 0) return false;
  const bad = text.match(/[\u0000-\u0008\u000e-\u001f\ufffd]/g)?.length ?? 0;
  return bad / text.length < 0.05;
}

/**
 * The text, percent-decoded (with and without `+` as space), JSON `\uXXXX` escapes undone, and
 * every base64 / base64url run decoded (gunzipped if it is gzip), recursively.
 */
function views(input, depth = 0) {
  const text = typeof input === 'string' ? input : gunzipIfGzip(input).toString('utf8');
  const out = new Set([text, percentDecoded(text), percentDecoded(text.replace(/\+/g, ' ')), text.replace(/\\u([0-9a-fA-F]{4})/g, (_m, h) => String.fromCharCode(parseInt(h, 16)))]);
  if (depth < 3) {
    for (const source of [...out]) {
      for (const token of source.match(/[A-Za-z0-9+/_-]{12,}={0,2}/g) ?? []) {
        const decoded = gunzipIfGzip(Buffer.from(token.replace(/-/g, '+').replace(/_/g, '/'), 'base64')).toString('utf8');
        if (readable(decoded)) for (const v of views(decoded, depth + 1)) out.add(v);
      }
    }
  }
  return [...out];
}

function forms(value) {
  return [...new Set([value, encodeURIComponent(value), new URLSearchParams({ x: value }).toString().slice(2), JSON.stringify(value).slice(1, -1)].map((f) => f.toLowerCase()))];
}

const FORMS = PLANTED.map((value) => ({ value, forms: forms(value).map((f) => ({ f, re: /^\d+$/.test(f) ? new RegExp(`(?<![0-9A-Za-z])${f}(?![0-9])`) : undefined })) }));

/**
 * The planted values and patterns found in a text, each with a little context (empty: no leak).
 * A digits-only value (the ZIP) must stand alone: inside a hash or a longer number it is no leak.
 */
function occurrences(input) {
  const found = new Map();
  for (const view of views(input)) {
    const lower = view.toLowerCase();
    for (const { value, forms: fs } of FORMS) {
      if (found.has(value)) continue;
      for (const { f, re } of fs) {
        const at = re ? (re.exec(lower)?.index ?? -1) : lower.indexOf(f);
        if (at >= 0) {
          found.set(value, { value, context: view.slice(Math.max(0, at - 60), at + f.length + 30) });
          break;
        }
      }
    }
    for (const { name, re } of PATTERNS) {
      if (found.has(name)) continue;
      const m = re.exec(view);
      if (m) found.set(name, { value: name, context: view.slice(Math.max(0, m.index - 60), m.index + 40) });
    }
  }
  return [...found.values()];
}

/** Readable failure lines for a labelled source. */
function leaksIn(label, input) {
  return occurrences(input).map((o) => `${label}: ${JSON.stringify(o.value)} in …${o.context}…`);
}

module.exports = { percentDecoded, forms, PLANTED, PATTERNS, EMAIL, PHONE, SSN, NAME, STREET, ZIP, DOB, MRN, IP, URL_WITH_EMAIL, uniqueEmail, patientId, phiProps, views, occurrences, leaksIn };
