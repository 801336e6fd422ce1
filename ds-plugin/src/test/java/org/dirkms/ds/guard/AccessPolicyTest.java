package org.dirkms.ds.guard;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import org.apache.directory.api.ldap.model.exception.LdapNoPermissionException;
import org.dirkms.schema.DirectoryLayout;
import org.junit.jupiter.api.Test;

class AccessPolicyTest {

    private static final DirectoryLayout LAYOUT = new DirectoryLayout("dc=example,dc=com");
    private static final AccessPolicy POLICY = new AccessPolicy(LAYOUT, AccessPolicyTest::norm);

    static final String ALICE = norm("uid=alice," + LAYOUT.people());
    static final String BOB = norm("uid=bob," + LAYOUT.people());
    static final String REQUEST = norm("cn=r1," + LAYOUT.recoveryRequests());

    static final Identity ALICE_USER = user(ALICE);
    static final Identity ADMIN = new Identity(norm("uid=admin,ou=system"),
            EnumSet.of(Role.AUTHENTICATED, Role.KMS_ADMINISTRATOR));
    static final Identity AGENT = new Identity(norm(LAYOUT.kmsAgentIdentity()),
            EnumSet.of(Role.AUTHENTICATED, Role.KMS_AGENT));
    static final Identity RECOVERY_AGENT = new Identity(BOB, EnumSet.of(Role.AUTHENTICATED, Role.RECOVERY_AGENT));

    static String norm(String dn) {
        return dn.toLowerCase(Locale.ROOT);
    }

    static Identity user(String dn) {
        return new Identity(dn, EnumSet.of(Role.AUTHENTICATED));
    }

    static AttributeChange change(String attribute, AttributeChange.Operation operation, String... values) {
        return new AttributeChange(attribute, operation,
                java.util.Arrays.stream(values).map(v -> v.getBytes(StandardCharsets.UTF_8)).toList());
    }

    static WriteTarget modify(String dn, String... objectClasses) {
        return new WriteTarget(WriteTarget.Kind.MODIFY, dn, null, Set.of(objectClasses), Map.of());
    }

    @Test
    void secretsAreReadOnlyByTheirEntitledReaders() {
        assertTrue(POLICY.mayRead(ALICE_USER, "kmskeypackage", ALICE, () -> null), "self reads own key package");
        assertFalse(POLICY.mayRead(user(BOB), "kmskeypackage", ALICE, () -> null), "another user does not");
        assertFalse(POLICY.mayRead(ADMIN, "kmskeypackage", ALICE, () -> null), "the superuser reads no private key");
        assertTrue(POLICY.mayRead(AGENT, "kmskeypackage", ALICE, () -> null));
        assertTrue(POLICY.mayRead(ADMIN, "kmsenrollmenttoken", ALICE, () -> null));
        assertFalse(POLICY.mayRead(ALICE_USER, "kmsenrollmenttoken", ALICE, () -> null));
        assertFalse(POLICY.mayRead(ADMIN, "kmswrappedkey", ALICE, () -> null));
        assertTrue(POLICY.mayRead(Identity.SERVER, "kmswrappedkey", ALICE, () -> null));
        assertTrue(POLICY.mayRead(ALICE_USER, "kmsrecoverypackage", REQUEST, () -> ALICE), "requester reads it");
        assertFalse(POLICY.mayRead(user(BOB), "kmsrecoverytoken", REQUEST, () -> ALICE));
        assertFalse(POLICY.mayRead(ADMIN, "kmsrecoverypackage", REQUEST, () -> null));
        assertFalse(POLICY.mayRead(Identity.ANONYMOUS, "kmskeypackage", ALICE, () -> null));
    }

    @Test
    void anonymousReadsPublicAttributesOnly() {
        assertTrue(POLICY.mayRead(Identity.ANONYMOUS, "usercertificate", ALICE, () -> null));
        assertTrue(POLICY.mayRead(Identity.ANONYMOUS, "mail", ALICE, () -> null));
        assertFalse(POLICY.mayRead(Identity.ANONYMOUS, "kmsenrollmentstate", ALICE, () -> null));
        assertFalse(POLICY.mayRead(Identity.ANONYMOUS, "telephonenumber", ALICE, () -> null));
        assertTrue(POLICY.mayRead(user(BOB), "kmsenrollmentstate", ALICE, () -> null));
        assertFalse(POLICY.mayRead(user(BOB), "userpassword", ALICE, () -> null));
        assertTrue(POLICY.mayRead(ALICE_USER, "userpassword", ALICE, () -> null));
    }

    @Test
    void filtersOnSecretsAreForAgentsOnly() {
        assertNotNull(POLICY.filterRefusal(ALICE_USER, List.of("objectclass", "kmskeypackage")));
        assertNotNull(POLICY.filterRefusal(ADMIN, List.of("kmsenrollmenttoken")));
        assertNull(POLICY.filterRefusal(AGENT, List.of("kmskeypackage")));
        assertNull(POLICY.filterRefusal(ALICE_USER, List.of("kmsenrollmentstate")));
        String anonymous = POLICY.filterRefusal(Identity.ANONYMOUS, List.of("mail", "kmsenrollmentstate"));
        assertTrue(anonymous.contains("kmsEnrollmentState"), anonymous);
        assertNull(POLICY.filterRefusal(Identity.ANONYMOUS, List.of("mail", "usercertificate", "objectclass")));
    }

    @Test
    void aUserDeletesTheirOwnKeyPackageButWritesNoOtherSecret() {
        assertDoesNotThrow(() -> POLICY.checkWrite(ALICE_USER, modify(ALICE, "kmsUser"),
                List.of(change("kmskeypackage", AttributeChange.Operation.REMOVE))));
        LdapNoPermissionException replace = assertThrows(LdapNoPermissionException.class,
                () -> POLICY.checkWrite(ALICE_USER, modify(ALICE, "kmsUser"),
                        List.of(change("kmskeypackage", AttributeChange.Operation.REPLACE, "x"))));
        assertTrue(replace.getMessage().contains("kmsKeyPackage is a secret attribute"), replace.getMessage());
        assertThrows(LdapNoPermissionException.class, () -> POLICY.checkWrite(user(BOB), modify(ALICE, "kmsUser"),
                List.of(change("kmskeypackage", AttributeChange.Operation.REMOVE))));
        assertThrows(LdapNoPermissionException.class, () -> POLICY.checkWrite(ADMIN, modify(ALICE, "kmsUser"),
                List.of(change("kmsenrollmenttoken", AttributeChange.Operation.ADD, "t"))));
        assertDoesNotThrow(() -> POLICY.checkWrite(AGENT, modify(ALICE, "kmsUser"),
                List.of(change("kmskeypackage", AttributeChange.Operation.ADD, "p"))));
    }

    @Test
    void usersWriteTheirOwnNonKmsAttributesAndSigningRequest() {
        assertDoesNotThrow(() -> POLICY.checkWrite(ALICE_USER, modify(ALICE),
                List.of(change("telephonenumber", AttributeChange.Operation.REPLACE, "1"),
                        change("kmssigningrequest", AttributeChange.Operation.REPLACE, "csr"))));
        LdapNoPermissionException state = assertThrows(LdapNoPermissionException.class,
                () -> POLICY.checkWrite(ALICE_USER, modify(ALICE),
                        List.of(change("kmsenrollmentstate", AttributeChange.Operation.REPLACE, "requested"))));
        assertTrue(state.getMessage().contains("managed by the KMS"), state.getMessage());
        assertThrows(LdapNoPermissionException.class, () -> POLICY.checkWrite(ALICE_USER, modify(BOB),
                List.of(change("telephonenumber", AttributeChange.Operation.REPLACE, "1"))));
        assertThrows(LdapNoPermissionException.class, () -> POLICY.checkWrite(Identity.ANONYMOUS, modify(ALICE),
                List.of(change("description", AttributeChange.Operation.REPLACE, "x"))));
    }

    @Test
    void administratorsWriteGenerallyButNotAgentOnlyValues() {
        assertDoesNotThrow(() -> POLICY.checkWrite(ADMIN, modify(ALICE, "kmsUser"),
                List.of(change("kmsenrollmentstate", AttributeChange.Operation.REPLACE, "requested"))));
        LdapNoPermissionException lease = assertThrows(LdapNoPermissionException.class,
                () -> POLICY.checkWrite(ADMIN, modify(ALICE, "kmsUser"),
                        List.of(change("kmsclaimedby", AttributeChange.Operation.REPLACE, "me"))));
        assertTrue(lease.getMessage().contains("kmsClaimedBy is written by KMS agents only"), lease.getMessage());
        WriteTarget newRequest = new WriteTarget(WriteTarget.Kind.ADD, REQUEST, null, Set.of("kmsRecoveryRequest"),
                Map.of());
        assertDoesNotThrow(() -> POLICY.checkWrite(ADMIN, newRequest,
                List.of(change("kmsrecoverystate", AttributeChange.Operation.ADD, "pending"))));
        assertThrows(LdapNoPermissionException.class, () -> POLICY.checkWrite(ADMIN, modify(REQUEST, "kmsRecoveryRequest"),
                List.of(change("kmsrecoverystate", AttributeChange.Operation.REPLACE, "approved"))));
        WriteTarget archive = new WriteTarget(WriteTarget.Kind.ADD, norm("cn=k," + LAYOUT.keyArchive()), null,
                Set.of("kmsArchivedKey"), Map.of());
        assertThrows(LdapNoPermissionException.class, () -> POLICY.checkWrite(ADMIN, archive, List.of()));
        assertThrows(LdapNoPermissionException.class, () -> POLICY.checkWrite(AGENT,
                modify(norm(LAYOUT.auditHead())), List.of(change("kmsaudithash", AttributeChange.Operation.REPLACE, "0"))));
    }

    @Test
    void recoveryAgentsApproveWithTheirOwnDnOnly() {
        assertDoesNotThrow(() -> POLICY.checkWrite(RECOVERY_AGENT, modify(REQUEST, "kmsRecoveryRequest"),
                List.of(change("kmsrecoveryapproval", AttributeChange.Operation.ADD, "uid=BOB,ou=People,dc=example,dc=com"))));
        LdapNoPermissionException other = assertThrows(LdapNoPermissionException.class,
                () -> POLICY.checkWrite(RECOVERY_AGENT, modify(REQUEST, "kmsRecoveryRequest"),
                        List.of(change("kmsrecoveryapproval", AttributeChange.Operation.ADD, ALICE))));
        assertTrue(other.getMessage().contains("only their own DN"), other.getMessage());
        assertThrows(LdapNoPermissionException.class, () -> POLICY.checkWrite(RECOVERY_AGENT,
                modify(REQUEST, "kmsRecoveryRequest"),
                List.of(change("kmsrecoveryapproval", AttributeChange.Operation.REPLACE, BOB))));
        assertThrows(LdapNoPermissionException.class, () -> POLICY.checkWrite(user(BOB),
                modify(REQUEST, "kmsRecoveryRequest"),
                List.of(change("kmsrecoveryapproval", AttributeChange.Operation.ADD, BOB))));
    }

    @Test
    void onlyAdministratorsAddDeleteOrRenameEntries() {
        WriteTarget delete = new WriteTarget(WriteTarget.Kind.DELETE, ALICE, null, Set.of(), Map.of());
        assertThrows(LdapNoPermissionException.class, () -> POLICY.checkWrite(ALICE_USER, delete, List.of()));
        assertDoesNotThrow(() -> POLICY.checkWrite(ADMIN, delete, List.of()));
        assertEquals(true, POLICY.isKmsEntry(norm(LAYOUT.servers())));
        assertEquals(false, POLICY.isKmsEntry(ALICE));
    }
}
