package org.dirkms.dist;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Clock;
import org.apache.directory.api.ldap.model.exception.LdapException;
import org.dirkms.agent.ca.IssuanceRefusedException;
import org.dirkms.agent.enroll.AgentConnection;
import org.dirkms.agent.enroll.BulkEnrollment;
import org.dirkms.agent.enroll.EnrollmentService;
import org.dirkms.agent.enroll.KmsAgent;
import org.dirkms.agent.keys.RecoveryKeyStore;
import org.dirkms.ds.server.DirectoryServer;
import org.dirkms.ds.server.ServerStartException;
import org.dirkms.schema.KeyAlgorithm;

/**
 * Starts the KMS agent inside {@code dirkms serve}, after {@link CaServeSetup}: on a fresh data
 * folder it first makes the key recovery agent's key and certificate (issued by the enterprise
 * CA with the key-recovery-agent template; the key in {@code <data>/recovery/}, mode 0600), then
 * runs the agent as {@code uid=kms-agent} over StartTLS, trusting the CA certificate, exactly as
 * a standalone agent would connect. The bootstrap already holds the default administrative group
 * and its KMS server entry naming this agent, so the sample LDIF enrolls a user straight away.
 */
public final class AgentServeSetup {
    /** The RDN the key recovery agent's certificate has, below {@code ou=KMS}. */
    public static final String RECOVERY_AGENT_RDN = "cn=Key Recovery Agent";
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
    public static KmsAgent start(CaServeSetup.Serving serving, Clock clock, SecureRandom random)
            throws ServerStartException {
        DirectoryServer server = serving.server();
        try {
            RecoveryKeyStore recovery = RecoveryKeyStore.openOrCreate(server.dataFolder(), serving.ca(),
                    RECOVERY_AGENT_RDN + "," + server.layout().kms(), KeyAlgorithm.EC_P384, random);
            AgentConnection link = new AgentConnection(server.ldapUrl(), server.kmsAgentDn(),
                    server.kmsAgentPasswordFile(), server.tlsCertificateFile());
            KmsAgent agent = new KmsAgent(link, server.layout(), serving.ca(), recovery.current().certificate(),
                    EnrollmentService.Settings.defaults(server.kmsAgentDn(), random), clock, random, WORKERS,
                    KmsAgent.DEFAULT_SWEEP);
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
