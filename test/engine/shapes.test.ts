import { BUILTIN_SHAPES } from '../../src/engine/shapes';

const cases: Record<keyof typeof BUILTIN_SHAPES, { yes: string[]; no: string[] }> = {
  timestamp: {
    yes: ['2026-11-23', '2026-11-23T05:27:08Z', '2026-11-23T05:27:08.123456Z', '2026-11-23 05:27:08+01:00', '1700000000', '1700000000123', '1700000000.123', 'Mon, 23 Nov 2026 05:27:08 GMT'],
    no: ['', 'DOB 03/14/1985', '03/14/1985', 'jane.doe@example.com', '2026-11-23T05:27:08Z and more', '12345'],
  },
  event_id: {
    yes: ['0190b6a2-7c1e-7d3a-9f00-1a2b3c4d5e6f', '4ukqwmcc5lghsbxv', 'ajs-next-1700000000000-6f9a2c1e', 'node-next-1700000000000-ab', 'a_1'],
    no: ['', '123-45-6789', '(617) 253-1000', '6172531000', 'jane.doe@example.com', 'a b', 'x'.repeat(257)],
  },
  version: { yes: ['1.2.3', '120.0.6099.109', '14.2 (23C64)', 'v1.0.0-beta+1'], no: ['', 'jane.doe@example.com', 'x'.repeat(65), '1.2;3'] },
  user_agent: {
    yes: ['Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36', 'posthog-node/5.7.0'],
    no: ['', 'Mozilla/5.0 contact jane.doe@example.com', '/5.0', 'Mozilla\n5.0', 'M'.repeat(2049)],
  },
  number: { yes: ['1920', '2.5', '0'], no: ['', '1e9', '-1', '1234567', 'wide'] },
};

describe('built-in keep shapes', () => {
  for (const [name, { yes, no }] of Object.entries(cases)) {
    const shape = BUILTIN_SHAPES[name as keyof typeof BUILTIN_SHAPES];
    it(`${name}: accepts its shape`, () => expect(yes.filter((v) => !shape.test(v))).toEqual([]));
    it(`${name}: refuses anything else`, () => expect(no.filter((v) => shape.test(v))).toEqual([]));
  }
});
