import fc from 'fast-check';
import {
  COMMON_WORD_FIRST_NAMES,
  COMMON_WORD_SURNAMES,
  FIRST_NAMES,
  SURNAMES,
} from '../../src/detectors/data/names';
import { isPersonRoleKey, looksLikeNameSlug, nameDetector, surnameShaped } from '../../src/detectors/name';
import { DEFAULT_DETECTOR_OPTIONS } from '../../src/detectors/types';

const detector = nameDetector(DEFAULT_DETECTOR_OPTIONS);

function found(value: string, key = ''): string[] {
  const ctx = { key };
  if (!detector.prefilter(value, ctx)) return [];
  return detector.find(value, ctx).map((s) => value.slice(s.start, s.end));
}

describe('name dictionaries', () => {
  it('hold enough lower-case names', () => {
    expect(FIRST_NAMES.size).toBeGreaterThanOrEqual(600);
    expect(SURNAMES.size).toBeGreaterThanOrEqual(600);
    for (const set of [FIRST_NAMES, SURNAMES, COMMON_WORD_FIRST_NAMES, COMMON_WORD_SURNAMES]) {
      for (const name of set) expect(name).toMatch(/^[a-z]+$/);
    }
  });
});

describe('name detector', () => {
  it('declares its identity', () => {
    expect(detector).toMatchObject({ id: 'name', kind: 'name', letter: 'A', marker: '[NAME]' });
  });

  describe('with a cue', () => {
    it.each([
      ['Patient Jane Doe was admitted', 'Jane Doe'],
      ['patient: jane doe', 'jane doe'],
      ['Dr. Gregory House', 'Gregory House'],
      ['Dr Xander Quimby will see you', 'Xander Quimby'],
      ['Ask Mr. Smith.', 'Smith'],
      ["Mrs. O'Brien called", "O'Brien"],
      ['Ms. Anne-Marie Ng', 'Anne-Marie Ng'],
      ['Name: John Q. Public', 'John Q. Public'],
      ['name=Xochitl Quetzal', 'Xochitl Quetzal'],
      ['my name is Maria Garcia', 'Maria Garcia'],
      ['Hi, my name is maria garcia', 'maria garcia'],
      ['signed by J. Smith', 'J. Smith'],
      ['Reviewed by Priya Raman', 'Priya Raman'],
      ['seen by Dr. Chen on Monday', 'Chen'],
      ['Patient: Dr. Xu', 'Xu'],
      ['Jane Doe, MD', 'Jane Doe'],
      ['Gregory Xylo, MD', 'Gregory Xylo'],
      ['Report by Xavi Quorn, Ph.D.', 'Xavi Quorn'],
      ['Dear Jordan,', 'Jordan'],
      ['Patient Jane Doe Education', 'Jane Doe'],
      ['Dr. Martin Luther King Jr. spoke', 'Martin Luther King Jr.'],
      ['Dr. José Núñez', 'José Núñez'],
    ])('finds the name in %j', (text, expected) => {
      expect(found(text)).toEqual([expected]);
    });
  });

  describe('without a cue', () => {
    it.each([
      ['Jane Doe booked a visit', 'Jane Doe'],
      ['Robert Johnson', 'Robert Johnson'],
      ['met Maria Garcia-Lopez today', 'Maria Garcia-Lopez'],
      ['Doe, Jane', 'Doe, Jane'],
      ['Smith, John Q.', 'Smith, John Q.'],
      ['Mary Ann Smith', 'Mary Ann Smith'],
      ['John Q. Public', 'John Q. Public'],
      ['Will Smith', 'Will Smith'],
      ['Grace Hopper? no, Grace Kowalski', 'Grace Kowalski'],
      ['(Wei Zhang)', 'Wei Zhang'],
      ['ROBERT JOHNSON', 'ROBERT JOHNSON'],
      ['Siobhan Byrne', 'Siobhan Byrne'],
    ])('finds the name in %j', (text, expected) => {
      expect(found(text)).toEqual([expected]);
    });

    it('finds several names in order', () => {
      expect(found('Jane Doe and Robert Johnson met Dr. Xu')).toEqual(['Jane Doe', 'Robert Johnson', 'Xu']);
    });
  });

  it.each([
    ['a button', 'Book Appointment'],
    ['a call to action', 'Sign Up'],
    ['a link', 'Learn More'],
    ['a plan', 'Pro Plan'],
    ['a city', 'New York'],
    ['another city', 'Boston'],
    ['a date', 'March 14'],
    ['a PostHog event', '$pageview'],
    ['an autocapture event', '$autocapture'],
    ['a token', 'phc_testtoken'],
    ['a browser', 'Chrome'],
    ['browsers', 'Firefox Safari Edge'],
    ['an OS', 'Mac OS X'],
    ['Windows', 'Windows'],
    ['Linux', 'Linux'],
    ['a wallet', 'Apple Pay'],
    ['a word pair of common-word names', 'June Carter'],
    ['colours', 'Rose Gray'],
    ['a verb and a name', 'Mark Brown as read'],
    ['UI with a title word', 'Don\'t Miss Out'],
    ['a label without a name', 'Patient Education'],
    ['a lower-case verb after a cue', 'patient will be seen'],
    ['a name label without a name', 'Name: Signup Button'],
    ['a greeting', 'Hello World'],
    ['a user agent', 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36'],
    ['an email', 'jane.doe@example.com'],
    ['a file name', 'analytics.js'],
    ['a surname alone', 'Smith'],
    ['a first name alone', 'Jane'],
    ['a camelCase id', 'JaneDoe'],
    ['a slug', 'jane-doe'],
    ['lower-case names without a cue', 'jane doe'],
    ['a street', 'Jane Street'],
  ])('ignores %s', (_label, text) => {
    expect(found(text)).toEqual([]);
  });

  describe('under name keys', () => {
    it.each([
      ['first_name', ' jane ', 'jane'],
      ['last_name', "O'Neil-Smith", "O'Neil-Smith"],
      ['full_name', 'Xochitl Quetzal', 'Xochitl Quetzal'],
      ['patient_name', 'Doe, Jane', 'Doe, Jane'],
      ['nickname', 'Sky', 'Sky'],
      ['emergency_contact', 'Mary Ann Smith', 'Mary Ann Smith'],
      ['guardian_name', 'j. r. r. tolkien', 'j. r. r. tolkien'],
      ['billing_first_name', 'Zoë', 'Zoë'],
      ['name', 'Jane Doe', 'Jane Doe'],
      ['name', 'jane', 'jane'],
      ['name', 'Priya', 'Priya'],
    ])('accepts the whole value under %s: %j', (key, value, expected) => {
      expect(found(value, key)).toEqual([expected]);
    });

    it.each([
      ['name', 'page_view'],
      ['name', 'Signup Button'],
      ['name', 'analytics.js'],
      ['name', 'iOS'],
      ['name', 'Chrome'],
      ['name', 'Pro plan'],
      ['name', 'Checkout Page'],
      ['name', 'Summer Sale'],
      ['name', 'Dashboard View'],
      ['first_name', ''],
      ['first_name', 'null'],
      ['first_name', 'user_123'],
      ['last_name', 'N/A'],
    ])('rejects %s=%j', (key, value) => {
      expect(found(value, key)).toEqual([]);
    });
  });

  it('never throws and stays linear on adversarial input', () => {
    const inputs = [
      '',
      '\u0000\ud800',
      'Dr. '.repeat(12_000),
      'Jane '.repeat(10_000),
      'Jane-'.repeat(10_000),
      "O'".repeat(25_000),
      'A'.repeat(50_000),
      'patient: '.repeat(5_000),
      'Doe, '.repeat(10_000),
    ];
    for (const input of inputs) {
      expect(() => detector.find(input, { key: '' })).not.toThrow();
      expect(() => detector.find(input, { key: 'name' })).not.toThrow();
    }
  });

  it('finds any capitalised dictionary pair after "Patient"', () => {
    const capitalise = (w: string): string => w.charAt(0).toUpperCase() + w.slice(1);
    const firsts = [...FIRST_NAMES];
    const lasts = [...SURNAMES];
    fc.assert(
      fc.property(
        fc.constantFrom(...firsts),
        fc.constantFrom(...lasts),
        fc.constantFrom('', 'Today ', 'Note: ', 'Seen: '),
        fc.constantFrom(' was admitted.', '.', ', age 40', ' reports pain', ''),
        (first, last, before, after) => {
          const name = `${capitalise(first)} ${capitalise(last)}`;
          const spans = found(`${before}Patient ${name}${after}`);
          expect(spans).toContain(name);
        },
      ),
      { numRuns: 3000 },
    );
  });
});

describe('name detector, conversational and global names', () => {
  it.each([
    ['Hi, this is Yuki Watanabe, I need to reschedule', 'Yuki Watanabe'],
    ['Spoke with Maricel Santos about the refill', 'Maricel Santos'],
    ['Thanks Selam!', 'Selam'],
    ['Thanks, Selam', 'Selam'],
    ['Message Faith Young', 'Faith Young'],
    ['Jürgen Schäfer lab results', 'Jürgen Schäfer'],
    ['Imran Chaudhry allergies', 'Imran Chaudhry'],
    ['Maricel Dela Cruz allergies', 'Maricel Dela Cruz'],
    ['talked to Imran about his meds', 'Imran'],
    ['my grandma Rosa Delgado fell', 'Rosa Delgado'],
    ['Juan de la Cruz', 'Juan de la Cruz'],
    ['Patient Juan de la Cruz', 'Juan de la Cruz'],
    ['thank you Priya', 'Priya'],
    ['Hola, soy José Núñez', 'José Núñez'],
    ['Giorgos Konstantinou called', 'Giorgos Konstantinou'],
    ['met with Giorgos Konstantinou', 'Giorgos Konstantinou'],
    ['Maria Sharapova news', 'Maria Sharapova'],
    ['call Kwame Mensah back', 'Kwame Mensah'],
    ['email from Zeynep Yilmaz', 'Zeynep Yilmaz'],
  ])('finds the name in %j', (text, expected) => {
    expect(found(text)).toEqual([expected]);
  });

  it.each([
    'Thanks Team!', 'Hi there', 'Call Now', 'Message Support', 'Email Us', 'Book With Confidence',
    'Spoke with Support', 'Chrome for Android', 'Sign in with Apple', 'Continue with Google',
    'Made with Love', 'Terms and Conditions', 'Johns Hopkins appointments', 'Charles Schwab login',
    'Ford Mustang price', 'Download for Mac', 'Available for iPhone and Android', 'Search for Doctors',
    'Rate Your Visit', 'Sign Up for Updates', 'Apple Watch Series 9', 'Blue Cross Blue Shield',
    'Mount Sinai Hospital', 'Hello World', 'Flu Shot side effects', 'Annual Physical cost',
  ])('ignores %j', (text) => {
    expect(found(text)).toEqual([]);
  });

  it.each([
    ['caregiver', 'Lê Quốc Bảo'],
    ['name', 'Lê Quốc Bảo'],
    ['name', 'Giorgos Konstantinou'],
    ['name', 'Keoni Kealoha'],
    ['name', 'Gunnar Halvorsen'],
    ['name', 'Aiyana Begay'],
    ['name', 'Olumide Adeyemi'],
    ['name', 'Siosaia Tupou'],
    ['guardian', 'Maria de la Cruz'],
    ['mother', 'Tatiana Petrova'],
  ])('accepts %s=%j', (key, value) => {
    expect(found(value, key)).toEqual([value]);
  });

  it.each([
    ['name', 'Signup Button'], ['name', 'Pro Plan'], ['name', 'Gold PPO'], ['name', 'Premium Plus'],
    ['name', 'New Patient Visit'], ['name', 'Annual Physical'], ['name', 'Flu Shot'], ['name', 'Blood Test'],
    ['name', 'Home Page'], ['name', 'Book Appointment'], ['name', 'Mac OS X'], ['name', 'Google Chrome'],
    ['name', 'analytics.js'], ['name', 'Order Completed'], ['name', 'Silver HMO'], ['name', 'Wellness Package'],
    ['name', 'Café Latte'], ['name', 'Crème Brûlée'], ['name', 'Video Playback Started'],
    ['name', 'Checkout Step Viewed'], ['name', 'Application Installed'], ['name', 'Johns Hopkins'],
    ['caregiver', 'yes'], ['caregiver', 'true'], ['caregiver', 'Aetna'], ['caregiver', 'Home Health Aide'],
  ])('rejects %s=%j', (key, value) => {
    expect(found(value, key)).toEqual([]);
  });

  it.each([
    ['konstantinou', true], ['gunnarsson', true], ['petrovic', true], ['sharapova', true],
    ['season', false], ['physician', false], ['you', false], ['button', false],
  ])('surnameShaped(%j) is %s', (word, expected) => {
    expect(surnameShaped(word)).toBe(expected);
  });

  it.each([['caregiver', true], ['primary_caregiver', true], ['legal_guardian', true], ['event', false], ['', false]])(
    'isPersonRoleKey(%j) is %s',
    (key, expected) => {
      expect(isPersonRoleKey(key)).toBe(expected);
    },
  );

  it('stays fast on adversarial conversational input', () => {
    for (const input of ['with Maria '.repeat(5_000), 'Lê '.repeat(16_000), 'Maria de '.repeat(6_000), 'Thanks, '.repeat(6_000)]) {
      const t = Date.now();
      detector.find(input, { key: '' });
      expect(Date.now() - t).toBeLessThan(1_000);
    }
  });
});

describe('looksLikeNameSlug', () => {
  it.each(['jane-doe', 'john_smith', 'maria.garcia', 'mary-ann-smith', 'john-smith-4a5b6c', 'Robert-Johnson'])(
    'accepts %j',
    (segment) => {
      expect(looksLikeNameSlug(segment)).toBe(true);
    },
  );

  it.each(['pricing', 'sign-up', 'blog-post', 'jane', 'new-york', 'rose-hill', 'page-view', 'user-123', 'jane-doe-smith-jones', ''])(
    'rejects %j',
    (segment) => {
      expect(looksLikeNameSlug(segment)).toBe(false);
    },
  );
});

describe('name detector: sign-offs, clinical rows, relatives, titles, possessives, lists', () => {
  it.each<[string, string[], string?]>([
    // Sign-offs.
    ['… Please fax the records to X. - Jean-Baptiste', ['Jean-Baptiste']],
    ['Thanks,\nDmitri', ['Dmitri']],
    ['— Annika', ['Annika']],
    ['Regards, Thandiwe Nkosi', ['Thandiwe Nkosi']],
    ['Please call back tomorrow.\n- Priscilla', ['Priscilla']],
    ['Thank you,\nMarguerite Okafor', ['Marguerite Okafor']],
    ['Best,\nAnders', ['Anders']],
    ['Cheers, Wiremu', ['Wiremu']],
    ['Sincerely,\nJohn Q. Smith\nSent from my phone', ['John Q. Smith']],
    ["I'll be late ~ Kagiso", ['Kagiso']],
    // Surname first.
    ['MRN: 123 | MCALLISTER, DeShawn', ['MCALLISTER, DeShawn']],
    ['pt MACLEOD, CONNOR born 1970', ['MACLEOD, CONNOR']],
    ["O'SHAUGHNESSY, Bridget", ["O'SHAUGHNESSY, Bridget"]],
    ['pt. DOE, JANE seen today', ['DOE, JANE']],
    ['Patient: NGUYEN, Thanh', ['NGUYEN, Thanh']],
    ['Room 4 | OKAFOR, Chidi', ['OKAFOR, Chidi']],
    ['SMITH, JOHN A.', ['SMITH, JOHN A.']],
    ['pt Macleod, Connor', ['Macleod, Connor']],
    // Relatives.
    ['my son Annika', ['Annika']],
    ['my partner Grace Rivers', ['Grace Rivers']],
    ['My dad Grace Rivers', ['Grace Rivers']],
    ['for my mother, Rosa', ['Rosa']],
    ['my daughter Hope has a fever', ['Hope']],
    ['my fiancé Rafe came along', ['Rafe']],
    ['our nephew Kip', ['Kip']],
    // Accounts.
    ['Signed in as Ji-woo Park', ['Ji-woo Park']],
    ['Signed in as Kealoha Makoa', ['Kealoha Makoa']],
    ['Welcome back, Jane', ['Jane']],
    ['Welcome, Priscilla', ['Priscilla']],
    // Page titles.
    ['Chart – Hope Summers | MyHealth', ['Hope Summers']],
    ['Profile · Grace Holloway · MyChart', ['Grace Holloway']],
    ['Messages | Priya Xylander | Patient Portal', ['Priya Xylander']],
    // Possessives.
    ["Sunita's Tandem", ['Sunita']],
    ["Aroha's ResMed", ['Aroha']],
    ["Thandiwe's Watch", ['Thandiwe']],
    ["Mark's iPhone", ['Mark']],
    ["Kiri's Watch", ['Kiri'], 'device_name'],
    ["Kiri's Omnipod", ['Kiri'], 'pump_nickname'],
    // Lists.
    ['Hope Summers; Marcus Webb (father)', ['Hope Summers', 'Marcus Webb']],
    ['[NAME], Moshe Abramovitz', ['Moshe Abramovitz']],
    ['[NAME]; Kiri Tane', ['Kiri Tane']],
    ['Jane Doe, Priya Raman and Tomasz Wolski', ['Jane Doe', 'Priya Raman', 'Tomasz Wolski']],
    ['Rafe Ibbotson (brother)', ['Rafe Ibbotson']],
  ])('finds %j', (text, expected, key = '') => {
    expect(found(text, key)).toEqual(expected);
  });

  it.each([
    'Thanks, Team', 'Best, Support Team', 'Step 2 - Review', 'Checkout - Payment', 'Thanks, Mom',
    'Best number 8578348171', 'ATLANTA, Georgia', 'NOTE, Jane called', 'WARNING, Low battery',
    'my son has a fever', 'my baby Monitor', 'my mom Type 2 diabetes', 'Signed in as Admin',
    'Logged in as Guest', 'Welcome back, Guest', 'Welcome Home', 'Home | Pricing | Contact',
    'Rose Gray | Shop', 'Grace Period | Billing', 'Summer Sale | Shop', "Addison's Disease",
    "St. Patrick's Day", "Carter's Sale", "Rose's Garden", "Kiri's Watch", "McDonald's Menu",
    '[NAME], San Diego', 'Home - Settings - Privacy', 'Loading... - Please wait',
  ])('ignores %j', (text) => {
    expect(found(text)).toEqual([]);
  });

  it('keeps the front desk out of a list', () => {
    expect(found('Jane Doe, Front Desk')).toEqual(['Jane Doe']);
  });

  it('stays fast on adversarial sign-off, title and list input', () => {
    for (const input of [
      'Thanks,\n'.repeat(8_000), ' - Jane'.repeat(8_000), 'Jane Doe; '.repeat(6_000), 'A | '.repeat(12_000),
      `Regards, Jane${' '.repeat(50_000)}x`, "Jane's ".repeat(8_000), '[NAME], '.repeat(8_000), 'MACLEOD, '.repeat(8_000),
    ]) {
      const t = Date.now();
      detector.find(input, { key: '' });
      expect(Date.now() - t).toBeLessThan(1_000);
    }
  });
});
