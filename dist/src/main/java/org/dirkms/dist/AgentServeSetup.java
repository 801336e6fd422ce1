package org.dirkms.dist;

import java.io.IOException;
import java.security.GeneralSecurityException;
import org.apache.directory.api.ldap.model.exception.LdapException;
import org.apache.directory.ldap.client.api.LdapNetworkConnection;
import org.dirkms.agent.ca.IssuanceRefusedException;
import org.dirkms.agent.enroll.BulkEnrollment;
import org.dirkms.agent.enroll.KmsAgent;
import org.dirkms.agent.keys.RecoveryKeyStore;
import org.dirkms.ds.server.ServerStartException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts the KMS agent inside {@code dirkms serve}, after {@link CaServeSetup}: on a fresh data
 * folder it first makes the key recovery agent's key and certificate (issued by the enterprise
 * CA with the key-recovery-agent template; the key in {@code <data>/recovery/}, mode 0600), then
 * publishes its certificate as the current one at {@code cn=Key Recovery Agent,ou=KMS} unless the
 * directory publishes it already (KmsContext#publishRecoveryCertificate), then
 * makes the server's transfer identity when missing (docs/transfer.md) and publishes its transport
 * certificate on the KMS server entry, then
 * runs the agent as {@code uid=kms-agent} over StartTLS, trusting the CA certificate, exactly as
 * a standalone agent would connect, enrolling and recovering keys with that key store; both wired by the server's {@link KmsContext}. The bootstrap already holds the default administrative group
 * and its KMS server entry naming this agent, so the sample LDIF enrolls a user straight away.
 */
public final class AgentServeSetup {
    private static final Logger LOG = LoggerFactory.getLogger(AgentServeSetup.class);
    /** Workers of the in-process agent: see {@link BulkEnrollment#DEFAULT_WORKERS}. */
    static final int WORKERS = BulkEnrollment.DEFAULT_WORKERS;

    private AgentServeSetup() {
    }

    /**
     * The agent of a data folder whose recovery keys are under threshold custody: no key store is
     * opened or made; it archives to the recovery certificate the directory publishes and recovers
     * with the recovery agents' shares (docs/custody.md).
     */
    private static KmsAgent startUnderCustody(CaServeSetup.Serving serving, java.time.Duration lease,
            java.time.Duration sweep) throws IOException, LdapException,
            GeneralSecurityException {
        KmsContext kms = serving.kms();
        java.security.cert.X509Certificate recovery;
        try (LdapNetworkConnection connection = kms.openConnection(KmsContext.OPERATION_TIMEOUT_MILLIS)) {
            recovery = kms.publishedRecoveryCertificate(connection);
            if (kms.custodyRecords(connection).custody().isEmpty()) {
                LOG.warn("{} says the recovery keys are under custody, but the directory holds no custody at {}:"
                        + " recoveries will fail until it does", kms.dataFolder().recoveryCustody(), kms.recoveryAgentDn());
            }
            org.dirkms.agent.transfer.TransferIdentity transfer = kms.transferIdentity(serving.ca());
            kms.publishTransportCertificate(connection, transfer);
        }
        LOG.info("The recovery keys are under custody: the agent archives to {} and recovers with recovery agents'"
                + " shares", org.dirkms.agent.keys.RecoveryKey.keyIdOf(recovery));
        KmsAgent agent = kms.agentUnderCustody(serving.ca(), recovery, kms.agentSettings(lease), WORKERS, sweep);
        agent.issueThroughQueueServer(serving.queue());
        agent.start();
        return agent;
    }

    /**
     * Opens (or makes) the recovery key store, unless the keys are under custody, and starts the agent against {@code serving}'s server.
     *
     * @return the running agent; close it before the server
     * @throws ServerStartException if the recovery key cannot be made or opened or the agent cannot connect
     */
    public static KmsAgent start(CaServeSetup.Serving serving) throws ServerStartException {
        return start(serving, org.dirkms.agent.enroll.EnrollmentService.DEFAULT_LEASE, KmsAgent.DEFAULT_SWEEP);
    }

    /**
     * As {@link #start(CaServeSetup.Serving)}, the agent's claims lasting {@code lease} and its
     * sweep every {@code sweep} ({@code dirkms serve --lease-seconds, --sweep-seconds}).
     *
     * @return the running agent; close it before the server
     * @throws ServerStartException if the recovery key cannot be made or opened or the agent cannot connect
     */
    public static KmsAgent start(CaServeSetup.Serving serving, java.time.Duration lease, java.time.Duration sweep)
            throws ServerStartException {
        KmsContext kms = serving.kms();
        try {
            if (kms.underCustody()) {
                return startUnderCustody(serving, lease, sweep);
            }
            RecoveryKeyStore recovery = kms.recoveryKeyStore(serving.ca());
            try (LdapNetworkConnection connection = kms.openConnection(KmsContext.OPERATION_TIMEOUT_MILLIS)) {
                KmsContext.Publication publication = kms.publishRecoveryCertificate(connection, recovery);
                if (publication == KmsContext.Publication.LEFT_FOREIGN) {
                    LOG.info("The directory publishes a key recovery certificate that {} does not hold; the agents"
                            + " archive to that one", recovery.file());
                } else if (publication != KmsContext.Publication.ALREADY_CURRENT) {
                    LOG.info("Published the current key recovery certificate {} at {}", recovery.current().keyId(),
                            kms.recoveryAgentDn());
                }
                // The transfer identity (docs/transfer.md): made out of the box, its transport
                // certificate published on the server entry for sources to export to.
                org.dirkms.agent.transfer.TransferIdentity transfer = kms.transferIdentity(serving.ca());
                if (kms.publishTransportCertificate(connection, transfer)) {
                    LOG.info("Published the transport certificate {} at {}",
                            org.dirkms.agent.transfer.TransferEnvelope.thumbprint(transfer.transport().certificate()),
                            kms.serverDn());
                }
            }
            KmsAgent agent = kms.agent(serving.ca(), recovery, kms.agentSettings(lease), WORKERS, sweep);
            // The CA issues in this process while it can; busy, disabled or without a template,
            // the enrollment queues for any CA that has it.
            agent.issueThroughQueueServer(serving.queue());
            agent.start();
            return agent;
        } catch (IssuanceRefusedException e) {
            throw new ServerStartException("the CA refused the key recovery agent's certificate: " + e.getMessage(), e);
        } catch (IOException | LdapException | GeneralSecurityException | IllegalArgumentException
                | IllegalStateException | org.dirkms.agent.directory.DirectoryAccessException e) {
            throw new ServerStartException("cannot start the KMS agent: " + e.getMessage(), e);
        }
    }
}
