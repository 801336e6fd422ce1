package org.dirkms.dist;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.apache.directory.api.ldap.model.exception.LdapException;
import org.apache.directory.ldap.client.api.LdapNetworkConnection;
import org.dirkms.agent.audit.AgentAuditTrail;
import org.dirkms.agent.audit.AuditTrailException;
import org.dirkms.agent.ca.CertificationAuthority;
import org.dirkms.agent.queue.QueueServer;
import org.dirkms.agent.ca.IssuanceRefusedException;
import org.dirkms.agent.directory.DirectoryAccessException;
import org.dirkms.agent.enroll.KmsAgent;
import org.dirkms.agent.keys.RecoveryKeyStore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code dirkms agent}: runs the KMS agent standalone against a directory (the embedded one or
 * a remote LDAPv3 server with the schema), until SIGTERM or Ctrl-C. It reconciles the tree, then
 * follows it with syncrepl, enrolling, revoking and expiring packages, and recovering keys when
 * the data folder holds the recovery key store, as {@code dirkms serve}'s in-process agent does.
 */
@Command(name = "agent", description = {"Run the KMS agent against a directory (enrollment, revocation, package"
        + " expiry, key recovery).",
        "",
        "It runs until stopped with Ctrl-C or SIGTERM.",
        "",
        "The agent serves the administrative groups whose KMS server entry (ou=Servers,ou=KMS) names --bind-dn in"
                + " kmsAgentIdentity. With the CA's key store in DIR/ca/ it issues certificates itself while that"
                + " CA is active, has the templates and is not busy, and its CA serves the request queue beside"
                + " the others; otherwise, or without it, it archives the encryption key and queues both"
                + " certificate requests under ou=Requests,ou=KMS for any CA that serves the queue ('dirkms serve',"
                + " 'dirkms ca serve'). With the recovery key"
                + " store in DIR/recovery/ it also recovers the keys of its users once enough recovery agents"
                + " approved ('dirkms recovery --help').",
        "",
        "Every write the agent makes is recorded in its hash-chained audit log DIR/audit/agent.log, anchored in the"
                + " directory at the entry under ou=Audit,ou=KMS its first record names; a log that disagrees with its"
                + " anchor, or is missing while its anchor holds a head, stops the start ('dirkms audit verify --data"
                + " DIR', " + AgentAuditTrail.ACCEPT_FLAG + ")."})
final class AgentCommand extends Subcommand {

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(AgentCommand.class);

    @Mixin
    AgentOptions options;

    @Option(names = "--recovery-cert", paramLabel = "F",
            description = "the key recovery agent's certificate (PEM), for an agent without the CA's key store:"
                    + " the certificates are then requested through the request queue (ou=Requests,ou=KMS),"
                    + " which 'dirkms serve' serves")
    Path recoveryCertificate;

    @Option(names = "--home-url", paramLabel = "URL",
            description = "on a replicated directory, one provider of the multi-provider set, once for each and in"
                    + " the same order for every agent: claims and every other write go to the first that answers and"
                    + " has caught up with the ones after it, while the agent follows --url, its own provider, with"
                    + " syncrepl (README, \"Running replicated\")")
    List<String> homeUrls;

    @Override
    List<String> examples() {
        return List.of("dirkms agent --url ldaps://directory.example.com:10636 --bind-dn"
                        + " uid=kms-agent,ou=KMS,dc=example,dc=com --password-file agent.password --ca-cert ca.pem"
                        + " --data DIR",
                "the agent against a remote server, issuing with the CA whose key store is in DIR/ca/",
                "dirkms agent --url ldaps://directory.example.com:10636 --recovery-cert recovery.pem",
                "an agent without the CA: its certificates come through the request queue",
                "dirkms agent --url ldap://ldap2.example.com:389 --home-url ldap://ldap1.example.com:389 --home-url"
                        + " ldap://ldap2.example.com:389 --suffix dc=example,dc=com --data DIR",
                "an agent on the second provider of a replicated pair: it follows ldap2 and claims on ldap1 while"
                        + " ldap1 is up");
    }

    @Override
    Map<ExitCode, String> exitCodes() {
        Map<ExitCode, String> codes = super.exitCodes();
        codes.put(ExitCode.OK, "stopped with Ctrl-C or SIGTERM");
        codes.put(ExitCode.FAILED, "could not start (standard error says why)");
        return codes;
    }

    @Option(names = AgentAuditTrail.ACCEPT_FLAG, description = "once, after the agent refused to start because its"
            + " audit log DIR/audit/agent.log is broken, unanchored or missing: set the broken log aside as"
            + " agent.log.broken-<UTC time> and begin a new chain whose first record names the lost head (refused"
            + " when nothing was lost)")
    boolean acceptMissingAuditLog;

    /** How often the agent anchors the head of its audit log in the directory while it moves. */
    static final Duration ANCHOR_PERIOD = Duration.ofSeconds(10);

    @Override
    int run() throws UsageException {
        KmsContext plain = options.connection.context();
        // Usage errors first: a bad flag writes nothing, not even the lock or the audit log.
        int workers = options.workers();
        Duration lease = options.lease();
        Duration sweep = options.sweep();
        // One agent a data folder: the audit log below is this process's chain alone.
        AgentFolderLock folderLock;
        try {
            java.util.Optional<AgentFolderLock> acquired = AgentFolderLock.acquire(plain.dataFolder());
            if (acquired.isEmpty()) {
                return failed(AgentFolderLock.inUse(plain.dataFolder()));
            }
            folderLock = acquired.get();
        } catch (IOException e) {
            return failed(plain, e);
        }
        // The agent's own audit trail (DIR/audit/agent.log, anchored under ou=Audit): checked
        // against its anchor before the agent writes anything, then every write of the agent's
        // connections is recorded (README, "The audit log").
        AgentAuditTrail trail;
        try {
            trail = AgentAuditTrail.open(plain.dataFolder().agentAuditLog(), plain.layout(), plain.connection(),
                    origin(plain.dataFolder()), acceptMissingAuditLog, plain.clock());
        } catch (AuditTrailException e) {
            release(folderLock);
            // The directory or a file could not be reached: said as every command says it.
            return e.getCause() instanceof IOException || e.getCause() instanceof LdapException
                    || e.getCause() instanceof GeneralSecurityException ? failed(plain, e.getCause())
                            : failed(e.getMessage());
        } catch (IOException | java.io.UncheckedIOException e) {
            release(folderLock);
            return failed(plain, e);
        }
        KmsContext kms = plain.withConnection(plain.connection().journaling(trail));
        java.util.concurrent.ScheduledExecutorService anchoring = java.util.concurrent.Executors
                .newSingleThreadScheduledExecutor(task -> {
                    Thread thread = new Thread(task, "dirkms-agent-audit-anchor");
                    thread.setDaemon(true);
                    return thread;
                });
        anchoring.scheduleWithFixedDelay(() -> anchor(trail), ANCHOR_PERIOD.toMillis(), ANCHOR_PERIOD.toMillis(),
                java.util.concurrent.TimeUnit.MILLISECONDS);
        KmsAgent agent;
        java.util.concurrent.ScheduledExecutorService queueWork = null;
        PrintWriter out = out();
        try {
            CertificationAuthority ca;
            X509Certificate recovery;
            try (LdapNetworkConnection connection = kms.openConnection(Duration.ofSeconds(30).toMillis())) {
                if (kms.underCustody()) {
                    // The recovery keys are split among the recovery agents (docs/custody.md): no
                    // key store to open or make; archive to what the directory publishes.
                    ca = kms.hasCaKeyStore(options.caName)
                            ? kms.openCa(connection, options.caName, options.passphraseFile(kms)) : null;
                    recovery = kms.publishedRecoveryCertificate(connection);
                } else if (kms.hasCaKeyStore(options.caName)) {
                    ca = kms.openCa(connection, options.caName, options.passphraseFile(kms));
                    RecoveryKeyStore store = kms.recoveryKeyStore(ca);
                    recovery = store.current().certificate();
                    // Agents archive to the certificate the directory publishes; one that
                    // predates it, or a rekey stopped before it published, is made whole here.
                    kms.publishRecoveryCertificate(connection, store);
                } else {
                    // No CA in this process: the certificates come from whichever CA serves the
                    // request queue (README, "What the KMS answers").
                    ca = null;
                    recovery = recoveryCertificateWithoutCa(kms);
                    out.println("dirkms agent: no CA key store at " + kms.dataFolder().caKeyStore(options.caName)
                            + ": certificates are requested through the queue under " + kms.layout().requests());
                }
            }
            if (kms.underCustody()) {
                agent = kms.agentUnderCustody(ca, recovery, kms.agentSettings(lease), workers, sweep);
                out.println("dirkms agent: the recovery keys are under custody: this agent recovers keys with the"
                        + " shares of the recovery agents who approve");
            } else if (recoveryCertificate == null && RecoveryKeyStore.exists(kms.dataFolder())) {
                // The recovery keys are here: this agent also recovers keys once recovery agents approve.
                agent = kms.agent(ca, kms.openRecoveryKeyStore(), kms.agentSettings(lease), workers, sweep);
            } else {
                agent = kms.agent(ca, recovery, kms.agentSettings(lease), workers, sweep);
                out.println("dirkms agent: no recovery key store at " + kms.dataFolder().recoveryKeyStore()
                        + ": this agent archives keys but does not recover them (the agent where it is does)");
            }
            if (ca != null) {
                // Its CA serves the request queue beside the others, and the agent issues with it
                // while it can (active, the templates, not busy), queueing for another CA otherwise.
                QueueServer queue = kms.queueServer(ca, KmsContext.QUEUE_LEASE);
                agent.issueThroughQueueServer(queue);
                queueWork = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(task -> {
                    Thread thread = new Thread(task, "dirkms-agent-ca");
                    thread.setDaemon(true);
                    return thread;
                });
                KmsAgent running = agent;
                // On a replicated directory the queue is served on the agent's home provider too:
                // slapd keeps the newer copy of an entry whole, so a write to the CA entry on
                // another provider could undo one made on the home (docs/reliability.md).
                queueWork.scheduleWithFixedDelay(() -> CaServeSetup.serveQueue(
                        homeUrls == null || homeUrls.isEmpty() ? kms
                                : kms.withConnection(kms.connection().withUrl(running.workProvider())), queue), 0,
                        ServeCommand.QUEUE_PERIOD.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
            }
            if (homeUrls != null && !homeUrls.isEmpty()) {
                agent.workOnHomeProvider(homeUrls);
            }
            agent.start();
        } catch (IOException | LdapException | GeneralSecurityException | IssuanceRefusedException
                | DirectoryAccessException | IllegalArgumentException | IllegalStateException e) {
            anchoring.shutdownNow();
            closeTrail(trail);
            release(folderLock);
            return failed(kms, e);
        }
        CountDownLatch stopped = new CountDownLatch(1);
        java.util.concurrent.ScheduledExecutorService caWork = queueWork;
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                if (caWork != null) {
                    caWork.shutdownNow();
                }
                agent.close();
                anchoring.shutdownNow();
                closeTrail(trail);
                release(folderLock);
                out.println("dirkms agent stopped");
                out.flush();
            } finally {
                stopped.countDown();
            }
        }, "dirkms-agent-shutdown"));
        out.println("dirkms agent running as " + kms.connection().bindDn() + " against " + kms.connection().url()
                + (homeUrls == null || homeUrls.isEmpty() ? "" : ", claiming on " + agent.workProvider()));
        out.flush();
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return OK;
    }

    /** Releases the folder's agent lock; a failure is logged (the process ends, which drops it anyway). */
    private static void release(AgentFolderLock lock) {
        try {
            lock.close();
        } catch (IOException e) {
            LOG.warn("releasing the agent lock of the data folder: {}", e.getMessage());
        }
    }

    /**
     * Where the agent's log lives, for the name of its anchor ({@link AgentAuditTrail#anchorFor}):
     * this host's name and the data folder's absolute path.
     */
    private static String origin(org.dirkms.schema.DataFolder folder) {
        String host;
        try {
            host = java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.net.UnknownHostException e) {
            host = "localhost";
        }
        return host + ":" + folder.root();
    }

    /** Anchors the audit head now; a failure is logged and left to the next period or the shutdown. */
    private static void anchor(AgentAuditTrail trail) {
        try {
            trail.anchorNow();
        } catch (AuditTrailException e) {
            LOG.warn("{}; the next anchor tries again", e.getMessage());
        }
    }

    /** Anchors the head a last time and closes the log; a failure is logged (the chain on disk is whole). */
    private static void closeTrail(AgentAuditTrail trail) {
        try {
            trail.close();
        } catch (AuditTrailException | IOException e) {
            LOG.warn("closing the audit log {}: {}", trail.file(), e.getMessage());
        }
    }

    /**
     * The key recovery certificate for an agent without the CA: {@code --recovery-cert} when
     * given, else the certificate of the data folder's recovery key store.
     *
     * @throws IOException if neither is there or the file holds no certificate
     */
    private X509Certificate recoveryCertificateWithoutCa(KmsContext kms) throws IOException {
        if (recoveryCertificate != null) {
            try (InputStream in = Files.newInputStream(recoveryCertificate)) {
                return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
            } catch (CertificateException e) {
                throw new IOException("--recovery-cert " + recoveryCertificate
                        + " holds no X.509 certificate (PEM or DER)", e);
            }
        }
        if (RecoveryKeyStore.exists(kms.dataFolder())) {
            return kms.openRecoveryKeyStore().current().certificate();
        }
        throw new IOException("there is no CA key store " + kms.dataFolder().caKeyStore(options.caName) + " and no key"
                + " recovery certificate: give --recovery-cert FILE (the key recovery agent's certificate, PEM) to"
                + " run the agent without the CA, or run it where the CA's key is (--data)");
    }
}
