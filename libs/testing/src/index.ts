export { TEST_ENV, requireTestEnv, testRedisUrl } from './test-env.js';
export { createTestDatabase, withDatabase, type TestDatabase } from './test-database.js';
export { testConfig } from './test-config.js';
export {
  callApi,
  createTestApp,
  createTestWorker,
  type JsonResponse,
  type TestApp,
  type TestAppOptions,
} from './test-app.js';
export { startTestSmtpServer, type ReceivedMail, type TestSmtpServer } from './smtp-server.js';
export { createActor, TEST_PASSWORD, type TestActor } from './actors.js';
export { ManualClock } from './manual-clock.js';
export { captureLogLines } from './log-capture.js';
export { startAzurite, AZURITE_ACCOUNT_KEY, AZURITE_ACCOUNT_NAME, type TestAzurite } from './azurite.js';
export { freePort } from './free-port.js';
export { buildPrivateDist, spawnWorkerProcess, type PrivateBuild, type WorkerProcess } from './worker-process.js';
export {
  checkFetchResponse,
  contractMode,
  contractReportDir,
  OpenApiContract,
  takeContractFailures,
  type ContractMode,
  type ContractViolation,
} from './openapi-contract.js';
