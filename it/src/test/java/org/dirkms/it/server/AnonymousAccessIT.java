package org.dirkms.it.server;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.apache.directory.api.ldap.model.exception.LdapException;
import org.apache.directory.ldap.client.api.LdapConnection;
import org.dirkms.it.support.LdapTools;
import org.dirkms.it.support.TestDirectory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** With anonymous access off ({@code dirkms serve --no-anonymous}), an anonymous search is refused. */
class AnonymousAccessIT {

    @RegisterExtension
    static final TestDirectory directory = new TestDirectory(settings -> settings.withAnonymousAccess(false));

    @Test
    void anonymousSearchIsRefusedAndABoundOneWorks() throws Exception {
        LdapTools tools = LdapTools.against(directory);
        LdapTools.Result anonymous = tools.anonymous()
                .search(directory.layout().suffix(), "(objectClass=*)", "-s", "sub", "1.1");
        assertNotEquals(0, anonymous.exitCode(), anonymous.describe("a refusal"));
        assertFalse(anonymous.stdout().contains("dn: "), anonymous.stdout());

        tools.asAdmin().search(directory.layout().suffix(), "(objectClass=*)", "-s", "base").assertSuccess();

        // The Java client is refused at the anonymous bind already.
        assertThrows(LdapException.class, () -> {
            try (LdapConnection connection = directory.connection(null, null)) {
                connection.lookup(directory.layout().people());
            }
        });
    }
}
