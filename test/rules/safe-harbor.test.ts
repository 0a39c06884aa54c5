/**
 * The default pack (rules/safe-harbor.yaml) end to end on realistic PostHog and Segment events,
 * and a property test: planted identifiers of every kind, anywhere in a random event, never survive.
 */
import fc from 'fast-check';
import { COMMON_WORD_FIRST_NAMES, COMMON_WORD_SURNAMES, FIRST_NAMES, SURNAMES } from '../../src/detectors/data/names';
import { scrubEvent } from '../../src/engine/scrub';
import { defaultPlan } from '../helpers';

const plan = defaultPlan();
const scrub = <T>(event: T): T => scrubEvent(plan, structuredClone(event));

describe('default Safe Harbor pack on real event shapes', () => {
  const posthogIdentify = {
    uuid: '01a20266-0f5e-7b5c-9b1e-3c2d1e0f9a8b',
    event: '$identify',
    properties: {
      $os: 'Linux', $browser: 'Chrome', $browser_version: 120, $device_type: 'Desktop',
      $current_url: 'http://localhost:8788/pages/posthog.html?patient=123&email=jane.doe%40example.com',
      $host: 'localhost:8788', $pathname: '/pages/posthog.html', $screen_height: 1080, $screen_width: 1920,
      $raw_user_agent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36',
      distinct_id: 'patient-123', $device_id: '01a20266-0f5e-7b5c-9b1e-3c2d1e0f9a8c', $user_id: 'patient-123',
      $referrer: '$direct', $referring_domain: '$direct', token: 'phc_testtoken', $session_id: '01a20266-aaaa',
      $lib: 'web', $lib_version: '1.449.2', $insert_id: 'k2j3h4', $time: 1795336574.595,
      $ip: '203.0.113.7', plan: 'Gold PPO', price: 19.99, button_text: 'Book Appointment', step: 3, success: true,
      $set: { email: 'jane.doe@example.com', name: 'Jane Doe', phone: '(617) 555-0123', dob: '1985-03-14', zip: '02139', age: 93 },
    },
    $set: { email: 'jane.doe@example.com', first_name: 'Jane', last_name: 'Doe', address: '77 Massachusetts Ave' },
    $set_once: { $initial_current_url: 'https://portal.example.org/patients/48213?utm_source=mail' },
    timestamp: '2026-11-22T08:36:14.594Z',
  };

  it('removes every identifier of a PostHog $identify', () => {
    const out = scrub(posthogIdentify);
    const text = JSON.stringify(out);
    for (const planted of ['jane.doe', 'Jane', 'Doe', 'patient-123', '555-0123', '1985-03-14', '02139', '203.0.113.7', 'Massachusetts', '48213']) {
      expect(text).not.toContain(planted);
    }
    expect(out.properties.$set).toEqual({ email: '[EMAIL]', name: '[NAME]', phone: '[PHONE]', dob: '1985', zip: '021', age: '90+' });
    expect(out.properties.$current_url).toBe('http://localhost:8788/pages/posthog.html');
    expect(out.$set_once.$initial_current_url).toBe('https://portal.example.org/patients/:id?utm_source=mail');
    expect(out.properties.distinct_id).toMatch(/^tok_/);
    expect(out.properties.$user_id).toBe(out.properties.distinct_id);
    expect(out.properties).not.toHaveProperty('$ip');
  });

  it('leaves ordinary analytics data of a PostHog event exactly as it was', () => {
    const out = scrub(posthogIdentify);
    const p = posthogIdentify.properties;
    for (const key of ['$os', '$browser', '$browser_version', '$device_type', '$host', '$pathname', '$screen_height', '$screen_width',
      '$raw_user_agent', '$referrer', '$referring_domain', 'token', '$lib', '$lib_version', '$insert_id', '$time', 'plan', 'price',
      'button_text', 'step', 'success'] as const) {
      expect(out.properties[key]).toEqual(p[key]);
    }
    expect(out.uuid).toBe(posthogIdentify.uuid);
    expect(out.event).toBe('$identify');
    expect(out.timestamp).toBe(posthogIdentify.timestamp);
  });

  const segmentTrack = {
    type: 'track',
    event: 'Appointment Booked',
    userId: 'jane.doe@example.com',
    anonymousId: '7f3c9d1e-8a2b-4c5d-9e6f-0a1b2c3d4e5f',
    messageId: 'ajs-next-1795336574595-5f1e2d3c',
    timestamp: '2026-11-22T08:36:14.594Z',
    context: {
      ip: '2001:db8:85a3::8a2e:370:7334',
      locale: 'en-US',
      library: { name: 'analytics.js', version: 'npm:next-1.84.3' },
      page: {
        path: '/patients/48213/appointments', referrer: 'https://www.google.com/', search: '?mrn=00123456&utm_campaign=flu',
        title: 'Appointments for Jane Doe', url: 'https://clinic.example.com/patients/48213/appointments?mrn=00123456&utm_campaign=flu',
      },
      userAgent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15',
      traits: { name: 'Jane Doe', email: 'jane.doe@example.com', address: { street: '77 Massachusetts Ave', city: 'Cambridge', state: 'MA', postalCode: '02139' } },
    },
    properties: {
      provider: 'Dr. Gregory House', notes: 'Patient Jane Doe, MRN: 00123456, SSN 123-45-6789, call 617-555-0123', revenue: 120, currency: 'USD',
      appointment_date: '03/14/2027', member_id: 'XYZ123456789', card: '4111 1111 1111 1111',
    },
  };

  it('removes every identifier of a Segment track call and keeps its analytics', () => {
    const out = scrub(segmentTrack);
    const text = JSON.stringify(out);
    for (const planted of ['jane.doe', 'Jane Doe', '2001:db8', '48213', '00123456', 'Gregory', '123-45-6789', '555-0123', '03/14', 'XYZ123456789',
      '4111', 'Massachusetts', 'Cambridge', '02139']) {
      expect(text).not.toContain(planted);
    }
    expect(out.context.page.path).toBe('/patients/:id/appointments');
    expect(out.context.page.search).toBe('?utm_campaign=flu');
    expect(out.context.page.referrer).toBe('https://www.google.com/');
    expect(out.context.page.title).toBe('Appointments for [NAME]');
    expect(out.properties.appointment_date).toBe('2027');
    expect(out.context.library).toEqual(segmentTrack.context.library);
    expect(out.context.locale).toBe('en-US');
    expect(out.context.userAgent).toBe(segmentTrack.context.userAgent);
    expect(out.properties.revenue).toBe(120);
    expect(out.properties.currency).toBe('USD');
    expect(out.event).toBe('Appointment Booked');
    expect(out.messageId).toBe(segmentTrack.messageId);
    expect(out.userId).toMatch(/^tok_/);
    // A UUID gets a UUID surrogate (vendors expect the shape), never the original.
    expect(out.anonymousId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(out.anonymousId).not.toBe(segmentTrack.anonymousId);
  });

  it.each([
    ['state and country', { state: 'MA', country: 'United States', $geoip_country_name: 'United States', $geoip_subdivision_1_name: 'Massachusetts' }],
    ['years, versions, durations, codes and SKUs', { year: 2024, since: '2019', version: '120.0.0.0', duration: '1500ms', status: 404, sku: 'SKU-12345' }],
    ['clean URLs and UTM fields', { $current_url: 'https://www.example-clinic.com/pricing?utm_source=google', utm_source: 'newsletter', $pathname: '/about/team' }],
    ['plans, prices and button texts', { plan: 'pro', price: '$1,234.56', label: 'Learn More', feature_flag: 'new-onboarding', variant: 'control' }],
    ['event names', { event: 'Signup Button Clicked', other: '$pageview', x: '$autocapture' }],
  ])('keeps %s unchanged', (_label, properties) => {
    expect(scrub({ properties })).toEqual({ properties });
  });
});

// ------------------------------------------------------------------------------------------------
// Property: planted identifiers of every kind, anywhere in a random event, never survive.
// ------------------------------------------------------------------------------------------------

const digit = fc.integer({ min: 0, max: 9 });
const digits = (n: number) => fc.array(digit, { minLength: n, maxLength: n }).map((d) => d.join(''));
const pick = <T>(items: readonly T[]) => fc.constantFrom(...items);
const titleCase = (w: string) => w.charAt(0).toUpperCase() + w.slice(1);

function luhnComplete(partial: string): string {
  let sum = 0;
  for (let i = 0; i < partial.length; i++) {
    let d = Number(partial[partial.length - 1 - i]);
    if (i % 2 === 0) { d *= 2; if (d > 9) d -= 9; }
    sum += d;
  }
  return partial + ((10 - (sum % 10)) % 10);
}

const firstNames = [...FIRST_NAMES].filter((n) => !COMMON_WORD_FIRST_NAMES.has(n) && n.length > 2);
const surnames = [...SURNAMES].filter((n) => !COMMON_WORD_SURNAMES.has(n) && n.length > 2);

/** [Safe Harbor letter, generator of the identifier as it would be written]. */
const IDENTIFIERS: [string, fc.Arbitrary<string>][] = [
  ['A', fc.tuple(pick(firstNames), pick(surnames)).map(([f, l]) => `Patient ${titleCase(f)} ${titleCase(l)}`)],
  ['B', fc.tuple(fc.integer({ min: 10, max: 9999 }), pick(['Main St', 'Oak Avenue', 'Elm Street', 'Maple Dr', 'Washington Blvd'])).map(([n, s]) => `${n} ${s}`)],
  ['C', fc.tuple(fc.integer({ min: 1930, max: 2025 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 28 }))
    .chain(([y, m, d]) => pick([
      `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`,
      `${String(m).padStart(2, '0')}/${String(d).padStart(2, '0')}/${y}`,
      `${['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'][m - 1]} ${d}, ${y}`,
    ]))],
  ['D', fc.tuple(fc.integer({ min: 201, max: 989 }), fc.integer({ min: 200, max: 999 }), digits(4))
    .filter(([a]) => a % 100 !== 11 && ![555].includes(a))
    .chain(([a, b, c]) => pick([`(${a}) ${b}-${c}`, `${a}-${b}-${c}`, `+1 ${a} ${b} ${c}`, `${a}.${b}.${c}`]))],
  ['F', fc.tuple(fc.stringMatching(/^[a-z][a-z0-9._]{1,12}[a-z0-9]$/), pick(['example.com', 'mail.example.org', 'clinic.health', 'gmail.com']))
    .filter(([local]) => !local.includes('..'))
    .map(([local, domain]) => `${local}@${domain}`)],
  ['G', fc.tuple(fc.integer({ min: 1, max: 665 }), fc.integer({ min: 1, max: 99 }), fc.integer({ min: 1, max: 9999 }))
    .map(([a, g, s]) => `${String(a).padStart(3, '0')}-${String(g).padStart(2, '0')}-${String(s).padStart(4, '0')}`)],
  ['H', digits(8).map((d) => `MRN: ${d}`)],
  ['J', digits(14).map((d) => luhnComplete('4' + d)).map((n) => n.replace(/(\d{4})(?=\d)/g, '$1 '))],
  ['M', fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 6, maxLength: 6 })
    .filter((b) => !b.every((x) => x === 0) && !b.every((x) => x === 255))
    .map((b) => b.map((x) => x.toString(16).padStart(2, '0')).join(':').toUpperCase())],
  ['N', fc.integer({ min: 1000, max: 999999 }).map((id) => `https://portal.example.org/patients/${id}/chart`)],
  ['O', fc.tuple(fc.integer({ min: 1, max: 223 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 1, max: 254 }))
    .filter(([a]) => a !== 127)
    .map((p) => p.join('.'))],
  ['Q', fc.base64String({ minLength: 40, maxLength: 80 }).map((b) => `data:image/png;base64,${b}`)],
];

/** The part of a planted string that must not survive (a cue word such as "Patient" may). */
function secretOf(letter: string, planted: string): string {
  if (letter === 'A') return planted.slice('Patient '.length);
  if (letter === 'H') return planted.slice('MRN: '.length);
  if (letter === 'N') return planted.split('/')[4]!;
  return planted;
}

const benignKey = pick(['note', 'comment', 'data', 'items', 'meta', 'details', 'message', 'extra', 'payload', 'props']);
const benignLeaf = fc.oneof(fc.integer({ min: 0, max: 500 }), fc.boolean(), pick(['pro', 'Learn More', 'Chrome', '$pageview', 'ok', 'USD']));

/** Where the identifier goes: a whole string, inside free text, inside a URL query value, or in an array. */
type Placement = 'value' | 'text' | 'query' | 'array';
function place(placement: Placement, planted: string): unknown {
  switch (placement) {
    case 'value': return planted;
    case 'text': return `follow-up note: ${planted} - thanks`;
    case 'query': return `https://app.example.org/search?q=${encodeURIComponent(planted)}&utm_source=mail`;
    case 'array': return ['first', planted, 3];
  }
}

const plantedEvent = fc
  .tuple(
    fc.integer({ min: 0, max: IDENTIFIERS.length - 1 }).chain((i) => IDENTIFIERS[i]![1].map((value) => [IDENTIFIERS[i]![0], value] as const)),
    pick<Placement>(['value', 'text', 'query', 'array']),
    fc.array(benignKey, { minLength: 0, maxLength: 4 }),
    fc.dictionary(benignKey, benignLeaf, { maxKeys: 4 }),
  )
  .map(([[letter, value], placement, path, siblings]) => {
    const event: Record<string, unknown> = { event: 'custom_event', properties: { ...siblings } };
    let node = event.properties as Record<string, unknown>;
    for (const key of path) node = (node[key] = { ...siblings }) as Record<string, unknown>;
    node.planted_here = place(placement, value);
    return { letter, value, placement, event };
  });

describe('property: planted identifiers never survive', () => {
  it('removes every kind, in every position', () => {
    fc.assert(
      fc.property(plantedEvent, ({ letter, value, placement, event }) => {
        const out = JSON.stringify(scrub(event));
        const secret = secretOf(letter, value);
        const encoded = encodeURIComponent(secret);
        if (out.includes(secret) || out.includes(encoded)) {
          throw new Error(`${letter} planted as ${placement} survived`);
        }
      }),
      { numRuns: process.env.FUZZ_RUNS ? Number(process.env.FUZZ_RUNS) : 400, seed: process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined },
    );
  });

  it('never changes an event that carries no identifier', () => {
    const clean = fc.tuple(fc.array(benignKey, { maxLength: 3 }), fc.dictionary(benignKey, benignLeaf, { maxKeys: 5 })).map(([path, leaves]) => {
      const event: Record<string, unknown> = { event: 'clicked', properties: { ...leaves } };
      let node = event.properties as Record<string, unknown>;
      for (const key of path) node = (node[key] = { ...leaves }) as Record<string, unknown>;
      return event;
    });
    fc.assert(fc.property(clean, (event) => expect(scrub(event)).toEqual(event)), { numRuns: 200 });
  });
});
