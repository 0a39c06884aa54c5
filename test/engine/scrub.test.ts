import type { Detector } from '../../src/detectors/types';
import { scrubEvent, type Finding } from '../../src/engine/scrub';
import { ScrubError } from '../../src/errors';
import { defaultPlan, planFromRules } from '../helpers';

const RULES = `
version: 1
detectors:
  - id: patient_code
    pattern: 'PT-[0-9]{6}'
    context: [patient]
    marker: '[PATIENT_CODE]'
rules:
  - id: keep-ts
    match: { keys: [timestamp] }
    action: keep
  - id: ids
    identifier: R
    match: { keys: [distinct_id|user_id] }
    action: pseudonymize
  - id: email-field
    identifier: F
    match: { keys: [email, '*_email'] }
    action: redact
  - id: set-anything
    match: { paths: ['properties.$set.secret*'] }
    action: drop
  - id: zip
    match: { keys: [zip] }
    action: generalize
    as: zip
  - id: age
    match: { keys: [age] }
    action: generalize
    as: age
  - id: page
    match: { keys: [current_url] }
    action: url
  - id: emails
    match: { detectors: [email] }
    action: redact
  - id: codes
    match: { detectors: [patient_code] }
    action: redact
  - id: notes-names
    match: { keys: [notes], detectors: [name] }
    action: redact
`;

describe('scrubEvent (engine mechanics)', () => {
  const plan = planFromRules(RULES);

  it('applies field rules by normalised key name, anywhere in the event', () => {
    const event = { properties: { Email: 'a@b.co', contact: { work_email: 'x@y.co' }, $set: { patientEmail: 'p@q.co' } } };
    expect(scrubEvent(plan, event)).toEqual({
      properties: { Email: '[EMAIL]', contact: { work_email: '[EMAIL]' }, $set: { patientEmail: '[EMAIL]' } },
    });
  });

  it('runs detectors inside free text, arrays and nested objects, leaving the rest as it was', () => {
    const event = { event: 'note', properties: { text: 'write to jane@example.org today', list: ['ok', 'bob@example.org'], n: 3, b: true } };
    expect(scrubEvent(plan, event)).toEqual({
      event: 'note',
      properties: { text: 'write to [EMAIL] today', list: ['ok', '[EMAIL]'], n: 3, b: true },
    });
  });

  it('scrubs identifiers in property names', () => {
    const event = { properties: { 'jane@example.org': true, plain: 1 } };
    expect(scrubEvent(plan, event)).toEqual({ properties: { plain: 1, '[EMAIL]': true } });
  });

  it('gives the same surrogate to the same id, in every field of the same namespace', () => {
    const a = scrubEvent(plan, { distinct_id: 'patient-123', properties: { user_id: 'patient-123' } });
    const b = scrubEvent(plan, { distinct_id: 'patient-456' });
    expect(a.distinct_id).toMatch(/^tok_[A-Za-z0-9_-]{20}$/);
    expect(a.properties.user_id).toBe(a.distinct_id);
    expect(b.distinct_id).not.toBe(a.distinct_id);
    // Scrubbing scrubbed output changes nothing (surrogates are recognised).
    expect(scrubEvent(plan, structuredClone(a))).toEqual(a);
    // …but only surrogates this vault issued: an id merely shaped like one is still replaced.
    const lookalike = 'usr_ABCDEFGHIJKLMNOPQRST';
    expect(scrubEvent(plan, { distinct_id: lookalike }).distinct_id).not.toBe(lookalike);
  });

  it('keep exempts a field from every other rule and detector', () => {
    const event = { timestamp: 'sent by jane@example.org', other: 'jane@example.org' };
    expect(scrubEvent(plan, event)).toEqual({ timestamp: 'sent by jane@example.org', other: '[EMAIL]' });
  });

  it('matches anchored path globs only at their path', () => {
    const event = { properties: { $set: { secret_a: 1, open: 2 } }, $set: { secret_b: 3 } };
    expect(scrubEvent(plan, event)).toEqual({ properties: { $set: { open: 2 } }, $set: { secret_b: 3 } });
  });

  it('generalises ZIP to ZIP3 (restricted prefixes to 000) and ages over 89 to 90+', () => {
    expect(scrubEvent(plan, { zip: '02139', other: { zip: '03601-1234' } })).toEqual({ zip: '021', other: { zip: '000' } });
    expect(scrubEvent(plan, { zip: 2139 })).toEqual({ zip: '021' });
    expect(scrubEvent(plan, { a: { age: 93 }, b: { age: '45' }, c: { age: 45 } })).toEqual({ a: { age: '90+' }, b: { age: '45' }, c: { age: 45 } });
  });

  it('runs scoped detectors only under their keys', () => {
    const out = scrubEvent(plan, { notes: 'Patient Jane Doe came in', title: 'Patient Jane Doe came in' });
    expect(out.notes).not.toContain('Jane');
    expect(out.title).toBe('Patient Jane Doe came in');
  });

  it('runs user-defined detectors with their context words', () => {
    expect(scrubEvent(plan, { a: 'patient PT-123456', b: 'order PT-123456' })).toEqual({ a: 'patient [PATIENT_CODE]', b: 'order PT-123456' });
  });

  it('reports each change with its path, rule and new value, never the original', () => {
    const findings: Finding[] = [];
    scrubEvent(plan, { properties: { email: 'a@b.co', list: ['x', 'c@d.co'] } }, { onFinding: (f) => findings.push(f) });
    expect(findings).toEqual([
      { path: 'properties.email', ruleId: 'email-field', identifier: 'F', kind: 'field', action: 'redact', result: '[EMAIL]' },
      { path: 'properties.list[1]', ruleId: 'emails', identifier: undefined, kind: 'email', action: 'redact', result: '[EMAIL]' },
    ]);
    expect(JSON.stringify(findings)).not.toContain('a@b.co');
  });

  it('counts changes per rule', () => {
    const counts = new Uint32Array(plan.rules.length);
    scrubEvent(plan, { email: 'a@b.co', text: 'x@y.co and z@w.co' }, { counts });
    expect(counts[plan.rules.findIndex((r) => r.id === 'email-field')]).toBe(1);
    expect(counts[plan.rules.findIndex((r) => r.id === 'emails')]).toBe(2);
  });

  it('refuses events nested deeper than the limit (fail closed, no stack overflow)', () => {
    let deep: Record<string, unknown> = { email: 'a@b.co' };
    for (let i = 0; i < 10_000; i++) deep = { d: deep };
    expect(() => scrubEvent(plan, deep)).toThrow(ScrubError);
    expect(() => scrubEvent(plan, deep)).toThrow(/deeper than 64 levels/);
  });

  it('applies the depth and length limits to strings as to any value (the walk takes a shortcut for strings)', () => {
    const nest = (levels: number, leaf: unknown): unknown => {
      let node = leaf;
      for (let i = 0; i < levels; i++) node = { d: node };
      return node;
    };
    expect(JSON.stringify(scrubEvent(plan, nest(64, 'a@b.co')))).toContain('[EMAIL]');
    expect(() => scrubEvent(plan, nest(65, 'a@b.co'))).toThrow(/deeper than 64 levels/);
    expect(() => scrubEvent(plan, nest(65, 5))).toThrow(/deeper than 64 levels/);
    const long = 'x'.repeat(262_145);
    expect(() => scrubEvent(plan, { a: long })).toThrow(/longer than 262144 characters/);
    expect(() => scrubEvent(plan, { a: [long] })).toThrow(/longer than 262144 characters/);
  });

  it('refuses values that are not plain JSON rather than passing them through', () => {
    expect(() => scrubEvent(plan, { dob: new Date(0) })).toThrow(ScrubError);
    expect(() => scrubEvent(plan, { n: BigInt(1) })).toThrow(ScrubError);
  });

  it('treats __proto__, constructor and prototype keys as plain data (no prototype pollution)', () => {
    const event = JSON.parse('{"__proto__": {"polluted": "jane@example.org"}, "constructor": {"prototype": {"email": "a@b.co"}}}');
    const out = scrubEvent(plan, event);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(JSON.stringify(out)).toBe('{"__proto__":{"polluted":"[EMAIL]"},"constructor":{"prototype":{"email":"[EMAIL]"}}}');
  });

  it('scrubs URL fields: fragment and non-allow-listed query keys go, ids in the path become :id', () => {
    const out = scrubEvent(plan, { current_url: 'https://clinic.example.com/patients/48213/chart?email=a%40b.co&utm_source=mail#dob' });
    expect(out.current_url).toBe('https://clinic.example.com/patients/:id/chart?utm_source=mail');
    const clean = 'https://www.example.com/pricing?utm_campaign=fall%20sale';
    expect(scrubEvent(plan, { current_url: clean }).current_url).toBe(clean);
  });
});

describe('scrubEvent (property names and labelled values)', () => {
  const plan = planFromRules(`
version: 1
rules:
  - id: plan-ids
    match: { keys: [subscriber_id, '*_ip'] }
    action: redact
  - id: fax
    match: { keys: [fax] }
    action: redact
    marker: '[FAX]'
`);

  it('matches literal key names written without separators, but globs keep their word boundary', () => {
    expect(scrubEvent(plan, { subscriberid: 'A1', SubscriberID: 'A2', 'subscriber-id': 'A3', client_ip: '1', zip: '02139' })).toEqual({
      subscriberid: '[REDACTED]', SubscriberID: '[REDACTED]', 'subscriber-id': '[REDACTED]', client_ip: '[REDACTED]', zip: '02139',
    });
  });

  it('treats the value of a form-field pair as what its label names', () => {
    const event = { form_fields: [{ name: 'fax', value: '2128740735' }, { field: 'Fax', value: '2128740736' }, { name: 'plan', value: 'pro' }] };
    expect(scrubEvent(plan, event)).toEqual({
      form_fields: [{ name: 'fax', value: '[FAX]' }, { field: 'Fax', value: '[FAX]' }, { name: 'plan', value: 'pro' }],
    });
  });

  it('reads field_value, fieldValue, input_value and val as the value half of such a pair', () => {
    const plan = defaultPlan();
    const event = {
      properties: {
        form: 'financial-assistance',
        field: 'ssn',
        field_value: '344563784',
        steps: [{ fieldName: 'dob', fieldValue: '1961-04-02' }, { label: 'zip', input_value: '02139' }, { key: 'mrn', val: 'A1234567' }, { field: 'plan', field_value: 'gold' }],
      },
    };
    expect(scrubEvent(plan, event)).toEqual({
      properties: {
        form: 'financial-assistance',
        field: 'ssn',
        field_value: '[SSN]',
        steps: [{ fieldName: 'dob', fieldValue: '1961' }, { label: 'zip', input_value: '021' }, { key: 'mrn', val: '[MRN]' }, { field: 'plan', field_value: 'gold' }],
      },
    });
  });
});

describe('scan memo', () => {
  it('remembers clean values per property name, so a value clean under one name is still found under another', () => {
    const plan = defaultPlan();
    for (let i = 0; i < 3; i++) expect(scrubEvent(plan, { note: '123456789' })).toEqual({ note: '123456789' });
    expect(scrubEvent(plan, { ssn: '123456789' })).toEqual({ ssn: '[SSN]' });
    expect(scrubEvent(plan, { note: 'SSN 123-45-6789' })).toEqual({ note: 'SSN [SSN]' });
  });

  it('gives a repeated value the same result and records the same changes again, at the new path, without scanning it again', () => {
    const plan = defaultPlan();
    const scans = countScans(plan);
    const title = 'Visit summary for Jane Smith, call 617-555-0123, jane@example.com';
    const runs = [0, 1, 2].map((i) => {
      const findings: Finding[] = [];
      const counts = new Uint32Array(plan.rules.length);
      const out = scrubEvent(plan, { properties: { [`page${i}`]: { title } } }, { onFinding: (f) => findings.push(f), counts });
      return { out: (out as { properties: Record<string, { title: string }> }).properties[`page${i}`]!.title, findings, counts: [...counts] };
    });
    expect(runs[0]!.out).toBe('Visit summary for [NAME], call [PHONE], [EMAIL]');
    expect(runs[0]!.findings.map((f) => f.kind)).toEqual(['name', 'phone', 'email']);
    for (const i of [1, 2]) {
      expect(runs[i]!.out).toBe(runs[0]!.out);
      expect(runs[i]!.counts).toEqual(runs[0]!.counts);
      expect(runs[i]!.findings).toEqual(runs[0]!.findings.map((f) => ({ ...f, path: `properties.page${i}.title` })));
    }
    // Scanned once: the key names are new each time, the value only the first time.
    expect(scans.of(title)).toBe(1);
    scans.restore();
  });

  it('remembers values up to 4,096 characters (a posthog-js elements chain), not longer ones', () => {
    const plan = defaultPlan();
    const scans = countScans(plan);
    const chain = (n: number) => 'button.btn:text="Refill for Jane Smith"nth-child="1";' + 'div.card-body:nth-child="2";'.repeat(n);
    const long = chain(140); // ~3,900 characters
    const tooLong = chain(150);
    expect(long.length).toBeLessThanOrEqual(4096);
    expect(tooLong.length).toBeGreaterThan(4096);
    for (let i = 0; i < 3; i++) scrubEvent(plan, { properties: { $elements_chain: long, other_chain: tooLong } });
    expect(scans.of(long)).toBe(1);
    expect(scans.of(tooLong)).toBe(3);
    scans.restore();
  });

  /** A pack with one custom detector (`SC-` and four digits) under `action`, and more rules after it. */
  const secretCodePlan = (action: string, moreRules = '') =>
    planFromRules(`
version: 1
detectors:
  - id: secret_code
    pattern: 'SC-[0-9]{4}'
rules:
  - id: codes
    match: { detectors: [secret_code] }
    action: ${action}
${moreRules}`);

  it('keeps each plan its own memo, also for a string at the root of an event', () => {
    const codesOnly = secretCodePlan('redact');
    expect(scrubEvent(codesOnly, 'mail jane@example.com')).toBe('mail jane@example.com');
    expect(scrubEvent(defaultPlan(), 'mail jane@example.com')).toBe('mail [EMAIL]');
  });

  it('replays a removal and a surrogate as well', () => {
    const plan = secretCodePlan('drop', `  - id: emails
    match: { detectors: [email] }
    action: pseudonymize
`);
    const first = scrubEvent(plan, { a: 'mail jane@example.com', b: 'code SC-1234', c: ['code SC-1234', 'x'] });
    const again = scrubEvent(plan, { a: 'mail jane@example.com', b: 'code SC-1234', c: ['code SC-1234', 'x'] });
    expect(first).toEqual({ a: expect.stringMatching(/^mail tok_/), c: ['x'] });
    expect(again).toEqual(first);
  });
});

/**
 * Wraps the `find` of the plan's global detectors (those `watch` accepts): `of(value)` is how many
 * times a value was scanned (the most any one detector read it), `calls()` all reads.
 */
function countScans(
  plan: ReturnType<typeof defaultPlan>,
  watch: (detector: Detector) => boolean = () => true,
): { of: (value: string) => number; calls: () => number; restore: () => void } {
  const reads = new Map<string, Map<string, number>>();
  let calls = 0;
  const restores: (() => void)[] = [];
  for (const { detector } of plan.global) {
    if (!watch(detector)) continue;
    const find = detector.find;
    (detector as { find: typeof find }).find = (...args) => {
      calls++;
      const byDetector = reads.get(args[0]) ?? new Map<string, number>();
      reads.set(args[0], byDetector.set(detector.id, (byDetector.get(detector.id) ?? 0) + 1));
      return find.apply(detector, args);
    };
    restores.push(() => ((detector as { find: typeof find }).find = find));
  }
  return { of: (value) => Math.max(0, ...(reads.get(value)?.values() ?? [])), calls: () => calls, restore: () => restores.forEach((r) => r()) };
}

describe('suffix path globs (**.parent.key)', () => {
  const plan = planFromRules(`
version: 1
rules:
  - id: person-name
    match: { paths: ['**.traits|$set.name', '**.household.members.name'] }
    action: redact
    marker: '[NAME]'
`);
  it('match the key under its parents at any depth, through arrays, and nowhere else', () => {
    const event = {
      name: 'Home', traits: { name: 'Jane Doe' }, context: { traits: { name: 'Jane Doe' }, library: { name: 'analytics.js' } },
      properties: { $set: { name: 'John Roe' }, household: { members: [{ name: 'Ann Roe' }], name: 'Roe household' } },
    };
    expect(scrubEvent(plan, event)).toEqual({
      name: 'Home', traits: { name: '[NAME]' }, context: { traits: { name: '[NAME]' }, library: { name: 'analytics.js' } },
      properties: { $set: { name: '[NAME]' }, household: { members: [{ name: '[NAME]' }], name: 'Roe household' } },
    });
  });
});

describe('overlapping matches', () => {
  const plan = defaultPlan();
  it.each([
    ["Ref: http://clinic.test/?ref=o'neil@example.com thanks", "neil@example.com"],
    ["http://clinic.test/?ref=3'fzaaaaaaaa@example.com", 'fzaaaaaaaa@example.com'],
    ['DE89 3704 0044 0532 0130 00-fzaaaaaaaa@example.com', 'fzaaaaaaaa@example.com'],
  ])('a match running past a longer one is merged, never left half in place: %s', (text, secret) => {
    const out = JSON.stringify(scrubEvent(plan, { properties: { note: text } }));
    expect(out).not.toContain(secret);
    expect(out).not.toContain(secret.split('@')[0]);
  });
});

describe('whole-value blobs', () => {
  // A PNG as a data URI, and an ISO 19794-2 finger minutiae record ("FMR\0…") in base64.
  const png = 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAA' + Buffer.from('Jane Smith 617-555-0123 DOB 03/14/1961 '.repeat(3)).toString('base64');
  const template = Buffer.concat([Buffer.from('FMR\0 20\0'), Buffer.from('Jane Smith, 42 Elm Street, age 93 '.repeat(3))]).toString('base64');

  it('replaces a string that is one photo or biometric blob whole, without running the other detectors on it', () => {
    const plan = defaultPlan();
    const spy = countScans(plan, (detector) => !detector.claimsBlobs);
    try {
      expect(scrubEvent(plan, { properties: { content: png } })).toEqual({ properties: { content: '[PHOTO]' } });
      expect(scrubEvent(plan, { properties: { voiceprint_template: ` ${template} ` } })).toEqual({ properties: { voiceprint_template: ' [BIOMETRIC] ' } });
      expect(scrubEvent(plan, { properties: { note: png } })).toEqual({ properties: { note: '[PHOTO]' } });
      expect(spy.calls()).toBe(0);
      // The spy sees the other detectors where a string is not one blob.
      expect(scrubEvent(plan, { properties: { note: 'call 617-555-0123' } })).toEqual({ properties: { note: 'call [PHONE]' } });
      expect(spy.calls()).toBeGreaterThan(0);
    } finally {
      spy.restore();
    }
  });

  it('still runs every detector on the text around a blob', () => {
    const plan = defaultPlan();
    const out = scrubEvent(plan, { properties: { log_line: `enroll failed for jane@example.com, template=${template}` } });
    expect(out).toEqual({ properties: { log_line: 'enroll failed for [EMAIL], template=[BIOMETRIC]' } });
  });
});
