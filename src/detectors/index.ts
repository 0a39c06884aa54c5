/** The built-in detectors by id: what rule packs may name in `match.detectors`. */
import { accountDetector } from './account';
import { addressDetector } from './address';
import { ageDetector } from './age';
import { biometricDetector } from './biometric';
import { cardDetector } from './card';
import { dateDetector } from './date';
import { deviceDetector } from './device';
import { emailDetector } from './email';
import { geoDetector } from './geo';
import { healthPlanDetector } from './health_plan';
import { ibanDetector } from './iban';
import { identifierDetector } from './identifier';
import { ipDetector } from './ip';
import { licenseDetector } from './license';
import { mrnDetector } from './mrn';
import { nameDetector } from './name';
import { phoneDetector } from './phone';
import { photoDetector } from './photo';
import { ssnDetector } from './ssn';
import type { DetectorFactory } from './types';
import { urlDetector } from './url';
import { vehicleDetector } from './vehicle';
import { zipDetector } from './zip';

export const BUILTIN_DETECTORS: Readonly<Record<string, DetectorFactory>> = Object.freeze({
  name: nameDetector,
  address: addressDetector,
  zip: zipDetector,
  geo: geoDetector,
  date: dateDetector,
  age: ageDetector,
  phone: phoneDetector,
  email: emailDetector,
  ssn: ssnDetector,
  mrn: mrnDetector,
  health_plan: healthPlanDetector,
  account: accountDetector,
  card: cardDetector,
  iban: ibanDetector,
  license: licenseDetector,
  vehicle: vehicleDetector,
  device: deviceDetector,
  url: urlDetector,
  ip: ipDetector,
  biometric: biometricDetector,
  photo: photoDetector,
  identifier: identifierDetector,
});

export * from './types';
