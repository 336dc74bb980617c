// Jest setupFilesAfterEnv of the e2e and integration projects: in OPENAPI_CONTRACT=strict mode,
// responses that differ from the OpenAPI document (recorded by TestApp.request, see
// libs/testing/src/openapi-contract.ts) fail the test they happened in, even when the test itself
// caught an error; those of beforeAll/afterAll hooks fail the first test or the file.
import { afterAll, afterEach } from '@jest/globals';
import { contractMode, takeContractFailures } from '#testing';

function failOnViolations(): void {
  const failures = takeContractFailures();
  if (failures) throw new Error(failures);
}

if (contractMode() === 'strict') {
  afterEach(failOnViolations);
  afterAll(failOnViolations);
}
