// Shared constants and helpers of the credential module.

/** W3C Verifiable Credentials Data Model 2.0 base context (also defines the Bitstring Status List terms). */
export const VC_V2_CONTEXT = 'https://www.w3.org/ns/credentials/v2';
/** Open Badges 3.0 JSON-LD context. */
export const OB_V3_CONTEXT = 'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json';

/**
 * An XSD dateTimeStamp in UTC with second precision ("2026-12-01T17:28:43Z"), as used for validFrom /
 * validUntil. Seconds match the precision of the JWT nbf/exp claims derived from them.
 */
export function toDateTimeStamp(value: Date | string, field: string): string {
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) throw new Error(`${field} is not a valid date: ${String(value)}`);
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
