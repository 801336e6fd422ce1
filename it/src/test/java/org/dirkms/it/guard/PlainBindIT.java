package org.dirkms.it.guard;

import static org.dirkms.it.guard.GuardFixture.alice;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dirkms.it.support.LdapTools;
import org.dirkms.it.support.TestDirectory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Binds with a password need TLS (RFC 4513 section 6.3.1): refused with confidentialityRequired
 * on a plain connection by default. A lab may allow them on loopback
 * ({@code dirkms serve --allow-plain-binds}); even then no secret crosses a connection without
 * TLS, whoever is bound.
 */
class PlainBindIT {

    @RegisterExtension
    static final TestDirectory directory = new TestDirectory();

    @RegisterExtension
    static final TestDirectory lab = new TestDirectory(settings -> settings.withPlainBinds(true));

    private static final String PACKAGE = "LAB-PACKAGE-5c1d";

    @BeforeAll
    static void users() {
        GuardFixture.addUsers(lab);
        GuardFixture.enrollAlice(lab, PACKAGE, "LAB-TOKEN-77e0");
    }

    @Test
    void aPlainBindWithAPasswordIsRefusedByDefault() {
        LdapTools.Result admin = LdapTools.against(directory).asAdmin().withoutTls().whoami().assertExitCode(13);
        assertTrue(admin.stderr().contains("needs a protected connection"), admin.stderr());
        LdapTools.Result wrong = LdapTools.against(directory).as(directory.adminDn(), "not-the-password").withoutTls()
                .whoami().assertExitCode(13);
        assertFalse(wrong.stderr().contains("Invalid credentials"), "refused before the password is checked");
        LdapTools.against(directory).asAdmin().whoami().assertSuccess();
        LdapTools.against(directory).asAdmin().url(directory.ldapsUrl()).whoami().assertSuccess();
        LdapTools.against(directory).anonymous().search(directory.layout().suffix(), "(objectClass=*)", "-s", "base")
                .assertSuccess();
    }

    @Test
    void aLabAllowsPlainBindsButNoSecretCrossesThem() {
        LdapTools agentInClear = LdapTools.against(lab).asAgent().withoutTls();
        agentInClear.whoami().assertSuccess();
        String seen = agentInClear.search(alice(lab), "(objectClass=*)", "*").assertSuccess().stdout();
        assertTrue(seen.contains("kmsEnrollmentState: enrolled"), seen);
        assertFalse(seen.contains("kmsKeyPackage") || seen.contains(PACKAGE), "no secret without TLS: " + seen);
        LdapTools.Result filter = agentInClear.search(lab.layout().people(), "(kmsKeyPackage=*)", "1.1")
                .assertExitCode(13);
        assertTrue(filter.stderr().contains("only over a protected connection"), filter.stderr());
        assertTrue(LdapTools.against(lab).asAgent().search(alice(lab), "(objectClass=*)", "kmsKeyPackage")
                .assertSuccess().stdout().contains(PACKAGE), "over StartTLS the agent reads it");
    }
}
