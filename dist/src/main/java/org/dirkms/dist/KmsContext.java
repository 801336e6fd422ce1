package org.dirkms.dist;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;
import org.apache.directory.api.ldap.model.exception.LdapException;
import org.apache.directory.ldap.client.api.LdapNetworkConnection;
import org.dirkms.agent.archive.KeyRecoverer;
import org.dirkms.agent.archive.KeyRewrapper;
import org.dirkms.agent.ca.CaService;
import org.dirkms.agent.queue.QueueServer;
import org.dirkms.agent.workflow.Attempts;
import org.dirkms.agent.workflow.Lease;
import org.dirkms.agent.ca.CertificationAuthority;
import org.dirkms.agent.ca.DelegatedKeyStore;
import org.dirkms.agent.ca.IssuanceRefusedException;
import org.dirkms.agent.ca.KeyStorePassphrase;
import org.dirkms.agent.directory.LdapCaRecords;
import org.dirkms.agent.directory.LdapEnrollmentRecords;
import org.dirkms.agent.directory.LdapRecoveryKeyRecords;
import org.dirkms.agent.directory.RecoveryKeyRecords;
import org.dirkms.agent.directory.LdapRecoveryRecords;
import org.dirkms.agent.enroll.AgentConnection;
import org.dirkms.agent.escrow.ArchiveAudit;
import org.dirkms.agent.escrow.ArchiveRewrap;
import org.dirkms.agent.escrow.RecoveryKeyRetirement;
import org.dirkms.agent.enroll.EnrollmentService;
import org.dirkms.agent.enroll.KmsAgent;
import org.dirkms.agent.keys.RecoveryKey;
import org.dirkms.agent.keys.RecoveryKeyStore;
import org.dirkms.agent.recovery.RecoveryService;
import org.dirkms.agent.recovery.RequestKeys;
import org.dirkms.agent.directory.LdapCustodyRecords;
import org.dirkms.agent.directory.LdapTrustRecords;
import org.dirkms.agent.trust.TrustListSigningKeyStore;
import org.dirkms.agent.trust.TrustRecords;
import org.dirkms.agent.trust.TrustService;
import org.dirkms.agent.workflow.Workflow;
import java.util.ArrayList;
import java.util.function.Function;
import org.dirkms.ds.server.DirectoryServer;
import org.dirkms.schema.DataFolder;
import org.dirkms.schema.DirectoryLayout;
import org.dirkms.schema.KeyAlgorithm;

/**
 * The composition root of the KMS side of dirkms: from where the KMS keeps its files (a
 * {@link DataFolder}), the directory tree ({@link DirectoryLayout}) and how the agent reaches
 * the directory ({@link AgentConnection}: as the KMS agent), it makes every object the commands and the embedded
 * server wire together — the agent's protected connection, the CA services over it, a CA opened
 * from its key store, the recovery key store, the enrollment, recovery and trust list services,
 * the running agent and the archive check — so that each is built in this one place. {@code dirkms serve}, {@code agent},
 * {@code enroll}, {@code ca}, {@code archive}, {@code audit} and {@code roles}, and the
 * integration tests, all take their objects from here.
 *
 * <p>Immutable; the clock and the random source are injected (tests pass their own).
 */
public final class KmsContext {
    /** How long one operation of a command or of the CA's schedule may wait for the directory's answer. */
    public static final long OPERATION_TIMEOUT_MILLIS = 30_000;
    /** The RDN the key recovery agent's certificate has, below {@code ou=KMS}. */
    public static final String RECOVERY_AGENT_RDN = "cn=Key Recovery Agent";
    /** The algorithm of a recovery key the KMS makes itself. */
    public static final KeyAlgorithm RECOVERY_KEY_ALGORITHM = KeyAlgorithm.EC_P384;

    private final DataFolder data;
    private final DirectoryLayout layout;
    private final AgentConnection connection;
    private final Clock clock;
    private final SecureRandom random;

    /**
     * @param data       where the KMS keeps its files (CA and recovery key stores, passwords)
     * @param layout     the directory tree below the suffix
     * @param connection how the agent reaches the directory
     * @param clock      the time of every record and certificate
     * @param random     the source of every key, serial and token
     */
    public KmsContext(DataFolder data, DirectoryLayout layout, AgentConnection connection, Clock clock,
            SecureRandom random) {
        this.data = Objects.requireNonNull(data, "data");
        this.layout = Objects.requireNonNull(layout, "layout");
        this.connection = Objects.requireNonNull(connection, "connection");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.random = Objects.requireNonNull(random, "random");
    }

    /**
     * The context of a server running in this process: the agent binds as the server's
     * {@code uid=kms-agent} with the data folder's password file, over StartTLS to the server's
     * LDAP port, trusting the certificate the server's clients trust.
     */
    public static KmsContext of(DirectoryServer server, Clock clock, SecureRandom random) {
        return new KmsContext(server.dataFolder(), server.layout(), new AgentConnection(server.ldapUrl(),
                server.kmsAgentDn(), server.kmsAgentPasswordFile(), server.tlsCertificateFile()), clock, random);
    }

    /** The same context reaching the directory through {@code other} (another URL, identity or trust). */
    public KmsContext withConnection(AgentConnection other) {
        return new KmsContext(data, layout, other, clock, random);
    }

    /** The same context reaching the directory at {@code url}, as the same identity with the same trust. */
    public KmsContext withUrl(String url) {
        return withConnection(new AgentConnection(url, connection.bindDn(), connection.passwordFile(),
                connection.trustedCertificates()));
    }

    /** Where the KMS keeps its files. */
    public DataFolder dataFolder() {
        return data;
    }

    /** The directory tree below the suffix. */
    public DirectoryLayout layout() {
        return layout;
    }

    /**
     * How commands of this context reach the directory: as the KMS agent, except for
     * {@code audit verify}, which reads the audit anchor as the directory superuser.
     */
    public AgentConnection connection() {
        return connection;
    }

    /** The clock. */
    public Clock clock() {
        return clock;
    }

    /** The random source. */
    public SecureRandom random() {
        return random;
    }

    /**
     * Opens a protected connection (LDAPS, or StartTLS before the bind) bound as
     * {@link #connection()}'s identity; the caller closes it.
     *
     * @param timeoutMillis how long an operation may wait; 0 for no limit
     */
    public LdapNetworkConnection openConnection(long timeoutMillis)
            throws IOException, LdapException, GeneralSecurityException {
        return connection.open(timeoutMillis);
    }

    /** The certificate services over {@code directory}. */
    public CaService caService(LdapNetworkConnection directory) {
        return new CaService(new LdapCaRecords(directory, layout, clock), layout, clock, random);
    }

    /** How long a CA's claim on a queued request lasts unless {@code --lease-seconds} says otherwise. */
    public static final Duration QUEUE_LEASE = Duration.ofMinutes(2);

    /**
     * A server of the request queue for {@code ca} in this process (docs/state-machines.md, "The
     * certificate request queue"), its claims named after the CA and this process, lasting {@code lease}.
     */
    public QueueServer queueServer(CertificationAuthority ca, Duration lease) {
        return new QueueServer(ca, new Lease(clock, lease), Attempts.of(Attempts.ownerFor(ca.dn(), random)));
    }

    /** One round of {@code server} over {@code directory}: heartbeat, claims, issuance. */
    public QueueServer.Round serveQueue(LdapNetworkConnection directory, QueueServer server) {
        LdapCaRecords records = new LdapCaRecords(directory, layout, clock);
        return server.serve(records, new CaService(records, layout, clock, random));
    }

    /** True if the data folder holds the key store of the CA called {@code caName}. */
    public boolean hasCaKeyStore(String caName) {
        return Files.exists(data.caKeyStore(caName));
    }

    /**
     * Opens the CA called {@code caName}: its entry from the directory, its key from the data
     * folder's key store with the passphrase in the data folder's passphrase file.
     *
     * @throws IOException if there is no key store for it in the data folder
     */
    public CertificationAuthority openCa(LdapNetworkConnection directory, String caName) throws IOException {
        return openCa(directory, caName, data.caPassphrase(caName));
    }

    /**
     * Opens the CA called {@code caName} with the passphrase in the first line of {@code passphraseFile}.
     *
     * @throws IOException if there is no key store for it in the data folder
     */
    public CertificationAuthority openCa(LdapNetworkConnection directory, String caName, Path passphraseFile)
            throws IOException {
        Path keyStore = data.caKeyStore(caName);
        if (!Files.exists(keyStore)) {
            throw new IOException("there is no CA key store " + keyStore + ": run the agent where the CA's key is"
                    + " (--data), or make the CA with 'dirkms ca init'");
        }
        KeyStorePassphrase passphrase = KeyStorePassphrase.fromFile(passphraseFile);
        try {
            CaService service = caService(directory);
            return service.open(service.caDn(caName), keyStore, passphrase, publication());
        } finally {
            passphrase.destroy();
        }
    }

    /**
     * Where a CA reached through this context publishes: its entry's distribution points, or,
     * for an entry that records none yet, the CA entry in the directory at this context's URL.
     */
    public CertificationAuthority.Publication publication() {
        return CertificationAuthority.Publication.at(connection.url());
    }

    /**
     * The subject DN of the recovery key certificates the KMS makes, {@value #RECOVERY_AGENT_RDN}
     * under {@code ou=KMS}: also the DN of the entry that publishes the current one
     * ({@link DirectoryLayout#keyRecoveryAgent()}).
     */
    public String recoveryAgentDn() {
        return layout.keyRecoveryAgent();
    }

    /**
     * The data folder's recovery key store, made when missing with a first key certified by
     * {@code ca}: what {@code dirkms serve} and an agent with the CA do at start.
     *
     * @throws IssuanceRefusedException if the key store must be made and the CA refuses
     */
    public RecoveryKeyStore recoveryKeyStore(CertificationAuthority ca) throws IssuanceRefusedException {
        if (underCustody()) {
            // A new key here would take the archive out of custody without anybody noticing.
            throw new IllegalStateException("the recovery keys are under custody (" + data.recoveryCustody() + "): no"
                    + " recovery key store is opened or made in the data folder");
        }
        return RecoveryKeyStore.openOrCreate(data, ca::certifyRecoveryAgent, recoveryAgentDn(), RECOVERY_KEY_ALGORITHM, random);
    }

    /**
     * The recovery certificate new archives are wrapped to: under custody the one the directory
     * publishes, otherwise the current key of the data folder's store (made when missing, as
     * {@link #recoveryKeyStore} does).
     *
     * @throws IssuanceRefusedException if the key store must be made and the CA refuses
     */
    public X509Certificate archiveCertificate(LdapNetworkConnection directory, CertificationAuthority ca)
            throws IssuanceRefusedException {
        return underCustody() ? publishedRecoveryCertificate(directory) : recoveryKeyStore(ca).current().certificate();
    }

    /**
     * The data folder's recovery key store as it is.
     *
     * @throws IllegalArgumentException if it is missing or cannot be opened (the message names the file)
     */
    public RecoveryKeyStore openRecoveryKeyStore() {
        return RecoveryKeyStore.open(data);
    }

    /** The records of recovery-key rotation over {@code directory}: the published recovery certificate, the archive. */
    public RecoveryKeyRecords recoveryKeyRecords(LdapNetworkConnection directory) {
        return new LdapRecoveryKeyRecords(directory, layout);
    }

    /** What {@link #publishRecoveryCertificate} did. */
    public enum Publication {
        /** The directory published the store's current certificate already. */
        ALREADY_CURRENT,
        /** The directory published none; now it publishes the store's current one. */
        PUBLISHED,
        /** The directory published an older key of this store (a rekey stopped before it published); now the current one. */
        UPDATED,
        /** The directory publishes a certificate this store does not hold (another KMS's): left as it is. */
        LEFT_FOREIGN
    }

    /**
     * Makes sure the directory publishes {@code store}'s current recovery certificate, for the
     * agents to archive to, unless it publishes one this store does not hold (then another data
     * folder's KMS made it, and its rekey decides): what {@code dirkms serve} and an agent with
     * the CA do at start, so that a directory made before the publication existed, or a rekey that
     * stopped between the key store and the directory, is made whole.
     */
    public Publication publishRecoveryCertificate(LdapNetworkConnection directory, RecoveryKeyStore store)
            throws GeneralSecurityException {
        RecoveryKeyRecords records = recoveryKeyRecords(directory);
        byte[] current = store.current().certificate().getEncoded();
        java.util.Optional<byte[]> published = records.currentRecoveryCertificate();
        if (published.isPresent() && java.util.Arrays.equals(published.get(), current)) {
            return Publication.ALREADY_CURRENT;
        }
        if (published.isPresent() && store.keys().stream().noneMatch(key -> {
            try {
                return java.util.Arrays.equals(key.certificate().getEncoded(), published.get());
            } catch (java.security.cert.CertificateEncodingException e) {
                return false;
            }
        })) {
            return Publication.LEFT_FOREIGN;
        }
        records.publishRecoveryCertificate(current);
        return published.isPresent() ? Publication.UPDATED : Publication.PUBLISHED;
    }

    /**
     * {@code dirkms archive rekey}: a new recovery key in the data folder's store, certified by
     * {@code ca} with the key recovery agent template, then published in the directory as the
     * current one; earlier keys stay in the store. The key is stored before it is published, so
     * that no agent ever wraps to a key the store does not hold; a rekey that stops in between is
     * finished by the next start of {@code dirkms serve} or by the next rekey.
     *
     * @throws IssuanceRefusedException if the CA refuses the certificate (nothing changed then)
     */
    public RecoveryKeyStore rekey(LdapNetworkConnection directory, CertificationAuthority ca, KeyAlgorithm algorithm)
            throws IssuanceRefusedException, GeneralSecurityException {
        RecoveryKeyStore rotated = openRecoveryKeyStore().rotate(data, ca::certifyRecoveryAgent, recoveryAgentDn(),
                algorithm, random);
        recoveryKeyRecords(directory).publishRecoveryCertificate(rotated.current().certificate().getEncoded());
        return rotated;
    }

    /** The re-wrap of the archive over {@code directory} to {@code store}'s current key, unwrapping with all its keys. */
    public ArchiveRewrap archiveRewrap(LdapNetworkConnection directory, RecoveryKeyStore store, int batchSize,
            int workers) {
        return new ArchiveRewrap(recoveryKeyRecords(directory), new KeyRewrapper(new KeyRecoverer(store.keys()),
                store.current(), random), batchSize, workers);
    }

    /** The check, over {@code directory}, that no archive record is wrapped to a key of {@code store} any more. */
    public RecoveryKeyRetirement recoveryKeyRetirement(LdapNetworkConnection directory, RecoveryKeyStore store) {
        return new RecoveryKeyRetirement(recoveryKeyRecords(directory), new KeyRecoverer(store.keys()));
    }

    /**
     * The re-wrap of the archive over {@code directory} to the first of {@code keys} (the current),
     * unwrapping with all of them: the keys rebuilt under custody (docs/custody.md).
     */
    public ArchiveRewrap archiveRewrap(LdapNetworkConnection directory, List<RecoveryKey> keys, int batchSize,
            int workers) {
        return new ArchiveRewrap(recoveryKeyRecords(directory), new KeyRewrapper(new KeyRecoverer(keys), keys.get(0),
                random), batchSize, workers);
    }

    /** The check, over {@code directory}, that no archive record is wrapped to one of {@code keys} any more. */
    public RecoveryKeyRetirement recoveryKeyRetirement(LdapNetworkConnection directory, List<RecoveryKey> keys) {
        return new RecoveryKeyRetirement(recoveryKeyRecords(directory), new KeyRecoverer(keys));
    }

    /**
     * {@code dirkms archive rekey} under custody (docs/custody.md): a new recovery key certified by
     * {@code ca}, made in memory only; the caller seals it with the rebuilt keys and publishes it.
     *
     * @throws IssuanceRefusedException if the CA refuses the certificate
     */
    public RecoveryKey newRecoveryKey(CertificationAuthority ca, KeyAlgorithm algorithm) throws IssuanceRefusedException {
        return RecoveryKeyStore.newKey(ca::certifyRecoveryAgent, recoveryAgentDn(), algorithm, random);
    }

    /** The agent's settings: its identity, a process-unique claim owner, {@code lease}; packages last 7 days. */
    public EnrollmentService.Settings agentSettings(Duration lease) {
        EnrollmentService.Settings defaults = EnrollmentService.Settings.defaults(connection.bindDn(), random);
        return new EnrollmentService.Settings(defaults.agentDn(), defaults.owner(), lease, defaults.packageLifetime());
    }

    /** The agent's default settings (lease {@link EnrollmentService#DEFAULT_LEASE}). */
    public EnrollmentService.Settings agentSettings() {
        return agentSettings(EnrollmentService.DEFAULT_LEASE);
    }

    /** The enrollment records (users, groups, servers, archive) over {@code directory}. */
    public LdapEnrollmentRecords enrollmentRecords(LdapNetworkConnection directory) {
        return new LdapEnrollmentRecords(directory, layout, clock);
    }

    /**
     * The enrollment service over {@code directory}: it issues with {@code ca} (null: through the
     * request queue) and archives to {@code recoveryCertificate}.
     */
    public EnrollmentService enrollmentService(LdapNetworkConnection directory, CertificationAuthority ca,
            X509Certificate recoveryCertificate, EnrollmentService.Settings settings) {
        return EnrollmentService.overLdap(directory, layout, java.util.Optional.ofNullable(ca), recoveryCertificate, settings, clock, random);
    }

    /**
     * A KMS agent (not started) over this context's connection.
     *
     * @param ca the CA in this process, or null: certificates then come through the request queue
     */
    public KmsAgent agent(CertificationAuthority ca, X509Certificate recoveryCertificate,
            EnrollmentService.Settings settings, int workers, Duration sweep) {
        return new KmsAgent(connection, layout, ca, recoveryCertificate, settings, clock, random, workers, sweep);
    }

    /**
     * A KMS agent (not started) over this context's connection that also recovers keys
     * (docs/state-machines.md, "Recovery"): it archives to {@code recoveryKeys}' current
     * certificate, and each recovery unwraps with every key of the data folder's recovery key
     * store, reopened for each recovery, so a key added to the store serves without a restart.
     *
     * @param ca the CA in this process, or null: certificates then come through the request queue
     */
    public KmsAgent agent(CertificationAuthority ca, RecoveryKeyStore recoveryKeys, EnrollmentService.Settings settings,
            int workers, Duration sweep) {
        return recoveringAgent(ca, recoveryKeys.current().certificate(), this::dataFolderRecoveryKeys, settings, workers,
                sweep);
    }

    /**
     * A KMS agent (not started) over this context's connection whose recovery keys are under
     * threshold custody (docs/custody.md): it archives to {@code recoveryCertificate}, the one the
     * directory publishes, and recovers only with the shares of the recovery agents who approve,
     * keeping each request key in its memory; the data folder holds no recovery key.
     *
     * @param ca the CA in this process, or null: certificates then come through the request queue
     */
    public KmsAgent agentUnderCustody(CertificationAuthority ca, X509Certificate recoveryCertificate,
            EnrollmentService.Settings settings, int workers, Duration sweep) {
        Supplier<KeyRecoverer> none = () -> {
            throw new IllegalStateException("the recovery keys are under custody (" + data.recoveryCustody() + ") but"
                    + " the directory holds no custody at " + layout.keyRecoveryAgent());
        };
        return recoveringAgent(ca, recoveryCertificate, none, settings, workers, sweep);
    }

    /**
     * A KMS agent archiving to {@code recoveryCertificate} that also recovers keys, with
     * {@code recoveryKeys} when the archive is not under custody and with the recovery agents'
     * shares when it is; the agent with the CA also keeps the signed trust list
     * (docs/state-machines.md, "Trust list").
     */
    private KmsAgent recoveringAgent(CertificationAuthority ca, X509Certificate recoveryCertificate,
            Supplier<KeyRecoverer> recoveryKeys, EnrollmentService.Settings settings, int workers, Duration sweep) {
        RecoveryService.Settings recovery = recoverySettings(settings);
        List<Function<LdapNetworkConnection, ? extends Workflow>> workflows = new ArrayList<>();
        RequestKeys requestKeys = new RequestKeys();
        workflows.add(directory -> RecoveryService.overLdap(directory, layout, recoveryKeys, requestKeys, recovery,
                clock, random));
        if (ca != null) {
            // The agent with the CA keeps the signed trust list (docs/state-machines.md, "Trust list").
            DelegatedKeyStore signer = trustListSigningKeyStore(ca);
            workflows.add(directory -> trustService(directory, signer));
        }
        return new KmsAgent(connection, layout, ca, recoveryCertificate, settings, clock, random, workers, sweep,
                workflows);
    }

    /** Whether the data folder's recovery keys were put under threshold custody ({@code recovery/custody}). */
    public boolean underCustody() {
        return java.nio.file.Files.exists(data.recoveryCustody());
    }

    /** The custody records over {@code directory} (docs/custody.md). */
    public LdapCustodyRecords custodyRecords(LdapNetworkConnection directory) {
        return new LdapCustodyRecords(directory, layout);
    }

    /**
     * The recovery certificate the directory publishes as current, which agents archive to: what an
     * agent under custody, with no key store, starts with.
     *
     * @throws IllegalStateException if the directory publishes none
     */
    public X509Certificate publishedRecoveryCertificate(LdapNetworkConnection directory) {
        byte[] der = recoveryKeyRecords(directory).currentRecoveryCertificate().orElseThrow(() -> new IllegalStateException(
                "the directory publishes no key recovery certificate at " + layout.keyRecoveryAgent()));
        try {
            return (X509Certificate) java.security.cert.CertificateFactory.getInstance("X.509")
                    .generateCertificate(new java.io.ByteArrayInputStream(der));
        } catch (java.security.cert.CertificateException e) {
            throw new IllegalStateException("the key recovery certificate published at " + layout.keyRecoveryAgent()
                    + " cannot be read", e);
        }
    }

    /**
     * The data folder's trust-list-signing key store, made (or renewed) with a certificate from
     * {@code ca} when missing or due ({@link TrustListSigningKeyStore}).
     *
     * @throws IllegalStateException if its files cannot be written or it cannot be opened
     */
    public DelegatedKeyStore trustListSigningKeyStore(CertificationAuthority ca) {
        return TrustListSigningKeyStore.openOrCreate(data.trustListKeyStore(), data.trustListPassphrase(), ca, clock,
                random);
    }

    /**
     * The trust list service over {@code directory}, bound as a KMS agent, signing with
     * {@code signer}'s key, renewed first when due.
     */
    public TrustService trustService(LdapNetworkConnection directory, DelegatedKeyStore signer) {
        return TrustService.overLdap(directory, layout, () -> {
            signer.renewIfDue();
            return signer.current();
        }, clock);
    }

    /** The trust records (partners, the trust list) over {@code directory}. */
    public TrustRecords trustRecords(LdapNetworkConnection directory) {
        return new LdapTrustRecords(directory, layout);
    }

    /** The recovery settings of an agent with {@code settings}: the same identity, process and lease. */
    public RecoveryService.Settings recoverySettings(EnrollmentService.Settings settings) {
        return new RecoveryService.Settings(settings.agentDn(), settings.owner(), settings.lease(),
                RecoveryService.DEFAULT_PENDING_LIFETIME, RecoveryService.DEFAULT_PACKAGE_LIFETIME);
    }

    /** The recovery records (requests, the archive, servers and role groups) over {@code directory}. */
    public LdapRecoveryRecords recoveryRecords(LdapNetworkConnection directory) {
        return new LdapRecoveryRecords(directory, layout);
    }

    /**
     * The recovery service over {@code directory}, bound as a KMS agent, unwrapping with the keys
     * {@code recoveryKeys} gives at each recovery.
     */
    public RecoveryService recoveryService(LdapNetworkConnection directory, Supplier<KeyRecoverer> recoveryKeys,
            RecoveryService.Settings settings) {
        return RecoveryService.overLdap(directory, layout, recoveryKeys, settings, clock, random);
    }

    /** Every key of the data folder's recovery key store, opened now. */
    private KeyRecoverer dataFolderRecoveryKeys() {
        return new KeyRecoverer(openRecoveryKeyStore().keys());
    }

    /** The DN of the KMS server entry this data folder's server runs: {@code cn=default,ou=Servers,ou=KMS}. */
    public String serverDn() {
        return "cn=default," + layout.servers();
    }

    /** The records of moving users between servers over {@code directory} (docs/transfer.md). */
    public org.dirkms.agent.directory.TransferRecords transferRecords(LdapNetworkConnection directory) {
        return new org.dirkms.agent.directory.LdapTransferRecords(directory, layout);
    }

    /**
     * The data folder's transfer identity, made or renewed with {@code ca} when missing or due:
     * what {@code dirkms serve} does at start (docs/transfer.md).
     */
    public org.dirkms.agent.transfer.TransferIdentity transferIdentity(CertificationAuthority ca) {
        return org.dirkms.agent.transfer.TransferIdentity.openOrCreate(data, ca, serverDn(), clock, random);
    }

    /**
     * Makes sure the KMS server entry publishes {@code identity}'s transport certificate as
     * {@code kmsTransportCertificate}, for a source administrator to export to.
     *
     * @return true if it wrote it (the entry lacked it, or held another)
     */
    public boolean publishTransportCertificate(LdapNetworkConnection directory,
            org.dirkms.agent.transfer.TransferIdentity identity) throws GeneralSecurityException {
        org.dirkms.agent.directory.TransferRecords records = transferRecords(directory);
        byte[] current = identity.transport().certificate().getEncoded();
        java.util.Optional<byte[]> published = records.transportCertificate(serverDn());
        if (published.isPresent() && java.util.Arrays.equals(published.get(), current)) {
            return false;
        }
        records.publishTransportCertificate(serverDn(), current);
        return true;
    }

    /** The archive check over {@code directory}, unwrapping with {@code recoverer}'s keys. */
    public ArchiveAudit archiveAudit(LdapNetworkConnection directory, KeyRecoverer recoverer) {
        return new ArchiveAudit(enrollmentRecords(directory), new LdapCaRecords(directory, layout, clock), recoverer);
    }
}
