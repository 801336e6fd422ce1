package org.dirkms.dist;

import java.io.IOException;
import java.security.GeneralSecurityException;
import org.apache.directory.api.ldap.model.exception.LdapException;
import org.dirkms.agent.ca.IssuanceRefusedException;
import org.dirkms.agent.enroll.BulkEnrollment;
import org.dirkms.agent.enroll.KmsAgent;
import org.dirkms.agent.keys.RecoveryKeyStore;
import org.dirkms.ds.server.ServerStartException;

/**
 * Starts the KMS agent inside {@code dirkms serve}, after {@link CaServeSetup}: on a fresh data
 * folder it first makes the key recovery agent's key and certificate (issued by the enterprise
 * CA with the key-recovery-agent template; the key in {@code <data>/recovery/}, mode 0600), then
 * runs the agent as {@code uid=kms-agent} over StartTLS, trusting the CA certificate, exactly as
 * a standalone agent would connect, enrolling and recovering keys with that key store; both wired by the server's {@link KmsContext}. The bootstrap already holds the default administrative group
 * and its KMS server entry naming this agent, so the sample LDIF enrolls a user straight away.
 */
public final class AgentServeSetup {
    /** Workers of the in-process agent: see {@link BulkEnrollment#DEFAULT_WORKERS}. */
    static final int WORKERS = BulkEnrollment.DEFAULT_WORKERS;

    private AgentServeSetup() {
    }

    /**
     * Opens (or makes) the recovery key store and starts the agent against {@code serving}'s server.
     *
     * @return the running agent; close it before the server
     * @throws ServerStartException if the recovery key cannot be made or opened or the agent cannot connect
     */
    public static KmsAgent start(CaServeSetup.Serving serving) throws ServerStartException {
        KmsContext kms = serving.kms();
        try {
            RecoveryKeyStore recovery = kms.recoveryKeyStore(serving.ca());
            KmsAgent agent = kms.agent(serving.ca(), recovery, kms.agentSettings(), WORKERS, KmsAgent.DEFAULT_SWEEP);
            agent.start();
            return agent;
        } catch (IssuanceRefusedException e) {
            throw new ServerStartException("the CA refused the key recovery agent's certificate: " + e.getMessage(), e);
        } catch (IOException | LdapException | GeneralSecurityException | IllegalArgumentException
                | IllegalStateException e) {
            throw new ServerStartException("cannot start the KMS agent: " + e.getMessage(), e);
        }
    }
}
