package org.dirkms.it.server;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dirkms.it.support.LdapTools;
import org.dirkms.it.support.TestDirectory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@code --suffix o=Acme Corp,c=DE}: the bootstrap tree and the agent identity follow the suffix. */
class CustomSuffixIT {

    @RegisterExtension
    static final TestDirectory directory = new TestDirectory(settings -> settings.withSuffix("o=Acme Corp,c=DE"));

    @Test
    void bootstrapTreeIsBuiltBelowTheGivenSuffix() {
        LdapTools admin = LdapTools.against(directory).asAdmin();
        LdapTools.Result suffix = admin.search("o=Acme Corp,c=DE", "(objectClass=organization)", "-s", "base", "o")
                .assertSuccess();
        assertTrue(suffix.stdout().contains("o: Acme Corp"), suffix.stdout());
        LdapTools.Result agents = admin.search(directory.layout().kmsAgentsGroup(), "(objectClass=*)", "-s", "base",
                "member").assertSuccess();
        assertTrue(agents.stdout().contains("member: uid=kms-agent,ou=KMS,o=Acme Corp,c=DE"), agents.stdout());
        LdapTools.against(directory).asAgent().whoami().assertSuccess();
    }
}
