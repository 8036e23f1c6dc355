import pino, { type Logger } from 'pino';

/** Fields that may hold a secret are never written to a log. */
export const REDACTED_PATHS = [
  'api_key',
  'apiKey',
  '*.api_key',
  '*.apiKey',
  'secretKey',
  '*.secretKey',
  'req.headers.authorization',
  'req.headers.cookie',
  // The payer's id number (a console field of NZ online banking).
  'id_number',
  '*.id_number',
  'idNumber',
  '*.idNumber',
];

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino({ level, redact: { paths: REDACTED_PATHS, censor: '[redacted]' }, base: { pid: process.pid } }, destination);
}
