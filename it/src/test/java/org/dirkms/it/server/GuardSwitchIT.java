package org.dirkms.it.server;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.dirkms.ds.guard.KmsInterceptor;
import org.dirkms.it.support.LdapTools;
import org.dirkms.it.support.TestDirectory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@code kmsGuard=false} (for the benchmark of the guard's cost only) leaves the chain without it. */
class GuardSwitchIT {

    @RegisterExtension
    static final TestDirectory directory = new TestDirectory(settings -> settings.withKmsGuard(false));

    @Test
    void withoutTheGuardTheServerServesAndHasNoKmsInterceptor() {
        assertNull(directory.server().kmsInterceptor());
        assertFalse(directory.server().directoryService().getInterceptors().stream()
                .anyMatch(interceptor -> KmsInterceptor.NAME.equals(interceptor.getName())));
        LdapTools.against(directory).asAdmin()
                .search(directory.layout().kms(), "(objectClass=*)", "-s", "base").assertSuccess();
    }
}
