/**
 * Person names (Safe Harbor A).
 *
 * Three kinds of evidence, strongest first:
 * 1. The key names the field (`first_name`, `patient_name`, ...): the whole value, when it looks
 *    like a name. The generic `name` key also holds event, button and plan names, so there a
 *    dictionary first name or surname is required.
 * 2. A cue in the text: a title ("Dr. Gregory House", "Mrs. O'Brien"), a label ("Patient Jane
 *    Doe", "Name: John Q. Public", "my name is maria garcia", "signed by J. Smith") or a
 *    credential after the name ("Jane Doe, MD").
 * 3. No cue: a capitalised dictionary first name followed by a capitalised dictionary surname
 *    ("Robert Johnson", "Maria Garcia-Lopez"), or "Doe, Jane". First names and surnames that are
 *    also ordinary words ("Will", "Grace", "Brown", "Hill") only count next to an unambiguous part.
 *
 * The text is tokenised once into words; every rule then works on token indices and set lookups.
 */
import {
  COMMON_WORD_FIRST_NAMES,
  COMMON_WORD_SURNAMES,
  FIRST_NAMES,
  SURNAMES,
} from './data/names';
import type { DetectContext, DetectorFactory, Span } from './types';
import { F_CAPITAL, F_DASH, F_NON_ASCII, F_TILDE, type StringFeatures } from './features';
import { memoizeByKey } from './util';

/** A word: letters with inner apostrophes/hyphens (`O'Brien`, `Anne-Marie`), optional final dot. */
const WORD_RE = /[\p{L}\p{M}]+(?:['’][\p{L}\p{M}]+)*(?:-[\p{L}\p{M}]+(?:['’][\p{L}\p{M}]+)*)*\.?/gu;
const APOSTROPHES_RE = /['’]/g;
const HYPHENS_RE = /-/g;
const COMBINING_MARKS_RE = /\p{M}/gu;
const UPPER_START_RE = /^\p{Lu}/u;
const HAS_LOWER_RE = /\p{Ll}/u;
const NON_ASCII_RE = /[^\x00-\x7f]/;
/** Credentials written after a name: "Jane Doe, MD", "John Smith RN", "A. Ng, Ph.D.". */
const CREDENTIAL_AFTER_RE =
  /,?[ \t]{1,2}(?:M\.D\.|MD|Ph\.?D\.?|PhD|D\.O\.|R\.N\.|RN|NP|FNP|APRN|CRNA|DNP|DDS|DMD|DPM|PharmD|PsyD|LPN|LCSW|LMFT|MBBS|FACS|MSN|BSN|MPH|PA-C)(?![\p{L}\d])/uy;
/** "DO", "PA", "OD" are also words: only with the comma. */
const SHORT_CREDENTIAL_AFTER_RE = /,[ \t]{1,2}(?:DO|PA|OD)(?![\p{L}\d])/uy;
const GENERATIONAL_SUFFIXES: ReadonlySet<string> = new Set(['jr', 'sr', 'ii', 'iii', 'iv']);

/** Abbreviated titles: any capitalised words after them are taken as the name. */
const STRONG_TITLES: ReadonlySet<string> = new Set(['dr', 'mr', 'mrs', 'ms', 'mx', 'prof', 'messrs', 'mme', 'mlle']);
/** Spelled-out titles and roles are also ordinary words ("Miss Out", "Doctor Who"): dictionary hit needed. */
const WEAK_TITLES: ReadonlySet<string> = new Set([
  'doctor', 'professor', 'nurse', 'miss', 'mister', 'madam', 'sir', 'dame', 'judge', 'rev',
  'reverend', 'capt', 'captain', 'sgt', 'sergeant', 'officer', 'det', 'detective', 'lt', 'col',
]);
/** Labels before a name: "Patient Jane Doe", "patient: jane doe", "Name: John Q. Public". */
const LABEL_CUES: ReadonlySet<string> = new Set([
  'patient', 'pt', 'name', 'client', 'resident', 'member', 'caregiver', 'guardian', 'spouse',
  'contact', 'physician', 'provider', 'attending', 'mother', 'father', 'son', 'daughter', 'wife',
  'husband', 'mom', 'dad', 'brother', 'sister', 'parent', 'child', 'customer', 'recipient',
  'insured', 'subscriber', 'beneficiary', 'dear', 'hi', 'hello', 'hey', 'thanks', 'surname',
  'firstname', 'lastname', 'fullname', 'nok', 'i\'m', 'im',
]);
/** Verbs whose "by" introduces a person: "signed by J. Smith", "seen by Dr. ...". */
const BY_VERBS: ReadonlySet<string> = new Set([
  'signed', 'seen', 'referred', 'treated', 'prescribed', 'reviewed', 'approved', 'ordered',
  'authored', 'written', 'submitted', 'examined', 'evaluated', 'attended', 'dictated', 'verified',
  'accompanied', 'escorted', 'visited', 'cosigned', 'performed', 'interpreted', 'transcribed',
]);
/** Words that end a name: function words, verbs, and labels of other fields. */
const STOP_WORDS: ReadonlySet<string> = new Set([
  'the', 'a', 'an', 'and', 'or', 'but', 'of', 'in', 'on', 'at', 'to', 'for', 'with', 'from', 'by',
  'as', 'is', 'was', 'are', 'were', 'be', 'been', 'has', 'have', 'had', 'would', 'can', 'could',
  'should', 'might', 'must', 'not', 'no', 'yes', 'please', 'thanks', 'thank', 'who', 'whom',
  'which', 'that', 'this', 'these', 'those', 'there', 'here', 'he', 'she', 'they', 'we', 'you',
  'i', 'it', 'his', 'her', 'their', 'our', 'your', 'my', 'its', 'me', 'him', 'them', 'us', 'said',
  'says', 'reports', 'reported', 'presents', 'presented', 'states', 'stated', 'called', 'today',
  'yesterday', 'tomorrow', 'now', 'then', 'also', 'just', 'very', 'all', 'any', 'some', 'name',
  'patient', 'date', 'dob', 'age', 'id', 'mrn', 'phone', 'email', 'address', 'number', 'am', 'pm',
  'january', 'february', 'march', 'april', 'june', 'july', 'august', 'september', 'october',
  'november', 'december', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday',
  'sunday', 'is', 'if', 'so', 'do', 'does', 'did', 'will', 'may', 'shall', 'since', 'until',
  'there', 'everyone', 'team', 'all', 'again', 'back', 'there', 'yet', 'too', 'info', 'details',
  'known', 'unknown', 'none', 'null', 'undefined', 'redacted', 'here', 'below', 'above',
]);
/** Words that mark a product/UI string, never a person: "Signup Button", "Pro Plan". */
const UI_WORDS: ReadonlySet<string> = new Set([
  'button', 'page', 'plan', 'event', 'view', 'click', 'clicked', 'screen', 'form', 'tab', 'link',
  'menu', 'modal', 'banner', 'signup', 'sign', 'login', 'log', 'logout', 'checkout', 'cart',
  'home', 'settings', 'pricing', 'dashboard', 'feature', 'flag', 'test', 'experiment', 'variant',
  'group', 'app', 'application', 'product', 'order', 'account', 'profile', 'search', 'submit',
  'cancel', 'continue', 'next', 'close', 'open', 'save', 'delete', 'edit', 'update', 'upgrade',
  'download', 'upload', 'share', 'subscribe', 'learn', 'more', 'get', 'started', 'start', 'free',
  'trial', 'pro', 'premium', 'basic', 'enterprise', 'tier', 'subscription', 'campaign', 'source',
  'medium', 'session', 'user', 'users', 'visitor', 'portal', 'widget', 'component', 'section',
  'header', 'footer', 'sidebar', 'card', 'list', 'item', 'table', 'chart', 'report', 'analytics',
  'api', 'sdk', 'browser', 'chrome', 'firefox', 'safari', 'edge', 'opera', 'windows', 'linux',
  'android', 'ios', 'mac', 'os', 'iphone', 'ipad', 'pixel', 'apple', 'google', 'microsoft',
  'amazon', 'pay', 'wallet', 'appointment', 'book', 'schedule', 'calendar', 'inbox', 'message',
  'notification', 'help', 'support', 'faq', 'step', 'wizard', 'onboarding', 'toggle', 'dropdown',
  'input', 'field', 'error', 'success', 'loaded', 'viewed', 'pageview', 'autocapture', 'identify',
  'track', 'alias', 'screenview', 'purchase', 'purchased', 'added', 'removed', 'completed',
  'mobile', 'desktop', 'tablet', 'web', 'site', 'website', 'store', 'shop', 'sale', 'discount',
  'coupon', 'offer', 'bundle', 'package', 'monthly', 'annual', 'yearly', 'weekly', 'daily',
  'video', 'image', 'photo', 'file', 'document', 'doc', 'docs', 'blog', 'post', 'article', 'news',
  'clinic', 'hospital', 'center', 'centre', 'health', 'medical', 'care', 'pharmacy', 'insurance',
  'inc', 'llc', 'ltd', 'corp', 'company', 'bank', 'university', 'school', 'college', 'street',
  'avenue', 'road', 'city', 'county', 'state', 'us', 'usa',
]);

/** Relatives and roles that introduce a name after "my": "my son Annika", "my partner Grace Rivers". */
const RELATIONS: ReadonlySet<string> = new Set([
  'son', 'daughter', 'wife', 'husband', 'partner', 'spouse', 'mother', 'mom', 'mum', 'mommy', 'mummy',
  'father', 'dad', 'daddy', 'brother', 'sister', 'grandma', 'grandpa', 'grandmother', 'grandfather',
  'granny', 'nana', 'aunt', 'auntie', 'uncle', 'niece', 'nephew', 'child', 'kid', 'baby', 'fiance',
  'fiancee', 'caregiver', 'carer', 'stepson', 'stepdaughter', 'stepmom', 'stepdad', 'grandson',
  'granddaughter', 'boyfriend', 'girlfriend', 'cousin', 'toddler', 'teen', 'teenager', 'twin', 'sibling',
  'parent', 'guardian', 'friend', 'neighbor', 'neighbour', 'roommate',
]);
const SIGN_IN_VERBS: ReadonlySet<string> = new Set(['signed', 'logged', 'sign', 'log', 'signing', 'logging', 'login']);
/** First words of place names: "[NAME], San Diego" is an address. */
const PLACE_HEADS: ReadonlySet<string> = new Set(['san', 'santa', 'los', 'las', 'fort', 'port', 'mount', 'saint', 'st', 'el', 'la', 'le', 'des', 'palm', 'glen', 'lake']);
const POSSESSIVE_PRONOUNS: ReadonlySet<string> = new Set(['my', 'our', 'your', 'his', 'her', 'their']);
/** Letter closings: the capitalised words after "Regards," at the end of a line are the sender. */
const SIGN_OFFS: ReadonlySet<string> = new Set([
  'regards', 'sincerely', 'cheers', 'best', 'thanks', 'thx', 'warmly', 'cordially', 'respectfully',
  'love', 'xoxo', 'truly', 'ty', 'you', 'gratefully', 'faithfully', 'wishes', 'blessings',
]);
/** Labels of clinical list rows before "SURNAME, First": "pt MACLEOD, CONNOR", "MRN: 123 | DOE, Jane". */
const CLINICAL_ROW_CUES: ReadonlySet<string> = new Set([
  'pt', 'patient', 'name', 'pat', 'client', 'resident', 'member', 'mrn', 'dob', 'acct', 'encounter',
  'visit', 'room', 'bed', 'admit', 'admitted', 'insured', 'subscriber', 'guarantor',
]);
/** All-caps words that head a line without being surnames: "NOTE, Jane called". */
const CAPS_NOT_SURNAMES: ReadonlySet<string> = new Set([
  'note', 'fyi', 'urgent', 'warning', 'alert', 'important', 'update', 're', 'fw', 'fwd', 'attn', 'ps',
  'asap', 'todo', 'nb', 'cc', 'bcc', 'dear', 'to', 'from', 'subject', 'error', 'info', 'debug', 'ok',
  'pt', 'dx', 'hx', 'rx', 'tx', 'sx', 'er', 'ed', 'icu', 'or', 'pcp', 'mrn', 'dob', 'ssn', 'usa', 'us',
  'uk', 'eu', 'ny', 'la', 'dc', 'sf', 'nyc', 'md', 'do', 'np', 'rn', 'pa', 'cm', 'vs', 'aka', 'tbd',
  'tba', 'na', 'etc', 'eta', 'faq', 'diagnosis', 'history', 'plan', 'assessment', 'stat', 'prn',
]);
/** US states that are also first names: "ATLANTA, Georgia" is a place. */
const STATE_FIRST_NAMES: ReadonlySet<string> = new Set(['georgia', 'virginia', 'carolina', 'dakota', 'montana', 'indiana', 'india', 'florida', 'nevada', 'alabama', 'tennessee', 'washington', 'jordan', 'israel', 'china', 'paris', 'london', 'victoria']);
/** Words after "<Name>'s" that make an eponym or a holiday, not a belonging: "Addison's Disease". */
const EPONYM_HEADS: ReadonlySet<string> = new Set([
  'day', 'eve', 'night', 'disease', 'syndrome', 'palsy', 'lymphoma', 'sign', 'law', 'test', 'reflex',
  'ulcer', 'sarcoma', 'tumor', 'tumour', 'phenomenon', 'ataxia', 'anemia', 'anaemia', 'dystrophy',
  'disorder', 'triad', 'fracture', 'cyst', 'maneuver', 'manoeuvre', 'contracture', 'neuroma', 
  'restaurant', 'kitchen', 'diner', 'pizza', 'grill', 'cafe', 'bakery', 'pub', 'bar', 'menu', 'list',
  'choice', 'club', 'crossing', 'landing', 'cove', 'point', 'island', 'bay', 'creek', 'church',
  'cathedral', 'hospital', 'college', 'school', 'university', 'street', 'square', 'park',
]);
/** Devices and products people name after themselves: "Sunita's Tandem", "Mark's iPhone". */
const DEVICE_WORDS: ReadonlySet<string> = new Set([
  'iphone', 'ipad', 'ipod', 'imac', 'macbook', 'airpods', 'watch', 'phone', 'pixel', 'galaxy', 'tablet',
  'laptop', 'pc', 'computer', 'kindle', 'echo', 'fitbit', 'garmin', 'oura', 'whoop', 'ring', 'tandem',
  'omnipod', 'dexcom', 'libre', 'freestyle', 'medtronic', 'minimed', 'pump', 'cgm', 'monitor', 'meter',
  'cpap', 'bipap', 'resmed', 'airsense', 'philips', 'dreamstation', 'inhaler', 'sensor', 'scale',
  'device', 'headphones', 'earbuds', 'band', 'tracker', 'samsung', 'android', 'mac', 'surface',
  'chromebook', 'nest', 'alexa', 'hub', 'car', 'tesla',
]);
/** Keys under which "<Name>'s <Device>" is a person's device label. */
const DEVICE_LABEL_KEY_RE = /(?:^|_)(?:device_name|device_label|device_nickname|nickname|display_name|pump_name|phone_name|owner)(?:_|$)|nickname/;
/** Words after a title separator that say the string is a health page title. */
const PORTAL_WORDS: ReadonlySet<string> = new Set([
  'chart', 'patient', 'patients', 'portal', 'health', 'myhealth', 'mychart', 'record', 'records',
  'profile', 'account', 'summary', 'visit', 'visits', 'appointment', 'appointments', 'results',
  'messages', 'dashboard', 'care', 'clinic', 'medications', 'allergies', 'labs', 'inbox',
]);

/** Keys whose whole value is a person's name. */
const PERSON_NAME_KEYS: ReadonlySet<string> = new Set([
  'first_name', 'last_name', 'full_name', 'patient_name', 'given_name', 'family_name',
  'middle_name', 'maiden_name', 'surname', 'display_name', 'contact_name', 'emergency_contact',
  'guardian_name', 'spouse_name', 'nickname', 'firstname', 'lastname', 'fullname', 'fname',
  'lname', 'middle_initial', 'preferred_name', 'legal_name', 'customer_name', 'member_name',
  'subscriber_name', 'cardholder_name', 'card_holder_name', 'account_holder_name', 'billing_name',
  'shipping_name', 'recipient_name', 'sender_name', 'parent_name', 'mother_name', 'father_name',
  'mothers_maiden_name', 'child_name', 'caregiver_name', 'physician_name', 'doctor_name',
  'provider_name', 'referring_physician', 'emergency_contact_name', 'next_of_kin', 'real_name',
  'person_name', 'owner_name', 'insured_name', 'beneficiary_name', 'primary_care_physician',
  'user_full_name', 'name_first', 'name_last', 'name_full', 'name_given', 'name_family',
  'patient_first_name', 'patient_last_name', 'patient_full_name',
]);
const PERSON_NAME_KEY_SUFFIXES: readonly string[] = [
  '_first_name', '_last_name', '_full_name', '_middle_name', '_given_name', '_family_name',
  '_surname', '_maiden_name', '_firstname', '_lastname', '_fullname',
];
/** The generic key: may hold a person, an event, a product or a plan. */
const GENERIC_NAME_KEY = 'name';
/**
 * Keys named for a person's role (`caregiver`, `guardian`, `spouse`): usually a name, sometimes
 * a flag, an id or an organisation (`provider: "Aetna"`). Treated like the generic `name` key.
 */
const PERSON_ROLE_KEYS: ReadonlySet<string> = new Set([
  'caregiver', 'guardian', 'spouse', 'partner', 'mother', 'father', 'parent', 'son', 'daughter',
  'child', 'sibling', 'brother', 'sister', 'wife', 'husband', 'next_of_kin', 'kin', 'relative',
  'emergency_contact_person', 'contact_person', 'nurse', 'doctor', 'physician', 'attending',
  'attending_physician', 'referring_provider', 'referred_by', 'pcp', 'therapist', 'dependent',
  'patient', 'insured', 'beneficiary', 'subscriber', 'cardholder', 'guarantor', 'responsible_party',
  'primary_caregiver', 'caretaker', 'grandparent', 'grandmother', 'grandfather', 'author',
  'signed_by', 'seen_by', 'assigned_to', 'care_manager', 'case_manager', 'social_worker',
  'legal_guardian', 'power_of_attorney', 'proxy', 'surrogate', 'emergency_contact_1',
  'emergency_contact_2',
]);
const PERSON_ROLE_KEY_SUFFIXES: readonly string[] = ['_caregiver', '_guardian', '_spouse', '_next_of_kin', '_contact_person'];

/** Lower-case particles inside names: "Maria de la Cruz", "Ludwig van Beethoven", "Omar bin Said". */
const NAME_PARTICLES: ReadonlySet<string> = new Set([
  'de', 'del', 'dela', 'della', 'delle', 'degli', 'di', 'da', 'das', 'dos', 'do', 'du', 'la', 'le',
  'van', 'von', 'der', 'den', 'ter', 'ten', 'bin', 'binti', 'bint', 'ibn', 'al', 'el', 'ben', 'ap',
  'y', 'mac', 'abu', 'st',
]);
/**
 * Conversational cues: a person's name often follows them ("spoke with Maricel Santos", "Thanks
 * Selam!", "Message Faith Young", "my grandma Rosa"), but so do products and UI words, so the
 * name needs dictionary, diacritic or surname-shape evidence and must be capitalised.
 */
const CONVERSATIONAL_CUES: ReadonlySet<string> = new Set([
  'call', 'called', 'calling', 'message', 'messaged', 'text', 'texted', 'email', 'emailed', 'thank',
  'with', 'from', 'for', 'and', 'ask', 'asked', 'tell', 'told', 'grandma', 'grandpa', 'grandmother',
  'grandfather', 'granny', 'nana', 'aunt', 'auntie', 'uncle', 'niece', 'nephew', 'cousin', 'grandson',
  'granddaughter', 'stepson', 'stepdaughter', 'stepmom', 'stepdad', 'boyfriend', 'girlfriend',
  'fiance', 'fiancee', 'partner', 'friend', 'neighbor', 'neighbour', 'caretaker', 'sibling', 'kid',
  'bro', 'sis', 'it\'s', 'its', 'meet', 'contacted', 'visited', 'invite', 'invited', 'cc', 'attn',
]);
/** Verbs whose "to" introduces a person: "talked to", "spoke to", "sent to". */
const TO_VERBS: ReadonlySet<string> = new Set([
  'talked', 'talk', 'talking', 'spoke', 'speak', 'speaking', 'spoken', 'wrote', 'write', 'writing',
  'sent', 'send', 'sending', 'reply', 'replied', 'replying', 'forward', 'forwarded', 'introduced',
  'married', 'engaged', 'gave', 'give', 'given', 'handed', 'reached', 'reaching', 'assigned',
  'explained', 'mentioned', 'listened', 'said', 'say', 'says', 'delivered', 'addressed', 'deliver',
]);
/** Greetings whose comma does not end the cue: "Hi, Maria", "Thanks, Selam". */
const GREETINGS: ReadonlySet<string> = new Set(['hi', 'hello', 'hey', 'dear', 'thanks', 'thank', 'you', 'morning', 'cheers']);
/**
 * Words that look like part of a name by shape or case but are everyday, product or UI words:
 * they never count as a name in the shape-based rules (generic `name` key, search-query start).
 */
const NON_NAME_WORDS: ReadonlySet<string> = new Set(`
  new old patient visit visits annual physical flu shot shots blood test tests home page book
  appointment appointments mac google chrome gold ppo hmo epo pos hsa fsa premium plus silver
  bronze platinum family individual child children adult adults senior seniors primary urgent
  mental dental vision virtual online care wellness package vitamin supplement consultation
  telehealth telemedicine checkup exam screening vaccine vaccination covid booster lab labs result
  results refill refills prescription prescriptions medication medications medicine claim claims
  billing payment payments invoice statement coverage benefit benefits deductible copay specialist
  referral referrals record records history allergy allergies symptom symptoms condition conditions
  diagnosis treatment treatments therapy surgery procedure pain heart healthy diet nutrition fitness
  weight loss sleep stress anxiety depression diabetes cancer pregnancy baby kids women men
  viewed clicked started completed failed opened closed created updated deleted submitted sent
  received signed logged installed uninstalled played paused stopped shared liked saved searched
  selected changed entered exited scrolled dismissed accepted declined confirmed canceled cancelled
  scheduled rescheduled booked joined left welcome about contact privacy policy terms service
  services features overview details summary status main top bottom right day night light dark
  mode theme blue red orange purple pink yellow golden quick easy smart super ultra mini lite
  standard advanced essential essentials complete total one two three prime select elite classic
  deluxe starter growth business team teams personal professional student general special
  season seasons reason reasons person persons lesson lessons poison prison comparison venison
  liaison crimson physician physicians pediatrician guardian christian civilian librarian technician
  vegetarian median clinician dietitian optician musician politician historian comedian
  veterinarian canadian asian italian indian russian persian brazilian egyptian hungarian norwegian
  australian european american african mexican korean haitian you bayou husky whisky risky frisky
  sky skies music movie movies show shows game games sports news weather travel food recipe recipes
  pizza coffee tea water fire ice snow rain wind earth moon sun star stars world global local
  national international united general public private open closed live lives living life love
  happy birthday christmas easter holiday holidays thanksgiving halloween valentine valentines
  quest express direct first last next final best better great good bad big small large medium
  little long short high low fast slow hot cold warm cool fresh clean clear safe secure simple
  pro max air watch phone phones tv studio lab cloud data digital mobile tablet desktop laptop
  office word excel teams outlook slack zoom meet skype uber lyft airbnb netflix spotify youtube
  facebook instagram twitter tiktok linkedin pinterest reddit whatsapp telegram snapchat
  monday tuesday wednesday thursday friday saturday sunday january february march april june july
  august september october november december spring summer fall autumn winter morning evening
  north south east west northern southern eastern western central upper lower inner outer
  valley river lake mountain park beach bay island hills hill creek springs falls harbor harbour
  heights village town city county state country region district zone area
  yes no ok okay hello hi hey thanks thank please sorry welcome goodbye bye
  anonymous admin administrator guest staff desk front department dept reception frontdesk
  everyone everybody someone anyone review timeout loading type
`.trim().split(/\s+/));
/**
 * Everyday words with diacritics: a non-ASCII letter is name evidence only outside these (folded
 * spelling): "Café Latte", "Crème Brûlée", "Pokémon Go", "São Paulo", "Español".
 */
const DIACRITIC_WORDS: ReadonlySet<string> = new Set(`
  cafe creme brulee resume naive pinata jalapeno senor senora senorita uber deja entree fiance
  fiancee protege rose souffle saute pokemon nestle citroen skoda haagen dazs moet hermes zurich
  munchen sao paulo bogota montreal quebec koln dusseldorf malmo curacao mexico peru espana espanol
  francais portugues turkce grosse strasse nino ninos ano manana facade garcon touche cliche decor
  expose passe blase tete crepe crepes pate glace frappe latte puree flambe chateau belle epoque
  noel cafes medico clinica salud atencion cita citas informacion pagina inicio busqueda
  telefono direccion sesion contrasena configuracion ayuda mas menu
`.trim().split(/\s+/));
/** Non-ASCII Latin letters (Latin-1 Supplement without × ÷, Extended-A/B, Vietnamese). */
const LATIN_NON_ASCII_RE = /[\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u024F\u1E00-\u1EFF]/;
/**
 * Endings that make a capitalised word look like a surname: Scandinavian/English patronymics,
 * Spanish -ez, Slavic -ov/-ova/-ski/-enko/-ić, Armenian -ian/-yan, Greek -opoulos/-ou/-akis,
 * Georgian -ashvili/-dze, Romanian -escu, Indian -wala/-kar, Turkish -oğlu, Japanese -moto/-mura.
 */
const SURNAME_SHAPE_RE =
  /(?:s?son|sen|[aeiou]n?ez|[oe]va?|[oe]vich|[oe]vna|sk[iya]|skaya|enko|chuk|yuk|[iy]an|opoulos|poulos|akis|idis|ou|ashvili|dze|escu|eanu|[ocv]i[cćč]|wala|walla|kar|oglu|zadeh|moto|mura|yama|kawa|hashi|uchi|ishi|poor|pour|ski|[ow]witz|ovitz|owicz|ewicz)$/;
/** Brands and institutions named after people: never a person's name on their own. */
const BRAND_PHRASES: ReadonlySet<string> = new Set([
  'johns hopkins', 'charles schwab', 'morgan stanley', 'wells fargo', 'dana farber', 'calvin klein',
  'ralph lauren', 'tommy hilfiger', 'michael kors', 'kate spade', 'tory burch', 'marc jacobs',
  'hugo boss', 'ben jerry', 'dolce gabbana', 'louis vuitton', 'estee lauder', 'kaiser permanente',
  'sloan kettering', 'baylor scott', 'ernst young', 'johnson johnson', 'procter gamble',
  'harley davidson', 'rolls royce', 'mercedes benz', 'dr pepper', 'jack daniels', 'martha stewart',
  'walt disney', 'ronald mcdonald', 'wendy', 'bath body', 'alfa romeo', 'aston martin', 'land rover',
  'edward jones', 'dow jones', 'jenny craig', 'ruby tuesday', 'tim hortons', 'carl jr',
]);

/** A name-like value: 1–5 words of letters, apostrophes, hyphens, dots; "Doe, Jane" allowed. */
const NAME_VALUE_RE = /^[\p{L}\p{M}][\p{L}\p{M}'’.-]*(?:,?\s{1,3}[\p{L}\p{M}][\p{L}\p{M}'’.-]*){0,4}$/u;
/** `analytics.js`, `page.view`: a dot inside a word longer than an initial. */
const DOTTED_WORD_RE = /\p{L}{2}\.\p{L}/u;
const VALUE_TOKEN_SPLIT_RE = /[\s,]+/;
const PLACEHOLDER_VALUES: ReadonlySet<string> = new Set([
  'null', 'undefined', 'none', 'na', 'nil', 'unknown', 'anonymous', 'anon', 'guest', 'test',
  'user', 'customer', 'nobody', 'redacted', 'hidden', 'private', 'empty', 'true', 'false', 'yes',
  'no', 'admin', 'default', 'name', 'first', 'last', 'n', 'x', 'tbd', 'pending',
]);
const DOTS_RE = /\./g;
const SLUG_SEPARATOR_RE = /[-_.]/;
const SLUG_WORD_RE = /^[a-z]+$/;
const SLUG_ID_RE = /^(?=[a-z]*\d)[a-z\d]{1,12}$/;

interface Token {
  /** Start and end of the word, without a trailing dot. */
  readonly start: number;
  readonly end: number;
  readonly text: string;
  /** A dot follows the word: an initial ("Q."), an abbreviation ("Dr.") or a sentence end. */
  readonly dotted: boolean;
  /** Glued to digits, underscores, `@`, `/` or a dot-word: part of an identifier, not prose. */
  readonly glued: boolean;
}

type Case = 'title' | 'upper' | 'lower' | 'mixed';

function isAsciiDigitOrJoiner(c: number): boolean {
  // 0-9 _ @ / \ # $ %
  return (c >= 48 && c <= 57) || c === 95 || c === 64 || c === 47 || c === 92 || c === 35 || c === 36 || c === 37;
}

function isAsciiLetter(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

/** The token of the word `value.slice(start, rawEnd)` (a final dot included, if any). */
function tokenAt(value: string, start: number, rawEnd: number): Token {
  const dotted = value.charCodeAt(rawEnd - 1) === 46;
  const end = dotted ? rawEnd - 1 : rawEnd;
  const before = start > 0 ? value.charCodeAt(start - 1) : 32;
  const after = rawEnd < value.length ? value.charCodeAt(rawEnd) : 32;
  const glued =
    isAsciiDigitOrJoiner(before) || before === 46 ||
    isAsciiDigitOrJoiner(after) ||
    // `jane.doe`, `analytics.js`: a dot with a letter right after it.
    (dotted && ((after >= 65 && after <= 90) || (after >= 97 && after <= 122)));
  return { start, end, text: value.slice(start, end), dotted, glued };
}

function tokenize(value: string): Token[] {
  for (let i = 0; i < value.length; i++) if (value.charCodeAt(i) >= 0x80) return tokenizeUnicode(value);
  // ASCII text, nearly all of it, is cut by hand into the words WORD_RE finds there (its
  // \p{L}\p{M} are A–Z and a–z, and ’ is not ASCII): letters, then `'` or `-` + letters, repeated,
  // then an optional dot. A third of the name detector's time went to the regex and its matches.
  const tokens: Token[] = [];
  const n = value.length;
  let i = 0;
  while (i < n) {
    if (!isAsciiLetter(value.charCodeAt(i))) { i++; continue; }
    const start = i;
    while (i < n && isAsciiLetter(value.charCodeAt(i))) i++;
    for (;;) {
      const c = value.charCodeAt(i);
      if ((c !== 39 && c !== 45) || !isAsciiLetter(value.charCodeAt(i + 1))) break;
      i += 2;
      while (i < n && isAsciiLetter(value.charCodeAt(i))) i++;
    }
    if (value.charCodeAt(i) === 46) i++;
    tokens.push(tokenAt(value, start, i));
  }
  return tokens;
}

function tokenizeUnicode(value: string): Token[] {
  const tokens: Token[] = [];
  WORD_RE.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = WORD_RE.exec(value)) !== null) tokens.push(tokenAt(value, m.index, m.index + m[0].length));
  return tokens;
}

/** Lower case, apostrophes and diacritics removed: the dictionaries' spelling. */
function fold(word: string): string {
  // Most words are ASCII letters (and hyphens): lower case is all there is to do.
  let plain = true;
  for (let i = 0; i < word.length; i++) {
    const c = word.charCodeAt(i);
    if (c >= 0x80 || c === 39) { plain = false; break; }
  }
  if (plain) return word.toLowerCase();
  let lower = word.toLowerCase();
  if (lower.includes('\'') || lower.includes('’')) lower = lower.replace(APOSTROPHES_RE, '');
  if (NON_ASCII_RE.test(lower)) lower = lower.normalize('NFD').replace(COMBINING_MARKS_RE, '');
  return lower;
}

function caseOf(word: string): Case {
  // ASCII words (most of them) without the Unicode regexes: same answers, A-Z and a-z being
  // the only ASCII \p{Lu} and \p{Ll}.
  let ascii = true;
  let lower = false;
  for (let i = 0; i < word.length; i++) {
    const c = word.charCodeAt(i);
    if (c >= 0x80) { ascii = false; break; }
    if (c >= 97 && c <= 122) lower = true;
  }
  if (ascii) {
    const first = word.charCodeAt(0);
    if (!(first >= 65 && first <= 90)) return lower ? 'lower' : 'mixed';
    if (!lower) return word.length === 1 ? 'title' : 'upper';
    return 'title';
  }
  if (!UPPER_START_RE.test(word)) return HAS_LOWER_RE.test(word) ? 'lower' : 'mixed';
  if (!HAS_LOWER_RE.test(word)) return word.length === 1 ? 'title' : 'upper';
  return 'title';
}

/** Looks a word up whole, then by its hyphenated parts (`Garcia-Lopez`, `Anne-Marie`). */
function inSet(folded: string, set: ReadonlySet<string>): boolean {
  if (set.has(folded)) return true;
  if (!folded.includes('-')) return false;
  for (const part of folded.split('-')) if (set.has(part)) return true;
  // "Ji-woo", "Seo-yeon": the dictionaries spell them joined.
  return set.has(folded.replace(HYPHENS_RE, ''));
}

/** A dictionary word that is also an ordinary word: all of its parts are ambiguous. */
function onlyCommonWords(folded: string, common: ReadonlySet<string>): boolean {
  if (!folded.includes('-')) return common.has(folded);
  for (const part of folded.split('-')) if (!common.has(part)) return false;
  return true;
}

function isInitial(token: Token): boolean {
  return token.text.length === 1 && token.dotted && caseOf(token.text) === 'title';
}

/** Tokens are adjacent when only spaces/tabs (1–3) separate them, nothing else. */
function spaceBetween(value: string, from: number, to: number): boolean {
  const gap = to - from;
  if (gap < 1 || gap > 3) return false;
  for (let i = from; i < to; i++) {
    const c = value.charCodeAt(i);
    if (c !== 32 && c !== 9) return false;
  }
  return true;
}

/** "Doe, Jane": a comma then 1–2 spaces. */
function commaBetween(value: string, from: number, to: number): boolean {
  if (value.charCodeAt(from) !== 44) return false;
  return to - from >= 2 && spaceBetween(value, from + 1, to);
}

/** Gap after a label: spaces and at most one `:`, `=`, `-`, `#`; reports whether a colon-like mark was seen. */
function labelGap(value: string, from: number, to: number): 'none' | 'plain' | 'marked' {
  if (to - from < 1 || to - from > 6) return 'none';
  let marks = 0;
  for (let i = from; i < to; i++) {
    const c = value.charCodeAt(i);
    if (c === 32 || c === 9) continue;
    if (c === 58 || c === 61 || c === 45 || c === 35) { marks++; continue; }
    return 'none';
  }
  if (marks > 1) return 'none';
  return marks === 1 ? 'marked' : 'plain';
}

function isBlank(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13 || c === 0xa0;
}

/** - – — ~ */
function isSignOffDash(c: number): boolean {
  return c === 45 || c === 0x2013 || c === 0x2014 || c === 126;
}

/** | – — · • : » / > (a spaced hyphen is checked separately). */
function isTitleSeparator(c: number): boolean {
  return c === 124 || c === 0x2013 || c === 0x2014 || c === 0xb7 || c === 0x2022 || c === 58 || c === 0xbb || c === 47 || c === 62;
}

/** Between listed names: one `,` or `;` and blanks, or (before "and") blanks and an optional comma. */
function listGap(value: string, from: number, to: number, viaAnd: boolean): boolean {
  if (to - from < 1 || to - from > 4) return false;
  let marks = 0;
  for (let k = from; k < to; k++) {
    const c = value.charCodeAt(k);
    if (c === 32 || c === 9) continue;
    if (c === 44 || (c === 59 && !viaAnd)) { marks++; continue; }
    return false;
  }
  return viaAnd ? marks <= 1 : marks === 1;
}

/** "MyHealth", "MyChart": a portal's product name. */
const MY_PRODUCT_RE = /^My\p{Lu}/u;
/** A product after "<Name>'s": capitalised ("Tandem", "ResMed") or an i-product ("iPhone"). */
const PRODUCT_WORD_RE = /^(?:\p{Lu}|i\p{Lu})/u;

/**
 * Every word `cueAt` can react to (as the cue itself): relations, the account cues ("in as",
 * "welcome back"), titles, labels, "by", "is", "am", conversational cues, "you" and "to".
 */
const CUE_WORDS: ReadonlySet<string> = new Set([
  ...RELATIONS, 'as', 'back', 'welcome', ...STRONG_TITLES, ...WEAK_TITLES, ...LABEL_CUES, 'by', 'is', 'am',
  ...CONVERSATIONAL_CUES, 'you', 'to',
]);

class NameScanner {
  private readonly folded: (string | undefined)[];
  private readonly cases: (Case | undefined)[];

  private portalWords: boolean | undefined;

  constructor(
    private readonly value: string,
    private readonly tokens: readonly Token[],
    /** "<Name>'s <Device>" needs no dictionary name under a device-label key. */
    private readonly deviceKey = false,
  ) {
    this.folded = new Array<string | undefined>(tokens.length);
    this.cases = new Array<Case | undefined>(tokens.length);
  }

  private tok(i: number): Token {
    return this.tokens[i] as Token;
  }

  private lower(i: number): string {
    return (this.folded[i] ??= fold(this.tok(i).text));
  }

  private caseAt(i: number): Case {
    return (this.cases[i] ??= caseOf(this.tok(i).text));
  }

  private capitalised(i: number): boolean {
    const c = this.caseAt(i);
    return c === 'title' || c === 'upper';
  }

  private adjacent(i: number): boolean {
    const next = this.tokens[i + 1];
    if (next === undefined) return false;
    const current = this.tok(i);
    // A word that ends a sentence ("Smith.") is not followed by more of the name; initials are.
    if (current.dotted && !isInitial(current) && !this.isAbbreviatedTitle(i)) return false;
    return spaceBetween(this.value, current.end + (current.dotted ? 1 : 0), next.start);
  }

  private isAbbreviatedTitle(i: number): boolean {
    return STRONG_TITLES.has(this.lower(i));
  }

  private isFirst(i: number): boolean {
    return inSet(this.lower(i), FIRST_NAMES);
  }

  private isSurname(i: number): boolean {
    return inSet(this.lower(i), SURNAMES);
  }

  private isDictionaryName(i: number): boolean {
    return this.isFirst(i) || this.isSurname(i);
  }

  /** In a dictionary and not also an everyday word: strong evidence on its own. */
  private isUnambiguousName(i: number): boolean {
    const w = this.lower(i);
    return (inSet(w, FIRST_NAMES) && !onlyCommonWords(w, COMMON_WORD_FIRST_NAMES)) ||
      (inSet(w, SURNAMES) && !onlyCommonWords(w, COMMON_WORD_SURNAMES));
  }

  private isNameWord(i: number): boolean {
    const t = this.tok(i);
    if (t.glued) return false;
    const w = this.lower(i);
    return !STOP_WORDS.has(w) && !UI_WORDS.has(w);
  }

  /** "de", "van", "bin" between two name words. */
  private isParticle(i: number): boolean {
    return !this.tok(i).glued && NAME_PARTICLES.has(this.lower(i));
  }

  /**
   * Index of the capitalised name word after a run of one or two particles starting at `i`
   * ("de la Cruz", "Dela Cruz", "van der Berg"), or -1.
   */
  private afterParticles(i: number): number {
    let k = i;
    for (let n = 0; n < 2 && k < this.tokens.length && this.isParticle(k); n++) {
      if (!this.adjacent(k)) return -1;
      k++;
      const next = this.tokens[k];
      if (next === undefined) return -1;
      if (!this.isParticle(k) || n === 1) {
        return !next.glued && this.caseAt(k) === 'title' && this.isNameWord(k) ? k : -1;
      }
    }
    return -1;
  }

  /** A word with non-ASCII Latin letters that is not an everyday word ("Bảo", "Schäfer", "Zoë"). */
  private hasNameDiacritics(i: number): boolean {
    const t = this.tok(i).text;
    return LATIN_NON_ASCII_RE.test(t) && !DIACRITIC_WORDS.has(this.lower(i)) && !NON_NAME_WORDS.has(this.lower(i));
  }

  private isNonNameWord(i: number): boolean {
    const w = this.lower(i);
    return NON_NAME_WORDS.has(w) || STOP_WORDS.has(w) || UI_WORDS.has(w);
  }

  /**
   * Evidence that capitalised words `first..last` are a name without an unambiguous dictionary
   * word: a word with diacritics, or a surname-shaped last word ("Konstantinou", "Gunnarsson")
   * after a first word that is no everyday word. Particles are skipped.
   */
  private shapeEvidence(first: number, last: number): boolean {
    let diacritics = false;
    for (let k = first; k <= last; k++) {
      if (this.isParticle(k) && k > first && k < last) continue;
      if (this.caseAt(k) !== 'title' || this.isNonNameWord(k)) return false;
      if (this.hasNameDiacritics(k)) diacritics = true;
    }
    if (diacritics) return true;
    return last > first && surnameShaped(this.lower(last)) && this.lower(first).length >= 3;
  }

  /** Brands and institutions named after people ("Johns Hopkins", "Morgan Stanley"). */
  private isBrand(first: number, last: number): boolean {
    let text = '';
    for (let k = first; k <= last; k++) text += (k > first ? ' ' : '') + this.lower(k);
    return BRAND_PHRASES.has(text);
  }

  /** End of a name ending at token `last`, extended over ", Jr." / "III". */
  private nameEnd(last: number): number {
    const t = this.tok(last);
    let end = isInitial(t) ? t.end + 1 : t.end;
    const next = this.tokens[last + 1];
    if (next !== undefined && GENERATIONAL_SUFFIXES.has(this.lower(last + 1)) && this.capitalised(last + 1)) {
      const from = t.end + (t.dotted ? 1 : 0);
      if (spaceBetween(this.value, from, next.start) || commaBetween(this.value, from, next.start)) {
        end = next.end + (next.dotted ? 1 : 0);
      }
    }
    return end;
  }

  /**
   * Collects the name after a cue ending at token `cue`. Returns the index of the last name
   * token, or -1. `strong`: capitalised words need no dictionary; lower-case words always do.
   */
  private nameAfterCue(cue: number, strong: boolean, gapChecked: boolean, capitalisedOnly = false, rejectNonName = false): number {
    const first = cue + 1;
    const firstToken = this.tokens[first];
    if (firstToken === undefined) return -1;
    if (!gapChecked && !this.adjacent(cue)) return -1;
    let last = -1;
    let words = 0;
    let unambiguous = 0;
    let lowerCase = false;
    for (let i = first; i < this.tokens.length && words < 3; i++) {
      if (i > first && !this.adjacent(i - 1)) break;
      // "Maricel Dela Cruz", "Juan de la Cruz": particles join the name without counting.
      if (i > first && last === i - 1 && !lowerCase && this.isParticle(i)) {
        const after = this.afterParticles(i);
        if (after !== -1) { i = after - 1; continue; }
      }
      const t = this.tok(i);
      // "seen by Dr. Chen": the title is the next cue, not part of this name.
      if (t.glued || STRONG_TITLES.has(this.lower(i)) || WEAK_TITLES.has(this.lower(i))) break;
      // "Signed in as Admin", "my son Type 1": everyday words end a name these cues take undictionaried.
      if (rejectNonName && (RELATIONS.has(this.lower(i)) ||
        ((this.isNonNameWord(i) || DEVICE_WORDS.has(this.lower(i))) && !this.isFirst(i) && !(i > first && this.isSurname(i))))) break;
      let endsName = false;
      if (!this.isNameWord(i)) {
        // A stop or UI word that is also a name ("Patient June Carter", "Jane Page", "Jane Do")
        // counts only capitalised, as the first name right after the cue or as the surname
        // right after a first name; either way it ends the name.
        if (lowerCase || !this.capitalised(i)) break;
        const asFirst = i === first && this.isFirst(i);
        const asSurname = i > first && this.isSurname(i) && this.isFirst(i - 1);
        if (!asFirst && !asSurname) break;
        endsName = asSurname;
      }
      const initial = isInitial(t);
      if (this.capitalised(i)) {
        if (lowerCase) break;
      } else if (!capitalisedOnly && this.caseAt(i) === 'lower' && this.isUnambiguousName(i) && (last === -1 || lowerCase)) {
        lowerCase = true;
      } else {
        break;
      }
      if (!initial) words++;
      if (this.isUnambiguousName(i)) unambiguous++;
      last = i;
      // "Smith." ends the sentence.
      if (endsName || (t.dotted && !initial)) break;
    }
    if (last === -1 || words === 0) return -1;
    if ((!strong || lowerCase) && !(!lowerCase && this.shapeEvidence(first, last) && !this.isBrand(first, last))) {
      // Weak cues ("Patient", "Hi") and lower-case names need a dictionary word that is not
      // also an everyday word; trailing non-dictionary words are left out of the span.
      while (last > first && !this.isDictionaryName(last) && !isInitial(this.tok(last))) last--;
      // With a cue, a capitalised first name + surname pair counts even when both are also
      // words ("Patient Jade Day"); alone, one of them must be unambiguous.
      const pair = !lowerCase && last > first && this.isFirst(first) && this.isSurname(last);
      if (unambiguous === 0 && !pair) return -1;
      if (this.isBrand(first, last)) return -1;
    }
    return last;
  }

  /** The cue ending at token `i`, if any, and whether it is strong (a title, a `Label:`, "name is", "signed by"). */
  private cueAt(i: number): { strong: boolean; gapChecked: boolean; capitalisedOnly?: boolean; rejectNonName?: boolean } | undefined {
    const t = this.tok(i);
    const w = this.lower(i);
    // Most words are no cue: one lookup instead of the ten below.
    if (!CUE_WORDS.has(w)) return undefined;
    const next = this.tokens[i + 1];
    if (next === undefined) return undefined;
    const prev = i > 0 ? this.lower(i - 1) : '';
    // "my son Annika", "my partner Grace Rivers", "for my mother, Rosa": the relative's name, even
    // when it is also a word; "Signed in as Ji-woo Park", "Welcome back, Jane": the account holder.
    const relation = RELATIONS.has(w) && POSSESSIVE_PRONOUNS.has(prev);
    const account = (w === 'as' && prev === 'in' && i >= 2 && SIGN_IN_VERBS.has(this.lower(i - 2))) ||
      (w === 'back' && prev === 'welcome') || w === 'welcome';
    if (relation || account) {
      const from = t.end + (t.dotted ? 1 : 0);
      const comma = commaBetween(this.value, from, next.start);
      if (w === 'welcome' && !comma) return undefined;
      if (comma || labelGap(this.value, from, next.start) !== 'none') return { strong: true, gapChecked: true, rejectNonName: true };
    }
    if (STRONG_TITLES.has(w)) {
      // "Dr" / "Dr." / "DR.", not "dr" in running lower-case text.
      if (!this.capitalised(i) && !t.dotted) return undefined;
      return { strong: true, gapChecked: false };
    }
    if (WEAK_TITLES.has(w) && this.capitalised(i)) return { strong: false, gapChecked: false };
    let label = LABEL_CUES.has(w);
    let strongLabel = false;
    if (w === 'by' && i > 0 && BY_VERBS.has(this.lower(i - 1))) { label = true; strongLabel = true; }
    // "my name is", "name is", "I am".
    if (w === 'is' && i > 0 && this.lower(i - 1) === 'name') { label = true; strongLabel = true; }
    if (w === 'am' && i > 0 && this.lower(i - 1) === 'i') label = true;
    let conversational = false;
    if (!label) {
      const prev = i > 0 ? this.lower(i - 1) : '';
      conversational = CONVERSATIONAL_CUES.has(w) ||
        // "this is Yuki", "thank you Maria", "talked to Imran", "my son Kenji" (son is a label).
        (w === 'is' && prev === 'this') || (w === 'you' && prev === 'thank') || (w === 'to' && TO_VERBS.has(prev));
      if (!conversational) return undefined;
    }
    const from = t.end + (t.dotted ? 1 : 0);
    let gap = labelGap(this.value, from, next.start);
    if (gap === 'none' && GREETINGS.has(w) && this.value.charCodeAt(from) === 44 && spaceBetween(this.value, from + 1, next.start)) {
      gap = 'plain';
    }
    if (gap === 'none') return undefined;
    if (conversational) return { strong: false, gapChecked: true, capitalisedOnly: true };
    return { strong: strongLabel || gap === 'marked', gapChecked: true };
  }

  /** "Jane Doe", "John Q. Public", "Mary Ann Smith": returns the last token index or -1. */
  private firstLastAt(i: number): number {
    // Stop and UI words are not checked here: both parts must be dictionary names anyway, and
    // the everyday-word rule in plausibleFirstLast decides "Will Smith" vs "Will Call".
    const t = this.tok(i);
    if (t.glued || !this.capitalised(i) || !this.isFirst(i) || !this.adjacent(i)) return -1;
    const style = this.caseAt(i);
    const j = i + 1;
    const mid = this.tokens[j];
    if (mid === undefined || mid.glued) return -1;
    if (isInitial(mid)) {
      // "John Q. Public": the initial is evidence enough for any capitalised last word.
      const k = j + 1;
      const lastToken = this.tokens[k];
      if (lastToken === undefined || !this.adjacent(j) || lastToken.glued || isInitial(lastToken)) return -1;
      if (this.caseAt(k) !== style || !this.isNameWord(k)) return -1;
      return k;
    }
    // "Maria de la Cruz", "Maricel Dela Cruz", "Ludwig van Beethoven": particles, then the surname.
    if (this.isParticle(j)) {
      const k = this.afterParticles(j);
      if (k !== -1 && this.caseAt(k) === style && this.plausibleFirstLast(i, k)) return k;
    }
    if (this.caseAt(j) !== style) return -1;
    // "Mary Ann Smith": a second first name, then a surname.
    if (this.isFirst(j) && this.adjacent(j)) {
      const k = j + 1;
      const lastToken = this.tokens[k];
      if (lastToken !== undefined && !lastToken.glued && this.caseAt(k) === style && this.plausibleFirstLast(i, k)) return k;
    }
    return this.plausibleFirstLast(i, j) ? j : -1;
  }

  private plausibleFirstLast(first: number, last: number): boolean {
    if (!this.isSurname(last)) return false;
    const f = this.lower(first);
    const l = this.lower(last);
    const firstIsWord = onlyCommonWords(f, COMMON_WORD_FIRST_NAMES);
    const lastIsWord = onlyCommonWords(l, COMMON_WORD_SURNAMES);
    if (firstIsWord && lastIsWord) return false;
    // ALL-CAPS text is headings and buttons: only unambiguous pairs.
    if (this.caseAt(first) === 'upper' && (firstIsWord || lastIsWord)) return false;
    return true;
  }

  /** "Doe, Jane" (optionally "Doe, Jane Q."): returns the last token index or -1. */
  private lastCommaFirstAt(i: number): number {
    const j = i + 1;
    const next = this.tokens[j];
    const t = this.tok(i);
    if (next === undefined || t.dotted || next.glued || !this.isNameWord(i) || !this.isNameWord(j)) return -1;
    if (this.caseAt(i) !== 'title' || this.caseAt(j) !== 'title') return -1;
    if (!commaBetween(this.value, t.end, next.start)) return -1;
    const l = this.lower(i);
    const f = this.lower(j);
    if (!inSet(l, SURNAMES) || onlyCommonWords(l, COMMON_WORD_SURNAMES)) return -1;
    if (!inSet(f, FIRST_NAMES) || onlyCommonWords(f, COMMON_WORD_FIRST_NAMES)) return -1;
    const k = j + 1;
    const after = this.tokens[k];
    if (after !== undefined && isInitial(after) && this.adjacent(j)) return k;
    return j;
  }

  /** "Jane Doe, MD", "Gregory House MD": 2–3 capitalised words then a credential. */
  private beforeCredentialAt(i: number): number {
    for (let words = 3; words >= 2; words--) {
      let ok = true;
      for (let k = i; k < i + words; k++) {
        const t = this.tokens[k];
        if (t === undefined || t.glued || this.caseAt(k) !== 'title' || !this.isNameWord(k)) { ok = false; break; }
        if (k > i && !this.adjacent(k - 1)) { ok = false; break; }
      }
      if (!ok) continue;
      const last = this.tok(i + words - 1);
      const at = last.end + (last.dotted && isInitial(last) ? 1 : 0);
      CREDENTIAL_AFTER_RE.lastIndex = at;
      SHORT_CREDENTIAL_AFTER_RE.lastIndex = at;
      if (CREDENTIAL_AFTER_RE.test(this.value) || SHORT_CREDENTIAL_AFTER_RE.test(this.value)) return i + words - 1;
    }
    return -1;
  }

  /**
   * Capitalised words from `i` that can form a name: 2–3 Title-case words (particles between
   * them allowed), none of them an everyday word. Returns their last index, or -1 when fewer
   * than two. `max` bounds the words.
   */
  private titleRunEnd(i: number, max: number): number {
    let last = -1;
    let words = 0;
    for (let k = i; k < this.tokens.length && words < max; k++) {
      const t = this.tok(k);
      if (k > i) {
        if (!this.adjacent(k - 1)) break;
        if (this.isParticle(k)) {
          const after = this.afterParticles(k);
          if (after === -1) break;
          k = after;
        }
      }
      const tk = this.tok(k);
      if (tk.glued || t.glued || this.caseAt(k) !== 'title' || this.isNonNameWord(k) || isInitial(tk)) break;
      last = k;
      words++;
      if (tk.dotted) break;
    }
    return words >= 2 ? last : -1;
  }

  /**
   * "José Núñez", "Jürgen Schäfer", "Yuki Watanabe": two or three Title-case words without a cue,
   * where one word is an unambiguous dictionary name and another has diacritics or a surname's
   * shape, or the first is a dictionary first name and the last an unambiguous surname.
   */
  private evidencedPairAt(i: number): number {
    if (this.caseAt(i) !== 'title') return -1;
    const last = this.titleRunEnd(i, 3);
    if (last === -1 || this.isBrand(i, last)) return -1;
    let dictionary = false;
    let shaped = false;
    for (let k = i; k <= last; k++) {
      if (this.isParticle(k) && k > i) continue;
      const unambiguous = this.isUnambiguousName(k);
      if (unambiguous) dictionary = true;
      if ((!unambiguous && this.hasNameDiacritics(k)) || (k === last && surnameShaped(this.lower(k)))) shaped = true;
    }
    if (dictionary && shaped) return last;
    // "Imran Chaudhry": an unambiguous first name then an unambiguous surname, with a middle word.
    if (this.isFirst(i) && !onlyCommonWords(this.lower(i), COMMON_WORD_FIRST_NAMES) &&
      this.isSurname(last) && !onlyCommonWords(this.lower(last), COMMON_WORD_SURNAMES)) return last;
    return -1;
  }

  /**
   * A search query that starts with a name: "Jürgen Schäfer lab results", "Maricel Dela Cruz
   * allergies". 2–3 Title-case words at the start of the string, then a lower-case word, with
   * an unambiguous first name first, an unambiguous surname last, diacritics, or a surname shape.
   */
  private leadingQueryNameAt(i: number): number {
    const last = this.leadingQueryEnd(i);
    if (last === -1) return -1;
    const after = last + 1;
    if (this.tokens[after] === undefined || !this.adjacent(last) || this.caseAt(after) !== 'lower' || this.tok(after).glued) return -1;
    if (this.isBrand(i, last)) return -1;
    const firstOk = this.isFirst(i) && !onlyCommonWords(this.lower(i), COMMON_WORD_FIRST_NAMES);
    const lastOk = this.isSurname(last) && !onlyCommonWords(this.lower(last), COMMON_WORD_SURNAMES);
    return firstOk || lastOk || this.shapeEvidence(i, last) ? last : -1;
  }

  private leadingQueryEnd(i: number): number {
    // Only at the very start of the text (after quotes or spaces).
    for (let k = 0; k < this.tok(i).start; k++) {
      const c = this.value.charCodeAt(k);
      if (c !== 32 && c !== 9 && c !== 34 && c !== 39) return -1;
    }
    return this.titleRunEnd(i, 3);
  }

  scan(): Span[] {
    const spans: Span[] = [];
    /** First and last token of each span, for the list rule. */
    const bounds: number[] = [];
    const n = this.tokens.length;
    let prevLast = -2;
    for (let i = 0; i < n; i++) {
      const possessive = this.possessiveNameAt(i);
      if (possessive !== undefined) {
        spans.push(possessive);
        bounds.push(i, i);
        prevLast = i;
        continue;
      }
      const cue = this.cueAt(i);
      if (cue !== undefined) {
        let last = this.nameAfterCue(i, cue.strong, cue.gapChecked, cue.capitalisedOnly === true, cue.rejectNonName === true);
        // "pt. DOE, JANE": the cue found the surname; the first name after the comma belongs too.
        if (last === i + 1) {
          const surnameFirst = this.capsSurnameFirstAt(i + 1);
          if (surnameFirst !== -1) last = surnameFirst;
        }
        if (last === -1) last = this.signOffNameAt(i);
        if (last !== -1) {
          spans.push({ start: this.tok(i + 1).start, end: this.nameEnd(last), kind: 'name' });
          bounds.push(i + 1, last);
          prevLast = last;
          i = last;
          continue;
        }
      } else {
        const last = this.signOffNameAt(i);
        if (last !== -1) {
          spans.push({ start: this.tok(i + 1).start, end: this.nameEnd(last), kind: 'name' });
          bounds.push(i + 1, last);
          prevLast = last;
          i = last;
          continue;
        }
      }
      // Every rule below starts at a Title-case or upper-case word (each checks it first).
      if (!this.capitalised(i)) continue;
      let last = this.firstLastAt(i);
      if (last === -1) last = this.lastCommaFirstAt(i);
      if (last === -1) last = this.capsSurnameFirstAt(i);
      if (last === -1) last = this.beforeCredentialAt(i);
      if (last === -1) last = this.evidencedPairAt(i);
      if (last === -1 && i === 0) last = this.leadingQueryNameAt(i);
      if (last === -1) last = this.dashSignOffAt(i);
      if (last === -1) last = this.titleSegmentNameAt(i);
      if (last === -1) last = this.listNameAt(i, prevLast);
      if (last === -1) last = this.relationInBracketsAt(i);
      if (last !== -1) {
        spans.push({ start: this.tok(i).start, end: this.nameEnd(last), kind: 'name' });
        bounds.push(i, last);
        prevLast = last;
        i = last;
      }
    }
    return this.withListNamesBefore(spans, bounds);
  }

  // -------------------------------------------------------------------------------------------
  // Sign-offs, surname-first rows, page titles, possessives and lists.
  // -------------------------------------------------------------------------------------------

  /** A capitalised word that can be (part of) a signature: no everyday, UI or kinship word. */
  private signatureWord(i: number): boolean {
    const t = this.tokens[i];
    if (t === undefined || t.glued || isInitial(t) || this.caseAt(i) !== 'title' || !this.isNameWord(i)) return false;
    const w = this.lower(i);
    if (RELATIONS.has(w) || SIGN_OFFS.has(w) || GREETINGS.has(w)) return false;
    return !this.isNonNameWord(i) || this.isFirst(i);
  }

  /** One or two signature words from `i`: the last index, or -1. */
  private signatureRun(i: number): number {
    if (!this.signatureWord(i)) return -1;
    return this.adjacent(i) && this.signatureWord(i + 1) ? i + 1 : i;
  }

  /**
   * True when only blanks and up to three closing marks (`. ! , ) ~`) follow `from` before a line
   * break (or, with `textEnd`, before the end of the text).
   */
  private endsLine(from: number, textEnd: boolean): boolean {
    let marks = 0;
    for (let i = from; i < this.value.length; i++) {
      const c = this.value.charCodeAt(i);
      if (c === 10 || c === 13) {
        if (!textEnd) return true;
        continue;
      }
      if (c === 32 || c === 9) continue;
      if ((c === 46 || c === 33 || c === 44 || c === 41 || c === 126) && ++marks <= 3) continue;
      return false;
    }
    return true;
  }

  /** "Regards, Thandiwe Nkosi", "Thanks,\nDmitri", "Best,\nJean-Baptiste": a closing, then the sender ending the line. */
  private signOffNameAt(c: number): number {
    const w = this.lower(c);
    if (!SIGN_OFFS.has(w)) return -1;
    if (w === 'you' && (c === 0 || this.lower(c - 1) !== 'thank')) return -1;
    if ((w === 'best' || w === 'love' || w === 'truly') && c > 0 && this.adjacent(c - 1) && this.caseAt(c - 1) === 'lower' &&
      !SIGN_OFFS.has(this.lower(c - 1))) return -1;
    const next = this.tokens[c + 1];
    if (next === undefined) return -1;
    const from = this.tok(c).end;
    if (next.start - from > 8) return -1;
    let comma = 0;
    let breaks = 0;
    for (let k = from; k < next.start; k++) {
      const ch = this.value.charCodeAt(k);
      if (ch === 44) comma++;
      else if (ch === 10) breaks++;
      else if (ch !== 32 && ch !== 9 && ch !== 13 && ch !== 33 && ch !== 46) return -1;
    }
    if (comma > 1 || breaks > 2 || comma + breaks === 0) return -1;
    const last = this.signatureRun(c + 1);
    if (last === -1 || !this.endsLine(this.tok(last).end, false)) return -1;
    return last;
  }

  /**
   * "… Please fax the records. - Jean-Baptiste", "— Annika": a dash (or `~`) after a blank or at
   * the start, then one or two capitalised words that end the text. Needs a dictionary name,
   * name shape, or a sentence end before the dash ("Step 2 - Review" is a heading).
   */
  private dashSignOffAt(i: number): number {
    const t = this.tok(i);
    if (i > 0 && this.tok(i - 1).end > t.start - 2) return -1;
    let k = t.start - 1;
    const floor = Math.max(i > 0 ? this.tok(i - 1).end : 0, t.start - 8);
    while (k >= floor && (this.value.charCodeAt(k) === 32 || this.value.charCodeAt(k) === 9)) k--;
    let dashes = 0;
    while (k >= floor && isSignOffDash(this.value.charCodeAt(k))) { k--; dashes++; }
    if (dashes === 0 || dashes > 2) return -1;
    // The dash stands alone: a blank or the text start before it, not "pre-op" or "A-Annika".
    if (k >= 0 && !isBlank(this.value.charCodeAt(k))) return -1;
    const last = this.signatureRun(i);
    if (last === -1 || !this.endsLine(this.tok(last).end, true)) return -1;
    let evidence = false;
    for (let w = i; w <= last; w++) {
      if (this.isDictionaryName(w) || this.hasNameDiacritics(w) || surnameShaped(this.lower(w))) evidence = true;
    }
    if (evidence) return last;
    // Otherwise a sentence (or line) must end right before the dash.
    while (k >= 0 && (this.value.charCodeAt(k) === 32 || this.value.charCodeAt(k) === 9)) k--;
    if (k < 0) return -1;
    const before = this.value.charCodeAt(k);
    return before === 46 || before === 33 || before === 63 || before === 10 || before === 13 ? last : -1;
  }

  /**
   * "MCALLISTER, DeShawn", "MACLEOD, CONNOR", "O'SHAUGHNESSY, Bridget Q.": an ALL-CAPS surname,
   * a comma, then the first name. Needs a dictionary first name (not a word or a state) or a
   * clinical row cue before it ("pt", "patient", "MRN: 123 |"); with the cue, "Macleod, Connor" too.
   */
  private capsSurnameFirstAt(i: number): number {
    const t = this.tok(i);
    const j = i + 1;
    const next = this.tokens[j];
    if (next === undefined || t.glued || next.glued || t.dotted || isInitial(next)) return -1;
    const surnameCase = this.caseAt(i);
    const firstCase = this.caseAt(j);
    if ((surnameCase !== 'upper' && surnameCase !== 'title') || (firstCase !== 'upper' && firstCase !== 'title')) return -1;
    if (!commaBetween(this.value, t.end, next.start)) return -1;
    const l = this.lower(i);
    const f = this.lower(j);
    if (l.length < 2 || CAPS_NOT_SURNAMES.has(l) || this.isNonNameWord(i) || !this.isNameWord(j)) return -1;
    if (this.isNonNameWord(j) && !this.isFirst(j)) return -1;
    const dictionaryFirst = inSet(f, FIRST_NAMES) && !onlyCommonWords(f, COMMON_WORD_FIRST_NAMES) && !STATE_FIRST_NAMES.has(f);
    if (!(surnameCase === 'upper' && dictionaryFirst) && !this.clinicalRowCueBefore(i)) return -1;
    const after = this.tokens[j + 1];
    if (after !== undefined && isInitial(after) && this.adjacent(j)) return j + 1;
    return j;
  }

  /** "pt MACLEOD", "Patient: DOE", "MRN: 123 | DOE", "DOB 1970-01-01; DOE": a row label shortly before `i`. */
  private clinicalRowCueBefore(i: number): boolean {
    const p = i - 1;
    if (p < 0) return false;
    const pt = this.tok(p);
    if (CLINICAL_ROW_CUES.has(this.lower(p)) && labelGap(this.value, pt.end + (pt.dotted ? 1 : 0), this.tok(i).start) !== 'none') return true;
    let k = this.tok(i).start - 1;
    const floor = Math.max(pt.end, k - 4);
    while (k >= floor && isBlank(this.value.charCodeAt(k))) k--;
    if (k < floor) return false;
    const c = this.value.charCodeAt(k);
    if (c !== 124 && c !== 59 && c !== 58 && c !== 47 && c !== 44) return false;
    for (let q = p; q >= 0 && q >= p - 4; q--) if (CLINICAL_ROW_CUES.has(this.lower(q))) return true;
    return false;
  }

  /**
   * "Chart – Hope Summers | MyHealth", "Jane Doe · Messages": a first name and surname forming a
   * whole segment of a title (between separators `| – — · • : » /` or a spaced hyphen and the
   * ends of the text). Both being everyday words ("Hope Summers") needs a health-portal word in
   * the text.
   */
  private titleSegmentNameAt(i: number): number {
    if (this.caseAt(i) !== 'title' || !this.isFirst(i)) return -1;
    const before = this.segmentEdgeBefore(i);
    if (before === 'none') return -1;
    const last = this.titleRunEnd(i, 3);
    if (last === -1) return -1;
    const after = this.segmentEdgeAfter(last);
    if (after === 'none' || (before === 'edge' && after === 'edge')) return -1;
    if (this.isBrand(i, last)) return -1;
    const f = this.lower(i);
    const l = this.lower(last);
    const surname = this.isSurname(last) || surnameShaped(l) || this.hasNameDiacritics(last);
    const commonFirst = onlyCommonWords(f, COMMON_WORD_FIRST_NAMES);
    if (surname) {
      const bothWords = commonFirst && (!this.isSurname(last) || onlyCommonWords(l, COMMON_WORD_SURNAMES));
      return !bothWords || this.hasPortalWord() ? last : -1;
    }
    // An unknown surname after an unambiguous first name, in a health portal's title.
    return !commonFirst && this.hasPortalWord() ? last : -1;
  }

  private hasPortalWord(): boolean {
    if (this.portalWords === undefined) {
      this.portalWords = false;
      for (let k = 0; k < this.tokens.length; k++) {
        if (PORTAL_WORDS.has(this.lower(k)) || MY_PRODUCT_RE.test(this.tok(k).text)) { this.portalWords = true; break; }
      }
    }
    return this.portalWords;
  }

  /** What precedes token `i` in a title: the text start, one separator, or anything else. */
  private segmentEdgeBefore(i: number): 'edge' | 'sep' | 'none' {
    const from = i > 0 ? this.tok(i - 1).end : 0;
    const to = this.tok(i).start;
    if (to - from > 8) return 'none';
    return this.separatorGap(from, to, i === 0);
  }

  private segmentEdgeAfter(last: number): 'edge' | 'sep' | 'none' {
    const t = this.tok(last);
    const next = this.tokens[last + 1];
    const to = next === undefined ? this.value.length : next.start;
    if (to - t.end > 8) return 'none';
    return this.separatorGap(t.end, to, next === undefined);
  }

  private separatorGap(from: number, to: number, atEdge: boolean): 'edge' | 'sep' | 'none' {
    let seps = 0;
    for (let k = from; k < to; k++) {
      const c = this.value.charCodeAt(k);
      if (isBlank(c)) continue;
      if (c === 45) {
        // A hyphen separates only with blanks on both sides: "Jane Doe - Portal".
        if (k === from || k + 1 >= to || !isBlank(this.value.charCodeAt(k - 1)) || !isBlank(this.value.charCodeAt(k + 1))) return 'none';
        seps++;
        continue;
      }
      if (isTitleSeparator(c)) { seps++; continue; }
      if (atEdge && (c === 34 || c === 39 || c === 46 || c === 33)) continue;
      return 'none';
    }
    if (seps === 1) return 'sep';
    return seps === 0 && atEdge ? 'edge' : 'none';
  }

  /**
   * "Sunita's Tandem", "Mark's iPhone": a first name + 's + a capitalised product word. A word
   * that is also a first name ("Mark", "Grace") needs a device word after it; under a device-label
   * key any capitalised word will do. Eponyms and holidays ("Addison's Disease") are not.
   */
  private possessiveNameAt(i: number): Span | undefined {
    const t = this.tok(i);
    const text = t.text;
    const n = text.length;
    if (n < 4 || t.glued || t.dotted || (text.charCodeAt(n - 1) !== 115) || (text.charCodeAt(n - 2) !== 39 && text.charCodeAt(n - 2) !== 0x2019)) return undefined;
    const base = text.slice(0, -2);
    if (caseOf(base) !== 'title') return undefined;
    const next = this.tokens[i + 1];
    if (next === undefined || next.glued || !spaceBetween(this.value, t.end, next.start)) return undefined;
    if (!PRODUCT_WORD_RE.test(next.text)) return undefined;
    const product = this.lower(i + 1);
    if (EPONYM_HEADS.has(product)) return undefined;
    const folded = fold(base);
    if (NON_NAME_WORDS.has(folded) || STOP_WORDS.has(folded) || UI_WORDS.has(folded) || RELATIONS.has(folded)) return undefined;
    if (!this.deviceKey) {
      if (!inSet(folded, FIRST_NAMES) || STATE_FIRST_NAMES.has(folded)) return undefined;
      if (onlyCommonWords(folded, COMMON_WORD_FIRST_NAMES) && !DEVICE_WORDS.has(product)) return undefined;
    }
    return { start: t.start, end: t.start + base.length, kind: 'name' };
  }

  /**
   * "[NAME], Moshe Abramovitz", "Jane Doe; Marcus Webb", "Jane Doe and Priya Raman": two or
   * three capitalised words listed after a name already found (or a `[NAME]` marker). After a
   * found name one of them must be a dictionary name or have a name's shape.
   */
  private listNameAt(i: number, prevLast: number): number {
    if (i < 1 || this.caseAt(i) !== 'title') return -1;
    let anchor = i - 1;
    let viaAnd = false;
    if (this.lower(anchor) === 'and' && this.caseAt(anchor) === 'lower') {
      if (!spaceBetween(this.value, this.tok(anchor).end, this.tok(i).start)) return -1;
      anchor--;
      viaAnd = true;
    }
    if (anchor < 0) return -1;
    const marker = this.isNameMarker(anchor);
    if (!marker && anchor !== prevLast) return -1;
    const from = this.tok(anchor).end + (marker ? 1 : this.tok(anchor).dotted ? 1 : 0);
    const to = viaAnd ? this.tok(anchor + 1).start : this.tok(i).start;
    if (!listGap(this.value, from, to, viaAnd)) return -1;
    const last = this.titleRunEnd(i, 3);
    if (last === -1 || PLACE_HEADS.has(this.lower(i)) || this.isBrand(i, last)) return -1;
    if (marker || this.namedRun(i, last)) return last;
    return -1;
  }

  /** One word of `first..last` is a dictionary name, or the run has a name's shape. */
  private namedRun(first: number, last: number): boolean {
    for (let k = first; k <= last; k++) if (this.isDictionaryName(k)) return true;
    return this.shapeEvidence(first, last);
  }

  /** `NAME` inside `[NAME]`: a name this proxy (or an upstream one) already redacted. */
  private isNameMarker(k: number): boolean {
    const t = this.tok(k);
    return t.text === 'NAME' && t.start > 0 && this.value.charCodeAt(t.start - 1) === 91 && this.value.charCodeAt(t.end) === 93;
  }

  /** "Marcus Webb (father)": capitalised words followed by a kinship word in brackets. */
  private relationInBracketsAt(i: number): number {
    if (this.caseAt(i) !== 'title') return -1;
    const last = this.titleRunEnd(i, 3);
    if (last === -1) return -1;
    const rel = this.tokens[last + 1];
    if (rel === undefined || !RELATIONS.has(this.lower(last + 1))) return -1;
    const t = this.tok(last);
    let k = t.end;
    while (k < rel.start && k < t.end + 3 && isBlank(this.value.charCodeAt(k))) k++;
    if (k !== rel.start - 1 || this.value.charCodeAt(k) !== 40 || this.value.charCodeAt(rel.end) !== 41) return -1;
    return this.isBrand(i, last) ? -1 : last;
  }

  /** Names listed just before a found one: "Hope Summers; Marcus Webb". Right to left, chained. */
  private withListNamesBefore(spans: Span[], bounds: number[]): Span[] {
    if (spans.length === 0) return spans;
    const added: Span[] = [];
    for (let s = spans.length - 1; s >= 0; s--) {
      let first = bounds[2 * s] as number;
      const floor = s > 0 ? (bounds[2 * s - 1] as number) : -1;
      for (;;) {
        const last = this.listNameBefore(first, floor);
        if (last === -1) break;
        const start = last - 1;
        added.push({ start: this.tok(start).start, end: this.nameEnd(last), kind: 'name' });
        first = start;
      }
    }
    if (added.length === 0) return spans;
    return spans.concat(added).sort((a, b) => a.start - b.start);
  }

  /** The last token of a two-word name listed right before token `first`, above token `floor`. */
  private listNameBefore(first: number, floor: number): number {
    let last = first - 1;
    let viaAnd = false;
    if (last >= 0 && this.lower(last) === 'and' && this.caseAt(last) === 'lower') {
      if (!spaceBetween(this.value, this.tok(last).end, this.tok(first).start)) return -1;
      viaAnd = true;
      last--;
    }
    const start = last - 1;
    if (start <= floor) return -1;
    const to = viaAnd ? this.tok(last + 1).start : this.tok(first).start;
    if (!listGap(this.value, this.tok(last).end, to, viaAnd)) return -1;
    if (this.titleRunEnd(start, 2) !== last || PLACE_HEADS.has(this.lower(start))) return -1;
    // Not the tail of a longer capitalised phrase ("Blue Cross Blue Shield; …").
    if (start > 0 && this.adjacent(start - 1) && this.capitalised(start - 1)) return -1;
    return this.namedRun(start, last) && !this.isBrand(start, last) ? last : -1;
  }
}

/** A surname by its ending ("konstantinou", "gunnarsson", "petrovic"), not an everyday word. */
export function surnameShaped(folded: string): boolean {
  return folded.length >= 5 && SURNAME_SHAPE_RE.test(folded) && !NON_NAME_WORDS.has(folded) &&
    !STOP_WORDS.has(folded) && !UI_WORDS.has(folded);
}

/** True for a key whose value is a person in a role (`caregiver`, `guardian`, `mother`). */
export const isPersonRoleKey: (key: string) => boolean = memoizeByKey(function isPersonRoleKey(key: string): boolean {
  if (key.length === 0) return false;
  if (PERSON_ROLE_KEYS.has(key)) return true;
  for (const suffix of PERSON_ROLE_KEY_SUFFIXES) if (key.endsWith(suffix)) return true;
  return false;
});

const isDeviceLabelKey = memoizeByKey((key: string): boolean => DEVICE_LABEL_KEY_RE.test(key));

/** Keys under which the whole value is judged as a name (the gate lets every value through). */
const isNameKey = memoizeByKey((key: string): boolean => isPersonNameKey(key) || key === GENERIC_NAME_KEY || isPersonRoleKey(key));

function isPersonNameKey(key: string): boolean {
  if (key.length === 0) return false;
  if (PERSON_NAME_KEYS.has(key)) return true;
  for (const suffix of PERSON_NAME_KEY_SUFFIXES) if (key.endsWith(suffix)) return true;
  return false;
}

/**
 * Whole-value match under a name key. `requireDictionary` (the generic `name` key): at least one
 * dictionary word that is not an everyday word, or a dictionary first name + surname pair, and no
 * UI word ("Signup Button", "Pro Plan").
 */
function keyedNameSpan(value: string, requireDictionary: boolean): Span | undefined {
  const inner = value.trim();
  if (inner.length === 0 || inner.length > 100) return undefined;
  if (!NAME_VALUE_RE.test(inner) || DOTTED_WORD_RE.test(inner)) return undefined;
  const words = inner.split(VALUE_TOKEN_SPLIT_RE).filter((w) => w.length > 0).map(fold);
  if (words.length === 1 && PLACEHOLDER_VALUES.has((words[0] ?? '').replace(DOTS_RE, ''))) return undefined;
  if (requireDictionary) {
    if (BRAND_PHRASES.has(words.join(' '))) return undefined;
    let evidence = false;
    for (const w of words) {
      if (UI_WORDS.has(w)) return undefined;
      if ((inSet(w, FIRST_NAMES) && !onlyCommonWords(w, COMMON_WORD_FIRST_NAMES)) ||
        (inSet(w, SURNAMES) && !onlyCommonWords(w, COMMON_WORD_SURNAMES))) evidence = true;
    }
    const first = words[0] ?? '';
    const last = words[words.length - 1] ?? '';
    if (words.length >= 2 && inSet(first, FIRST_NAMES) && inSet(last, SURNAMES) &&
      !(onlyCommonWords(first, COMMON_WORD_FIRST_NAMES) && onlyCommonWords(last, COMMON_WORD_SURNAMES))) {
      evidence = true;
    }
    if (!evidence && !shapedNameValue(inner, words)) return undefined;
  }
  const start = value.indexOf(inner);
  return { start, end: start + inner.length, kind: 'name' };
}

/** Title case: a capital then lower case ("Bảo", "McDonald", "O'Neil-Smith"), or an initial. */
const TITLE_WORD_RE = /^\p{Lu}[\p{Ll}\p{M}'’]*(?:\p{Lu}[\p{Ll}\p{M}'’]+)?(?:-\p{Lu}[\p{Ll}\p{M}'’]+)*$/u;

/**
 * A generic-key value without dictionary evidence that is still very likely a person: 2–4
 * Title-case words (lower-case particles allowed between them), none an everyday, product or UI
 * word, and either a word with diacritics ("Lê Quốc Bảo") or, for 2–3 words, a surname-shaped last
 * word after a first word of 3+ letters ("Giorgos Konstantinou").
 */
function shapedNameValue(inner: string, folded: readonly string[]): boolean {
  const raw = inner.split(VALUE_TOKEN_SPLIT_RE).filter((w) => w.length > 0);
  if (raw.length < 2 || raw.length > 4 || raw.length !== folded.length) return false;
  let diacritics = false;
  let words = 0;
  for (let k = 0; k < raw.length; k++) {
    const w = raw[k] ?? '';
    const f = folded[k] ?? '';
    if (k > 0 && k < raw.length - 1 && NAME_PARTICLES.has(f)) continue;
    if (!TITLE_WORD_RE.test(w) || NON_NAME_WORDS.has(f) || STOP_WORDS.has(f) || UI_WORDS.has(f)) return false;
    words++;
    if (LATIN_NON_ASCII_RE.test(w) && !DIACRITIC_WORDS.has(f)) diacritics = true;
  }
  if (words < 2) return false;
  if (BRAND_PHRASES.has(folded.join(' '))) return false;
  if (diacritics) return true;
  const last = folded[folded.length - 1] ?? '';
  return raw.length <= 3 && surnameShaped(last) && (folded[0] ?? '').length >= 3;
}

/**
 * Free text can only hold a name we find if it has a capital letter (ASCII or Latin-1 and
 * beyond) or one of the lower-case cues that accept a lower-case name ("patient", "name",
 * "signed by"). A char scan plus three substring searches, no allocation.
 */
function mayHoldFreeTextName(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if ((c >= 65 && c <= 90) || c >= 0xc0) return true;
  }
  return value.includes('name') || value.includes('patient') || value.includes(' by ');
}

/**
 * True for a URL path segment that spells a person's name: `jane-doe`, `john_smith`,
 * `maria.garcia`, `mary-ann-smith`, `john-smith-4a5b6c` (a trailing id part is allowed).
 */
export function looksLikeNameSlug(segment: string): boolean {
  if (segment.length < 4 || segment.length > 60) return false;
  const parts = segment.toLowerCase().split(SLUG_SEPARATOR_RE);
  if (parts.length > 2 && SLUG_ID_RE.test(parts[parts.length - 1] ?? '')) parts.pop();
  if (parts.length < 2 || parts.length > 3) return false;
  for (const p of parts) if (!SLUG_WORD_RE.test(p)) return false;
  const first = parts[0] ?? '';
  const last = parts[parts.length - 1] ?? '';
  if (!FIRST_NAMES.has(first) || !inSet(last, SURNAMES)) return false;
  if (parts.length === 3) {
    const middle = parts[1] ?? '';
    if (middle.length > 1 && !FIRST_NAMES.has(middle) && !SURNAMES.has(middle)) return false;
  }
  return !(COMMON_WORD_FIRST_NAMES.has(first) && COMMON_WORD_SURNAMES.has(last));
}

export const nameDetector: DetectorFactory = () => {
  return {
    id: 'name',
    letter: 'A',
    kind: 'name',
    marker: '[NAME]',
    prefilter: function namePrefilter(value: string, ctx: DetectContext): boolean {
      if (isPersonNameKey(ctx.key) || ctx.key === GENERIC_NAME_KEY || isPersonRoleKey(ctx.key)) return true;
      return mayHoldFreeTextName(value);
    },
    gate: function nameGate(value: string, ctx: DetectContext, f: StringFeatures): boolean {
      if (isNameKey(ctx.key)) return true;
      // Every free-text rule needs two words but the dash sign-off ("- Annika", "~ Annika").
      if (f.asciiWords < 2 && !f.has(F_NON_ASCII | F_DASH | F_TILDE)) return false;
      return f.has(F_CAPITAL) || value.includes('name') || value.includes('patient') || value.includes(' by ');
    },
    find: function findNames(value: string, ctx: DetectContext): Span[] {
      if (isNameKey(ctx.key)) {
        const span = keyedNameSpan(value, !isPersonNameKey(ctx.key));
        if (span !== undefined) return [span];
      }
      // Same gate as the prefilter, so find never reports what the prefilter would have skipped.
      if (!mayHoldFreeTextName(value)) return [];
      const tokens = tokenize(value);
      if (tokens.length === 0) return [];
      return new NameScanner(value, tokens, isDeviceLabelKey(ctx.key)).scan();
    },
  };
};
