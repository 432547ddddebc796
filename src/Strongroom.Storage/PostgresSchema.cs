using System.Text.RegularExpressions;

namespace Strongroom.Storage;

/// <summary>
/// The metadata schema on PostgreSQL. Versions 1 to 19 are not replayed: an empty database gets
/// the baseline below — the shape SQLite's migrations 1–19 leave, written directly — recorded as
/// versions 1 to 19 at once. Replaying them was not an option: several are SQLite-only (triggers in
/// SQLite's syntax, WITHOUT ROWID, two-argument MAX over a boolean, data fix-ups of rows no
/// PostgreSQL database ever had). Every migration from 20 on is written once, in
/// <see cref="SqliteSchema"/>'s portable subset, and run here through <see cref="Translate"/>.
///
/// Types: TEXT is <c>TEXT COLLATE "C"</c> so text orders by UTF-8 bytes exactly like SQLite's
/// BINARY collation (listing order and continuation markers depend on it); INTEGER is BIGINT (every
/// integer SQLite stores is 64-bit); BLOB is BYTEA. The audit tables' append-only triggers are
/// PL/pgSQL functions refusing the same changes with the same messages (and TRUNCATE, which
/// SQLite has not).
/// </summary>
internal static partial class PostgresSchema
{
    /// <summary>The version the baseline creates.</summary>
    public const int BaselineVersion = 19;

    // Words outside the portable subset: a migration that needs one is SQLite-only and must be
    // written for PostgreSQL separately (and this translation made to pick that text).
    private static readonly string[] NotPortable = ["TRIGGER", "WITHOUT ROWID", "INSERT OR", "PRAGMA", "AUTOINCREMENT", "GLOB", "IFNULL"];

    /// <summary>The schema at <see cref="BaselineVersion"/>, equal to SQLite's at that version.</summary>
    public static readonly string[] Baseline =
    [
        """
        CREATE TABLE accounts (
            name TEXT COLLATE "C" NOT NULL,
            wrapped_key1 BYTEA NOT NULL,
            wrapped_key2 BYTEA NOT NULL,
            created_on BIGINT NOT NULL,
            state BIGINT NOT NULL,
            cipher_suite BIGINT NOT NULL DEFAULT 1,
            audit_data_plane BIGINT NOT NULL DEFAULT 1,
            audit_retention_days BIGINT NOT NULL DEFAULT 180,
            residency TEXT COLLATE "C" NULL,
            primary_region TEXT COLLATE "C" NULL,
            secondary_region TEXT COLLATE "C" NULL,
            redundancy TEXT COLLATE "C" NULL,
            versioning BIGINT NOT NULL DEFAULT 0,
            blob_soft_delete_days BIGINT NULL,
            container_soft_delete_days BIGINT NULL,
            allow_permanent_delete BIGINT NOT NULL DEFAULT 0,
            closed_on BIGINT NULL,
            destroy_after BIGINT NULL,
            PRIMARY KEY (name)
        )
        """,
        """
        CREATE TABLE containers (
            account TEXT COLLATE "C" NOT NULL,
            name TEXT COLLATE "C" NOT NULL,
            etag TEXT COLLATE "C" NOT NULL,
            created_on BIGINT NOT NULL,
            last_modified BIGINT NOT NULL,
            metadata TEXT COLLATE "C" NOT NULL,
            default_encryption_scope TEXT COLLATE "C" NULL,
            deny_encryption_scope_override BIGINT NOT NULL DEFAULT 0,
            redundancy TEXT COLLATE "C" NULL,
            legal_hold_tags TEXT COLLATE "C" NULL,
            deleted_name TEXT COLLATE "C" NULL,
            deleted_on BIGINT NULL,
            purge_on BIGINT NULL,
            PRIMARY KEY (account, name),
            FOREIGN KEY (account) REFERENCES accounts (name)
        )
        """,
        "CREATE INDEX containers_purge_due ON containers (purge_on) WHERE purge_on IS NOT NULL",
        """
        CREATE TABLE blobs (
            account TEXT COLLATE "C" NOT NULL,
            container TEXT COLLATE "C" NOT NULL,
            name TEXT COLLATE "C" NOT NULL,
            blob_type BIGINT NOT NULL,
            content_length BIGINT NOT NULL,
            etag TEXT COLLATE "C" NOT NULL,
            created_on BIGINT NOT NULL,
            last_modified BIGINT NOT NULL,
            content_type TEXT COLLATE "C" NULL,
            content_encoding TEXT COLLATE "C" NULL,
            content_language TEXT COLLATE "C" NULL,
            content_disposition TEXT COLLATE "C" NULL,
            cache_control TEXT COLLATE "C" NULL,
            content_md5 BYTEA NULL,
            metadata TEXT COLLATE "C" NOT NULL,
            encryption_scope TEXT COLLATE "C" NULL,
            customer_key_sha256 BYTEA NULL,
            version_id TEXT COLLATE "C" NULL,
            legal_hold BIGINT NOT NULL DEFAULT 0,
            copy_id TEXT COLLATE "C" NULL,
            copy_source TEXT COLLATE "C" NULL,
            copy_completed_on BIGINT NULL,
            access_tier TEXT COLLATE "C" NULL,
            access_tier_changed_on BIGINT NULL,
            sealed BIGINT NOT NULL DEFAULT 0,
            sequence_number BIGINT NOT NULL DEFAULT 0,
            tags TEXT COLLATE "C" NULL,
            PRIMARY KEY (account, container, name),
            FOREIGN KEY (account, container) REFERENCES containers (account, name)
        )
        """,
        """
        CREATE TABLE objects (
            object_id TEXT COLLATE "C" NOT NULL,
            site_id TEXT COLLATE "C" NOT NULL,
            wrapped_key BYTEA NOT NULL,
            plaintext_length BIGINT NOT NULL,
            encryption_scope TEXT COLLATE "C" NULL,
            customer_key_sha256 BYTEA NULL,
            ciphertext_length BIGINT NOT NULL DEFAULT 0,
            ciphertext_crc64 BIGINT NULL,
            created_on BIGINT NOT NULL DEFAULT 0,
            account TEXT COLLATE "C" NULL,
            PRIMARY KEY (object_id)
        )
        """,
        "CREATE INDEX objects_by_account ON objects (account, object_id)",
        """
        CREATE TABLE blob_parts (
            account TEXT COLLATE "C" NOT NULL,
            container TEXT COLLATE "C" NOT NULL,
            blob TEXT COLLATE "C" NOT NULL,
            ordinal BIGINT NOT NULL,
            block_id TEXT COLLATE "C" NULL,
            object_id TEXT COLLATE "C" NOT NULL,
            PRIMARY KEY (account, container, blob, ordinal),
            FOREIGN KEY (object_id) REFERENCES objects (object_id),
            FOREIGN KEY (account, container, blob) REFERENCES blobs (account, container, name)
        )
        """,
        "CREATE INDEX blob_parts_by_object ON blob_parts (object_id)",
        """
        CREATE TABLE uncommitted_blocks (
            account TEXT COLLATE "C" NOT NULL,
            container TEXT COLLATE "C" NOT NULL,
            blob TEXT COLLATE "C" NOT NULL,
            block_id TEXT COLLATE "C" NOT NULL,
            object_id TEXT COLLATE "C" NOT NULL,
            created_on BIGINT NOT NULL,
            PRIMARY KEY (account, container, blob, block_id),
            FOREIGN KEY (object_id) REFERENCES objects (object_id),
            FOREIGN KEY (account, container) REFERENCES containers (account, name)
        )
        """,
        "CREATE INDEX uncommitted_blocks_by_object ON uncommitted_blocks (object_id)",
        """
        CREATE TABLE encryption_scopes (
            account TEXT COLLATE "C" NOT NULL,
            name TEXT COLLATE "C" NOT NULL,
            state BIGINT NOT NULL,
            key_source BIGINT NOT NULL,
            wrapped_kek BYTEA NOT NULL,
            customer_key_name TEXT COLLATE "C" NULL,
            customer_key_version TEXT COLLATE "C" NULL,
            created_on BIGINT NOT NULL,
            PRIMARY KEY (account, name)
        )
        """,
        """
        CREATE TABLE account_keks (
            account TEXT COLLATE "C" NOT NULL,
            version BIGINT NOT NULL,
            wrapped_kek BYTEA NOT NULL,
            created_on BIGINT NOT NULL,
            PRIMARY KEY (account, version),
            FOREIGN KEY (account) REFERENCES accounts (name)
        )
        """,
        """
        CREATE TABLE vault_settings (
            account TEXT COLLATE "C" NOT NULL,
            retention_days BIGINT NOT NULL,
            purge_protection BIGINT NOT NULL,
            PRIMARY KEY (account)
        )
        """,
        """
        CREATE TABLE vault_items (
            account TEXT COLLATE "C" NOT NULL,
            kind BIGINT NOT NULL,
            name TEXT COLLATE "C" NOT NULL,
            display_name TEXT COLLATE "C" NOT NULL,
            deleted_on BIGINT NULL,
            scheduled_purge_on BIGINT NULL,
            last_sequence BIGINT NOT NULL,
            PRIMARY KEY (account, kind, name)
        )
        """,
        """
        CREATE TABLE vault_item_versions (
            account TEXT COLLATE "C" NOT NULL,
            kind BIGINT NOT NULL,
            name TEXT COLLATE "C" NOT NULL,
            version TEXT COLLATE "C" NOT NULL,
            sequence BIGINT NOT NULL,
            created_on BIGINT NOT NULL,
            updated_on BIGINT NOT NULL,
            enabled BIGINT NOT NULL,
            not_before BIGINT NULL,
            expires BIGINT NULL,
            content_type TEXT COLLATE "C" NULL,
            tags TEXT COLLATE "C" NOT NULL,
            key_description TEXT COLLATE "C" NULL,
            wrapped_value BYTEA NOT NULL,
            PRIMARY KEY (account, kind, name, version),
            FOREIGN KEY (account, kind, name) REFERENCES vault_items (account, kind, name)
        )
        """,
        "CREATE UNIQUE INDEX vault_item_versions_by_sequence ON vault_item_versions (account, kind, name, sequence)",
        """
        CREATE TABLE audit_logs (
            log TEXT COLLATE "C" NOT NULL,
            size BIGINT NOT NULL,
            retained_from BIGINT NOT NULL DEFAULT 0,
            PRIMARY KEY (log)
        )
        """,
        """
        CREATE TABLE audit_entries (
            log TEXT COLLATE "C" NOT NULL,
            idx BIGINT NOT NULL,
            time BIGINT NOT NULL,
            body BYTEA NULL,
            PRIMARY KEY (log, idx)
        )
        """,
        """
        CREATE TABLE audit_hashes (
            log TEXT COLLATE "C" NOT NULL,
            level BIGINT NOT NULL,
            idx BIGINT NOT NULL,
            hash BYTEA NOT NULL,
            PRIMARY KEY (log, level, idx)
        )
        """,
        """
        CREATE TABLE audit_checkpoints (
            log TEXT COLLATE "C" NOT NULL,
            size BIGINT NOT NULL,
            root BYTEA NOT NULL,
            signed_on BIGINT NOT NULL,
            note TEXT COLLATE "C" NOT NULL,
            PRIMARY KEY (log, size)
        )
        """,
        """
        CREATE TABLE object_copies (
            object_id TEXT COLLATE "C" NOT NULL,
            site_id TEXT COLLATE "C" NOT NULL,
            state BIGINT NOT NULL,
            transfer_id TEXT COLLATE "C" NULL,
            PRIMARY KEY (object_id, site_id),
            FOREIGN KEY (object_id) REFERENCES objects (object_id)
        )
        """,
        "CREATE INDEX object_copies_by_site ON object_copies (site_id, object_id)",
        "CREATE INDEX object_copies_owed ON object_copies (object_id, site_id, state) WHERE state <> 0",
        "CREATE INDEX object_copies_owed_by_site ON object_copies (site_id, state, object_id) WHERE state <> 0",
        """
        CREATE TABLE site_states (
            site_id TEXT COLLATE "C" NOT NULL,
            state BIGINT NOT NULL,
            changed_on BIGINT NOT NULL,
            PRIMARY KEY (site_id)
        )
        """,
        """
        CREATE TABLE site_tombstones (
            site_id TEXT COLLATE "C" NOT NULL,
            object_id TEXT COLLATE "C" NOT NULL,
            created_on BIGINT NOT NULL,
            destruction_id TEXT COLLATE "C" NULL,
            PRIMARY KEY (site_id, object_id)
        )
        """,
        "CREATE INDEX site_tombstones_by_destruction ON site_tombstones (destruction_id, site_id) WHERE destruction_id IS NOT NULL",
        """
        CREATE TABLE principals (
            kind BIGINT NOT NULL,
            account TEXT COLLATE "C" NOT NULL,
            name TEXT COLLATE "C" NOT NULL,
            role BIGINT NULL,
            password_hash TEXT COLLATE "C" NOT NULL,
            totp_seed BYTEA NOT NULL,
            totp_last_step BIGINT NOT NULL,
            failed_logins BIGINT NOT NULL,
            locked_until BIGINT NULL,
            disabled BIGINT NOT NULL,
            created_on BIGINT NOT NULL,
            PRIMARY KEY (kind, account, name)
        )
        """,
        """
        CREATE TABLE sessions (
            id TEXT COLLATE "C" NOT NULL,
            token_hash BYTEA NOT NULL,
            kind BIGINT NOT NULL,
            account TEXT COLLATE "C" NOT NULL,
            name TEXT COLLATE "C" NOT NULL,
            created_on BIGINT NOT NULL,
            last_seen_on BIGINT NOT NULL,
            ended BIGINT NOT NULL,
            PRIMARY KEY (id),
            UNIQUE (token_hash)
        )
        """,
        """
        CREATE TABLE lockbox_requests (
            id TEXT COLLATE "C" NOT NULL,
            account TEXT COLLATE "C" NOT NULL,
            container TEXT COLLATE "C" NOT NULL,
            prefix TEXT COLLATE "C" NULL,
            access BIGINT NOT NULL,
            duration_seconds BIGINT NOT NULL,
            justification TEXT COLLATE "C" NOT NULL,
            requester TEXT COLLATE "C" NOT NULL,
            state BIGINT NOT NULL,
            requested_on BIGINT NOT NULL,
            pending_expires_on BIGINT NOT NULL,
            tenant_approver TEXT COLLATE "C" NULL,
            tenant_approved_on BIGINT NULL,
            security_approver TEXT COLLATE "C" NULL,
            security_approved_on BIGINT NULL,
            decided_by TEXT COLLATE "C" NULL,
            decided_on BIGINT NULL,
            activated_on BIGINT NULL,
            ends_on BIGINT NULL,
            ended_by TEXT COLLATE "C" NULL,
            ended_on BIGINT NULL,
            PRIMARY KEY (id)
        )
        """,
        "CREATE INDEX lockbox_requests_by_account ON lockbox_requests (account, requested_on)",
        "CREATE INDEX lockbox_requests_open ON lockbox_requests (state, id) WHERE state IN (0, 1, 4)",
        """
        CREATE TABLE transfers (
            id TEXT COLLATE "C" NOT NULL,
            account TEXT COLLATE "C" NOT NULL,
            container TEXT COLLATE "C" NOT NULL,
            prefix TEXT COLLATE "C" NULL,
            destination_site TEXT COLLATE "C" NOT NULL,
            legal_basis BIGINT NOT NULL,
            legal_reference TEXT COLLATE "C" NOT NULL,
            purpose TEXT COLLATE "C" NOT NULL,
            requester TEXT COLLATE "C" NOT NULL,
            state BIGINT NOT NULL,
            requested_on BIGINT NOT NULL,
            pending_expires_on BIGINT NOT NULL,
            tenant_approver TEXT COLLATE "C" NULL,
            tenant_approved_on BIGINT NULL,
            security_approver TEXT COLLATE "C" NULL,
            security_approved_on BIGINT NULL,
            decided_by TEXT COLLATE "C" NULL,
            decided_on BIGINT NULL,
            completed_on BIGINT NULL,
            objects_copied BIGINT NOT NULL,
            bytes_copied BIGINT NOT NULL,
            PRIMARY KEY (id)
        )
        """,
        "CREATE INDEX transfers_by_account ON transfers (account, requested_on)",
        "CREATE INDEX transfers_open ON transfers (state, id) WHERE state IN (0, 1)",
        """
        CREATE TABLE blob_instances (
            account TEXT COLLATE "C" NOT NULL,
            container TEXT COLLATE "C" NOT NULL,
            name TEXT COLLATE "C" NOT NULL,
            instance_id TEXT COLLATE "C" NOT NULL,
            kind BIGINT NOT NULL,
            deleted_on BIGINT NULL,
            purge_on BIGINT NULL,
            blob_type BIGINT NOT NULL,
            content_length BIGINT NOT NULL,
            etag TEXT COLLATE "C" NOT NULL,
            created_on BIGINT NOT NULL,
            last_modified BIGINT NOT NULL,
            content_type TEXT COLLATE "C" NULL,
            content_encoding TEXT COLLATE "C" NULL,
            content_language TEXT COLLATE "C" NULL,
            content_disposition TEXT COLLATE "C" NULL,
            cache_control TEXT COLLATE "C" NULL,
            content_md5 BYTEA NULL,
            metadata TEXT COLLATE "C" NOT NULL,
            encryption_scope TEXT COLLATE "C" NULL,
            customer_key_sha256 BYTEA NULL,
            version_id TEXT COLLATE "C" NULL,
            legal_hold BIGINT NOT NULL DEFAULT 0,
            copy_id TEXT COLLATE "C" NULL,
            copy_source TEXT COLLATE "C" NULL,
            copy_completed_on BIGINT NULL,
            access_tier TEXT COLLATE "C" NULL,
            access_tier_changed_on BIGINT NULL,
            sealed BIGINT NOT NULL DEFAULT 0,
            sequence_number BIGINT NOT NULL DEFAULT 0,
            tags TEXT COLLATE "C" NULL,
            PRIMARY KEY (account, container, name, instance_id),
            FOREIGN KEY (account, container) REFERENCES containers (account, name)
        )
        """,
        "CREATE INDEX blob_instances_purge_due ON blob_instances (purge_on) WHERE purge_on IS NOT NULL",
        """
        CREATE TABLE blob_instance_parts (
            account TEXT COLLATE "C" NOT NULL,
            container TEXT COLLATE "C" NOT NULL,
            blob TEXT COLLATE "C" NOT NULL,
            instance_id TEXT COLLATE "C" NOT NULL,
            ordinal BIGINT NOT NULL,
            block_id TEXT COLLATE "C" NULL,
            object_id TEXT COLLATE "C" NOT NULL,
            PRIMARY KEY (account, container, blob, instance_id, ordinal),
            FOREIGN KEY (object_id) REFERENCES objects (object_id),
            FOREIGN KEY (account, container, blob, instance_id) REFERENCES blob_instances (account, container, name, instance_id)
        )
        """,
        "CREATE INDEX blob_instance_parts_by_object ON blob_instance_parts (object_id)",
        """
        CREATE TABLE destructions (
            id TEXT COLLATE "C" NOT NULL,
            account TEXT COLLATE "C" NOT NULL,
            kind BIGINT NOT NULL,
            scope TEXT COLLATE "C" NOT NULL,
            state BIGINT NOT NULL,
            keys_destroyed_on BIGINT NOT NULL,
            sweep_completed_on BIGINT NULL,
            object_count BIGINT NOT NULL,
            byte_count BIGINT NOT NULL,
            details TEXT COLLATE "C" NOT NULL,
            keys_entry_index BIGINT NULL,
            sweep_entry_index BIGINT NULL,
            revisions_due BIGINT NOT NULL DEFAULT 1,
            PRIMARY KEY (id)
        )
        """,
        "CREATE INDEX destructions_by_account ON destructions (account, keys_destroyed_on)",
        "CREATE INDEX destructions_sweeping ON destructions (state, id) WHERE state = 0",
        """
        CREATE TABLE destruction_certificates (
            destruction_id TEXT COLLATE "C" NOT NULL,
            revision BIGINT NOT NULL,
            account TEXT COLLATE "C" NOT NULL,
            issued_on BIGINT NOT NULL,
            document BYTEA NOT NULL,
            signature BYTEA NOT NULL,
            PRIMARY KEY (destruction_id, revision)
        )
        """,
        "CREATE INDEX destruction_certificates_by_account ON destruction_certificates (account, issued_on)",
        """
        CREATE TABLE container_access_policies (
            account TEXT COLLATE "C" NOT NULL,
            container TEXT COLLATE "C" NOT NULL,
            ordinal BIGINT NOT NULL,
            id TEXT COLLATE "C" NOT NULL,
            start BIGINT NULL,
            expiry BIGINT NULL,
            permission TEXT COLLATE "C" NULL,
            PRIMARY KEY (account, container, ordinal)
        )
        """,
        """
        CREATE TABLE blob_leases (
            account TEXT COLLATE "C" NOT NULL,
            container TEXT COLLATE "C" NOT NULL,
            blob TEXT COLLATE "C" NOT NULL,
            lease_id TEXT COLLATE "C" NOT NULL,
            duration_seconds BIGINT NOT NULL,
            expires_on BIGINT NULL,
            broken_on BIGINT NULL,
            PRIMARY KEY (account, container, blob),
            FOREIGN KEY (account, container, blob) REFERENCES blobs (account, container, name) ON DELETE CASCADE
        )
        """,
        """
        CREATE TABLE container_leases (
            account TEXT COLLATE "C" NOT NULL,
            container TEXT COLLATE "C" NOT NULL,
            lease_id TEXT COLLATE "C" NOT NULL,
            duration_seconds BIGINT NOT NULL,
            expires_on BIGINT NULL,
            broken_on BIGINT NULL,
            PRIMARY KEY (account, container),
            FOREIGN KEY (account, container) REFERENCES containers (account, name) ON DELETE CASCADE
        )
        """,
        """
        CREATE TABLE page_chunks (
            object_id TEXT COLLATE "C" NOT NULL,
            pages BYTEA NOT NULL,
            PRIMARY KEY (object_id),
            FOREIGN KEY (object_id) REFERENCES objects (object_id) ON DELETE CASCADE
        )
        """,
        """
        CREATE TABLE blob_service_properties (
            account TEXT COLLATE "C" NOT NULL,
            format BIGINT NOT NULL,
            document TEXT COLLATE "C" NOT NULL,
            PRIMARY KEY (account),
            FOREIGN KEY (account) REFERENCES accounts (name) ON DELETE CASCADE
        )
        """,

        // The transparency logs' append-only rules (SQLite's triggers of migration 5).
        """
        CREATE FUNCTION strongroom_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION '%', TG_ARGV[0] USING ERRCODE = 'restrict_violation';
        END
        $$
        """,
        """
        CREATE FUNCTION audit_logs_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF NEW.log IS DISTINCT FROM OLD.log OR NEW.size < OLD.size OR NEW.retained_from < OLD.retained_from THEN
                RAISE EXCEPTION 'audit logs only grow' USING ERRCODE = 'restrict_violation';
            END IF;
            RETURN NEW;
        END
        $$
        """,
        """
        CREATE FUNCTION audit_entries_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF NEW.idx IS DISTINCT FROM (SELECT size FROM audit_logs WHERE log = NEW.log) THEN
                RAISE EXCEPTION 'audit entries are appended at the end of their log' USING ERRCODE = 'restrict_violation';
            END IF;
            RETURN NEW;
        END
        $$
        """,
        """
        CREATE FUNCTION audit_entries_prune_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF NEW.log IS DISTINCT FROM OLD.log OR NEW.idx IS DISTINCT FROM OLD.idx OR NEW.time IS DISTINCT FROM OLD.time OR NEW.body IS NOT NULL THEN
                RAISE EXCEPTION 'audit entries change only by pruning their body' USING ERRCODE = 'restrict_violation';
            END IF;
            RETURN NEW;
        END
        $$
        """,
        """
        CREATE FUNCTION audit_hashes_insert_once() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF EXISTS (SELECT 1 FROM audit_hashes WHERE log = NEW.log AND level = NEW.level AND idx = NEW.idx) THEN
                RAISE EXCEPTION 'audit hashes are stored once' USING ERRCODE = 'restrict_violation';
            END IF;
            RETURN NEW;
        END
        $$
        """,
        """
        CREATE FUNCTION audit_checkpoints_insert_once() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF EXISTS (SELECT 1 FROM audit_checkpoints WHERE log = NEW.log AND size = NEW.size) THEN
                RAISE EXCEPTION 'audit checkpoints are stored once' USING ERRCODE = 'restrict_violation';
            END IF;
            RETURN NEW;
        END
        $$
        """,
        "CREATE TRIGGER audit_logs_append_only BEFORE UPDATE ON audit_logs FOR EACH ROW EXECUTE FUNCTION audit_logs_append_only()",
        "CREATE TRIGGER audit_logs_no_delete BEFORE DELETE ON audit_logs FOR EACH ROW EXECUTE FUNCTION strongroom_refuse('audit logs are never deleted')",
        "CREATE TRIGGER audit_entries_append_only BEFORE INSERT ON audit_entries FOR EACH ROW EXECUTE FUNCTION audit_entries_append_only()",
        "CREATE TRIGGER audit_hashes_insert_once BEFORE INSERT ON audit_hashes FOR EACH ROW EXECUTE FUNCTION audit_hashes_insert_once()",
        "CREATE TRIGGER audit_checkpoints_insert_once BEFORE INSERT ON audit_checkpoints FOR EACH ROW EXECUTE FUNCTION audit_checkpoints_insert_once()",
        "CREATE TRIGGER audit_entries_prune_only BEFORE UPDATE ON audit_entries FOR EACH ROW EXECUTE FUNCTION audit_entries_prune_only()",
        "CREATE TRIGGER audit_entries_no_delete BEFORE DELETE ON audit_entries FOR EACH ROW EXECUTE FUNCTION strongroom_refuse('audit entries are never deleted')",
        "CREATE TRIGGER audit_hashes_no_update BEFORE UPDATE ON audit_hashes FOR EACH ROW EXECUTE FUNCTION strongroom_refuse('audit hashes never change')",
        "CREATE TRIGGER audit_hashes_no_delete BEFORE DELETE ON audit_hashes FOR EACH ROW EXECUTE FUNCTION strongroom_refuse('audit hashes are never deleted')",
        "CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints FOR EACH ROW EXECUTE FUNCTION strongroom_refuse('audit checkpoints never change')",
        "CREATE TRIGGER audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints FOR EACH ROW EXECUTE FUNCTION strongroom_refuse('audit checkpoints are never deleted')",
        "CREATE TRIGGER audit_logs_no_truncate BEFORE TRUNCATE ON audit_logs FOR EACH STATEMENT EXECUTE FUNCTION strongroom_refuse('audit logs are never deleted')",
        "CREATE TRIGGER audit_entries_no_truncate BEFORE TRUNCATE ON audit_entries FOR EACH STATEMENT EXECUTE FUNCTION strongroom_refuse('audit entries are never deleted')",
        "CREATE TRIGGER audit_hashes_no_truncate BEFORE TRUNCATE ON audit_hashes FOR EACH STATEMENT EXECUTE FUNCTION strongroom_refuse('audit hashes are never deleted')",
        "CREATE TRIGGER audit_checkpoints_no_truncate BEFORE TRUNCATE ON audit_checkpoints FOR EACH STATEMENT EXECUTE FUNCTION strongroom_refuse('audit checkpoints are never deleted')",
    ];

    /// <summary>
    /// A migration statement from 20 on, written once in SQLite's portable subset (see
    /// <see cref="SqliteSchema"/>), as PostgreSQL runs it: the column types TEXT, INTEGER and BLOB —
    /// written in capitals, as whole words — become TEXT COLLATE "C", BIGINT and BYTEA; nothing else
    /// changes. A statement using something outside the subset is refused here (a test runs every
    /// migration through this), not discovered on a production database.
    /// </summary>
    public static string Translate(string statement)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(statement);
        foreach (var word in NotPortable)
        {
            if (statement.Contains(word, StringComparison.OrdinalIgnoreCase))
            {
                throw new InvalidOperationException($"A shared migration uses '{word}', which is outside the portable subset: {statement}");
            }
        }

        return TypeNames().Replace(statement, match => match.Value switch
        {
            "TEXT" => "TEXT COLLATE \"C\"",
            "INTEGER" => "BIGINT",
            _ => "BYTEA",
        });
    }

    // Outside string literals only: a quoted word is data, not a type.
    [GeneratedRegex(@"\b(TEXT|INTEGER|BLOB)\b(?=(?:[^']*'[^']*')*[^']*$)", RegexOptions.CultureInvariant)]
    private static partial Regex TypeNames();
}
