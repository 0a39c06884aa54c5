#!/usr/bin/env node
'use strict';
// Held-out PHI evaluation set for phi-proxy. Written WITHOUT looking at the detector sources or rules.
// Deterministic: seeded PRNG (sfc32, seed string below). No dependencies.
// Usage: node test/holdout/make-holdout.js   -> writes test/holdout/holdout-events.ndjson
const fs = require('fs');
const path = require('path');

// ---------------------------------------------------------------- PRNG
function xmur3(str) {
  let h = 1779033703 ^ str.length;
  for (let i = 0; i < str.length; i++) { h = Math.imul(h ^ str.charCodeAt(i), 3432918353); h = (h << 13) | (h >>> 19); }
  return () => { h = Math.imul(h ^ (h >>> 16), 2246822507); h = Math.imul(h ^ (h >>> 13), 3266489909); return (h ^= h >>> 16) >>> 0; };
}
function sfc32(a, b, c, d) {
  return () => {
    a >>>= 0; b >>>= 0; c >>>= 0; d >>>= 0;
    let t = (a + b) | 0; a = b ^ (b >>> 9); b = (c + (c << 3)) | 0; c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0; t = (t + d) | 0; c = (c + t) | 0; return (t >>> 0) / 4294967296;
  };
}
const SEED = 'holdout/heron-marsh-2911/not-a-dev-seed';
const seedGen = xmur3(SEED);
const rnd = sfc32(seedGen(), seedGen(), seedGen(), seedGen());
for (let i = 0; i < 20; i++) rnd();
const int = (a, b) => a + Math.floor(rnd() * (b - a + 1));
const pick = (arr) => arr[Math.floor(rnd() * arr.length)];
const chance = (p) => rnd() < p;
const digits = (n) => { let s = ''; for (let i = 0; i < n; i++) s += int(0, 9); return s; };
const pad = (n, w) => String(n).padStart(w, '0');
function shuffle(a) { a = a.slice(); for (let i = a.length - 1; i > 0; i--) { const j = int(0, i); [a[i], a[j]] = [a[j], a[i]]; } return a; }
const hex = (n, upper) => { let s = ''; for (let i = 0; i < n; i++) s += '0123456789abcdef'[int(0, 15)]; return upper ? s.toUpperCase() : s; };
const uuid4 = (upper) => { const s = `${hex(8)}-${hex(4)}-4${hex(3)}-${'89ab'[int(0, 3)]}${hex(3)}-${hex(12)}`; return upper ? s.toUpperCase() : s; };
const uuid7 = () => `019a${hex(4)}-${hex(4)}-7${hex(3)}-${'89ab'[int(0, 3)]}${hex(3)}-${hex(12)}`;
const b64chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const b64 = (n) => { let s = ''; for (let i = 0; i < n; i++) s += b64chars[int(0, 63)]; return s; };
const alnumU = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
const code = (n) => { let s = ''; for (let i = 0; i < n; i++) s += alnumU[int(0, alnumU.length - 1)]; return s; };

// ---------------------------------------------------------------- check-digit helpers
function luhnDigit(numStr) { // digit to append
  let sum = 0; let dbl = true;
  for (let i = numStr.length - 1; i >= 0; i--) { let d = +numStr[i]; if (dbl) { d *= 2; if (d > 9) d -= 9; } sum += d; dbl = !dbl; }
  return String((10 - (sum % 10)) % 10);
}
function card(kind) {
  let body;
  if (kind === 'amex') body = pick(['34', '37']) + digits(12);
  else if (kind === 'mc') body = '5' + int(1, 5) + digits(13);
  else if (kind === 'disc') body = '6011' + digits(11);
  else body = '4' + digits(14);
  const n = body + luhnDigit(body);
  if (kind === 'amex') return pick([`${n.slice(0, 4)} ${n.slice(4, 10)} ${n.slice(10)}`, n]);
  return pick([n.match(/.{4}/g).join(' '), n.match(/.{4}/g).join('-'), n]);
}
function iban(cc) {
  const L = (s) => s.replace(/[A-Z]/g, (c) => String(c.charCodeAt(0) - 55));
  let bban;
  if (cc === 'DE') bban = digits(8) + digits(10);
  else if (cc === 'GB') bban = pick(['BARC', 'LOYD', 'HBUK', 'MIDL']) + digits(6) + digits(8);
  else if (cc === 'NL') bban = pick(['RABO', 'INGB', 'ABNA']) + digits(10);
  else if (cc === 'FR') bban = digits(10) + code(11).replace(/[^0-9A-Z]/g, '1') + digits(2);
  else bban = digits(20); // ES
  const rem = (s) => { let r = 0; for (const ch of s) r = (r * 10 + +ch) % 97; return r; };
  const chk = pad(98 - rem(L(bban + cc + '00')), 2);
  const raw = cc + chk + bban;
  return chance(0.6) ? raw.match(/.{1,4}/g).join(' ') : raw;
}
function vin() {
  const chars = 'ABCDEFGHJKLMNPRSTUVWXYZ0123456789';
  const tr = { A: 1, B: 2, C: 3, D: 4, E: 5, F: 6, G: 7, H: 8, J: 1, K: 2, L: 3, M: 4, N: 5, P: 7, R: 9, S: 2, T: 3, U: 4, V: 5, W: 6, X: 7, Y: 8, Z: 9 };
  const w = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2];
  const wmi = pick(['1HG', '2T1', '5YJ', '1FT', 'JTD', 'WBA', '3VW', 'KNA', '1C4', '4T1']);
  let v = wmi; while (v.length < 17) v += chars[int(0, chars.length - 1)];
  v = v.split(''); v[9] = 'NPRST'[int(0, 4)]; // model year 2022-2026
  let sum = 0; for (let i = 0; i < 17; i++) { if (i === 8) continue; const c = v[i]; sum += (/\d/.test(c) ? +c : tr[c]) * w[i]; }
  const r = sum % 11; v[8] = r === 10 ? 'X' : String(r);
  return v.join('');
}
function npi() { const b = String(int(1, 2)) + digits(8); return b + luhnDigit('80840' + b); }
function dea(lastName) {
  const d = digits(6).split('').map(Number);
  const c = (d[0] + d[2] + d[4] + 2 * (d[1] + d[3] + d[5])) % 10;
  return pick(['A', 'B', 'F', 'M']) + lastName[0].toUpperCase() + d.join('') + c;
}
function imei() { const b = pick(['35', '86', '01', '49']) + digits(12); return b + luhnDigit(b); }
function mbi() {
  const L = 'ACDEFGHJKMNPQRTUVWXY'; const A = L + '0123456789';
  const l = () => L[int(0, L.length - 1)], a = () => A[int(0, A.length - 1)], n = () => String(int(0, 9));
  const s = String(int(1, 9)) + l() + a() + n() + l() + a() + n() + l() + l() + n() + n();
  return chance(0.5) ? `${s.slice(0, 4)}-${s.slice(4, 7)}-${s.slice(7)}` : s;
}
function ssn() {
  let area; do { area = int(1, 899); } while (area === 666);
  const g = pad(int(1, 99), 2), s = pad(int(1, 9999), 4), a = pad(area, 3);
  return { dashed: `${a}-${g}-${s}`, spaced: `${a} ${g} ${s}`, bare: `${a}${g}${s}` };
}
function mac(sep) { const p = []; for (let i = 0; i < 6; i++) p.push(hex(2, true)); return p.join(sep || ':'); }
function ipv4() {
  const first = pick([24, 50, 66, 67, 68, 71, 73, 76, 96, 98, 108, 146, 155, 173, 174, 184, 199, 207, 209]);
  return `${first}.${int(1, 254)}.${int(0, 254)}.${int(1, 254)}`;
}
function ipv6() {
  const f = pick(['2601:18c', '2600:1700', '2603:3005', '2a02:c7c', '2607:fb90', '2001:56a']);
  const g = () => hex(int(1, 4)).replace(/^0+(?=.)/, '');
  return pick([`${f}:${g()}:${g()}:${g()}:${g()}:${g()}:${g()}`, `${f}:${g()}::${g()}:${g()}`, `${f}:${g()}:${g()}::${g()}`]);
}

// ---------------------------------------------------------------- value pools (hospital tester's lists)
const PEOPLE = [
  ['Oluwaseun', 'Adebayo'], ['Nguyễn Thị', 'Lan'], ['Siobhán', 'Ó Briain'], ['Mateo', 'Hernández-Ruiz'], ['Priya', 'Raghunathan'],
  ['Wei', 'Zhang'], ['Aaliyah', 'Washington'], ['Tomasz', 'Wójcik'], ['Fatima', 'Al-Sayed'], ['Kenji', 'Watanabe'],
  ['Ngozi', 'Okafor'], ['Björn', 'Lindqvist'], ['María José', 'Castillo'], ['Dmitri', 'Volkov'], ['Keanu', 'Kahananui'],
  ['Sunita', 'Deshpande'], ['Yusuf', 'Demir'], ['Aroha', 'Ngata'], ['Chidi', 'Eze'], ['Thandiwe', 'Mokoena'],
  ['Hamid', 'Karimi'], ['Ji-woo', 'Park'], ['Lucía', 'Ferreira'], ['Connor', 'MacLeod'], ['Bridget', "O'Shaughnessy"],
  ['Hope', 'Summers'], ['Will', 'Bishop'], ['Grace', 'Rivers'], ['Dolores', 'Fairweather'], ['Rosalind', 'Quintero'],
  ['Tyrone', 'Gaskins'], ['Esperanza', 'Villalobos'], ['Anh', 'Tran'], ['Lakshmi', 'Venkataraman'], ['Moshe', 'Abramovitz'],
  ['Ingrid', 'Sørensen'], ['Kwame', 'Mensah'], ['Leilani', 'Akana'], ['Jean-Baptiste', 'Lefèvre'], ['Rahul', 'Bhattacharya'],
  ['Precious', 'Ndlovu'], ['Giuseppe', 'Esposito'], ['Mei-Ling', 'Chou'], ['DeShawn', 'McAllister'], ['Annika', 'Virtanen'],
  ['Saoirse', 'Fitzgerald'], ['Olumide', 'Bankole'], ['Pilar', 'Domínguez'], ['Arjun', 'Iyer'], ['Zofia', 'Kowalczyk'],
  ['Ebony', 'Lockhart'], ['Haruto', 'Sasaki'], ['Yasmin', 'Haddad'], ['Cormac', 'Doyle'], ['Adaeze', 'Nwosu'],
];
const RELATIONS = ['mother', 'father', 'husband', 'wife', 'daughter', 'son', 'grandmother', 'partner', 'brother', 'sister', 'aunt'];
const EMAIL_DOMAINS = ['gmail.com', 'yahoo.com', 'yahoo.co.uk', 'outlook.com', 'hotmail.fr', 'icloud.com', 'proton.me', 'comcast.net',
  'verizon.net', 'web.de', 'aol.com', 'me.com', 'fastmail.fm', 'bu.edu', 'student.uml.edu', 'northeastern-alumni.org', 'rediffmail.com', 'gmx.de'];
const ascii = (s) => s.normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/[^A-Za-z]/g, '').toLowerCase();
function emailFor(p) {
  const f = ascii(p[0]), l = ascii(p[1]), d = pick(EMAIL_DOMAINS), y = int(58, 99), n = int(2, 999);
  const shapes = [
    `${f}.${l}@${d}`, `${f[0]}${l}${y}@${d}`, `${f}_${l}+portal@${d}`, `${(f + '.' + l).toUpperCase()}@${d}`,
    `${l}.${f}${n}@${d}`, `${f}-${l}@mail.${d}`, `${f}${l[0]}.${19}${y}@${d}`, `${l}${f[0]}@${d}`,
    `${f}.${l}+rx${n}@${d}`, `${f[0]}.${l}@${pick(['partners.org', 'mgb.org', 'staff.lahey.org', 'acme-logistics.com'])}`,
  ];
  return pick(shapes);
}
const fullName = (p) => `${p[0]} ${p[1]}`;
const US_PLACES = [
  ['Boston', 'MA', '02115'], ['Cambridge', 'MA', '02139'], ['Worcester', 'MA', '01609'], ['Brookline', 'MA', '02446'], ['Quincy', 'MA', '02169'],
  ['Lowell', 'MA', '01852'], ['Providence', 'RI', '02906'], ['Hartford', 'CT', '06106'], ['Nashua', 'NH', '03060'], ['Chicago', 'IL', '60614'],
  ['Houston', 'TX', '77030'], ['Phoenix', 'AZ', '85006'], ['Seattle', 'WA', '98122'], ['Decatur', 'GA', '30030'], ['Miami', 'FL', '33136'],
  ['Denver', 'CO', '80218'], ['Brooklyn', 'NY', '11215'], ['Oakland', 'CA', '94610'], ['Minneapolis', 'MN', '55408'], ['Baltimore', 'MD', '21218'],
  // restricted 3-digit prefixes
  ['Jackson', 'WY', '83001'], ['Ely', 'NV', '89301'], ['Socorro', 'NM', '87801'], ['Valentine', 'NE', '69201'], ['Charlestown', 'NH', '03603'], ['Rawlins', 'WY', '82301'],
];
const STREETS = ['Commonwealth Ave', 'Huntington Avenue', 'Elm Street', 'W. Oakdale St.', 'Maple Terrace', 'Cedar Ln', 'Dorchester Ave', 'Pleasant St',
  'N Halsted St', 'Massachusetts Ave', 'Beacon St', 'Willow Bend Dr', 'Rte 9', 'Old Post Rd', 'Magnolia Blvd', 'Harborview Ct', 'Prospect Hill Rd'];
const UNITS = ['Apt 3B', 'Apt. 12', 'Unit 4', '#404', 'Suite 210', 'Fl 2', 'Apt 7-C', 'Unit 1R', 'Bsmt'];
function usAddress() {
  const [city, st, zip] = pick(US_PLACES);
  const street = `${int(3, 4999)} ${pick(STREETS)}`;
  const unit = chance(0.65) ? pick(UNITS) : null;
  const zipFull = chance(0.4) ? `${zip}-${digits(4)}` : zip;
  return { street, unit, line1: unit ? `${street} ${unit}` : street, line1c: unit ? `${street}, ${unit}` : street, city, st, zip: zipFull, zip5: zip };
}
const INTL_ADDR = [
  { line: 'Flat 4, 27 Elm Grove', city: 'Leeds', post: 'LS6 2AQ', country: 'GB' },
  { line: 'Rua Augusta 1508, apto 72', city: 'São Paulo', post: '01304-001', country: 'BR' },
  { line: 'Bergmannstraße 14, Hinterhaus 3. OG', city: 'Berlin', post: '10961', country: 'DE' },
  { line: '12 Rue des Carmes, Bât. B', city: 'Paris', post: '75005', country: 'FR' },
  { line: '2-14-7 Nishi-Shinjuku, Room 803', city: 'Shinjuku-ku, Tokyo', post: '160-0023', country: 'JP' },
  { line: '45 Wellesley St E, Unit 1102', city: 'Toronto', post: 'M4Y 1G7', country: 'CA' },
  { line: 'Calle de Toledo 88, 3º izq.', city: 'Madrid', post: '28005', country: 'ES' },
  { line: '17 Karangahape Road, Apt 5', city: 'Auckland', post: '1010', country: 'NZ' },
];
const HOSTS = ['portal.northbridgehealth.org', 'mychart.bayviewhealth.org', 'app.lakeshore-med.com', 'www.stelmo-hospital.org', 'care.granitestatemedical.org', 'patients.riverbend-clinic.com'];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const MON = MONTHS.map((m) => m.slice(0, 3));
function dateParts(yLo, yHi) { return { y: int(yLo, yHi), m: int(1, 12), d: int(1, 28) }; }
function fmtDate(p, style) {
  const { y, m, d } = p; const yy = pad(y % 100, 2);
  const styles = {
    iso: `${y}-${pad(m, 2)}-${pad(d, 2)}`, us: `${m}/${d}/${y}`, us2: `${pad(m, 2)}/${pad(d, 2)}/${y}`, usShort: `${m}/${d}/${yy}`,
    eu: `${pad(d, 2)}/${pad(m, 2)}/${y}`, dots: `${pad(d, 2)}.${pad(m, 2)}.${y}`, long: `${MONTHS[m - 1]} ${d}, ${y}`,
    dmy: `${d} ${MON[m - 1]} ${y}`, compact: `${y}${pad(m, 2)}${pad(d, 2)}`, dash: `${pad(m, 2)}-${pad(d, 2)}-${y}`,
    ordinal: `${d}${[1, 21].includes(d) ? 'st' : [2, 22].includes(d) ? 'nd' : [3, 23].includes(d) ? 'rd' : 'th'} of ${MONTHS[m - 1]} ${y}`,
  };
  return styles[style || pick(Object.keys(styles))];
}
function usPhone(style) {
  const a = pick(['617', '508', '781', '978', '857', '413', '401', '603', '312', '713', '206', '404', '305', '720', '718', '510']);
  const x = pick(['555', String(int(201, 989))]).replace(/^(\d)(\d\d)$/, (m0) => m0);
  const e = x === '555' ? `01${pad(int(0, 99), 2)}` : digits(4);
  const styles = [`(${a}) ${x}-${e}`, `${a}-${x}-${e}`, `${a}.${x}.${e}`, `+1 ${a} ${x} ${e}`, `+1-${a}-${x}-${e}`, `1 (${a}) ${x}-${e}`,
    `${a}${x}${e}`, `+1${a}${x}${e}`, `(${a})${x}-${e} ext. ${int(10, 499)}`, `${a} ${x} ${e}`];
  return style !== undefined ? styles[style] : pick(styles);
}
function intlPhone() {
  return pick([
    `+44 20 7${digits(3)} ${digits(4)}`, `+44 7${digits(3)} ${digits(6)}`, `07${digits(3)} ${digits(6)}`, `+91 9${digits(4)} ${digits(5)}`,
    `+49 30 ${digits(7)}`, `+49 (0)151 ${digits(8)}`, `+61 2 ${digits(4)} ${digits(4)}`, `+55 11 9${digits(4)}-${digits(4)}`,
    `+52 55 ${digits(4)} ${digits(4)}`, `+33 6 ${digits(2)} ${digits(2)} ${digits(2)} ${digits(2)}`, `+234 803 ${digits(3)} ${digits(4)}`,
    `+81 90-${digits(4)}-${digits(4)}`, `+353 87 ${digits(3)} ${digits(4)}`, `+1 (416) ${int(201, 989)}-${digits(4)}`,
  ]);
}
function mrn() {
  return pick([
    () => ({ full: `MRN: ${pad(int(1, 9999999), 8)}`, v: null }), () => ({ full: null, v: pad(int(100000, 99999999), 8) }),
    () => ({ full: null, v: `E${digits(7)}` }), () => ({ full: null, v: `MGH-${digits(7)}` }), () => ({ full: null, v: `${digits(4)}-${digits(4)}` }),
    () => ({ full: null, v: `BWH ${digits(3)}-${digits(2)}-${digits(2)}` }), () => ({ full: null, v: `NB${digits(9)}` }), () => ({ full: null, v: digits(10) }),
  ])();
}
function mrnValue() { const m = mrn(); return m.v || m.full.replace('MRN: ', ''); }
function memberId() {
  return pick([() => `${pick(['XEH', 'ZGP', 'YLW', 'JQU', 'R5H'])}${digits(9)}`, () => `W${digits(9)}`, () => `${code(3)}${digits(8)}01`,
    () => `9${digits(8)}-0${int(1, 4)}`, () => `MA${digits(10)}`, () => `H${digits(8)}`, () => `U${digits(7)} ${pad(int(1, 9), 2)}`, () => `1${digits(10)}`])();
}
function dl() {
  return pick([() => `D${digits(7)}`, () => `S${digits(8)}`, () => `${digits(3)} ${digits(3)} ${digits(3)}`, () => digits(8),
    () => `W${digits(3)}-${digits(3)}-${digits(2)}-${digits(3)}-${digits(1)}`, () => `${code(1)}${digits(3)}-${digits(4)}-${digits(4)}`, () => `SA${digits(7)}`])();
}
function plate() { return pick([() => `${int(1, 9)}${code(3)}${digits(3)}`, () => `${code(3)}-${digits(4)}`, () => `${int(1, 9)}${code(2)} ${digits(3)}`, () => `${code(2)}${digits(2)} ${code(3)}`, () => `${code(3)} ${digits(3)}`])(); }
const PLATE_STATES = ['MA', 'CA', 'NY', 'TX', 'NH', 'RI', 'ON', 'UK'];
const LATLON = () => ({ lat: +(int(25, 47) + rnd()).toFixed(5), lon: -+(int(71, 122) + rnd()).toFixed(5) });

// ---------------------------------------------------------------- benign pools
const PLANS = ['Gold PPO 2000', 'Blue Advantage HMO', 'Silver 70 HSA', 'Medicare Advantage Plus (HMO-POS)', 'Bronze Essential EPO', 'Tufts Direct Platinum', 'Harvard Pilgrim Choice', 'MassHealth Standard'];
const BUTTONS = ['Schedule a Visit', 'Request Prescription Refill', 'Find a Doctor', 'Pay My Bill', 'Start Video Visit', 'Send Message', 'Add Insurance Card',
  'Continue to Payment', 'View Test Results', 'Download After Visit Summary', 'Join Waiting Room', 'Confirm Appointment', 'Sign In With Apple', 'Get Directions'];
const DRUGS = ['Atorvastatin 20 mg tablet', 'Metformin ER 500mg', 'Lisinopril 10 mg', 'Sertraline 50mg', 'Albuterol HFA 90 mcg', 'Levothyroxine 75 mcg',
  'Ozempic 0.5 mg/dose pen', 'Amoxicillin 875 mg', 'Eliquis 5 mg', 'Jardiance 10mg'];
const ICD10 = ['E11.9', 'I10', 'J45.909', 'Z00.00', 'M54.50', 'F41.1', 'K21.9', 'E78.5', 'N39.0', 'Z23'];
const CPT = ['99213', '99214', '90686', '80053', '93000'];
const FLAGS = ['new-refill-flow', 'telehealth_v2_waiting_room', 'portal-dark-mode', 'billing.autopay.enabled', 'exp_booking_cta_copy_B', 'insurance-ocr-beta'];
const SPECIALTIES = ['Cardiology', 'Dermatology', 'Primary Care', 'Orthopedics', 'Behavioral Health', 'Pediatrics', 'Endocrinology', 'Obstetrics & Gynecology'];
const STATES = ['MA', 'Massachusetts', 'RI', 'NH', 'CT', 'New York', 'TX', 'CA'];
const BROWSERS = ['Chrome', 'Mobile Safari', 'Firefox', 'Samsung Internet', 'Edge'];
const OSES = [['iOS', '17.6.1'], ['Android', '14'], ['Mac OS X', '14.5.0'], ['Windows', '11'], ['iOS', '18.1'], ['Android', '13']];
const SCREENS = [[390, 844], [1920, 1080], [1440, 900], [412, 915], [768, 1024], [2560, 1440], [360, 800]];
const REF_DOMAINS = ['www.google.com', 'www.bing.com', 'duckduckgo.com', 't.co', 'l.facebook.com', '$direct', 'www.healthgrades.com', 'www.zocdoc.com'];
const UTM = { source: ['google', 'facebook', 'newsletter', 'bing', 'mailchimp'], medium: ['cpc', 'email', 'social', 'organic'], campaign: ['flu_shot_2026', 'spring-wellness', 'mychart_activation_q4', 'telehealth-launch', 'ortho_open_house'] };
const CLEAN_URLS = ['https://www.example-hospital.org/locations/boston?utm_source=google', 'https://www.stelmo-hospital.org/services/cardiology',
  'https://www.northbridgehealth.org/find-a-doctor?specialty=dermatology&accepting=true', 'https://www.bayviewhealth.org/locations/worcester-urgent-care',
  'https://app.lakeshore-med.com/billing/pay?step=2', 'https://www.stelmo-hospital.org/blog/flu-season-2026', 'https://care.granitestatemedical.org/telehealth/how-it-works',
  'https://www.northbridgehealth.org/pricing/mri-without-contrast'];
const CLEAN_PATHS = ['/appointments/new', '/messages', '/billing/statements', '/pharmacy/refills', '/telehealth/waiting-room', '/insurance/add-card',
  '/patients/:id/chart', '/results/lab/:accession', '/find-a-doctor', '/settings/notifications'];
const APP_VERSIONS = ['4.12.0', '4.12.1 (8812)', '5.0.0-beta.3', '3.9.27', '2026.11.3', '7.4.0+build.1932'];
const SKUS = ['SKU-BPM-220', 'KIT-COVID-AG-2PK', 'GLU-STRIP-50', 'ORD-PRD-00417', 'CPAP-MASK-M-REF', 'PN-44810-B'];

// ---------------------------------------------------------------- event builders
const T0 = Date.UTC(2026, 10, 19, 13, 0, 0);
let clock = T0;
function nextTs() { clock += int(800, 240000); return new Date(clock).toISOString(); }

class Ev {
  constructor(shape) { this.shape = shape; this.plants = []; this.benignCand = []; }
  plant(letter, value, encoded) {
    value = String(value);
    const ex = this.plants.find((p) => p.value === value);
    if (ex) { if (encoded) ex.encoded = true; return value; }
    this.plants.push(encoded ? { letter, value, encoded: true } : { letter, value });
    return value;
  }
  ben(pathArr, value) { this.benignCand.push({ path: pathArr, value }); return value; }
}

function posthogBase(ev, eventName, opts = {}) {
  const ts = nextTs();
  const [os, osv] = pick(OSES); const [sw, sh] = pick(SCREENS); const br = os === 'iOS' ? 'Mobile Safari' : os === 'Android' ? pick(['Chrome', 'Samsung Internet']) : pick(['Chrome', 'Firefox', 'Edge', 'Safari']);
  const host = opts.host || pick(HOSTS);
  const pathname = opts.pathname || pick(CLEAN_PATHS).replace(':id', 'me').replace(':accession', 'latest');
  const uuid = uuid7();
  const e = {
    uuid, event: eventName, distinct_id: opts.distinct_id || uuid7(), timestamp: ts,
    properties: {
      $os: os, $os_version: osv, $browser: br, $device_type: (os === 'iOS' || os === 'Android') ? 'Mobile' : 'Desktop', $screen_width: sw, $screen_height: sh,
      $current_url: opts.url || `https://${host}${pathname}`, $host: host, $pathname: opts.urlPath || pathname,
      $referring_domain: pick(REF_DOMAINS), $lib: 'web', $lib_version: pick(['1.449.2', '1.418.10', '1.400.0']),
      $session_id: uuid7(), $window_id: uuid7(), token: 'phc_hX2kq9LmTr4PzYw81sNvQeD', $time: +(clock / 1000).toFixed(3),
    },
  };
  ev.ben(['uuid'], uuid); ev.ben(['timestamp'], ts); ev.ben(['properties', '$os'], os); ev.ben(['properties', '$browser'], br);
  ev.ben(['properties', '$screen_width'], sw); ev.ben(['properties', '$lib_version'], e.properties.$lib_version);
  ev.ben(['properties', '$referring_domain'], e.properties.$referring_domain);
  if (opts.benignEventName !== false) ev.ben(['event'], eventName);
  return e;
}
function segmentBase(ev, type, name, opts = {}) {
  const ts = nextTs(); const mid = chance(0.5) ? `ajs-next-${hex(32)}` : uuid4();
  const e = { type };
  if (type === 'track') e.event = name;
  if (type === 'page' || type === 'screen') e.name = name;
  Object.assign(e, { messageId: mid, timestamp: ts, anonymousId: uuid4(), properties: {} });
  if (opts.userId) e.userId = opts.userId;
  const mobile = opts.mobile !== undefined ? opts.mobile : chance(0.45);
  const [os, osv] = mobile ? pick([['iOS', '17.6.1'], ['Android', '14'], ['iOS', '18.1']]) : pick(OSES);
  const [sw, sh] = pick(SCREENS);
  e.context = { library: mobile ? { name: os === 'iOS' ? 'analytics-ios' : 'analytics-android', version: '4.1.9' } : { name: 'analytics.js', version: 'next-1.84.3' },
    locale: pick(['en-US', 'es-US', 'en-GB', 'pt-BR', 'vi-VN']), timezone: pick(['America/New_York', 'America/Chicago', 'America/Los_Angeles', 'Europe/London']) };
  if (mobile) {
    const appv = pick(APP_VERSIONS);
    e.context.app = { name: 'Northbridge MyHealth', version: appv, build: String(int(1800, 9400)), namespace: 'org.northbridgehealth.myhealth' };
    e.context.device = { manufacturer: os === 'iOS' ? 'Apple' : pick(['samsung', 'Google', 'motorola']), model: os === 'iOS' ? pick(['iPhone15,3', 'iPhone16,2', 'iPad13,18']) : pick(['SM-S918U', 'Pixel 8', 'moto g stylus 5G']), type: os.toLowerCase() };
    e.context.os = { name: os, version: osv };
    e.context.screen = { width: sw, height: sh, density: pick([2, 3, 2.625]) };
    e.context.network = { wifi: chance(0.6), cellular: chance(0.5), carrier: pick(['Verizon', 'T-Mobile', 'AT&T']) };
    ev.ben(['context', 'app', 'version'], appv); ev.ben(['context', 'device', 'model'], e.context.device.model); ev.ben(['context', 'os', 'name'], os);
    ev.ben(['context', 'screen', 'width'], sw); ev.ben(['context', 'network', 'carrier'], e.context.network.carrier);
  } else {
    const host = opts.host || pick(HOSTS); const p = opts.pathname || pick(CLEAN_PATHS).replace(':id', 'me').replace(':accession', 'latest');
    e.context.page = { path: opts.urlPath || p, referrer: opts.referrer || `https://${pick(REF_DOMAINS.filter((d) => d[0] !== '$'))}/`, search: opts.search || '', title: opts.title || 'MyHealth Portal', url: opts.url || `https://${host}${p}` };
    e.context.userAgent = `Mozilla/5.0 (${os === 'iOS' ? 'iPhone; CPU iPhone OS 17_6_1 like Mac OS X' : 'Windows NT 10.0; Win64; x64'}) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36`;
    ev.ben(['context', 'library', 'version'], 'next-1.84.3'); ev.ben(['context', 'locale'], e.context.locale);
  }
  ev.ben(['messageId'], mid); ev.ben(['timestamp'], ts); ev.ben(['context', 'timezone'], e.context.timezone);
  if (name && opts.benignEventName !== false) ev.ben([type === 'track' ? 'event' : 'name'], name);
  e.writeKey = 'wk_NbH8s2QkLm0pXr';
  return e;
}
function propsOf(e) { return e.properties; }
function propPath(e, k) { return ['properties', k]; }
// add n random benign props
const BENIGN_GEN = [
  ['plan_name', () => pick(PLANS)], ['button_text', () => pick(BUTTONS)], ['price', () => +(int(5, 900) + pick([0, 0.99, 0.5, 0.25])).toFixed(2)],
  ['copay', () => `$${int(0, 75)}.00`], ['drug_name', () => pick(DRUGS)], ['icd10', () => pick(ICD10)], ['cpt_code', () => pick(CPT)],
  ['feature_flag', () => pick(FLAGS)], ['specialty', () => pick(SPECIALTIES)], ['state', () => pick(STATES)], ['country', () => pick(['US', 'United States', 'CA', 'GB'])],
  ['duration_ms', () => int(120, 190000)], ['http_status', () => pick([200, 201, 304, 400, 404, 422, 429, 500, 502, 503])], ['item_count', () => int(0, 14)],
  ['app_version', () => pick(APP_VERSIONS)], ['sku', () => pick(SKUS)], ['order_id', () => pick(['ORD-PRD-00417', 'PO-FLU-2026-A', 'KIT-7731-TEST'])],
  ['utm_source', () => pick(UTM.source)], ['utm_campaign', () => pick(UTM.campaign)], ['utm_medium', () => pick(UTM.medium)], ['plan_year', () => pick([2025, 2026, 2027])],
  ['zip3', () => pick(['021', '606', '770', '981', '303'])], ['visit_type', () => pick(['Video Visit', 'In-Person', 'Phone Visit', 'Annual Physical'])],
  ['wait_time_sec', () => int(20, 2400)], ['step', () => `${int(1, 4)} of 5`], ['build_number', () => String(int(20261101, 20261130)) + '.' + int(1, 9)],
  ['landing_url', () => pick(CLEAN_URLS)], ['page_template', () => pick(CLEAN_PATHS)], ['language', () => pick(['en', 'es', 'pt', 'vi', 'ht'])],
  ['screen_size', () => pick(['1920x1080', '390x844', '1440x900', '412x915'])], ['retry_count', () => int(0, 3)], ['error_code', () => pick(['ERR_NETWORK', 'E_TIMEOUT', 'CARD_DECLINED', 'SLOT_TAKEN'])],
  ['deductible_remaining', () => +(int(0, 3000) + 0.5).toFixed(2)], ['firmware_version', () => pick(['3.2.10.4', '1.0.7', '22.4.1'])], ['rating', () => int(1, 5)],
  ['department', () => pick(['Emergency Medicine', 'Radiology', 'Oncology', 'Physical Therapy'])], ['currency', () => pick(['USD', 'CAD', 'EUR'])],
];
function addBenign(ev, obj, basePath, n) {
  const used = new Set(Object.keys(obj));
  for (const [k, g] of shuffle(BENIGN_GEN)) {
    if (n <= 0) break; if (used.has(k)) continue;
    const v = g(); obj[k] = v; ev.ben([...basePath, k], v); n--;
  }
}

// ---------------------------------------------------------------- PHI templates
const person = () => pick(PEOPLE);
const otherPerson = (p) => { let q; do { q = person(); } while (q === p); return q; };
const T = {};

T.ph_identify_signup = () => {
  const ev = new Ev('posthog'); const p = person(); const email = emailFor(p); const a = usAddress();
  const dob = fmtDate(dateParts(1938, 2004), pick(['iso', 'us', 'us2']));
  const e = posthogBase(ev, '$identify', { distinct_id: email, benignEventName: true });
  ev.plant('F', email); ev.plant('A', p[0]); ev.plant('A', p[1]);
  const phone = usPhone(); ev.plant('D', phone); ev.plant('C', dob);
  const set = { email, first_name: p[0], last_name: p[1], phone, date_of_birth: dob };
  if (chance(0.7)) { set.address = { line1: a.line1, city: a.city, state: a.st, postal_code: a.zip }; ev.plant('B', a.line1); ev.plant('B', a.city); ev.plant('B', a.zip); ev.ben(['$set', 'address', 'state'], a.st); }
  if (chance(0.5)) { const u = `${ascii(p[0])}${ascii(p[1]).slice(0, 4)}${int(10, 99)}`; set.portal_username = u; ev.plant('R', u); }
  set.preferred_language = pick(['English', 'Spanish', 'Portuguese', 'Vietnamese']); ev.ben(['$set', 'preferred_language'], set.preferred_language);
  e.$set = set; e.$set_once = { $initial_referring_domain: pick(REF_DOMAINS), $initial_utm_campaign: pick(UTM.campaign) };
  ev.ben(['$set_once', '$initial_utm_campaign'], e.$set_once.$initial_utm_campaign);
  e.properties.$anon_distinct_id = uuid7();
  addBenign(ev, e.properties, ['properties'], int(0, 2));
  return [ev, e];
};

T.seg_identify_mobile = () => {
  const ev = new Ev('segment'); const p = person(); const email = emailFor(p);
  const userId = chance(0.5) ? email : `pt-${digits(7)}`;
  const e = segmentBase(ev, 'identify', null, { userId, mobile: true });
  if (userId === email) ev.plant('F', email); else ev.plant('H', userId.slice(3));
  const bd = dateParts(1931, 2006);
  const birthday = chance(0.5) ? `${fmtDate(bd, 'iso')}T00:00:00.000Z` : fmtDate(bd, pick(['us', 'eu', 'long']));
  const traits = { firstName: p[0], lastName: p[1], email, phone: chance(0.7) ? usPhone() : intlPhone(), birthday };
  ev.plant('A', p[0]); ev.plant('A', p[1]); ev.plant('F', email); ev.plant('D', traits.phone);
  ev.plant('C', birthday.endsWith('Z') ? fmtDate(bd, 'iso') : birthday);
  if (chance(0.6)) { const a = usAddress(); traits.address = { street: a.line1c, city: a.city, state: a.st, postalCode: a.zip, country: 'US' }; ev.plant('B', a.line1c); ev.plant('B', a.city); ev.plant('B', a.zip); ev.ben(['traits', 'address', 'country'], 'US'); }
  else { const a = pick(INTL_ADDR); traits.address = { street: a.line, city: a.city, postalCode: a.post, country: a.country }; ev.plant('B', a.line); ev.plant('B', a.city); ev.plant('B', a.post); ev.ben(['traits', 'address', 'country'], a.country); }
  if (chance(0.5)) { traits.memberId = memberId(); ev.plant('I', traits.memberId); }
  traits.plan = pick(PLANS); ev.ben(['traits', 'plan'], traits.plan);
  e.traits = traits; delete e.properties;
  e.context.device.id = uuid4(true); ev.plant('M', e.context.device.id);
  if (chance(0.6)) { e.context.device.advertisingId = e.context.os.name === 'iOS' ? uuid4(true) : uuid4(); e.context.device.adTrackingEnabled = true; ev.plant('M', e.context.device.advertisingId); }
  e.context.ip = chance(0.7) ? ipv4() : ipv6(); ev.plant('O', e.context.ip);
  return [ev, e];
};

T.ph_pageview_identifying_url = () => {
  const ev = new Ev('posthog'); const p = person(); const host = pick(HOSTS);
  const pid = pick([() => digits(7), () => `${digits(3)}${int(100, 999)}${digits(2)}`, () => code(10)])();
  const kind = int(0, 4);
  let url, urlPath, title;
  if (kind === 0) { urlPath = `/patients/${pid}/chart/summary`; url = `https://${host}${urlPath}?tab=meds`; ev.plant('N', pid); }
  else if (kind === 1) { const email = emailFor(p); urlPath = '/account/verify'; url = `https://${host}${urlPath}?email=${encodeURIComponent(email)}&code=${digits(6)}`; ev.plant('F', email, true); ev.plant('N', url.split('code=')[1]); }
  else if (kind === 2) { urlPath = '/app/'; url = `https://${host}/app/#/messages/thread/${pid}?from=${encodeURIComponent(fullName(p))}`; ev.plant('N', pid); ev.plant('A', fullName(p), true); }
  else if (kind === 3) { const u = `${ascii(p[0])}.${ascii(p[1])}${int(1, 99)}`; urlPath = `/u/${u}/profile`; url = `https://${host}${urlPath}`; ev.plant('R', u); }
  else { urlPath = '/scheduling/confirm'; url = `https://${host}${urlPath}?appt=${pid}&pname=${encodeURIComponent(p[0]).replace(/%20/g, '+')}+${encodeURIComponent(p[1]).replace(/%20/g, '+')}&dob=${fmtDate(dateParts(1940, 2010), 'iso')}`;
    ev.plant('N', pid); ev.plant('A', fullName(p), true); ev.plant('C', url.split('dob=')[1]); }
  const e = posthogBase(ev, '$pageview', { host, url, urlPath });
  if (chance(0.6)) { title = `${pick(['Chart', 'Messages', 'Visit Summary'])} – ${fullName(p)} | MyHealth`; e.properties.title = title; ev.plant('A', fullName(p)); }
  if (chance(0.4)) { e.properties.$session_entry_url = url; }
  e.properties.$referrer = `https://${pick(['www.google.com', 'www.bing.com'])}/`; ev.ben(['properties', '$referrer'], e.properties.$referrer);
  addBenign(ev, e.properties, ['properties'], int(0, 2));
  return [ev, e];
};

T.seg_page_identifying = () => {
  const ev = new Ev('segment'); const p = person(); const host = pick(HOSTS);
  const email = emailFor(p); const id = digits(int(6, 9));
  const search = pick([`?patientId=${id}&ref=reminder_sms`, `?email=${encodeURIComponent(email)}&utm_source=mailchimp`, `?mrn=${id}&view=print`]);
  const pth = pick(['/results/lab', '/visit-summary', '/billing/statement']);
  const url = `https://${host}${pth}${search}${chance(0.3) ? `#resultId=${digits(8)}` : ''}`;
  const e = segmentBase(ev, 'page', pick(['Lab Results', 'Visit Summary', 'Statement']), { mobile: false, host, pathname: pth, search, url, title: `${p[1]}, ${p[0]} – Results` });
  ev.plant('A', `${p[1]}, ${p[0]}`);
  if (search.includes('email')) ev.plant('F', email, true);
  else if (search.includes('mrn')) ev.plant('H', id); else ev.plant('N', id);
  if (url.includes('#resultId=')) ev.plant('N', url.split('#resultId=')[1]);
  e.properties = { path: pth, url, search, title: e.context.page.title, referrer: e.context.page.referrer };
  if (chance(0.5)) { e.context.ip = ipv4(); ev.plant('O', e.context.ip); }
  addBenign(ev, e.properties, ['properties'], int(1, 3));
  return [ev, e];
};

T.booking_form = () => {
  const shape = pick(['posthog', 'segment']); const ev = new Ev(shape); const p = person(); const rel = otherPerson(p); const relName = pick(RELATIONS);
  const dobP = dateParts(1936, 2012); const dobStr = pick([`DOB ${fmtDate(dobP, 'usShort')}`, `dob: ${fmtDate(dobP, 'us2')}`, `born ${fmtDate(dobP, 'long')}`, `D.O.B. ${fmtDate(dobP, 'dots')}`]);
  const dobVal = dobStr.replace(/^(DOB |dob: |born |D\.O\.B\. )/, '');
  const appt = { y: 2026, m: int(11, 12), d: int(1, 28) }; const apptStr = fmtDate(appt, pick(['us2', 'long', 'iso', 'dmy']));
  const phone = chance(0.75) ? usPhone() : intlPhone();
  const reason = pick([
    `Booking for my ${relName} ${fullName(rel)}, ${dobStr}. Best number ${phone}.`,
    `${fullName(p)} ${dobStr} - follow up on knee, please call ${phone} after 5pm`,
    `pt ${p[1].toUpperCase()}, ${p[0].toUpperCase()} ${dobStr} needs interpreter; cb ${phone}`,
  ]);
  const props = { form_id: 'appointment-request-v3', reason_for_visit: reason, requested_date: apptStr, slot: pick(['9:20 AM', '14:40', '3:15pm']) };
  if (reason.includes(fullName(rel))) { ev.plant('A', fullName(rel)); } else if (reason.includes(fullName(p))) ev.plant('A', fullName(p)); else { ev.plant('A', p[1].toUpperCase()); ev.plant('A', p[0].toUpperCase()); }
  ev.plant('C', dobVal); ev.plant('D', phone); ev.plant('C', apptStr);
  if (chance(0.5)) { props.contact_email = emailFor(p); ev.plant('F', props.contact_email); }
  if (chance(0.4)) { props.insurance_member_id = memberId(); ev.plant('I', props.insurance_member_id); }
  let e;
  if (shape === 'posthog') { e = posthogBase(ev, 'form_submitted', { pathname: '/appointments/new' }); Object.assign(e.properties, props); addBenign(ev, e.properties, ['properties'], int(1, 2)); }
  else { e = segmentBase(ev, 'track', 'Appointment Request Submitted'); e.properties = props; addBenign(ev, e.properties, ['properties'], int(1, 3)); }
  ev.ben(['properties', 'form_id'], 'appointment-request-v3');
  return [ev, e];
};

T.search_query = () => {
  const shape = pick(['posthog', 'segment']); const ev = new Ev(shape); const p = person();
  const k = int(0, 5); let q;
  if (k === 0) { const m = mrnValue(); q = `${fullName(p)} MRN ${m}`; ev.plant('A', fullName(p)); ev.plant('H', m); }
  else if (k === 1) { const s = ssn(); q = pick([s.dashed, s.spaced]); ev.plant('G', q); }
  else if (k === 2) { q = `${p[1]}, ${p[0]}`; ev.plant('A', q); }
  else if (k === 3) { q = usPhone(pick([0, 1, 2])); ev.plant('D', q); }
  else if (k === 4) { const d = fmtDate(dateParts(1930, 1990), 'usShort'); q = `${p[1].toLowerCase()} ${d}`; ev.plant('A', p[1].toLowerCase()); ev.plant('C', d); }
  else { q = emailFor(p); ev.plant('F', q); }
  const props = { search_term: q, search_scope: pick(['patients', 'messages', 'directory']), results_count: int(0, 12) };
  ev.ben(['properties', 'results_count'], props.results_count);
  let e;
  if (shape === 'posthog') { e = posthogBase(ev, 'search_performed'); Object.assign(e.properties, props); addBenign(ev, e.properties, ['properties'], int(0, 2)); }
  else { e = segmentBase(ev, 'track', 'Products Searched'); e.properties = { query: q, ...props }; delete e.properties.search_term; addBenign(ev, e.properties, ['properties'], int(1, 2)); }
  return [ev, e];
};

T.exception = () => {
  const ev = new Ev('posthog'); const p = person(); const host = pick(HOSTS); const s = ssn(); const email = emailFor(p);
  const id = digits(8);
  const k = int(0, 3); let msg;
  if (k === 0) { msg = `ValidationError: invalid SSN '${s.dashed}' for patient ${id}`; ev.plant('G', s.dashed); ev.plant('H', id); }
  else if (k === 1) { msg = `TypeError: Cannot read properties of undefined (reading 'coverage') at loadMember(${email})`; ev.plant('F', email); }
  else if (k === 2) { const ip = ipv4(); msg = `FetchError: request to https://api.${host.split('.').slice(1).join('.')}/v2/eligibility failed, reason: connect ECONNREFUSED from ${ip}`; ev.plant('O', ip); }
  else { const c = card(pick(['visa', 'mc'])); msg = `StripeCardError: Your card number ${c} was declined (code=card_declined)`; ev.plant('J', c); }
  const e = posthogBase(ev, '$exception');
  const frameUrl = `https://${host}/static/js/main.8f3c1a.js`;
  e.properties.$exception_list = [{ type: msg.split(':')[0], value: msg, mechanism: { handled: false, type: 'onunhandledrejection' },
    stacktrace: { type: 'raw', frames: [{ filename: frameUrl, function: 'submitIntake', lineno: int(10, 9999), colno: int(1, 80), in_app: true }] } }];
  e.properties.$exception_fingerprint = hex(16);
  ev.ben(['properties', '$exception_list', 0, 'stacktrace', 'frames', 0, 'filename'], frameUrl);
  ev.ben(['properties', '$exception_list', 0, 'mechanism', 'type'], 'onunhandledrejection');
  if (chance(0.5)) { const eu = `https://${host}/intake/step-3?pid=${id}`; e.properties.$current_url = eu; if (k !== 0) ev.plant('N', id); }
  return [ev, e];
};

T.server_log = () => {
  const shape = pick(['posthog', 'segment']); const ev = new Ev(shape); const p = person();
  const ip = chance(0.6) ? ipv4() : ipv6(); const ip2 = `10.${int(0, 20)}.${int(0, 255)}.${int(1, 254)}`;
  const mid = memberId(); const status = pick([422, 500, 409]);
  const line = pick([
    `POST /api/v2/claims ${status} ${int(40, 900)}ms member_id=${mid} client=${ip}`,
    `[eligibility] 270/271 lookup failed subscriber=${mid} xff="${ip}, ${ip2}" status=${status}`,
    `WARN auth: too many attempts user=${ascii(p[0])}${ascii(p[1])[0]} ip=${ip} (${status})`,
  ]);
  if (line.includes(mid)) ev.plant('I', mid); else ev.plant('R', `${ascii(p[0])}${ascii(p[1])[0]}`);
  ev.plant('O', ip); if (line.includes(ip2)) ev.plant('O', ip2);
  const props = { level: pick(['error', 'warn']), logger: 'api-gateway', message: line, service_version: pick(['1.44.0', '2.3.1']) };
  ev.ben(['properties', 'logger'], 'api-gateway'); ev.ben(['properties', 'service_version'], props.service_version);
  let e;
  if (shape === 'posthog') {
    e = posthogBase(ev, 'server_log', { distinct_id: `srv-${hex(6)}` }); Object.assign(e.properties, props); e.properties.$lib = 'posthog-node';
    if (chance(0.6)) { e.properties.$ip = ip; }
  } else { e = segmentBase(ev, 'track', 'API Error Logged'); e.properties = props; if (chance(0.5)) e.context.ip = ip; }
  return [ev, e];
};

T.support_chat = () => {
  const shape = pick(['posthog', 'segment']); const ev = new Ev(shape); const p = person(); const kid = otherPerson(p);
  const phone = chance(0.6) ? usPhone() : intlPhone(); const dP = dateParts(2008, 2023);
  const dob = fmtDate(dP, pick(['us2', 'usShort', 'eu', 'long', 'ordinal']));
  const email = emailFor(p); const age = int(90, 104);
  const msg = pick([
    `Hi this is ${fullName(p)}, my ${pick(['son', 'daughter'])} ${kid[0]} (DOB ${dob}) needs a refill, call me at ${phone}`,
    `hello, I'm calling about my grandmother ${fullName(kid)}, she is ${age} and can't log in. my email is ${email}`,
    `Can you update my number to ${phone}? Name: ${fullName(p)}. Thanks!`,
    `My dad ${fullName(kid)} is ${age} years old, we need a home visit. Reach me at ${email} or ${phone}.`,
  ]);
  for (const [v, l] of [[fullName(p), 'A'], [fullName(kid), 'A'], [phone, 'D'], [email, 'F']]) if (msg.includes(v)) ev.plant(l, v);
  if (msg.includes(`${kid[0]} (DOB`)) { ev.plant('A', kid[0]); ev.plant('C', dob); }
  if (msg.includes(` ${age} `)) ev.plant('C', String(age));
  const props = { channel: 'web_chat', conversation_id: uuid4(), message_text: msg, agent_queue: pick(['Pharmacy', 'Billing', 'Scheduling']), message_length: msg.length };
  ev.ben(['properties', 'message_length'], msg.length); ev.ben(['properties', 'agent_queue'], props.agent_queue);
  let e;
  if (shape === 'posthog') { e = posthogBase(ev, 'chat_message_sent'); Object.assign(e.properties, props); }
  else { e = segmentBase(ev, 'track', 'Chat Message Sent'); e.properties = props; }
  return [ev, e];
};

T.pharmacy_refill = () => {
  const shape = pick(['posthog', 'segment']); const ev = new Ev(shape); const p = person();
  const rx = pick([`Rx# ${digits(7)}`, `RX-${digits(3)}-${digits(4)}`, digits(8)]); const rxVal = rx.replace('Rx# ', '');
  const drug = pick(DRUGS);
  const props = { rx_number: rx, medication: drug, quantity: pick([30, 90]), days_supply: pick([30, 90]), pharmacy_name: pick(['CVS Pharmacy #1842', 'Walgreens', 'Northbridge Outpatient Pharmacy']) };
  ev.plant('R', rxVal); ev.ben(['properties', 'medication'], drug); ev.ben(['properties', 'quantity'], props.quantity);
  if (chance(0.6)) { const a = usAddress(); props.delivery_address = `${a.line1c}, ${a.city}, ${a.st} ${a.zip}`; ev.plant('B', a.line1c); ev.plant('B', a.city); ev.plant('B', a.zip); }
  if (chance(0.5)) { props.prescriber_dea = dea(pick(PEOPLE)[1]); ev.plant('K', props.prescriber_dea); }
  if (chance(0.5)) { const f = pick([`Fax: ${usPhone(0)}`, `fax ${usPhone(2)}`, `F ${usPhone(9)}`]); props.prior_auth_note = `Send PA form to my employer benefits office, ${f}`; ev.plant('E', f.replace(/^(Fax: |fax |F )/, '')); }
  if (chance(0.4)) { props.patient_name = fullName(p); ev.plant('A', fullName(p)); }
  let e;
  if (shape === 'posthog') { e = posthogBase(ev, 'refill_requested', { pathname: '/pharmacy/refills' }); Object.assign(e.properties, props); addBenign(ev, e.properties, ['properties'], int(0, 2)); }
  else { e = segmentBase(ev, 'track', 'Refill Requested'); e.properties = props; addBenign(ev, e.properties, ['properties'], int(0, 2)); }
  return [ev, e];
};

T.insurance_onboarding = () => {
  const shape = pick(['posthog', 'segment']); const ev = new Ev(shape); const p = person(); const sub = chance(0.4) ? otherPerson(p) : p;
  const plan = pick(PLANS); const medicare = plan.startsWith('Medicare') || chance(0.3);
  const props = { step: 'insurance_card_captured', plan_name: plan, payer: pick(['Blue Cross Blue Shield of MA', 'Aetna', 'UnitedHealthcare', 'Medicare', 'Tufts Health Plan']) };
  ev.ben(['properties', 'plan_name'], plan); ev.ben(['properties', 'payer'], props.payer);
  if (medicare) { props.mbi = mbi(); ev.plant('I', props.mbi); } else { props.member_id = memberId(); ev.plant('I', props.member_id); }
  props.subscriber_name = fullName(sub); ev.plant('A', fullName(sub));
  if (sub !== p) { props.relationship_to_subscriber = pick(['spouse', 'child', 'other']); ev.ben(['properties', 'relationship_to_subscriber'], props.relationship_to_subscriber); }
  const sdob = fmtDate(dateParts(1929, 1999), pick(['us2', 'iso', 'compact', 'dash'])); props.subscriber_dob = sdob; ev.plant('C', sdob);
  if (chance(0.5)) { const s = ssn(); props.subscriber_ssn = pick([s.dashed, s.bare, s.spaced]); ev.plant('G', props.subscriber_ssn); }
  if (chance(0.5)) { const img = `https://uploads.${pick(HOSTS).split('.').slice(1).join('.')}/insurance-cards/${uuid4()}/front.jpg`; props.card_front_image = img; ev.plant('Q', img); }
  if (chance(0.35)) { props.employer = pick(['Raytheon', 'Stop & Shop', 'Boston Public Schools', 'Dunkin\'']); props.employer_fax = usPhone(); ev.plant('E', props.employer_fax); }
  props.group_number_present = true;
  let e;
  if (shape === 'posthog') { e = posthogBase(ev, 'insurance_added', { pathname: '/insurance/add-card' }); Object.assign(e.properties, props); }
  else { e = segmentBase(ev, 'track', 'Insurance Added'); e.properties = props; }
  return [ev, e];
};

T.billing_payment = () => {
  const shape = pick(['posthog', 'segment']); const ev = new Ev(shape); const p = person();
  const amount = +(int(10, 2400) + pick([0, 0.5, 0.99])).toFixed(2);
  const props = { amount, currency: 'USD', payment_method: pick(['card', 'ach', 'sepa']) };
  ev.ben(['properties', 'amount'], amount); ev.ben(['properties', 'currency'], 'USD');
  const k = props.payment_method;
  if (k === 'card') { props.card_number = card(pick(['visa', 'mc', 'amex', 'disc'])); ev.plant('J', props.card_number); props.card_brand = 'visa'; }
  else if (k === 'ach') { props.routing_number = pick(['011000138', '211274450', '026009593']); props.account_number = digits(int(9, 12)); ev.plant('J', props.account_number); }
  else { props.iban = iban(pick(['DE', 'GB', 'NL', 'FR', 'ES'])); ev.plant('J', props.iban); }
  if (chance(0.6)) { const gid = pick([`HAR ${digits(10)}`, `Guarantor #${digits(8)}`, `ACCT-${digits(6)}-${digits(2)}`]); props.statement_account = gid; ev.plant('J', gid.replace(/^(HAR |Guarantor #)/, '')); }
  if (chance(0.5)) { props.cardholder_name = fullName(p).toUpperCase(); ev.plant('A', props.cardholder_name); }
  if (chance(0.5)) { const a = usAddress(); props.billing_zip = a.zip; props.billing_street = a.line1; ev.plant('B', a.zip); ev.plant('B', a.line1); }
  let e;
  if (shape === 'posthog') { e = posthogBase(ev, 'bill_paid', { pathname: '/billing/pay' }); Object.assign(e.properties, props); addBenign(ev, e.properties, ['properties'], int(0, 2)); }
  else { e = segmentBase(ev, 'track', 'Order Completed'); e.properties = { ...props, products: [{ sku: pick(SKUS), price: amount }] }; ev.ben(['properties', 'products', 0, 'price'], amount); }
  return [ev, e];
};

T.telehealth = () => {
  const shape = pick(['posthog', 'segment']); const ev = new Ev(shape); const p = person(); const fam = otherPerson(p);
  const room = pick([`https://video.${pick(HOSTS).split('.').slice(1).join('.')}/room/${code(4)}-${code(4)}?t=${b64(24).replace(/[+/]/g, 'x')}`, `https://meet.vidyo-care.com/join/${digits(9)}?pin=${digits(6)}&name=${encodeURIComponent(fullName(p))}`]);
  const props = { session_id: uuid4(), room_url: room, duration_sec: int(180, 3600), video_codec: pick(['VP8', 'H264']), participants: int(2, 4) };
  ev.ben(['properties', 'duration_sec'], props.duration_sec); ev.ben(['properties', 'video_codec'], props.video_codec); ev.ben(['properties', 'participants'], props.participants);
  if (room.includes('?t=')) ev.plant('N', room.split('?t=')[1]); else { ev.plant('N', room.split('/join/')[1].split('?')[0]); ev.plant('A', fullName(p), true); }
  const peer = chance(0.5) ? ipv6() : ipv4(); props.ice_candidate = `candidate:${int(1, 9)} 1 udp ${int(1e9, 2e9)} ${peer} ${int(40000, 60000)} typ srflx`; ev.plant('O', peer);
  if (chance(0.6)) { props.peripheral = pick(['TytoCare', 'Omron BP7450', 'Withings Body+']); props.peripheral_serial = pick([`SN ${code(3)}-${digits(4)}-${digits(5)}`, `${code(2)}${digits(10)}`]); ev.plant('M', props.peripheral_serial.replace('SN ', '')); }
  if (chance(0.5)) { props.bt_mac = mac(pick([':', '-'])); ev.plant('M', props.bt_mac); }
  if (chance(0.35)) { props.voice_verification = { engine: 'Nuance Gatekeeper 11', voiceprint_b64: `VPv2${b64(72)}` }; ev.plant('P', props.voice_verification.voiceprint_b64); ev.ben(['properties', 'voice_verification', 'engine'], 'Nuance Gatekeeper 11'); }
  if (chance(0.5)) { props.participant_names = `${fullName(p)}; ${fullName(fam)} (${pick(RELATIONS)})`; ev.plant('A', fullName(p)); ev.plant('A', fullName(fam)); }
  let e;
  if (shape === 'posthog') { e = posthogBase(ev, 'telehealth_session_ended', { pathname: '/telehealth/waiting-room' }); Object.assign(e.properties, props); }
  else { e = segmentBase(ev, 'track', 'Video Visit Ended', { mobile: true }); e.properties = props; }
  return [ev, e];
};

T.portal_message = () => {
  const shape = pick(['posthog', 'segment']); const ev = new Ev(shape); const p = person(); const rel = otherPerson(p);
  const adm = dateParts(2026, 2026); adm.m = int(9, 11); const dis = { ...adm, d: Math.min(adm.d + int(2, 5), 28) };
  const admS = fmtDate(adm, pick(['us', 'dmy', 'long', 'iso'])); const disS = fmtDate(dis, pick(['us', 'dmy', 'long', 'iso']));
  const m = mrnValue(); const fax = pick([usPhone(0), usPhone(4), intlPhone()]);
  const body = pick([
    `Dr. office: I was admitted ${admS} and discharged ${disS} (MRN ${m}). Please fax the records to ${fax}. - ${p[0]}`,
    `This is ${fullName(rel)}, ${p[0]}'s ${pick(RELATIONS)} and health care proxy. Admission date ${admS}. Fax # ${fax}.`,
    `Re: discharge ${disS}. My MRN is ${m}. Can the home health agency fax to ${fax}? Thanks, ${fullName(p)}`,
  ]);
  for (const [v, l] of [[admS, 'C'], [disS, 'C'], [m, 'H'], [fax, 'E'], [fullName(rel), 'A'], [fullName(p), 'A']]) if (body.includes(v)) ev.plant(l, v);
  if (!body.includes(fullName(p)) && body.includes(p[0])) ev.plant('A', p[0]);
  const props = { thread_category: pick(['Medical Records', 'Billing Question', 'Care Team']), body, attachment_count: int(0, 2), char_count: body.length };
  ev.ben(['properties', 'thread_category'], props.thread_category); ev.ben(['properties', 'attachment_count'], props.attachment_count);
  let e;
  if (shape === 'posthog') { e = posthogBase(ev, 'portal_message_sent', { pathname: '/messages' }); Object.assign(e.properties, props); }
  else { e = segmentBase(ev, 'track', 'Message Sent'); e.properties = props; }
  return [ev, e];
};

T.parking_vehicle = () => {
  const shape = pick(['posthog', 'segment']); const ev = new Ev(shape); const p = person();
  const pl = plate(); const st = pick(PLATE_STATES);
  const props = { garage: pick(['Yawkey Garage', 'Fruit St Garage', 'Lot C']), plate_number: pl, plate_state: st, validation_minutes: pick([120, 240]) };
  ev.plant('L', pl); ev.ben(['properties', 'plate_state'], st); ev.ben(['properties', 'validation_minutes'], props.validation_minutes);
  if (chance(0.55)) { props.vehicle_vin = vin(); ev.plant('L', props.vehicle_vin); props.vehicle = pick(['2023 Honda CR-V', '2024 Toyota RAV4', '2022 Tesla Model Y']); ev.ben(['properties', 'vehicle'], props.vehicle); }
  if (chance(0.3)) { props.notes = `Valet: ${fullName(p)} dropping off mom, plate ${pl}`; ev.plant('A', fullName(p)); }
  let e;
  if (shape === 'posthog') { e = posthogBase(ev, 'parking_validated'); Object.assign(e.properties, props); }
  else { e = segmentBase(ev, 'track', 'Parking Validated', { mobile: true }); e.properties = props; }
  return [ev, e];
};

T.auto_injury_intake = () => {
  const ev = new Ev('segment'); const p = person(); const v = vin(); const pl = plate();
  const acc = fmtDate({ y: 2026, m: int(8, 11), d: int(1, 28) }, pick(['us', 'iso', 'long']));
  const e = segmentBase(ev, 'track', 'Injury Claim Form Submitted', { mobile: false });
  e.properties = { claim_type: 'motor_vehicle', date_of_injury: acc, vin: v, other_party_plate: `${pick(PLATE_STATES)} ${pl}`, at_fault_insurer: pick(['GEICO', 'Progressive', 'Safety Insurance']), form_version: 'mvi-2.1' };
  ev.plant('C', acc); ev.plant('L', v); ev.plant('L', pl); ev.ben(['properties', 'claim_type'], 'motor_vehicle'); ev.ben(['properties', 'form_version'], 'mvi-2.1');
  if (chance(0.5)) { e.properties.driver_license = dl(); ev.plant('K', e.properties.driver_license); }
  if (chance(0.5)) { e.properties.claim_number = `CLM-${digits(4)}-${code(5)}`; ev.plant('R', e.properties.claim_number); }
  return [ev, e];
};

T.credential_verify = () => {
  const shape = pick(['posthog', 'segment']); const ev = new Ev(shape); const p = person();
  const kind = pick(['caregiver', 'prescriber', 'idv']); let props;
  if (kind === 'prescriber') {
    props = { role: 'prescriber', npi: npi(), dea_number: dea(p[1]), state_license: `${pick(['MD', 'RN', 'NP', 'PA'])} ${digits(int(5, 7))}`, license_state: pick(['MA', 'NH', 'RI']) };
    ev.plant('K', props.npi); ev.plant('K', props.dea_number); ev.plant('K', props.state_license); ev.ben(['properties', 'license_state'], props.license_state);
  } else if (kind === 'caregiver') {
    props = { role: 'caregiver_proxy', caregiver_name: fullName(p), drivers_license: dl(), dl_state: pick(['MA', 'NY', 'FL', 'CA']), relationship: pick(RELATIONS) };
    ev.plant('A', fullName(p)); ev.plant('K', props.drivers_license); ev.ben(['properties', 'dl_state'], props.dl_state);
  } else {
    props = { role: 'patient', id_type: 'drivers_license', id_number: dl(), id_expiry_year: int(2027, 2031), selfie_match_score: +(0.8 + rnd() * 0.19).toFixed(3) };
    ev.plant('K', props.id_number); ev.ben(['properties', 'id_expiry_year'], props.id_expiry_year);
    props.selfie = `data:image/jpeg;base64,/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAA${b64(int(60, 120))}`; ev.plant('Q', props.selfie);
    if (chance(0.5)) { props.face_template = `FT2:${b64(88)}==`; ev.plant('P', props.face_template); }
  }
  ev.ben(['properties', 'role'], props.role);
  let e;
  if (shape === 'posthog') { e = posthogBase(ev, 'identity_verified'); Object.assign(e.properties, props); addBenign(ev, e.properties, ['properties'], int(0, 2)); }
  else { e = segmentBase(ev, 'track', 'Identity Verified'); e.properties = props; addBenign(ev, e.properties, ['properties'], int(0, 2)); }
  return [ev, e];
};

T.wearable_pairing = () => {
  const ev = new Ev('segment'); const p = person();
  const e = segmentBase(ev, 'track', 'Device Paired', { mobile: true });
  const dev = pick([['Dexcom G7', 'CGM'], ['Omron HeartGuide', 'BP'], ['Apple Watch Series 9', 'watch'], ['ResMed AirSense 11', 'CPAP'], ['Tandem t:slim X2', 'pump']]);
  e.properties = { device_model: dev[0], device_category: dev[1], firmware_version: pick(['3.2.10.4', '1.0.7', '22.4.1']), pairing_ms: int(800, 12000) };
  ev.ben(['properties', 'device_model'], dev[0]); ev.ben(['properties', 'firmware_version'], e.properties.firmware_version); ev.ben(['properties', 'pairing_ms'], e.properties.pairing_ms);
  const serial = pick([`${code(2)}${digits(8)}`, `SN-${digits(4)}-${code(4)}`, `${digits(11)}`, `${code(12)}`]); e.properties.device_serial = serial; ev.plant('M', serial);
  if (chance(0.6)) { e.properties.ble_address = mac(); ev.plant('M', e.properties.ble_address); }
  if (chance(0.5)) { e.properties.phone_imei = imei(); ev.plant('M', e.properties.phone_imei); }
  if (chance(0.4)) { e.properties.device_nickname = `${p[0]}'s ${dev[1] === 'watch' ? 'Watch' : dev[0].split(' ')[0]}`; ev.plant('A', p[0]); }
  e.context.device.advertisingId = uuid4(e.context.os.name === 'iOS'); ev.plant('M', e.context.device.advertisingId);
  return [ev, e];
};

T.biometric_login = () => {
  const shape = pick(['posthog', 'segment']); const ev = new Ev(shape);
  const k = int(0, 3); const props = { auth_method: pick(['fingerprint', 'voice', 'face', 'palm']), enrollment_attempts: int(1, 3), sdk: pick(['BioID 4.2', 'Nuance Gatekeeper 11', 'IDEMIA MorphoWave']) };
  let v;
  if (k === 0) { v = `Rk1SACAyMAAAAA${b64(int(90, 160))}`; props.fingerprint_template = v; }
  else if (k === 1) { v = hex(128); props.voiceprint = v; }
  else if (k === 2) { v = Array.from({ length: 16 }, () => (rnd() * 0.4 - 0.2).toFixed(4)).join(','); props.face_embedding = v; }
  else { v = `IRIS1:${b64(96)}`; props.iris_code = v; }
  ev.plant('P', v); ev.ben(['properties', 'enrollment_attempts'], props.enrollment_attempts); ev.ben(['properties', 'sdk'], props.sdk);
  let e;
  if (shape === 'posthog') { e = posthogBase(ev, 'biometric_enrolled'); Object.assign(e.properties, props); }
  else { e = segmentBase(ev, 'track', 'Biometric Enrolled', { mobile: true }); e.properties = props; if (chance(0.5)) { e.context.device.id = uuid4(true); ev.plant('M', e.context.device.id); } }
  return [ev, e];
};

T.age_over_89 = () => {
  const shape = pick(['posthog', 'segment']); const ev = new Ev(shape); const age = int(90, 106);
  const k = int(0, 3); const props = { screening: pick(['fall_risk', 'cognitive', 'medicare_awv']), age_band_shown: '65+' };
  ev.ben(['properties', 'age_band_shown'], '65+'); ev.ben(['properties', 'screening'], props.screening);
  if (k === 0) { props.patient_age = age; ev.plant('C', String(age)); }
  else if (k === 1) { props.age = String(age); ev.plant('C', String(age)); props.birth_year = 2026 - age; ev.plant('C', String(2026 - age)); }
  else if (k === 2) { props.notes = pick([`${age}-year-old female, lives alone`, `Pt is ${age} y/o, uses walker`, `aged ${age}; daughter assists`]); ev.plant('C', String(age)); }
  else { props.year_of_birth = 2026 - age; ev.plant('C', String(2026 - age)); }
  let e;
  if (shape === 'posthog') { e = posthogBase(ev, 'screening_completed'); Object.assign(e.properties, props); addBenign(ev, e.properties, ['properties'], int(0, 2)); }
  else { e = segmentBase(ev, 'track', 'Screening Completed'); e.properties = props; addBenign(ev, e.properties, ['properties'], int(0, 2)); }
  return [ev, e];
};

T.geoip = () => {
  const ev = new Ev('posthog'); const [city, st, zip] = pick(US_PLACES); const ll = LATLON();
  const e = posthogBase(ev, pick(['$pageview', 'clinic_locator_used']));
  const ip = chance(0.6) ? ipv4() : ipv6();
  Object.assign(e.properties, { $ip: ip, $geoip_city_name: city, $geoip_subdivision_1_code: st, $geoip_country_code: 'US', $geoip_postal_code: zip, $geoip_latitude: ll.lat, $geoip_longitude: ll.lon, $geoip_time_zone: 'America/New_York' });
  ev.plant('O', ip); ev.plant('B', city); ev.plant('B', zip); ev.plant('B', String(ll.lat)); ev.plant('B', String(ll.lon));
  ev.ben(['properties', '$geoip_subdivision_1_code'], st); ev.ben(['properties', '$geoip_country_code'], 'US');
  if (chance(0.4)) { e.properties.user_location = `${ll.lat},${ll.lon}`; }
  return [ev, e];
};

T.avatar_upload = () => {
  const shape = pick(['posthog', 'segment']); const ev = new Ev(shape); const p = person(); const email = emailFor(p);
  const img = pick([
    `https://cdn.${pick(HOSTS).split('.').slice(1).join('.')}/avatars/patients/${digits(6)}/profile_${hex(8)}.jpg`,
    `https://lh3.googleusercontent.com/a/ACg8oc${b64(30).replace(/[+/]/g, 'K')}=s96-c`,
    `https://s3.amazonaws.com/nbh-portal-uploads/profile-photos/${uuid4()}.png`,
    `data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAEAAAABACAYAAACqaXHe${b64(int(40, 90))}`,
    `https://secure.gravatar.com/avatar/${hex(32)}?s=200&d=mp`,
  ]);
  ev.plant('Q', img);
  const props = { photo_source: pick(['camera', 'library', 'google_sso']), file_kb: int(40, 3100), crop: 'square' };
  ev.ben(['properties', 'file_kb'], props.file_kb); ev.ben(['properties', 'crop'], 'square');
  let e;
  if (shape === 'posthog') { e = posthogBase(ev, 'profile_photo_updated'); Object.assign(e.properties, props); e.$set = { avatar_url: img, name: fullName(p) }; ev.plant('A', fullName(p)); }
  else { e = segmentBase(ev, 'identify', null, { userId: email }); delete e.properties; e.traits = { avatar: img, ...props }; ev.plant('F', email);
    ev.benignCand = ev.benignCand.map((b) => b.path[0] === 'properties' ? { ...b, path: ['traits', ...b.path.slice(1)] } : b); }
  return [ev, e];
};

T.personal_page_referrer = () => {
  const shape = pick(['posthog', 'segment']); const ev = new Ev(shape); const p = person();
  const f = ascii(p[0]), l = ascii(p[1]);
  const purl = pick([`https://www.facebook.com/${f}.${l}.${int(10, 99)}`, `https://www.linkedin.com/in/${f}-${l}-${hex(6)}/`, `https://www.caringbridge.org/visit/${f}${l}`,
    `https://www.gofundme.com/f/help-${f}-${l}-with-surgery-costs`, `https://instagram.com/${f}_${l}${int(1, 99)}`]);
  ev.plant('N', purl);
  let e;
  if (shape === 'posthog') { e = posthogBase(ev, '$pageview', { url: pick(CLEAN_URLS) }); e.properties.$referrer = purl; e.properties.$referring_domain = new URL(purl).hostname; ev.benignCand = ev.benignCand.filter((b) => b.path[1] !== '$referring_domain'); ev.ben(['properties', '$referring_domain'], e.properties.$referring_domain); ev.ben(['properties', '$current_url'], e.properties.$current_url); }
  else { e = segmentBase(ev, 'page', 'Home', { mobile: false, referrer: purl, url: pick(CLEAN_URLS) }); e.properties = { referrer: purl, url: e.context.page.url }; ev.ben(['properties', 'url'], e.properties.url); ev.ben(['context', 'page', 'url'], e.context.page.url); }
  return [ev, e];
};

T.autocapture_click = () => {
  const ev = new Ev('posthog'); const p = person(); const email = emailFor(p);
  const e = posthogBase(ev, '$autocapture');
  const k = int(0, 2); let text;
  if (k === 0) { text = `Signed in as ${fullName(p)}`; ev.plant('A', fullName(p)); }
  else if (k === 1) { text = email; ev.plant('F', email); }
  else { text = `Call ${usPhone(0)}`; ev.plant('D', text.slice(5)); }
  const btn = pick(BUTTONS);
  e.properties.$event_type = 'click'; e.properties.$el_text = text;
  e.properties.$elements_chain = `span.user-menu__label:text="${text.replace(/"/g, '\\"')}"nth-child="2"nth-of-type="1";button.btn.btn-primary:text="${btn}";div.header`;
  ev.ben(['properties', '$event_type'], 'click');
  return [ev, e];
};

T.account_recovery = () => {
  const shape = pick(['posthog', 'segment']); const ev = new Ev(shape); const p = person(); const mom = otherPerson(p);
  const user = pick([`${ascii(p[0])}.${ascii(p[1])}${int(50, 99)}`, `${ascii(p[0])[0]}${ascii(p[1])}`, `${ascii(p[1])}_${int(1000, 9999)}`]);
  const props = { username: user, recovery_channel: pick(['sms', 'email']), security_question: 'mother_maiden_name', security_answer: mom[1], success: chance(0.7) };
  ev.plant('R', user); ev.plant('A', mom[1]); ev.ben(['properties', 'recovery_channel'], props.recovery_channel); ev.ben(['properties', 'security_question'], 'mother_maiden_name');
  if (chance(0.5)) { props.activation_code = `${code(5)}-${code(5)}-${code(5)}`; ev.plant('R', props.activation_code); }
  if (chance(0.5)) { props.sms_to = chance(0.5) ? usPhone() : intlPhone(); ev.plant('D', props.sms_to); }
  let e;
  if (shape === 'posthog') { e = posthogBase(ev, 'password_reset_requested', { distinct_id: user }); Object.assign(e.properties, props); }
  else { e = segmentBase(ev, 'track', 'Password Reset Requested', { userId: user }); e.properties = props; }
  return [ev, e];
};

T.lab_result_viewed = () => {
  const shape = pick(['posthog', 'segment']); const ev = new Ev(shape);
  const m = mrnValue(); const acc = pick([`${code(2)}${digits(2)}-${digits(6)}`, `ACC${digits(9)}`, `L${digits(8)}`]);
  const collected = fmtDate({ y: 2026, m: int(9, 11), d: int(1, 28) }, pick(['us', 'iso', 'dmy']));
  const props = { mrn: m, accession_number: acc, test_name: pick(['Hemoglobin A1c', 'Lipid Panel', 'CBC w/ Diff', 'TSH']), icd10: pick(ICD10), collected_date: collected, abnormal_flags: int(0, 3) };
  ev.plant('H', m); ev.plant('R', acc); ev.plant('C', collected); ev.ben(['properties', 'test_name'], props.test_name); ev.ben(['properties', 'icd10'], props.icd10); ev.ben(['properties', 'abnormal_flags'], props.abnormal_flags);
  let e;
  if (shape === 'posthog') { e = posthogBase(ev, 'lab_result_viewed'); Object.assign(e.properties, props); }
  else { e = segmentBase(ev, 'track', 'Lab Result Viewed'); e.properties = props; }
  return [ev, e];
};

T.discharge = () => {
  const ev = new Ev(pick(['posthog', 'segment'])); const p = person();
  const a = { y: 2026, m: int(9, 11), d: int(1, 20) }; const d = { ...a, d: a.d + int(1, 7) };
  const props = { encounter_type: 'inpatient', admit_date: fmtDate(a, 'iso'), discharge_date: fmtDate(d, pick(['iso', 'us2', 'compact'])), los_days: d.d - a.d, discharge_disposition: pick(['Home', 'SNF', 'Home Health']) };
  ev.plant('C', props.admit_date); ev.plant('C', props.discharge_date); ev.ben(['properties', 'los_days'], props.los_days); ev.ben(['properties', 'discharge_disposition'], props.discharge_disposition);
  if (chance(0.7)) { const mr = mrn(); if (mr.full) { props.header = `${mr.full} | ${p[1].toUpperCase()}, ${p[0]}`; ev.plant('H', mr.full.replace('MRN: ', '')); ev.plant('A', `${p[1].toUpperCase()}, ${p[0]}`); } else { props.patient_mrn = mr.v; ev.plant('H', mr.v); } }
  if (chance(0.5)) { props.wristband_id = `WB${digits(9)}`; ev.plant('R', props.wristband_id); }
  if (chance(0.4)) { const dd = fmtDate(dateParts(1930, 1960), 'long'); props.date_of_death_spouse = dd; ev.plant('C', dd); }
  let e;
  if (ev.shape === 'posthog') { e = posthogBase(ev, 'discharge_instructions_viewed'); Object.assign(e.properties, props); }
  else { e = segmentBase(ev, 'track', 'Discharge Instructions Viewed'); e.properties = props; }
  return [ev, e];
};

T.family_proxy = () => {
  const ev = new Ev(pick(['posthog', 'segment'])); const p = person(); const kids = [otherPerson(p), otherPerson(p)];
  const props = { proxy_type: pick(['parent_of_minor', 'adult_proxy']), household_size: int(2, 6), dependents: kids.map((k) => ({ name: fullName(k), dob: fmtDate(dateParts(2009, 2024), pick(['us', 'iso', 'eu'])), relationship: pick(['son', 'daughter']) })) };
  kids.forEach((k, i) => { ev.plant('A', fullName(k)); ev.plant('C', props.dependents[i].dob); ev.ben(['properties', 'dependents', i, 'relationship'], props.dependents[i].relationship); });
  ev.ben(['properties', 'household_size'], props.household_size); ev.ben(['properties', 'proxy_type'], props.proxy_type);
  if (chance(0.5)) { props.guardian_email = emailFor(p); ev.plant('F', props.guardian_email); }
  if (chance(0.4)) { props.home_fax = usPhone(); ev.plant('E', props.home_fax); }
  let e;
  if (ev.shape === 'posthog') { e = posthogBase(ev, 'proxy_access_requested'); Object.assign(e.properties, props); }
  else { e = segmentBase(ev, 'track', 'Proxy Access Requested'); e.properties = props; }
  return [ev, e];
};

T.records_release_fax = () => {
  const ev = new Ev(pick(['posthog', 'segment'])); const p = person();
  const fax = pick([usPhone(0), usPhone(1), usPhone(3), usPhone(6), intlPhone()]);
  const props = { request_type: 'records_release', destination: pick(['attorney', 'employer', 'other_provider', 'self']), delivery: 'fax', recipient_fax: fax, pages: int(3, 140) };
  ev.plant('E', fax); ev.ben(['properties', 'delivery'], 'fax'); ev.ben(['properties', 'pages'], props.pages); ev.ben(['properties', 'request_type'], 'records_release');
  if (chance(0.5)) { const f2 = pick([`fax: ${usPhone(2)}`, `FAX ${usPhone(5)}`]); props.cover_sheet = `ATTN ${fullName(p)} — ${f2}`; ev.plant('A', fullName(p)); ev.plant('E', f2.replace(/^(fax: |FAX )/, '')); }
  if (chance(0.4)) { props.recipient_phone = usPhone(); ev.plant('D', props.recipient_phone); }
  let e;
  if (ev.shape === 'posthog') { e = posthogBase(ev, 'records_request_submitted'); Object.assign(e.properties, props); }
  else { e = segmentBase(ev, 'track', 'Records Request Submitted'); e.properties = props; }
  return [ev, e];
};

T.address_change = () => {
  const ev = new Ev(pick(['posthog', 'segment'])); const intl = chance(0.3);
  let props;
  if (intl) { const a = pick(INTL_ADDR); props = { new_address: `${a.line}, ${a.post} ${a.city}`, country: a.country }; ev.plant('B', a.line); ev.plant('B', a.post); ev.plant('B', a.city); ev.ben(['properties', 'country'], a.country); }
  else { const a = usAddress(); props = { address_line1: a.street, address_line2: a.unit || '', city: a.city, state: a.st, zip: a.zip, county: pick(['Middlesex County', 'Suffolk County', 'Norfolk County', 'Cook County', 'Harris County']) };
    ev.plant('B', a.street); if (a.unit) ev.plant('B', a.unit); ev.plant('B', a.city); ev.plant('B', a.zip); ev.plant('B', props.county); ev.ben(['properties', 'state'], a.st); }
  props.source = pick(['settings', 'check_in_kiosk']); ev.ben(['properties', 'source'], props.source);
  let e;
  if (ev.shape === 'posthog') { e = posthogBase(ev, 'address_updated'); Object.assign(e.properties, props); }
  else { e = segmentBase(ev, 'track', 'Address Updated'); e.properties = props; }
  return [ev, e];
};

T.checkin_kiosk = () => {
  const ev = new Ev('posthog'); const p = person(); const s = ssn();
  const e = posthogBase(ev, 'kiosk_checkin_completed', { distinct_id: `kiosk-${code(4)}` });
  const ssnForm = pick(['bare', 'dashed', 'spaced']);
  Object.assign(e.properties, { kiosk_id: `KSK-${pick(['LOBBY', 'ED', 'ONC'])}-${int(1, 9)}`, ssn_entered: s[ssnForm], dob_entered: fmtDate(dateParts(1931, 2007), pick(['compact', 'us2', 'dash'])), copay_collected: `$${pick([0, 20, 35, 50])}.00` });
  ev.plant('G', s[ssnForm]); ev.plant('C', e.properties.dob_entered); ev.ben(['properties', 'copay_collected'], e.properties.copay_collected);
  if (chance(0.5)) { e.properties.kiosk_mac = mac('-').toLowerCase(); ev.plant('M', e.properties.kiosk_mac); }
  if (chance(0.4)) { e.properties.palm_vein_template = `PV${hex(96, true)}`; ev.plant('P', e.properties.palm_vein_template); }
  if (chance(0.5)) { e.properties.patient_label = `${p[1]}, ${p[0]} (${pick(['F', 'M'])})`; ev.plant('A', `${p[1]}, ${p[0]}`); }
  return [ev, e];
};

T.mobile_screen = () => {
  const ev = new Ev('segment'); const p = person();
  const e = segmentBase(ev, 'screen', pick(['Medication List', 'Care Team', 'Appointments']), { mobile: true, userId: `mrn:${digits(8)}` });
  ev.plant('H', e.userId.slice(4));
  e.context.device.id = uuid4(true); ev.plant('M', e.context.device.id);
  e.context.ip = chance(0.5) ? ipv6() : ipv4(); ev.plant('O', e.context.ip);
  e.properties = { tab: pick(['upcoming', 'past']), badge_count: int(0, 9) }; ev.ben(['properties', 'badge_count'], e.properties.badge_count);
  if (chance(0.4)) { e.properties.push_token = `${hex(64)}`; ev.plant('M', e.properties.push_token); }
  if (chance(0.4)) { e.context.traits = { name: fullName(p) }; ev.plant('A', fullName(p)); }
  return [ev, e];
};

T.ssn_form_field = () => {
  const ev = new Ev(pick(['posthog', 'segment'])); const s = ssn(); const p = person();
  const props = { form: pick(['financial-assistance', 'new-patient-registration', 'charity-care']), field: 'ssn', field_value: s[pick(['bare', 'dashed'])], validation: pick(['passed', 'failed']) };
  ev.plant('G', props.field_value); ev.ben(['properties', 'form'], props.form); ev.ben(['properties', 'validation'], props.validation);
  if (chance(0.5)) { props.household_income = int(18000, 90000); props.household_members = `${fullName(p)}, ${fullName(otherPerson(p))}`; props.household_member_count = 2; ev.plant('A', fullName(p)); ev.ben(['properties', 'household_income'], props.household_income); }
  if (chance(0.4)) { props.employer_phone = usPhone(); ev.plant('D', props.employer_phone); }
  let e;
  if (ev.shape === 'posthog') { e = posthogBase(ev, 'form_field_changed'); Object.assign(e.properties, props); }
  else { e = segmentBase(ev, 'track', 'Form Field Changed'); e.properties = props; }
  // household_members may contain the other name: plant it too
  if (props.household_members) ev.plant('A', props.household_members.split(', ')[1]);
  return [ev, e];
};

// ---------------------------------------------------------------- benign-only templates
const B = {};
B.clean_pageview = () => { const ev = new Ev('posthog'); const url = pick(CLEAN_URLS); const u = new URL(url);
  const e = posthogBase(ev, '$pageview', { url, host: u.hostname, pathname: u.pathname }); ev.ben(['properties', '$current_url'], url); ev.ben(['properties', '$pathname'], u.pathname);
  if (u.search.includes('utm')) { e.properties.utm_source = u.searchParams.get('utm_source'); ev.ben(['properties', 'utm_source'], e.properties.utm_source); }
  addBenign(ev, e.properties, ['properties'], int(0, 2)); return [ev, e]; };
B.flag_called = () => { const ev = new Ev('posthog'); const e = posthogBase(ev, '$feature_flag_called'); const f = pick(FLAGS);
  Object.assign(e.properties, { $feature_flag: f, $feature_flag_response: pick(['control', 'test', true, false]) }); ev.ben(['properties', '$feature_flag'], f); addBenign(ev, e.properties, ['properties'], int(0, 1)); return [ev, e]; };
B.button_click = () => { const shape = pick(['posthog', 'segment']); const ev = new Ev(shape); const btn = pick(BUTTONS); let e;
  if (shape === 'posthog') { e = posthogBase(ev, 'cta_clicked'); e.properties.button_text = btn; ev.ben(['properties', 'button_text'], btn); addBenign(ev, e.properties, ['properties'], int(1, 3)); }
  else { e = segmentBase(ev, 'track', 'CTA Clicked'); e.properties = { label: btn, position: pick(['hero', 'footer', 'nav']) }; ev.ben(['properties', 'label'], btn); addBenign(ev, e.properties, ['properties'], int(1, 3)); }
  return [ev, e]; };
B.price_viewed = () => { const ev = new Ev('segment'); const e = segmentBase(ev, 'track', 'Product Viewed');
  e.properties = { product_id: pick(SKUS), name: pick(['MRI Without Contrast', 'Annual Physical', 'Flu Shot (Quadrivalent)', 'Sleep Study Kit']), price: +(int(25, 2900) + 0.99).toFixed(2), currency: 'USD', quantity: 1 };
  ev.ben(['properties', 'product_id'], e.properties.product_id); ev.ben(['properties', 'price'], e.properties.price); ev.ben(['properties', 'name'], e.properties.name); addBenign(ev, e.properties, ['properties'], int(0, 2)); return [ev, e]; };
B.drug_search = () => { const shape = pick(['posthog', 'segment']); const ev = new Ev(shape); const q = pick([...DRUGS.map((d) => d.split(' ')[0]), ...ICD10, 'urgent care near me', 'flu shot', 'E11.9 diabetes']); let e;
  if (shape === 'posthog') { e = posthogBase(ev, 'site_search'); e.properties.query = q; e.properties.results = int(0, 40); ev.ben(['properties', 'query'], q); ev.ben(['properties', 'results'], e.properties.results); }
  else { e = segmentBase(ev, 'track', 'Products Searched'); e.properties = { query: q }; ev.ben(['properties', 'query'], q); addBenign(ev, e.properties, ['properties'], 1); }
  return [ev, e]; };
B.api_error = () => { const ev = new Ev('posthog'); const e = posthogBase(ev, 'api_error'); const st = pick([502, 503, 504, 429]);
  const msg = `GET /api/v3/schedule/slots?specialty=${pick(SPECIALTIES).toLowerCase().replace(/ /g, '-')} returned ${st} after ${int(1000, 30000)}ms (build ${pick(APP_VERSIONS)})`;
  Object.assign(e.properties, { http_status: st, message: msg, endpoint_template: '/api/v3/schedule/slots' }); ev.ben(['properties', 'http_status'], st); ev.ben(['properties', 'message'], msg); ev.ben(['properties', 'endpoint_template'], '/api/v3/schedule/slots'); return [ev, e]; };
B.app_lifecycle = () => { const ev = new Ev('segment'); const e = segmentBase(ev, 'track', pick(['Application Opened', 'Application Updated', 'Application Backgrounded']), { mobile: true });
  e.properties = { version: e.context.app.version, build: e.context.app.build, from_background: chance(0.5) }; ev.ben(['properties', 'version'], e.properties.version); ev.ben(['properties', 'build'], e.properties.build); return [ev, e]; };
B.video_play = () => { const ev = new Ev(pick(['posthog', 'segment'])); const props = { video_title: pick(['Preparing for Your Colonoscopy', 'Using Your Inhaler', 'Welcome to MyHealth']), position_sec: int(0, 600), total_length_sec: int(120, 900), playback_rate: pick([1, 1.25, 1.5]) }; let e;
  if (ev.shape === 'posthog') { e = posthogBase(ev, 'video_progress'); Object.assign(e.properties, props); } else { e = segmentBase(ev, 'track', 'Video Playback Progressed'); e.properties = props; }
  for (const k of Object.keys(props)) ev.ben(['properties', k], props[k]); return [ev, e]; };
B.utm_landing = () => { const ev = new Ev('segment'); const camp = pick(UTM.campaign), src = pick(UTM.source), med = pick(UTM.medium); const url = `https://www.stelmo-hospital.org/lp/${camp}?utm_source=${src}&utm_medium=${med}&utm_campaign=${camp}`;
  const e = segmentBase(ev, 'page', 'Landing', { mobile: false, url, search: url.slice(url.indexOf('?')), pathname: `/lp/${camp}` });
  e.context.campaign = { source: src, medium: med, name: camp }; e.properties = { url };
  ev.ben(['context', 'campaign', 'name'], camp); ev.ben(['context', 'campaign', 'source'], src); ev.ben(['properties', 'url'], url); return [ev, e]; };
B.plan_compare = () => { const ev = new Ev(pick(['posthog', 'segment'])); const props = { plans_compared: `${pick(PLANS)} vs ${pick(PLANS)}`, coverage_year: 2027, monthly_premium: +(int(180, 900) + 0.42).toFixed(2), state: pick(STATES), zip3: pick(['021', '606', '770']) }; let e;
  if (ev.shape === 'posthog') { e = posthogBase(ev, 'plans_compared'); Object.assign(e.properties, props); } else { e = segmentBase(ev, 'track', 'Plans Compared'); e.properties = props; }
  for (const k of Object.keys(props)) ev.ben(['properties', k], props[k]); return [ev, e]; };

// ---------------------------------------------------------------- path finding & validation
const ENC = (v) => {
  const out = new Set([encodeURIComponent(v), encodeURIComponent(v).replace(/%20/g, '+'), encodeURI(v), v.replace(/@/g, '%40'), v.replace(/ /g, '+'), v.replace(/ /g, '%20'),
    v.split(' ').map(encodeURIComponent).join('+')]);
  out.delete(v); return [...out];
};
function occurs(leaf, value, encoded) {
  if (typeof leaf === 'number' || typeof leaf === 'boolean') return String(leaf) === value;
  if (typeof leaf !== 'string') return false;
  const forms = encoded ? [value, ...ENC(value)] : [value];
  return forms.some((f) => {
    if (f.length <= 4) return new RegExp(`(?<![A-Za-z0-9])${f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![A-Za-z0-9])`).test(leaf);
    return leaf.includes(f);
  });
}
function walk(o, p, cb) { if (o && typeof o === 'object') { for (const k of Object.keys(o)) walk(o[k], [...p, Array.isArray(o) ? +k : k], cb); } else cb(p, o); }
function getPath(o, p) { return p.reduce((a, k) => (a == null ? undefined : a[k]), o); }
const pkey = (p) => JSON.stringify(p);

function finalize(ev, e, id) {
  const planted = ev.plants.map((pl) => {
    const paths = []; walk(e, [], (p, leaf) => { if (occurs(leaf, pl.value, pl.encoded)) paths.push(p); });
    if (!paths.length) throw new Error(`${id}: planted ${pl.letter} ${JSON.stringify(pl.value)} not found`);
    const r = { letter: pl.letter, value: pl.value, paths }; if (pl.encoded) r.encoded = true; return r;
  });
  const phiPaths = new Set(planted.flatMap((p) => p.paths.map(pkey)));
  const seen = new Set();
  let cand = ev.benignCand.filter((b) => { const k = pkey(b.path); if (seen.has(k) || phiPaths.has(k)) return false; seen.add(k); return getPath(e, b.path) === b.value; });
  cand = shuffle(cand);
  const n = Math.min(cand.length, int(3, 8));
  const benign = cand.slice(0, n).sort((a, b) => pkey(a.path).localeCompare(pkey(b.path)));
  return { id, shape: ev.shape, event: e, planted, benign };
}

// ---------------------------------------------------------------- generate
const N = 250; const N_CLEAN = 63;
const WEIGHT = { biometric_login: 2, avatar_upload: 2, billing_payment: 2, credential_verify: 2, records_release_fax: 2, insurance_onboarding: 2, parking_vehicle: 1, ssn_form_field: 2 };
const phiNames = Object.keys(T).flatMap((k) => Array(WEIGHT[k] || 1).fill(k)), cleanNames = Object.keys(B);
const slots = shuffle([...Array(N - N_CLEAN).fill('phi'), ...Array(N_CLEAN).fill('clean')]);
let phiQueue = [], cleanQueue = [];
const rows = [];
slots.forEach((kind, i) => {
  const id = `ho-${pad(i + 1, 4)}`;
  let name;
  if (kind === 'phi') { if (!phiQueue.length) phiQueue = shuffle(phiNames); name = phiQueue.pop(); }
  else { if (!cleanQueue.length) cleanQueue = shuffle(cleanNames); name = cleanQueue.pop(); }
  const [ev, e] = (kind === 'phi' ? T : B)[name]();
  rows.push(finalize(ev, e, id));
});

// ---------------------------------------------------------------- validate
const errors = [];
const counts = {}; for (const L of 'ABCDEFGHIJKLMNOPQR') counts[L] = 0;
let noPhi = 0;
for (const r of rows) {
  if (!r.planted.length) noPhi++;
  if (r.benign.length < 3 || r.benign.length > 8) errors.push(`${r.id}: ${r.benign.length} benign`);
  for (const pl of r.planted) {
    counts[pl.letter]++;
    for (const p of pl.paths) if (!occurs(getPath(r.event, p), pl.value, pl.encoded)) errors.push(`${r.id}: ${pl.value} not at ${pkey(p)}`);
    if (!pl.encoded && !JSON.stringify(r.event).includes(JSON.stringify(pl.value).slice(1, -1)) && typeof getPath(r.event, pl.paths[0]) === 'string') errors.push(`${r.id}: ${pl.value} not a substring`);
  }
  for (const b of r.benign) {
    if (getPath(r.event, b.path) !== b.value) errors.push(`${r.id}: benign ${pkey(b.path)} != ${b.value}`);
    for (const pl of r.planted) if (occurs(getPath(r.event, b.path), pl.value, pl.encoded)) errors.push(`${r.id}: benign ${pkey(b.path)} contains planted ${pl.value}`);
  }
}
for (const L of Object.keys(counts)) if (counts[L] < 12) errors.push(`letter ${L} only ${counts[L]}`);
if (errors.length) { console.error(errors.join('\n')); process.exit(1); }

const out = path.join(__dirname, 'holdout-events.ndjson');
fs.writeFileSync(out, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
console.log(`wrote ${rows.length} events to ${path.relative(process.cwd(), out)}; ${noPhi} with no PHI; ${rows.reduce((a, r) => a + r.planted.length, 0)} plants; ${rows.reduce((a, r) => a + r.benign.length, 0)} benign`);
console.log('per-letter plant counts:'); console.log(Object.entries(counts).map(([k, v]) => `${k}=${v}`).join(' '));
