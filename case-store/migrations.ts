/**
 * The case store's schema, as numbered migrations. The store's
 * `PRAGMA user_version` says how many have been applied; opening a store runs
 * the missing ones in one transaction, so an older store is upgraded in place
 * and a half-upgraded store cannot exist. Never edit a migration that has
 * shipped: add the next one.
 *
 * The custody log (custody_entries) is the record; every other table is a
 * projection of it, kept for queries, with the `entry_seq` of the entry it
 * comes from, and checked against the log whenever a case is read.
 */
export const MIGRATIONS: readonly string[] = [
  // 1: cases, examiner keys, the custody log and its checkpoint, evidence items.
  `
  CREATE TABLE cases (
    id INTEGER PRIMARY KEY,
    number TEXT NOT NULL UNIQUE,
    title TEXT
  );
  CREATE TABLE examiner_keys (
    fingerprint TEXT PRIMARY KEY,           -- SHA-256 of the public key (SubjectPublicKeyInfo DER), hex
    examiner TEXT NOT NULL UNIQUE,
    public_pem TEXT NOT NULL,
    private_file TEXT,                      -- where the private key is on this machine
    encrypted INTEGER NOT NULL,             -- 1 when the private key needs a passphrase
    created_utc TEXT NOT NULL
  );
  CREATE TABLE custody_entries (
    case_id INTEGER NOT NULL REFERENCES cases(id),
    seq INTEGER NOT NULL,
    line TEXT NOT NULL,                     -- the log line, byte for byte as signed
    PRIMARY KEY (case_id, seq)
  ) WITHOUT ROWID;
  CREATE TABLE checkpoints (
    case_id INTEGER PRIMARY KEY REFERENCES cases(id),
    text TEXT NOT NULL                      -- the latest signed checkpoint
  );
  CREATE TABLE evidence (
    case_id INTEGER NOT NULL REFERENCES cases(id),
    number TEXT NOT NULL,
    entry_seq INTEGER NOT NULL,
    description TEXT,
    make TEXT,
    model TEXT,
    serial TEXT,
    capacity_bytes INTEGER,
    condition TEXT,
    seals TEXT,                             -- JSON array of seal numbers
    PRIMARY KEY (case_id, number)
  );
  `,
  // 2: what happened to the evidence: acquisitions, custody transfers, verifications, reports.
  `
  CREATE TABLE acquisitions (
    case_id INTEGER NOT NULL REFERENCES cases(id),
    entry_seq INTEGER NOT NULL,
    evidence TEXT NOT NULL,
    examiner TEXT NOT NULL,
    result TEXT NOT NULL,                   -- complete | incomplete
    format TEXT NOT NULL,
    folder TEXT NOT NULL,
    record_file TEXT NOT NULL,
    record_sha256 TEXT NOT NULL,
    size_bytes INTEGER NOT NULL,
    md5 TEXT, sha1 TEXT, sha256 TEXT, sha512 TEXT,
    unreadable_sectors INTEGER NOT NULL,
    started_utc TEXT NOT NULL,
    finished_utc TEXT NOT NULL,
    PRIMARY KEY (case_id, entry_seq),
    FOREIGN KEY (case_id, evidence) REFERENCES evidence(case_id, number)
  );
  CREATE TABLE transfers (
    case_id INTEGER NOT NULL REFERENCES cases(id),
    entry_seq INTEGER NOT NULL,
    evidence TEXT NOT NULL,
    time_utc TEXT NOT NULL,
    from_name TEXT NOT NULL,
    from_key TEXT NOT NULL,
    to_name TEXT NOT NULL,
    to_key TEXT,                            -- set when the receiving party countersigned
    purpose TEXT NOT NULL,
    location TEXT NOT NULL,
    PRIMARY KEY (case_id, entry_seq),
    FOREIGN KEY (case_id, evidence) REFERENCES evidence(case_id, number)
  );
  CREATE TABLE verifications (
    case_id INTEGER NOT NULL REFERENCES cases(id),
    entry_seq INTEGER NOT NULL,
    evidence TEXT NOT NULL,
    time_utc TEXT NOT NULL,
    examiner TEXT NOT NULL,
    result TEXT NOT NULL,
    PRIMARY KEY (case_id, entry_seq),
    FOREIGN KEY (case_id, evidence) REFERENCES evidence(case_id, number)
  );
  CREATE TABLE reports (
    case_id INTEGER NOT NULL REFERENCES cases(id),
    entry_seq INTEGER NOT NULL,
    time_utc TEXT NOT NULL,
    examiner TEXT NOT NULL,
    file TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    PRIMARY KEY (case_id, entry_seq)
  );
  `,
  // 3: a transfer from someone the log does not show holding the item is recorded only with a reason.
  `
  ALTER TABLE transfers ADD COLUMN override TEXT;  -- the reason given with --override, else NULL
  `,
  // 4: an examiner may have had several keys (rotated, revoked; one current at most), and RFC 3161
  // time-stamp tokens over checkpoints.
  `
  CREATE TABLE examiner_keys_3 (
    fingerprint TEXT PRIMARY KEY,
    examiner TEXT NOT NULL,
    public_pem TEXT NOT NULL,
    private_file TEXT,
    encrypted INTEGER NOT NULL,
    created_utc TEXT NOT NULL,
    retired_utc TEXT,                       -- when a rotation replaced it
    replaced_by TEXT,                       -- the key that replaced it
    revoked_utc TEXT,                       -- when it was revoked
    revoked_effective_utc TEXT,             -- from when its signatures no longer count
    revoked_reason TEXT
  );
  INSERT INTO examiner_keys_3 (fingerprint, examiner, public_pem, private_file, encrypted, created_utc)
    SELECT fingerprint, examiner, public_pem, private_file, encrypted, created_utc FROM examiner_keys;
  DROP TABLE examiner_keys;
  ALTER TABLE examiner_keys_3 RENAME TO examiner_keys;
  CREATE UNIQUE INDEX examiner_current_key ON examiner_keys (examiner) WHERE retired_utc IS NULL AND revoked_utc IS NULL;
  CREATE TABLE timestamps (
    case_id INTEGER NOT NULL REFERENCES cases(id),
    checkpoint_sha256 TEXT NOT NULL,        -- SHA-256 of the checkpoint's text: the imprint the token holds
    size INTEGER NOT NULL,                  -- how many entries that checkpoint covers
    token BLOB NOT NULL,                    -- the TSA's reply (TimeStampResp, DER), as received
    gen_time_utc TEXT NOT NULL,             -- the time it proves
    PRIMARY KEY (case_id, checkpoint_sha256)
  );
  CREATE TABLE rollbacks_seen (
    case_id INTEGER PRIMARY KEY REFERENCES cases(id),
    size INTEGER NOT NULL,                  -- the most entries a sound copy of the log was seen to hold
    head TEXT NOT NULL,                     -- that copy's last line's SHA-256
    place TEXT NOT NULL,                    -- where the copy was
    seen_utc TEXT NOT NULL
  );
  `,
  // 5: where each case's log registers each signer's key: an index the quick check before an
  // append reads (custody-log-quick.ts), each row checked against its entry when used. Filled by the
  // first append of each signer to each case after a full check; not a projection the full check compares.
  `
  CREATE TABLE log_keys (
    case_id INTEGER NOT NULL REFERENCES cases(id),
    fingerprint TEXT NOT NULL,
    entry_seq INTEGER NOT NULL,             -- the entry that registers it (key.registered or key.rotated)
    PRIMARY KEY (case_id, fingerprint)
  );
  CREATE INDEX transfers_by_item ON transfers (case_id, evidence, entry_seq);
  `,
  // 6: live status: each running acquire, verify, convert, restore or clone publishes its progress
  // every 2 seconds (cli/job-status.ts); not part of any custody log.
  `
  CREATE TABLE jobs (
    id TEXT PRIMARY KEY,
    command TEXT NOT NULL,
    host TEXT NOT NULL,
    pid INTEGER NOT NULL,
    examiner TEXT,
    case_number TEXT,
    evidence TEXT,
    started_utc TEXT NOT NULL,
    updated_utc TEXT NOT NULL,
    state TEXT NOT NULL,                    -- running | finished | failed (lost: running, silent for 30 s)
    phase TEXT,
    bytes_done INTEGER,
    bytes_total INTEGER,
    rate REAL,                              -- bytes per second over the last 10 s
    exit_code INTEGER
  );
  `,
  // 7: lab administrators: a key marked so may sign the revocation of another examiner's key
  // (key-life.ts); the trust register says who the lab's administrators are, and --trust checks it.
  `
  ALTER TABLE examiner_keys ADD COLUMN administrator INTEGER NOT NULL DEFAULT 0;
  `,
  // 8: the dashboard (exhibit serve) reads jobs from the store too, so a lab's shared store shows
  // every workstation's: the unreadable sectors so far, and what the dashboard shows besides (JSON:
  // kind, subject, drive, model, serial, format, folder, mapfile, sector size, unreadable ranges, result).
  `
  ALTER TABLE jobs ADD COLUMN unreadable_sectors INTEGER;
  ALTER TABLE jobs ADD COLUMN details TEXT;
  CREATE INDEX jobs_by_update ON jobs (updated_utc);
  `,
];
