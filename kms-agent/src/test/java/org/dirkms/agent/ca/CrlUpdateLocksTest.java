package org.dirkms.agent.ca;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/**
 * One lock per CA whatever the spelling of its DN: the agent writes the DN it built, {@code dirkms
 * serve} the one it read back from the directory, an administrator the one they typed.
 */
class CrlUpdateLocksTest {
    private static final String DN = "cn=Example Root CA,ou=Certification Authorities,ou=KMS,dc=example,dc=com";

    @Test
    void spellingsOfOneDnShareALock() {
        CrlUpdateLocks locks = new CrlUpdateLocks();
        assertSame(locks.forCa(DN), locks.forCa("CN=example  root ca, OU=Certification Authorities ,ou=kms,DC=Example,dc=COM"));
        assertSame(locks.forCa(DN), locks.forCa("cn = Example Root CA,ou=Certification Authorities,ou=KMS,dc=example,dc=com"));
        assertEquals(CrlUpdateLocks.key(DN), CrlUpdateLocks.key("cn=EXAMPLE ROOT CA,ou=certification authorities,ou=kms,dc=example,dc=com"));
    }

    @Test
    void differentCasHaveDifferentLocks() {
        CrlUpdateLocks locks = new CrlUpdateLocks();
        assertNotSame(locks.forCa(DN), locks.forCa(DN.replace("Root", "Issuing")));
        // A comma escaped inside a value is part of the value, not a separator (RFC 4514 section 2.4).
        assertNotSame(locks.forCa("cn=A\\,B,ou=Certification Authorities"), locks.forCa("cn=A,cn=B,ou=Certification Authorities"));
    }

    @Test
    void theJvmWideSetIsOneAndOtherSetsAreTheirOwn() {
        assertSame(CrlUpdateLocks.jvmWide(), CrlUpdateLocks.jvmWide());
        assertSame(CrlUpdateLocks.jvmWide().forCa(DN), CrlUpdateLocks.jvmWide().forCa(DN.toUpperCase(java.util.Locale.ROOT)));
        assertNotSame(CrlUpdateLocks.jvmWide().forCa(DN), new CrlUpdateLocks().forCa(DN));
    }

    @Test
    void aNameThatIsNotADnIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CrlUpdateLocks.key("not a dn"));
        assertEquals("'not a dn' is not a DN (RFC 4514)", e.getMessage());
    }
}
