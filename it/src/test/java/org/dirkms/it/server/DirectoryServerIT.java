package org.dirkms.it.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dirkms.it.support.LdapTools;
import org.dirkms.it.support.TestDirectory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The server starts, serves the bootstrap tree and the admin can bind with the generated password. */
class DirectoryServerIT {

    @RegisterExtension
    static final TestDirectory directory = new TestDirectory();

    @Test
    void bootstrapTreeIsServed() {
        LdapTools.Result result = LdapTools.against(directory).asAdmin()
                .search(directory.layout().suffix(), "(objectClass=*)", "dn").assertSuccess();
        assertTrue(result.stdout().contains("dn: " + directory.layout().recoveryRequests()), result.stdout());
        assertEquals(0, result.exitCode());
    }
}
