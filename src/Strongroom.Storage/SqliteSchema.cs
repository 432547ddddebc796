using Microsoft.Data.Sqlite;

namespace Strongroom.Storage;

/// <summary>
/// The metadata schema and its migrations. A migration is appended, never edited: a database
/// records which versions it has applied in <c>schema_version</c>, and each one runs exactly once.
///
/// Migrations 1 to 19 are SQLite's alone (PostgreSQL starts from an equivalent baseline,
/// <see cref="PostgresSchema"/>). From 20 on, each migration is written once and runs on both, so
/// it keeps to the portable subset: column types written as the capitalised words TEXT, INTEGER and
/// BLOB (PostgreSQL reads them as TEXT COLLATE "C" — bytewise order, like SQLite's BINARY —,
/// BIGINT and BYTEA; <see cref="PostgresSchema.Translate"/>); CREATE TABLE with PRIMARY KEY,
/// NOT NULL, DEFAULT of a literal, REFERENCES (with ON DELETE CASCADE); CREATE [UNIQUE] INDEX, with
/// a WHERE of plain comparisons; ALTER TABLE ADD COLUMN (one per statement; NOT NULL needs a
/// DEFAULT); DROP INDEX / DROP TABLE; INSERT, UPDATE and DELETE in standard SQL. Not allowed:
/// triggers, WITHOUT ROWID, INSERT OR ..., pragmas, AUTOINCREMENT, SQLite's functions (two-argument
/// MAX/MIN, IFNULL, GLOB; use CASE, COALESCE), comparisons used as integers, and a type word in
/// lower case. The translation refuses the listed words; the PostgreSQL tests run every migration.
/// </summary>
internal static class SqliteSchema
{
    /// <summary>The schema version this build reads and writes.</summary>
    public const int CurrentVersion = 23;

    // Index i upgrades a database from version i to version i + 1.
    private static readonly string[][] Migrations =
    [
        [
            """
            CREATE TABLE accounts (
                name TEXT NOT NULL PRIMARY KEY,
                wrapped_key1 BLOB NOT NULL,
                wrapped_key2 BLOB NOT NULL,
                wrapped_kek BLOB NOT NULL,
                created_on INTEGER NOT NULL,
                state INTEGER NOT NULL
            )
            """,
            """
            CREATE TABLE containers (
                account TEXT NOT NULL REFERENCES accounts (name),
                name TEXT NOT NULL,
                etag TEXT NOT NULL,
                created_on INTEGER NOT NULL,
                last_modified INTEGER NOT NULL,
                metadata TEXT NOT NULL,
                PRIMARY KEY (account, name)
            )
            """,
            """
            CREATE TABLE blobs (
                account TEXT NOT NULL,
                container TEXT NOT NULL,
                name TEXT NOT NULL,
                blob_type INTEGER NOT NULL,
                content_length INTEGER NOT NULL,
                etag TEXT NOT NULL,
                created_on INTEGER NOT NULL,
                last_modified INTEGER NOT NULL,
                content_type TEXT NULL,
                content_encoding TEXT NULL,
                content_language TEXT NULL,
                content_disposition TEXT NULL,
                cache_control TEXT NULL,
                content_md5 BLOB NULL,
                metadata TEXT NOT NULL,
                PRIMARY KEY (account, container, name),
                FOREIGN KEY (account, container) REFERENCES containers (account, name)
            )
            """,
            """
            CREATE TABLE objects (
                object_id TEXT NOT NULL PRIMARY KEY,
                site_id TEXT NOT NULL,
                wrapped_key BLOB NOT NULL,
                plaintext_length INTEGER NOT NULL
            )
            """,
            "CREATE INDEX objects_by_site ON objects (site_id, object_id)",
            """
            CREATE TABLE blob_parts (
                account TEXT NOT NULL,
                container TEXT NOT NULL,
                blob TEXT NOT NULL,
                ordinal INTEGER NOT NULL,
                block_id TEXT NULL,
                object_id TEXT NOT NULL REFERENCES objects (object_id),
                PRIMARY KEY (account, container, blob, ordinal),
                FOREIGN KEY (account, container, blob) REFERENCES blobs (account, container, name)
            )
            """,
            "CREATE INDEX blob_parts_by_object ON blob_parts (object_id)",
            """
            CREATE TABLE uncommitted_blocks (
                account TEXT NOT NULL,
                container TEXT NOT NULL,
                blob TEXT NOT NULL,
                block_id TEXT NOT NULL,
                object_id TEXT NOT NULL REFERENCES objects (object_id),
                created_on INTEGER NOT NULL,
                PRIMARY KEY (account, container, blob, block_id),
                FOREIGN KEY (account, container) REFERENCES containers (account, name)
            )
            """,
            "CREATE INDEX uncommitted_blocks_by_object ON uncommitted_blocks (object_id)",
        ],
        [
            // Cipher suites (issue 3): the suite an account's objects are written with
            // (Core.CipherSuite: 1 = AES-256-GCM, 2 = SM4-GCM). Accounts created before are AES.
            "ALTER TABLE accounts ADD COLUMN cipher_suite INTEGER NOT NULL DEFAULT 1",
        ],

        // Encryption scopes and customer-provided keys (issue 3). A scope's key is stored only
        // wrapped; an object records the scope whose key wraps its data key and, for a
        // customer-provided key, only that key's SHA-256 (as Azure does).
        [
            """
            CREATE TABLE encryption_scopes (
                account TEXT NOT NULL,
                name TEXT NOT NULL,
                state INTEGER NOT NULL,
                key_source INTEGER NOT NULL,
                wrapped_kek BLOB NOT NULL,
                customer_key_name TEXT NULL,
                customer_key_version TEXT NULL,
                created_on INTEGER NOT NULL,
                PRIMARY KEY (account, name)
            )
            """,
            "ALTER TABLE containers ADD COLUMN default_encryption_scope TEXT NULL",
            "ALTER TABLE containers ADD COLUMN deny_encryption_scope_override INTEGER NOT NULL DEFAULT 0",
            "ALTER TABLE blobs ADD COLUMN encryption_scope TEXT NULL",
            "ALTER TABLE blobs ADD COLUMN customer_key_sha256 BLOB NULL",
            "ALTER TABLE objects ADD COLUMN encryption_scope TEXT NULL",
            "ALTER TABLE objects ADD COLUMN customer_key_sha256 BLOB NULL",
        ],
        [
            // Versioned account key-encryption keys (rotation): each account's existing key becomes
            // version 1, and this table is the only place a KEK is kept from then on.
            """
            CREATE TABLE account_keks (
                account TEXT NOT NULL REFERENCES accounts (name),
                version INTEGER NOT NULL,
                wrapped_kek BLOB NOT NULL,
                created_on INTEGER NOT NULL,
                PRIMARY KEY (account, version)
            )
            """,
            "INSERT INTO account_keks (account, version, wrapped_kek, created_on) SELECT name, 1, wrapped_kek, created_on FROM accounts",
            "ALTER TABLE accounts DROP COLUMN wrapped_kek",
        ],

        // The Key Vault API (issue 3): per-account vault settings, items (secrets and keys) by
        // case-folded name with their soft-delete state, and their versions. Values and private
        // key material are stored only wrapped by the platform keyring.
        [
            """
            CREATE TABLE vault_settings (
                account TEXT NOT NULL PRIMARY KEY,
                retention_days INTEGER NOT NULL,
                purge_protection INTEGER NOT NULL
            )
            """,
            """
            CREATE TABLE vault_items (
                account TEXT NOT NULL,
                kind INTEGER NOT NULL,
                name TEXT NOT NULL,
                display_name TEXT NOT NULL,
                deleted_on INTEGER NULL,
                scheduled_purge_on INTEGER NULL,
                last_sequence INTEGER NOT NULL,
                PRIMARY KEY (account, kind, name)
            )
            """,
            """
            CREATE TABLE vault_item_versions (
                account TEXT NOT NULL,
                kind INTEGER NOT NULL,
                name TEXT NOT NULL,
                version TEXT NOT NULL,
                sequence INTEGER NOT NULL,
                created_on INTEGER NOT NULL,
                updated_on INTEGER NOT NULL,
                enabled INTEGER NOT NULL,
                not_before INTEGER NULL,
                expires INTEGER NULL,
                content_type TEXT NULL,
                tags TEXT NOT NULL,
                key_description TEXT NULL,
                wrapped_value BLOB NOT NULL,
                PRIMARY KEY (account, kind, name, version),
                FOREIGN KEY (account, kind, name) REFERENCES vault_items (account, kind, name)
            )
            """,
            "CREATE UNIQUE INDEX vault_item_versions_by_sequence ON vault_item_versions (account, kind, name, sequence)",
        ],

        // The transparency logs (issue 4): one append-only RFC 6962 tree per log (an account's name,
        // or "$platform"), never tied to the accounts table, so a log outlives its account. A log's
        // row holds its size and the first index whose body is still kept; entries hold the
        // canonical bytes (NULL once pruned); hashes hold every complete subtree's hash at
        // (level, idx), the leaf hashes at level 0, so roots, proofs and tiles are O(log n) reads.
        // Triggers refuse every change the store itself never makes (defence in depth against an
        // editing mistake; someone with the file can drop them, which is why the tenant verifies).
        // WITHOUT ROWID and triggers are SQLite's; PostgreSQL keeps the primary keys and uses rules.
        [
            """
            CREATE TABLE audit_logs (
                log TEXT NOT NULL PRIMARY KEY,
                size INTEGER NOT NULL,
                retained_from INTEGER NOT NULL DEFAULT 0
            )
            """,
            """
            CREATE TABLE audit_entries (
                log TEXT NOT NULL,
                idx INTEGER NOT NULL,
                time INTEGER NOT NULL,
                body BLOB NULL,
                PRIMARY KEY (log, idx)
            ) WITHOUT ROWID
            """,
            """
            CREATE TABLE audit_hashes (
                log TEXT NOT NULL,
                level INTEGER NOT NULL,
                idx INTEGER NOT NULL,
                hash BLOB NOT NULL,
                PRIMARY KEY (log, level, idx)
            ) WITHOUT ROWID
            """,
            """
            CREATE TABLE audit_checkpoints (
                log TEXT NOT NULL,
                size INTEGER NOT NULL,
                root BLOB NOT NULL,
                signed_on INTEGER NOT NULL,
                note TEXT NOT NULL,
                PRIMARY KEY (log, size)
            )
            """,
            // Literals, not Limits: a migration means the same thing forever (1 = DataPlaneLogging.Writes,
            // 180 = the retention default and minimum when this was written).
            "ALTER TABLE accounts ADD COLUMN audit_data_plane INTEGER NOT NULL DEFAULT 1",
            "ALTER TABLE accounts ADD COLUMN audit_retention_days INTEGER NOT NULL DEFAULT 180",
            """
            CREATE TRIGGER audit_logs_append_only BEFORE UPDATE ON audit_logs
            WHEN NEW.log IS NOT OLD.log OR NEW.size < OLD.size OR NEW.retained_from < OLD.retained_from
            BEGIN SELECT RAISE(ABORT, 'audit logs only grow'); END
            """,
            "CREATE TRIGGER audit_logs_no_delete BEFORE DELETE ON audit_logs BEGIN SELECT RAISE(ABORT, 'audit logs are never deleted'); END",
            // An entry goes at the end of its log (the store inserts it before growing the size), and
            // a hash or checkpoint only once: this also refuses INSERT OR REPLACE, whose implicit
            // delete fires no delete trigger.
            """
            CREATE TRIGGER audit_entries_append_only BEFORE INSERT ON audit_entries
            WHEN NEW.idx IS NOT (SELECT size FROM audit_logs WHERE log = NEW.log)
            BEGIN SELECT RAISE(ABORT, 'audit entries are appended at the end of their log'); END
            """,
            """
            CREATE TRIGGER audit_hashes_insert_once BEFORE INSERT ON audit_hashes
            WHEN EXISTS (SELECT 1 FROM audit_hashes WHERE log = NEW.log AND level = NEW.level AND idx = NEW.idx)
            BEGIN SELECT RAISE(ABORT, 'audit hashes are stored once'); END
            """,
            """
            CREATE TRIGGER audit_checkpoints_insert_once BEFORE INSERT ON audit_checkpoints
            WHEN EXISTS (SELECT 1 FROM audit_checkpoints WHERE log = NEW.log AND size = NEW.size)
            BEGIN SELECT RAISE(ABORT, 'audit checkpoints are stored once'); END
            """,
            """
            CREATE TRIGGER audit_entries_prune_only BEFORE UPDATE ON audit_entries
            WHEN NEW.log IS NOT OLD.log OR NEW.idx IS NOT OLD.idx OR NEW.time IS NOT OLD.time OR NEW.body IS NOT NULL
            BEGIN SELECT RAISE(ABORT, 'audit entries change only by pruning their body'); END
            """,
            "CREATE TRIGGER audit_entries_no_delete BEFORE DELETE ON audit_entries BEGIN SELECT RAISE(ABORT, 'audit entries are never deleted'); END",
            "CREATE TRIGGER audit_hashes_no_update BEFORE UPDATE ON audit_hashes BEGIN SELECT RAISE(ABORT, 'audit hashes never change'); END",
            "CREATE TRIGGER audit_hashes_no_delete BEFORE DELETE ON audit_hashes BEGIN SELECT RAISE(ABORT, 'audit hashes are never deleted'); END",
            "CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints BEGIN SELECT RAISE(ABORT, 'audit checkpoints never change'); END",
            "CREATE TRIGGER audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints BEGIN SELECT RAISE(ABORT, 'audit checkpoints are never deleted'); END",
        ],

        // Datacenters (issue 5): an object has a copy on each of several sites, each Present,
        // Pending (owed: the outbox of asynchronous copies and the repair queue) or Bad (to be
        // replaced); CopyState's numbers are frozen here. Existing objects get one Present copy on
        // the site they were written to. objects.site_id stays (NOT NULL, written with the first
        // copy's site) but nothing reads it, so its index goes. Objects record their ciphertext's
        // length and CRC-64 (the bit pattern of the unsigned value, as a signed 64-bit integer) so
        // a copy can be verified without a key, when they were written (ticks; 0 = before this
        // version) and their account, so per-account questions (last sync time, usage) need no
        // join through the blobs. Accounts gain a placement policy (all NULL: none recorded, the
        // deployment's default applies) and containers their own redundancy (Redundancy's
        // canonical text). site_states holds an administrator's durable decision per site (drain,
        // remove); site_tombstones the deletions owed to sites that could not take them.
        [
            """
            CREATE TABLE object_copies (
                object_id TEXT NOT NULL REFERENCES objects (object_id),
                site_id TEXT NOT NULL,
                state INTEGER NOT NULL,
                PRIMARY KEY (object_id, site_id)
            ) WITHOUT ROWID
            """,
            "CREATE INDEX object_copies_by_site ON object_copies (site_id, object_id)",
            // The owed copies (usually few: both partial indexes cost nothing for a Present copy), in
            // work order, and by site and state (the oldest copy a secondary region still owes).
            "CREATE INDEX object_copies_owed ON object_copies (object_id, site_id, state) WHERE state <> 0",
            "CREATE INDEX object_copies_owed_by_site ON object_copies (site_id, state, object_id) WHERE state <> 0",
            "INSERT INTO object_copies (object_id, site_id, state) SELECT object_id, site_id, 0 FROM objects",
            "DROP INDEX objects_by_site",
            "ALTER TABLE objects ADD COLUMN ciphertext_length INTEGER NOT NULL DEFAULT 0",
            "ALTER TABLE objects ADD COLUMN ciphertext_crc64 INTEGER NULL",
            "ALTER TABLE objects ADD COLUMN created_on INTEGER NOT NULL DEFAULT 0",
            "ALTER TABLE objects ADD COLUMN account TEXT NULL",
            """
            UPDATE objects SET account = COALESCE(
                (SELECT p.account FROM blob_parts p WHERE p.object_id = objects.object_id LIMIT 1),
                (SELECT u.account FROM uncommitted_blocks u WHERE u.object_id = objects.object_id LIMIT 1))
            """,
            "CREATE INDEX objects_by_account ON objects (account, object_id)",
            """
            CREATE TABLE site_states (
                site_id TEXT NOT NULL PRIMARY KEY,
                state INTEGER NOT NULL,
                changed_on INTEGER NOT NULL
            )
            """,
            """
            CREATE TABLE site_tombstones (
                site_id TEXT NOT NULL,
                object_id TEXT NOT NULL,
                created_on INTEGER NOT NULL,
                PRIMARY KEY (site_id, object_id)
            ) WITHOUT ROWID
            """,
            "ALTER TABLE accounts ADD COLUMN residency TEXT NULL",
            "ALTER TABLE accounts ADD COLUMN primary_region TEXT NULL",
            "ALTER TABLE accounts ADD COLUMN secondary_region TEXT NULL",
            "ALTER TABLE accounts ADD COLUMN redundancy TEXT NULL",
            "ALTER TABLE containers ADD COLUMN redundancy TEXT NULL",
        ],

        // 7 → 8 (issue 6): the management plane's principals and sessions, lockbox requests and
        // their grants, cross-border transfers. A principal is an operator (kind 0, account '') or a
        // tenant administrator (kind 1) of one account; its password is an Argon2id PHC string and
        // its TOTP seed is stored only wrapped under a key derived from the keyring. A session is
        // stored as the SHA-256 of its token. Requests and transfers keep both approvals (who,
        // when) in their row; every transition commits with its transparency log entry. A copy
        // made under a transfer names it (object_copies.transfer_id), which is what lets it sit
        // outside the residency and keeps the scrub from removing it.
        [
            """
            CREATE TABLE principals (
                kind INTEGER NOT NULL,
                account TEXT NOT NULL,
                name TEXT NOT NULL,
                role INTEGER NULL,
                password_hash TEXT NOT NULL,
                totp_seed BLOB NOT NULL,
                totp_last_step INTEGER NOT NULL,
                failed_logins INTEGER NOT NULL,
                locked_until INTEGER NULL,
                disabled INTEGER NOT NULL,
                created_on INTEGER NOT NULL,
                PRIMARY KEY (kind, account, name)
            ) WITHOUT ROWID
            """,
            """
            CREATE TABLE sessions (
                id TEXT NOT NULL PRIMARY KEY,
                token_hash BLOB NOT NULL UNIQUE,
                kind INTEGER NOT NULL,
                account TEXT NOT NULL,
                name TEXT NOT NULL,
                created_on INTEGER NOT NULL,
                last_seen_on INTEGER NOT NULL,
                ended INTEGER NOT NULL
            )
            """,
            """
            CREATE TABLE lockbox_requests (
                id TEXT NOT NULL PRIMARY KEY,
                account TEXT NOT NULL,
                container TEXT NOT NULL,
                prefix TEXT NULL,
                access INTEGER NOT NULL,
                duration_seconds INTEGER NOT NULL,
                justification TEXT NOT NULL,
                requester TEXT NOT NULL,
                state INTEGER NOT NULL,
                requested_on INTEGER NOT NULL,
                pending_expires_on INTEGER NOT NULL,
                tenant_approver TEXT NULL,
                tenant_approved_on INTEGER NULL,
                security_approver TEXT NULL,
                security_approved_on INTEGER NULL,
                decided_by TEXT NULL,
                decided_on INTEGER NULL,
                activated_on INTEGER NULL,
                ends_on INTEGER NULL,
                ended_by TEXT NULL,
                ended_on INTEGER NULL
            )
            """,
            "CREATE INDEX lockbox_requests_by_account ON lockbox_requests (account, requested_on)",
            "CREATE INDEX lockbox_requests_open ON lockbox_requests (state, id) WHERE state IN (0, 1, 4)",
            """
            CREATE TABLE transfers (
                id TEXT NOT NULL PRIMARY KEY,
                account TEXT NOT NULL,
                container TEXT NOT NULL,
                prefix TEXT NULL,
                destination_site TEXT NOT NULL,
                legal_basis INTEGER NOT NULL,
                legal_reference TEXT NOT NULL,
                purpose TEXT NOT NULL,
                requester TEXT NOT NULL,
                state INTEGER NOT NULL,
                requested_on INTEGER NOT NULL,
                pending_expires_on INTEGER NOT NULL,
                tenant_approver TEXT NULL,
                tenant_approved_on INTEGER NULL,
                security_approver TEXT NULL,
                security_approved_on INTEGER NULL,
                decided_by TEXT NULL,
                decided_on INTEGER NULL,
                completed_on INTEGER NULL,
                objects_copied INTEGER NOT NULL,
                bytes_copied INTEGER NOT NULL
            )
            """,
            "CREATE INDEX transfers_by_account ON transfers (account, requested_on)",
            "CREATE INDEX transfers_open ON transfers (state, id) WHERE state IN (0, 1)",
            "ALTER TABLE object_copies ADD COLUMN transfer_id TEXT NULL",
        ],

        // 8 → 9 (issue 7): data protection and destruction. An account's data-protection settings
        // (versioning, blob and container soft-delete retention in days, NULL = off, and Azure's
        // allowPermanentDelete) and its closure (closed_on: when it was closed; destroy_after: when
        // its grace period ends; state 2 Closed, 3 Destroyed — the row outlives the destruction with
        // its keys erased, so the name stays taken and its certificates stay addressable).
        //
        // blobs holds only live current blobs, as before; version_id is the current version's id
        // (NULL when versioning was off at the write). Everything else a name has — previous
        // versions (kind 0), snapshots (kind 1) and soft-deleted blobs (kind 2) — is an instance in
        // blob_instances, under its version id, snapshot time or a deletion id, with its own parts
        // in blob_instance_parts (an object may be shared by a blob and its instances: the reference
        // check looks at both part tables). deleted_on is when an instance was soft-deleted and
        // purge_on when its retention (fixed at deletion, as in Azure) ends; the purge sweep reads
        // the partial index. legal_hold on a blob or instance, and legal_hold_tags (a JSON array;
        // NULL = no hold) on a container, block every delete and purge under them.
        //
        // A soft-deleted container keeps its rows under an internal name, '<name>!<version>' ('!' is
        // never in a container name), with deleted_name = the name it had, deleted_on and purge_on;
        // a live container of the same name can exist beside it, as in Azure.
        //
        // destructions records each crypto-shredding of an account (kind 0) or container (kind 1):
        // what was destroyed (details: canonical JSON of key ids, counts and sites), when the keys
        // went and when the sweep of every site completed, and the log index of each entry. The
        // site_tombstones it leaves carry its id, so a site's sweep is complete when none remain.
        // destruction_certificates holds every signed certificate issued for it (revision 1 at key
        // destruction, the next when the sweep completes): the canonical document and its detached
        // signature, kept after the account is destroyed.
        [
            "ALTER TABLE accounts ADD COLUMN versioning INTEGER NOT NULL DEFAULT 0",
            "ALTER TABLE accounts ADD COLUMN blob_soft_delete_days INTEGER NULL",
            "ALTER TABLE accounts ADD COLUMN container_soft_delete_days INTEGER NULL",
            "ALTER TABLE accounts ADD COLUMN allow_permanent_delete INTEGER NOT NULL DEFAULT 0",
            "ALTER TABLE accounts ADD COLUMN closed_on INTEGER NULL",
            "ALTER TABLE accounts ADD COLUMN destroy_after INTEGER NULL",
            "ALTER TABLE blobs ADD COLUMN version_id TEXT NULL",
            "ALTER TABLE blobs ADD COLUMN legal_hold INTEGER NOT NULL DEFAULT 0",
            "ALTER TABLE containers ADD COLUMN legal_hold_tags TEXT NULL",
            "ALTER TABLE containers ADD COLUMN deleted_name TEXT NULL",
            "ALTER TABLE containers ADD COLUMN deleted_on INTEGER NULL",
            "ALTER TABLE containers ADD COLUMN purge_on INTEGER NULL",
            "CREATE INDEX containers_purge_due ON containers (purge_on) WHERE purge_on IS NOT NULL",
            """
            CREATE TABLE blob_instances (
                account TEXT NOT NULL,
                container TEXT NOT NULL,
                name TEXT NOT NULL,
                instance_id TEXT NOT NULL,
                kind INTEGER NOT NULL,
                deleted_on INTEGER NULL,
                purge_on INTEGER NULL,
                blob_type INTEGER NOT NULL,
                content_length INTEGER NOT NULL,
                etag TEXT NOT NULL,
                created_on INTEGER NOT NULL,
                last_modified INTEGER NOT NULL,
                content_type TEXT NULL,
                content_encoding TEXT NULL,
                content_language TEXT NULL,
                content_disposition TEXT NULL,
                cache_control TEXT NULL,
                content_md5 BLOB NULL,
                metadata TEXT NOT NULL,
                encryption_scope TEXT NULL,
                customer_key_sha256 BLOB NULL,
                version_id TEXT NULL,
                legal_hold INTEGER NOT NULL DEFAULT 0,
                PRIMARY KEY (account, container, name, instance_id),
                FOREIGN KEY (account, container) REFERENCES containers (account, name)
            )
            """,
            "CREATE INDEX blob_instances_purge_due ON blob_instances (purge_on) WHERE purge_on IS NOT NULL",
            """
            CREATE TABLE blob_instance_parts (
                account TEXT NOT NULL,
                container TEXT NOT NULL,
                blob TEXT NOT NULL,
                instance_id TEXT NOT NULL,
                ordinal INTEGER NOT NULL,
                block_id TEXT NULL,
                object_id TEXT NOT NULL REFERENCES objects (object_id),
                PRIMARY KEY (account, container, blob, instance_id, ordinal),
                FOREIGN KEY (account, container, blob, instance_id) REFERENCES blob_instances (account, container, name, instance_id)
            )
            """,
            "CREATE INDEX blob_instance_parts_by_object ON blob_instance_parts (object_id)",
            """
            CREATE TABLE destructions (
                id TEXT NOT NULL PRIMARY KEY,
                account TEXT NOT NULL,
                kind INTEGER NOT NULL,
                scope TEXT NOT NULL,
                state INTEGER NOT NULL,
                keys_destroyed_on INTEGER NOT NULL,
                sweep_completed_on INTEGER NULL,
                object_count INTEGER NOT NULL,
                byte_count INTEGER NOT NULL,
                details TEXT NOT NULL,
                keys_entry_index INTEGER NULL,
                sweep_entry_index INTEGER NULL
            )
            """,
            "CREATE INDEX destructions_by_account ON destructions (account, keys_destroyed_on)",
            "CREATE INDEX destructions_sweeping ON destructions (state, id) WHERE state = 0",
            "ALTER TABLE site_tombstones ADD COLUMN destruction_id TEXT NULL",
            "CREATE INDEX site_tombstones_by_destruction ON site_tombstones (destruction_id, site_id) WHERE destruction_id IS NOT NULL",
            """
            CREATE TABLE destruction_certificates (
                destruction_id TEXT NOT NULL,
                revision INTEGER NOT NULL,
                account TEXT NOT NULL,
                issued_on INTEGER NOT NULL,
                document BLOB NOT NULL,
                signature BLOB NOT NULL,
                PRIMARY KEY (destruction_id, revision)
            )
            """,
            "CREATE INDEX destruction_certificates_by_account ON destruction_certificates (account, issued_on)",
        ],

        // 9 → 10 (issue 7, Copy Blob): a blob (and an instance kept of it) made by a copy records
        // the copy's id, its source URL and when it completed, which Get Blob Properties returns as
        // x-ms-copy-* (the SDK's copy operation polls for x-ms-copy-status). Copies are synchronous
        // here, so a recorded copy is always a successful one; NULL: not made by a copy.
        [
            "ALTER TABLE blobs ADD COLUMN copy_id TEXT NULL",
            "ALTER TABLE blobs ADD COLUMN copy_source TEXT NULL",
            "ALTER TABLE blobs ADD COLUMN copy_completed_on INTEGER NULL",
            "ALTER TABLE blob_instances ADD COLUMN copy_id TEXT NULL",
            "ALTER TABLE blob_instances ADD COLUMN copy_source TEXT NULL",
            "ALTER TABLE blob_instances ADD COLUMN copy_completed_on INTEGER NULL",
        ],

        // 10 → 11 (issue 7, certificate revisions): how many certificate revisions a destruction
        // is owed — one when its keys are destroyed, one more when its sweep completes, one more
        // each time customer-managed keys kept by purge protection are purged later. Each event
        // raises it in its own transaction; a certificate is owed while fewer revisions are stored
        // (destruction_certificates). Rows of version 10 are owed what they had then: one, and one
        // more once complete, never less than they already have.
        [
            "ALTER TABLE destructions ADD COLUMN revisions_due INTEGER NOT NULL DEFAULT 1",
            "UPDATE destructions SET revisions_due = MAX(1 + (state = 1), (SELECT COUNT(*) FROM destruction_certificates c WHERE c.destruction_id = destructions.id))",
        ],

        // 11 → 12 (issue 8, blob properties every blob type shares): the access tier as a label
        // (Hot, Cool, Cold, Archive; NULL: never set, reported as inferred Hot) and when it last
        // changed; whether an append blob is sealed; a page blob's sequence number. Kept on
        // instances too, since a version or snapshot reports what its blob had.
        [
            "ALTER TABLE blobs ADD COLUMN access_tier TEXT NULL",
            "ALTER TABLE blobs ADD COLUMN access_tier_changed_on INTEGER NULL",
            "ALTER TABLE blobs ADD COLUMN sealed INTEGER NOT NULL DEFAULT 0",
            "ALTER TABLE blobs ADD COLUMN sequence_number INTEGER NOT NULL DEFAULT 0",
            "ALTER TABLE blob_instances ADD COLUMN access_tier TEXT NULL",
            "ALTER TABLE blob_instances ADD COLUMN access_tier_changed_on INTEGER NULL",
            "ALTER TABLE blob_instances ADD COLUMN sealed INTEGER NOT NULL DEFAULT 0",
            "ALTER TABLE blob_instances ADD COLUMN sequence_number INTEGER NOT NULL DEFAULT 0",
        ],

        // 12 → 13 (issue 8, SAS): stored access policies (container ACL signed identifiers), up to
        // five per container in the order Set Container ACL gave them; start and expiry in ticks,
        // each field NULL when the policy leaves it to the SAS. They follow their container into
        // soft delete and back, and go with it when it is destroyed.
        [
            """
            CREATE TABLE container_access_policies (
                account TEXT NOT NULL,
                container TEXT NOT NULL,
                ordinal INTEGER NOT NULL,
                id TEXT NOT NULL,
                start INTEGER NULL,
                expiry INTEGER NULL,
                permission TEXT NULL,
                PRIMARY KEY (account, container, ordinal)
            )
            """,
        ],

        // 13 → 14 (issue 8, leases on containers and blobs): one row per leased (or once leased,
        // expired or broken) container or current blob, holding facts only — the id, the duration
        // (-1 infinite), when a fixed lease expires, when a break period ends — so expiry needs no
        // write. The lease goes with its row (ON DELETE CASCADE): deleting a blob or container, or
        // moving a container to its soft-deleted key, ends its lease; an overwrite (an upsert of
        // the blob row) keeps it, as Azure does.
        [
            """
            CREATE TABLE blob_leases (
                account TEXT NOT NULL,
                container TEXT NOT NULL,
                blob TEXT NOT NULL,
                lease_id TEXT NOT NULL,
                duration_seconds INTEGER NOT NULL,
                expires_on INTEGER NULL,
                broken_on INTEGER NULL,
                PRIMARY KEY (account, container, blob),
                FOREIGN KEY (account, container, blob) REFERENCES blobs (account, container, name) ON DELETE CASCADE
            ) WITHOUT ROWID
            """,
            """
            CREATE TABLE container_leases (
                account TEXT NOT NULL,
                container TEXT NOT NULL,
                lease_id TEXT NOT NULL,
                duration_seconds INTEGER NOT NULL,
                expires_on INTEGER NULL,
                broken_on INTEGER NULL,
                PRIMARY KEY (account, container),
                FOREIGN KEY (account, container) REFERENCES containers (account, name) ON DELETE CASCADE
            ) WITHOUT ROWID
            """,
        ],

        // 14 → 15 (issue 8, blob index tags): a blob's tags as a JSON array of [key, value] pairs
        // sorted by key (NULL: none), kept on instances too, since a version or snapshot has the
        // tags its blob had. Find Blobs by Tags scans an account's tagged blobs in (container,
        // name) order, which the primary key serves.
        [
            "ALTER TABLE blobs ADD COLUMN tags TEXT NULL",
            "ALTER TABLE blob_instances ADD COLUMN tags TEXT NULL",
        ],

        // 15 → 16 (issue 8, append blobs): no schema. An append blob is a blobs row (sealed from
        // migration 12) whose blob_parts rows are its blocks in order (block_id NULL); an Append Block
        // inserts one part, so the committed block count is the part count and nothing is rewritten.
        [],

        // 16 → 17 (issue 8, page blobs): a page blob is stored as fixed-size chunks
        // (Limits.PageChunkBytes), one part per written chunk (the part's ordinal is the chunk's
        // index; an unwritten chunk has no part and reads as zeros). Each chunk object records
        // which of its 512-byte pages hold data (bit i of byte i / 8, least significant first), for
        // Get Page Ranges; the row follows its object (immutable, shared by snapshots, gone with it).
        [
            """
            CREATE TABLE page_chunks (
                object_id TEXT NOT NULL PRIMARY KEY REFERENCES objects (object_id) ON DELETE CASCADE,
                pages BLOB NOT NULL
            )
            """,
        ],

        // 17 → 18 (issue 8, copy from URL, batch, tiers).
        [],

        // 18 → 19 (issue 8, service properties and CORS): an account's Blob service properties
        // (Logging, metrics, CORS rules, DefaultServiceVersion, StaticWebsite) as one versioned
        // document (ServicePropertiesDocument); no row means Azure's defaults. DeleteRetentionPolicy
        // stays in the accounts' data-protection columns.
        [
            """
            CREATE TABLE blob_service_properties (
                account TEXT NOT NULL PRIMARY KEY REFERENCES accounts (name) ON DELETE CASCADE,
                format INTEGER NOT NULL,
                document TEXT NOT NULL
            )
            """,
        ],

        // 19 → 20 (issue 9, many servers): the instances of a deployment and the leases that let
        // one of them at a time run each background job (IDeploymentStore). An instance row per
        // server process start (random id), its heartbeat in seen_on; data_endpoints is a
        // space-separated list of URIs. A lease row per job: holder NULL when released, fence
        // grows on every change of holder, requested_on marks a pass asked for by a non-holder.
        // No foreign key from holder: instance rows of long-gone processes are removed.
        [
            """
            CREATE TABLE deployment_instances (
                id TEXT NOT NULL PRIMARY KEY,
                host_name TEXT NOT NULL,
                process_id INTEGER NOT NULL,
                version TEXT NOT NULL,
                data_endpoints TEXT NOT NULL,
                management_endpoint TEXT,
                topology_fingerprint TEXT NOT NULL,
                started_on INTEGER NOT NULL,
                seen_on INTEGER NOT NULL,
                stopped_on INTEGER
            )
            """,
            """
            CREATE TABLE job_leases (
                job TEXT NOT NULL PRIMARY KEY,
                holder TEXT,
                acquired_on INTEGER NOT NULL,
                expires_on INTEGER NOT NULL,
                fence INTEGER NOT NULL,
                requested_on INTEGER
            )
            """,
        ],

        // 20 → 21 (issue 9, many servers): the vault's files (IVaultFileStore) when a deployment's
        // servers share this database: the seal (already sealed under the unseal key), the keyring
        // (wrapped under the root key) and, in development only, the 1-of-1 unseal share. Exactly
        // the bytes the files of a data directory hold; generation is 1 at creation, plus one per
        // replacement, so a server checks cheaply whether a rotation or rekey happened elsewhere.
        [
            """
            CREATE TABLE vault_files (
                name TEXT NOT NULL PRIMARY KEY,
                content BLOB NOT NULL,
                generation INTEGER NOT NULL,
                updated_on INTEGER NOT NULL
            )
            """,
        ],

        // 21 → 22 (issue 10, compliance): a principal's second factor, 'totp' or 'none'. The default
        // keeps every existing principal on TOTP; 'none' is only written by the explicit opt-out at
        // creation (`--no-second-factor`), whose principal then has an empty totp_seed.
        [
            "ALTER TABLE principals ADD COLUMN second_factor TEXT NOT NULL DEFAULT 'totp'",
        ],

        // 22 → 23: reserved for issue 10, lane "metrics".
        [],
    ];

    /// <summary>The statements that upgrade a database from <paramref name="fromVersion"/> to the next (PostgreSQL runs those from 19 on, translated).</summary>
    internal static IReadOnlyList<string> MigrationStatements(int fromVersion) => Migrations[fromVersion];

    /// <summary>
    /// Brings the database to <see cref="CurrentVersion"/> inside one write transaction, so a crash
    /// mid-migration leaves the previous version intact. Refuses a database newer than this build.
    /// </summary>
    public static void Migrate(SqliteConnection connection, string databasePath) =>
        Migrate(connection, databasePath, CurrentVersion);

    /// <summary>Migrates only up to <paramref name="targetVersion"/>: tests build an older database with it.</summary>
    internal static void Migrate(SqliteConnection connection, string databasePath, int targetVersion)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(targetVersion, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(targetVersion, CurrentVersion);
        using var transaction = connection.BeginTransaction(deferred: false);
        Execute(connection, transaction, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL PRIMARY KEY)");

        using (var read = connection.CreateCommand())
        {
            read.Transaction = transaction;
            read.CommandText = "SELECT COALESCE(MAX(version), 0) FROM schema_version";
            var version = Convert.ToInt32(read.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
            if (version > CurrentVersion)
            {
                throw new SchemaVersionException(
                    $"The metadata database '{databasePath}' has schema version {version}, but this build of Strongroom " +
                    $"understands versions up to {CurrentVersion}. Run a newer Strongroom; an older one must not write to it.");
            }

            for (var from = version; from < targetVersion; from++)
            {
                foreach (var statement in Migrations[from])
                {
                    Execute(connection, transaction, statement);
                }

                using var record = connection.CreateCommand();
                record.Transaction = transaction;
                record.CommandText = "INSERT INTO schema_version (version) VALUES (@version)";
                record.Parameters.AddWithValue("@version", from + 1);
                record.ExecuteNonQuery();
            }
        }

        transaction.Commit();
    }

    private static void Execute(SqliteConnection connection, SqliteTransaction transaction, string sql)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}

/// <summary>The metadata database was written by a newer Strongroom (or is not a Strongroom database).</summary>
public sealed class SchemaVersionException(string message) : Exception(message);
