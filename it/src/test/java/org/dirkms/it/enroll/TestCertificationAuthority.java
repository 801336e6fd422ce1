package org.dirkms.it.enroll;

import java.nio.file.Path;
import java.security.SecureRandom;

import org.apache.directory.ldap.client.api.LdapNetworkConnection;
import org.dirkms.agent.ca.CaService;
import org.dirkms.agent.ca.CertificationAuthority;
import org.dirkms.agent.ca.KeyStorePassphrase;
import org.dirkms.agent.keys.RecoveryKeyStore;
import org.dirkms.it.support.TestDirectory;
import org.dirkms.schema.KeyAlgorithm;
import org.dirkms.schema.DataFolder;

/**
 * What every enrollment test starts from: a root CA published in a test directory (EC P-384,
 * key store in {@code work}) and a key recovery key pair whose certificate that CA issued, over
 * the KMS agent's protected connection, which the caller closes.
 *
 * @param connection the agent's StartTLS connection the CA was set up over
 * @param caService  the CA's service over that connection
 * @param ca         the root CA
 * @param recovery   the key recovery key store in {@code work}
 */
record TestCertificationAuthority(LdapNetworkConnection connection, CaService caService, CertificationAuthority ca,
        RecoveryKeyStore recovery) {

    /** Creates the CA named {@code name} and a recovery key of {@code recoveryAlgorithm}. */
    static TestCertificationAuthority create(TestDirectory directory, Path work, String name,
            KeyAlgorithm recoveryAlgorithm, SecureRandom random) throws Exception {
        LdapNetworkConnection connection = directory.secureAgentConnection();
        CaService caService = directory.kms().caService(connection);
        CertificationAuthority ca = caService.initRoot(name, KeyAlgorithm.EC_P384, CaService.DEFAULT_ROOT_VALIDITY, 1,
                DataFolder.of(work).caKeyStore(name), KeyStorePassphrase.of("it passphrase".toCharArray()),
                CertificationAuthority.Publication.at(directory.ldapUrl()));
        RecoveryKeyStore recovery = RecoveryKeyStore.create(DataFolder.of(work), ca::certifyRecoveryAgent, "cn=Key Recovery Agent," + directory.layout().kms(),
                recoveryAlgorithm, random);
        return new TestCertificationAuthority(connection, caService, ca, recovery);
    }
}
