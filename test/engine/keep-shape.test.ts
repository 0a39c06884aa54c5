import { ConfigError } from '../../src/errors';
import { scrubEvent } from '../../src/engine/scrub';
import { planFromRules } from '../helpers';

const RULES = `version: 1
rules:
  - id: keep-ids
    match: { keys: [event_id] }
    action: keep
    shape_pattern: '[a-z0-9-]{8,64}'
  - id: emails
    match: { detectors: [email] }
    action: redact
`;

describe('keep with a shape', () => {
  const plan = planFromRules(RULES);

  it('keeps a value of the shape untouched, even one a detector would change', () => {
    expect(scrubEvent(plan, { event_id: 'abc-12345-xyz' })).toEqual({ event_id: 'abc-12345-xyz' });
  });

  it('scans a value of another shape like any field', () => {
    expect(scrubEvent(plan, { event_id: 'jane.doe@example.com' })).toEqual({ event_id: '[EMAIL]' });
  });

  it('walks an object or array under the kept key instead of keeping it whole', () => {
    expect(scrubEvent(plan, { event_id: { nested: 'jane.doe@example.com' } })).toEqual({ event_id: { nested: '[EMAIL]' } });
    expect(scrubEvent(plan, { event_id: ['jane.doe@example.com', 'abc-12345-xyz'] })).toEqual({ event_id: ['[EMAIL]', 'abc-12345-xyz'] });
  });

  it('without a shape, keep keeps every value (objects too)', () => {
    const open = planFromRules(RULES.replace("    shape_pattern: '[a-z0-9-]{8,64}'\n", ''));
    expect(scrubEvent(open, { event_id: 'jane.doe@example.com' })).toEqual({ event_id: 'jane.doe@example.com' });
  });

  it('built-in shapes: an e-mail is not an event id, a UUID is', () => {
    const builtin = planFromRules(RULES.replace("    shape_pattern: '[a-z0-9-]{8,64}'\n", '    shape: event_id\n'));
    expect(scrubEvent(builtin, { event_id: '0190b6a2-7c1e-7d3a-9f00-1a2b3c4d5e6f' })).toEqual({ event_id: '0190b6a2-7c1e-7d3a-9f00-1a2b3c4d5e6f' });
    expect(scrubEvent(builtin, { event_id: 'jane.doe@example.com' })).toEqual({ event_id: '[EMAIL]' });
  });

  it('refuses shape and shape_pattern together', () => {
    expect(() => planFromRules(RULES.replace("    shape_pattern:", '    shape: event_id\n    shape_pattern:'))).toThrow(/shape or shape_pattern, not both/);
  });

  it('refuses a shape RE2 cannot compile, naming the file, line and key', () => {
    expect(() => planFromRules(RULES.replace("'[a-z0-9-]{8,64}'", "'(a)\\1'"))).toThrow(ConfigError);
    expect(() => planFromRules(RULES.replace("'[a-z0-9-]{8,64}'", "'(a)\\1'"))).toThrow(/rules\.yaml:6:\d+: bad regex/);
  });
});
