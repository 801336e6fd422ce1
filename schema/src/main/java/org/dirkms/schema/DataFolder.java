package org.dirkms.schema;

import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The data folder of a dirkms server (default {@code ./data}): every file and folder in it, with
 * its mode and what it is for. It is the file-system counterpart of {@link DirectoryLayout}:
 * every component that names a file of the data folder — the embedded server, the KMS agent's
 * key stores, every {@code dirkms} command and the tests — takes its path from here, so that the
 * layout is described once.
 *
 * <p>The folder holds every secret of the directory (the partitions hold every secret attribute,
 * beside the password files and the key stores), so it and every folder in it are mode
 * {@link #FOLDER_MODE 0700} and every file {@link #FILE_MODE 0600} (README, "The data folder";
 * docs/security.md, "What dirkms does not protect against"). {@link #ITEMS} lists what a running
 * server keeps there.
 *
 * <p>Secrets in files are read with {@link PasswordFile}: the first line is the secret.
 *
 * @param root the data folder, absolute and normalized
 */
public record DataFolder(Path root) {

    /** The mode of the data folder and of every folder in it: the owner's only. */
    public static final Set<PosixFilePermission> FOLDER_MODE = PosixFilePermissions.fromString("rwx------");
    /** The mode of every file in the data folder: the owner's only. */
    public static final Set<PosixFilePermission> FILE_MODE = PosixFilePermissions.fromString("rw-------");

    /** The id of the suffix partition, and its folder's name under {@code partitions/}. */
    public static final String SUFFIX_PARTITION_ID = "dirkms";
    /** The name of a CA's key store in {@code ca/}, after {@link #caFileName}: {@code <name>.p12}. */
    private static final String KEY_STORE_EXTENSION = ".p12";
    /** The name of a CA's passphrase file in {@code ca/}: {@code <name>.pass}. */
    private static final String PASSPHRASE_EXTENSION = ".pass";

    /** Whether an {@link Item} is a folder or a file. */
    public enum Kind {
        /** A folder: mode 0700. */
        FOLDER,
        /** A file: mode 0600. */
        FILE;

        /** The mode every item of this kind has in the data folder. */
        public Set<PosixFilePermission> mode() {
            return this == FOLDER ? FOLDER_MODE : FILE_MODE;
        }
    }

    /**
     * One file or folder of the data folder.
     *
     * @param path    its path relative to the data folder, with {@code /} between names; a part
     *                in angle brackets ({@code <name>}) stands for each of several
     * @param kind    folder or file
     * @param purpose what it is for, for a person reading the folder
     */
    public record Item(String path, Kind kind, String purpose) {

        /** Checks the fields. */
        public Item {
            Objects.requireNonNull(path, "path");
            Objects.requireNonNull(kind, "kind");
            Objects.requireNonNull(purpose, "purpose");
        }

        /** The mode the item has in the data folder (0700 for a folder, 0600 for a file). */
        public Set<PosixFilePermission> mode() {
            return kind.mode();
        }

        /** The item's name within its folder (its last path part). */
        public String name() {
            return path.substring(path.lastIndexOf('/') + 1);
        }
    }

    /** ApacheDS's partitions. */
    public static final Item PARTITIONS = new Item("partitions", Kind.FOLDER,
            "the directory's partitions: every entry, every secret attribute among them");
    /** The schema partition. */
    public static final Item SCHEMA_PARTITION = new Item("partitions/schema", Kind.FOLDER,
            "the schema partition (LDIF): ApacheDS's schema, extracted at the first start, and the KMS schema");
    /** The system partition. */
    public static final Item SYSTEM_PARTITION = new Item("partitions/system", Kind.FOLDER,
            "the system partition (ou=system): the directory superuser uid=admin,ou=system");
    /** The suffix partition. */
    public static final Item SUFFIX_PARTITION = new Item("partitions/" + SUFFIX_PARTITION_ID, Kind.FOLDER,
            "the suffix partition: people, groups and the KMS tree with its archive");
    /** The TLS folder. */
    public static final Item TLS = new Item("tls", Kind.FOLDER, "the server's TLS credentials");
    /** The server's TLS key store. */
    public static final Item TLS_KEY_STORE = new Item("tls/server.p12", Kind.FILE,
            "the server's TLS key and certificate chain (PKCS#12)");
    /** The passphrase of the server's TLS key store. */
    public static final Item TLS_KEY_STORE_PASSPHRASE = new Item("tls/server.p12.pass", Kind.FILE,
            "the passphrase of tls/server.p12 (first line), generated");
    /** The server's TLS certificate. */
    public static final Item TLS_CERTIFICATE = new Item("tls/server.crt", Kind.FILE,
            "the server's TLS certificate (PEM); what clients trust when the server certifies itself");
    /** The CA certificate clients trust. */
    public static final Item TLS_CA_CERTIFICATE = new Item("tls/ca.crt", Kind.FILE,
            "the certificate of the CA that issued the server's (PEM): what clients trust, LDAPTLS_CACERT");
    /** The audit folder. */
    public static final Item AUDIT = new Item("audit", Kind.FOLDER, "the audit trail");
    /** The audit log. */
    public static final Item AUDIT_LOG = new Item("audit/audit.log", Kind.FILE,
            "the hash-chained audit log, one record a line, anchored in the directory (docs/security.md)");
    /** A broken audit log a start set aside. */
    public static final Item AUDIT_LOG_SET_ASIDE = new Item("audit/audit.log.broken-<UTC time>", Kind.FILE,
            "a broken audit log set aside by 'dirkms serve --accept-broken-audit-log', kept as evidence");
    /** The standalone KMS agent's own audit log. */
    public static final Item AGENT_AUDIT_LOG = new Item("audit/agent.log", Kind.FILE,
            "the hash-chained audit log of the standalone KMS agent ('dirkms agent'): every write it makes, one"
                    + " record a line, anchored at the entry under ou=Audit,ou=KMS its first record names"
                    + " (docs/security.md)");
    /** A broken agent's audit log a start set aside. */
    public static final Item AGENT_AUDIT_LOG_SET_ASIDE = new Item("audit/agent.log.broken-<UTC time>", Kind.FILE,
            "a broken agent's audit log set aside by 'dirkms agent --accept-missing-audit-log', kept as evidence");
    /** The CA key stores. */
    public static final Item CA = new Item("ca", Kind.FOLDER, "the key stores of the CAs whose keys live here");
    /** A CA's key store. */
    public static final Item CA_KEY_STORE = new Item("ca/<name>.p12", Kind.FILE,
            "a CA's signing key and certificate chain (PKCS#12); <name> is the CA's name with every character"
                    + " but A-Z, a-z, 0-9, '.', '_', '-' made '_'");
    /** A CA key store's passphrase. */
    public static final Item CA_PASSPHRASE = new Item("ca/<name>.pass", Kind.FILE,
            "the passphrase of ca/<name>.p12 (first line), generated by 'dirkms ca init' or the first start");
    /** The OCSP responders' key stores. */
    public static final Item OCSP = new Item("ocsp", Kind.FOLDER,
            "the delegated OCSP-signing keys of the CAs whose OCSP responder 'dirkms serve' runs");
    /** A CA's OCSP-signing key store. */
    public static final Item OCSP_KEY_STORE = new Item("ocsp/<name>.p12", Kind.FILE,
            "the OCSP-signing key of the CA ca/<name>.p12 and its certificate (id-kp-OCSPSigning, id-pkix-ocsp-nocheck),"
                    + " then the CA's (PKCS#12): made at the first start with HTTP, renewed before it expires, used for"
                    + " OCSP responses only");
    /** An OCSP-signing key store's passphrase. */
    public static final Item OCSP_PASSPHRASE = new Item("ocsp/<name>.pass", Kind.FILE,
            "the passphrase of ocsp/<name>.p12 (first line), generated");
    /** The trust list signer's folder. */
    public static final Item TRUST = new Item("trust", Kind.FOLDER, "the key that signs the trust list");
    /** The trust-list-signing key store. */
    public static final Item TRUST_LIST_KEY_STORE = new Item("trust/trust-list-signer.p12", Kind.FILE,
            "the trust-list-signing key and its certificate (extended key usage 1.3.6.1.4.1.311.10.3.1), then the"
                    + " enterprise CA's (PKCS#12): made when the KMS agent with the CA first starts, renewed before"
                    + " it expires, used for the signed trust list on cn=Trust List,ou=Trust only");
    /** The trust-list-signing key store's passphrase. */
    public static final Item TRUST_LIST_PASSPHRASE = new Item("trust/trust-list-signer.pass", Kind.FILE,
            "the passphrase of trust/trust-list-signer.p12 (first line), generated");
    /** The recovery folder. */
    public static final Item RECOVERY = new Item("recovery", Kind.FOLDER, "the key recovery agent's keys");
    /** The recovery key store. */
    public static final Item RECOVERY_KEY_STORE = new Item("recovery/key-recovery-agent.p12", Kind.FILE,
            "every key recovery key the KMS had and has not retired, newest (the current) first, with its"
                    + " certificate (PKCS#12): the archive unwraps with them");
    /** The recovery key store's passphrase. */
    public static final Item RECOVERY_PASSPHRASE = new Item("recovery/key-recovery-agent.pass", Kind.FILE,
            "the passphrase of recovery/key-recovery-agent.p12 (first line), generated");
    /** The custody marker. */
    public static final Item RECOVERY_CUSTODY = new Item("recovery/custody", Kind.FILE,
            "written by 'dirkms archive custody' in place of the key store and its passphrase: the recovery keys are"
                    + " split among recovery agents (docs/custody.md); says which custody, and tells 'dirkms serve' not"
                    + " to make a new recovery key");
    /** The transfer folder. */
    public static final Item TRANSFER = new Item("transfer", Kind.FOLDER,
            "the KMS server's transfer identity, to move users between servers (docs/transfer.md)");
    /** The transport key store. */
    public static final Item TRANSFER_TRANSPORT_KEY_STORE = new Item("transfer/transport.p12", Kind.FILE,
            "the transport key and its certificate (encryption only, issued by the CA, published as"
                    + " kmsTransportCertificate on the KMS server entry), then the CA's (PKCS#12): 'dirkms import'"
                    + " opens the files addressed to this server with it; made at the first start");
    /** The transport key store's passphrase. */
    public static final Item TRANSFER_TRANSPORT_PASSPHRASE = new Item("transfer/transport.pass", Kind.FILE,
            "the passphrase of transfer/transport.p12 (first line), generated");
    /** The transfer signing key store. */
    public static final Item TRANSFER_SIGNING_KEY_STORE = new Item("transfer/signing.p12", Kind.FILE,
            "the key that signs the files 'dirkms export' writes and its certificate (digitalSignature, issued by"
                    + " the CA), then the CA's (PKCS#12); made at the first start");
    /** The transfer signing key store's passphrase. */
    public static final Item TRANSFER_SIGNING_PASSPHRASE = new Item("transfer/signing.pass", Kind.FILE,
            "the passphrase of transfer/signing.p12 (first line), generated");
    /** The administrator's password. */
    public static final Item ADMIN_PASSWORD = new Item("admin.password", Kind.FILE,
            "the password of the directory superuser uid=admin,ou=system, generated at the first start"
                    + " (no newline, for ldapsearch -y)");
    /** The KMS agent's password. */
    public static final Item KMS_AGENT_PASSWORD = new Item("kms-agent.password", Kind.FILE,
            "the password of the KMS agent uid=kms-agent,ou=KMS,<suffix>, generated at the first start;"
                    + " 'dirkms roles', 'ca', 'enroll', 'archive', 'recovery list' and 'recovery required-approvals'"
                    + " bind with it");
    /** The suffix the folder was made for. */
    public static final Item SUFFIX = new Item("suffix", Kind.FILE,
            "the suffix the folder was made for; a start with another suffix is refused");
    /** The bootstrap marker. */
    public static final Item BOOTSTRAP_DONE = new Item("bootstrap.done", Kind.FILE,
            "the bootstrap LDIF was loaded completely; delete it to reload missing bootstrap entries");
    /** The lock held while a server runs. */
    public static final Item LOCK = new Item("lock", Kind.FILE,
            "locked while a server (or a command reading a stopped folder) has the folder open");
    /** The lock held while a standalone agent runs. */
    public static final Item AGENT_LOCK = new Item("agent.lock", Kind.FILE,
            "locked while a 'dirkms agent' runs on the folder: one agent a folder, whose audit log is its own chain"
                    + " (README, \"Running several agents\")");
    /** Where the running server listens. */
    public static final Item ENDPOINT = new Item("endpoint", Kind.FILE,
            "where the running server listens (url=, trust= lines), for commands run on the same folder");
    /** The logging configuration. */
    public static final Item LOGBACK_CONFIGURATION = new Item("logback.xml", Kind.FILE,
            "where and what 'dirkms serve' and the commands run on the folder log (logback), written with the"
                    + " default at the first start; README, \"Logs\"");
    /** The log folder. */
    public static final Item LOGS = new Item("logs", Kind.FOLDER, "the log files (logback.xml says which)");
    /** The log file. */
    public static final Item LOG_FILE = new Item("logs/dirkms.log", Kind.FILE,
            "the log: one line per event (time, level, logger, message), never a secret");
    /** A rolled-over log file. */
    public static final Item LOG_ARCHIVE = new Item("logs/dirkms-<day>.<n>.log.gz", Kind.FILE,
            "an earlier part of the log, rolled over daily and at 10 MB, kept 30 days");
    /** What ApacheDS keeps besides its partitions. */
    public static final Item APACHEDS_FILES = new Item("<ApacheDS folder>", Kind.FOLDER,
            "ApacheDS's own folders (its InstanceLayout: cache, log, run, syncrepl-data), made when it needs"
                    + " them: caches and the syncrepl provider's journal");

    /** Every file and folder of the data folder, in the order {@code dirkms --help} would list them. */
    public static final List<Item> ITEMS = List.of(PARTITIONS, SCHEMA_PARTITION, SYSTEM_PARTITION, SUFFIX_PARTITION,
            TLS, TLS_KEY_STORE, TLS_KEY_STORE_PASSPHRASE, TLS_CERTIFICATE, TLS_CA_CERTIFICATE, AUDIT, AUDIT_LOG,
            AUDIT_LOG_SET_ASIDE, AGENT_AUDIT_LOG,
            AGENT_AUDIT_LOG_SET_ASIDE, CA, CA_KEY_STORE, CA_PASSPHRASE, OCSP,
            OCSP_KEY_STORE, OCSP_PASSPHRASE, TRUST, TRUST_LIST_KEY_STORE, TRUST_LIST_PASSPHRASE, RECOVERY,
            RECOVERY_KEY_STORE, RECOVERY_PASSPHRASE, RECOVERY_CUSTODY, TRANSFER, TRANSFER_TRANSPORT_KEY_STORE,
            TRANSFER_TRANSPORT_PASSPHRASE, TRANSFER_SIGNING_KEY_STORE, TRANSFER_SIGNING_PASSPHRASE,
            ADMIN_PASSWORD, KMS_AGENT_PASSWORD, SUFFIX, BOOTSTRAP_DONE, LOCK, AGENT_LOCK, ENDPOINT,
            LOGBACK_CONFIGURATION, LOGS,
            LOG_FILE, LOG_ARCHIVE, APACHEDS_FILES);

    /** Makes the root absolute and normalized, so that every path derived from it is. */
    public DataFolder {
        Objects.requireNonNull(root, "root");
        root = root.toAbsolutePath().normalize();
    }

    /** The data folder at {@code root} (relative to the working directory when relative). */
    public static DataFolder of(Path root) {
        return new DataFolder(root);
    }

    /** The path of {@code item}, which must name one file or folder (no {@code <...>} part). */
    public Path resolve(Item item) {
        if (item.path().indexOf('<') >= 0) {
            throw new IllegalArgumentException(item.path() + " stands for several files; use the method that names one");
        }
        return root.resolve(item.path());
    }

    /** {@code partitions/}: ApacheDS's partitions. */
    public Path partitions() {
        return resolve(PARTITIONS);
    }

    /** {@code partitions/schema/}. */
    public Path schemaPartition() {
        return resolve(SCHEMA_PARTITION);
    }

    /** {@code partitions/dirkms/}: the suffix partition. */
    public Path suffixPartition() {
        return resolve(SUFFIX_PARTITION);
    }

    /** {@code tls/}. */
    public Path tls() {
        return resolve(TLS);
    }

    /** {@code tls/server.p12}. */
    public Path tlsKeyStore() {
        return resolve(TLS_KEY_STORE);
    }

    /** {@code tls/server.p12.pass}. */
    public Path tlsKeyStorePassphrase() {
        return resolve(TLS_KEY_STORE_PASSPHRASE);
    }

    /** {@code tls/server.crt}. */
    public Path tlsCertificate() {
        return resolve(TLS_CERTIFICATE);
    }

    /** {@code tls/ca.crt}: what clients trust. */
    public Path caCertificate() {
        return resolve(TLS_CA_CERTIFICATE);
    }

    /** {@code audit/}. */
    public Path audit() {
        return resolve(AUDIT);
    }

    /** {@code audit/audit.log}. */
    public Path auditLog() {
        return resolve(AUDIT_LOG);
    }

    /** {@code audit/agent.log}: the standalone KMS agent's own audit log. */
    public Path agentAuditLog() {
        return resolve(AGENT_AUDIT_LOG);
    }

    /** {@code agent.lock}: locked while a standalone agent runs on the folder. */
    public Path agentLock() {
        return resolve(AGENT_LOCK);
    }

    /** The prefix of the names of set-aside audit logs in {@code audit/}: {@code audit.log.broken-}. */
    public static String auditLogSetAsidePrefix() {
        return AUDIT_LOG.name() + ".broken-";
    }

    /** {@code ca/}. */
    public Path ca() {
        return resolve(CA);
    }

    /** {@code ca/<name>.p12}: the key store of the CA called {@code caName}. */
    public Path caKeyStore(String caName) {
        return ca().resolve(caFileName(caName) + KEY_STORE_EXTENSION);
    }

    /** {@code ca/<name>.pass}: the passphrase of {@link #caKeyStore}. */
    public Path caPassphrase(String caName) {
        return ca().resolve(caFileName(caName) + PASSPHRASE_EXTENSION);
    }

    /**
     * The file name a CA's files carry: its name with every character but {@code A-Z a-z 0-9 . _ -}
     * made {@code _}, so that any CN is a safe file name.
     */
    public static String caFileName(String caName) {
        return caName.replaceAll("[^A-Za-z0-9._-]", "_");
    }

    /** {@code ocsp/}. */
    public Path ocsp() {
        return resolve(OCSP);
    }

    /** {@code ocsp/<name>.p12}: the OCSP-signing key store of the CA called {@code caName}. */
    public Path ocspKeyStore(String caName) {
        return ocsp().resolve(caFileName(caName) + KEY_STORE_EXTENSION);
    }

    /** {@code ocsp/<name>.pass}: the passphrase of {@link #ocspKeyStore}. */
    public Path ocspPassphrase(String caName) {
        return ocsp().resolve(caFileName(caName) + PASSPHRASE_EXTENSION);
    }

    /** {@code trust/trust-list-signer.p12}: the trust-list-signing key store. */
    public Path trustListKeyStore() {
        return resolve(TRUST_LIST_KEY_STORE);
    }

    /** {@code trust/trust-list-signer.pass}: the passphrase of {@link #trustListKeyStore}. */
    public Path trustListPassphrase() {
        return resolve(TRUST_LIST_PASSPHRASE);
    }

    /** {@code recovery/}. */
    public Path recovery() {
        return resolve(RECOVERY);
    }

    /** {@code recovery/key-recovery-agent.p12}. */
    public Path recoveryKeyStore() {
        return resolve(RECOVERY_KEY_STORE);
    }

    /** {@code recovery/key-recovery-agent.pass}. */
    public Path recoveryPassphrase() {
        return resolve(RECOVERY_PASSPHRASE);
    }

    /** {@code recovery/custody}: present once the recovery keys are under threshold custody. */
    public Path recoveryCustody() {
        return resolve(RECOVERY_CUSTODY);
    }

    /** {@code transfer/}. */
    public Path transfer() {
        return resolve(TRANSFER);
    }

    /** {@code transfer/transport.p12}. */
    public Path transferTransportKeyStore() {
        return resolve(TRANSFER_TRANSPORT_KEY_STORE);
    }

    /** {@code transfer/transport.pass}. */
    public Path transferTransportPassphrase() {
        return resolve(TRANSFER_TRANSPORT_PASSPHRASE);
    }

    /** {@code transfer/signing.p12}. */
    public Path transferSigningKeyStore() {
        return resolve(TRANSFER_SIGNING_KEY_STORE);
    }

    /** {@code transfer/signing.pass}. */
    public Path transferSigningPassphrase() {
        return resolve(TRANSFER_SIGNING_PASSPHRASE);
    }

    /** {@code admin.password}. */
    public Path adminPassword() {
        return resolve(ADMIN_PASSWORD);
    }

    /** {@code kms-agent.password}. */
    public Path kmsAgentPassword() {
        return resolve(KMS_AGENT_PASSWORD);
    }

    /** {@code suffix}. */
    public Path suffix() {
        return resolve(SUFFIX);
    }

    /** {@code bootstrap.done}. */
    public Path bootstrapDone() {
        return resolve(BOOTSTRAP_DONE);
    }

    /** {@code lock}. */
    public Path lock() {
        return resolve(LOCK);
    }

    /** {@code endpoint}. */
    public Path endpoint() {
        return resolve(ENDPOINT);
    }

    /** {@code logback.xml}: the logging configuration. */
    public Path logbackConfiguration() {
        return resolve(LOGBACK_CONFIGURATION);
    }

    /** {@code logs/}. */
    public Path logs() {
        return resolve(LOGS);
    }

    /** {@code logs/dirkms.log}: the log file of the default configuration. */
    public Path logFile() {
        return resolve(LOG_FILE);
    }
}
