/** The case store: cases, evidence, examiner keys, and each case's signed custody log. */
export { CaseStore, storeExists, storeLocation, storeUrlOf, type CaseRow } from './store.js';
export { exhibitPaths, type ExhibitPaths } from './paths.js';
export { loadConfig, type ExhibitConfig } from './config.js';
export { MIGRATIONS } from './migrations.js';
export { administratorKeys, checkExaminerName, createKey, findKey, revokedKeyOf, keyByFingerprint, keyFileOpenMode, listKeys, loadSigner, registerKeys, localKey, refuseLookAlike, type KeyRow, type Signer } from './keys.js';
export { revokeKey, rotateKey, type KeyChange } from './key-life.js';
export { checkCase, checkpointOf, logLines, recordRollbackSeen, requireIntact, requireIntactLog, tamperError, type Append } from './custody-log.js';
export { acquisitionEntryFor, caseSummary, hasEvidence, refuseLookAlikeCase, recordVerification, recordReport, recordEvidenceEvent, checkCaseNumber, logForEvidence, openCase, recordTransfer, registerEvidence, type CaseSummary, type TransferParty } from './cases.js';
export { acquisitionPayload, evidenceFromRecord, type EvidenceItem } from './payloads.js';
export { custodyFileNames, exportCustody, type ExportedCustody } from './export.js';
export { knownEvidence, loggedMediaHashes, loggedSourceChange } from './known-evidence.js';
export { currentCheckpoint, keepToken, tokenFor, type StoredToken } from './timestamps.js';
export { findJobStatus, jobStatuses, listJobs, publishJob, JOB_KINDS, LOST_AFTER_MS, MAX_RANGES, PUBLISH_EVERY_MS, type JobDetails, type JobFacts, type JobKind, type JobRow, type JobState, type JobStatus } from './jobs.js';
export { copyStore, type CopyReport } from './store-copy.js';
