package org.dirkms.ds.guard;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import org.apache.directory.api.ldap.model.exception.LdapAttributeInUseException;
import org.apache.directory.api.ldap.model.exception.LdapException;
import org.apache.directory.api.ldap.model.exception.LdapNoPermissionException;
import org.apache.directory.api.ldap.model.exception.LdapUnwillingToPerformException;
import org.dirkms.schema.DirectoryLayout;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

class AccessPolicyTest {

    private static final DirectoryLayout LAYOUT = new DirectoryLayout("dc=example,dc=com");

    static final String ALICE = norm("uid=alice," + LAYOUT.people());
    static final String BOB = norm("uid=bob," + LAYOUT.people());
    static final String CAROL = norm("uid=carol," + LAYOUT.people());
    static final String CEO = norm("uid=ceo," + LAYOUT.people());
    static final String REQUEST = norm("cn=r1," + LAYOUT.recoveryRequests());
    static final String SESSION = norm("cn=archive check 1," + LAYOUT.recoveryRequests());
    static final String SHARE = norm("cn=c1 1," + LAYOUT.keyRecoveryAgent());
    static final String AGENT_DN = norm(LAYOUT.kmsAgentIdentity());

    /** Carol is a KMS administrator, Bob a recovery agent: both hold roles. */
    private static final Set<String> ROLE_HOLDERS = Set.of(CAROL, BOB, AGENT_DN);
    private static final AccessPolicy POLICY = new AccessPolicy(LAYOUT, AccessPolicyTest::norm, ROLE_HOLDERS::contains);

    static final Identity ALICE_USER = user(ALICE);
    static final Identity SUPERUSER = new Identity(norm("uid=admin,ou=system"),
            EnumSet.of(Role.AUTHENTICATED, Role.DIRECTORY_ADMINISTRATOR));
    static final Identity KMS_ADMIN = new Identity(CAROL, EnumSet.of(Role.AUTHENTICATED, Role.KMS_ADMINISTRATOR));
    static final Identity AGENT = new Identity(AGENT_DN, EnumSet.of(Role.AUTHENTICATED, Role.KMS_AGENT));
    static final Identity RECOVERY_AGENT = new Identity(BOB, EnumSet.of(Role.AUTHENTICATED, Role.RECOVERY_AGENT));

    static String norm(String dn) {
        return dn.toLowerCase(Locale.ROOT);
    }

    static Identity user(String dn) {
        return new Identity(dn, EnumSet.of(Role.AUTHENTICATED));
    }

    static AttributeChange change(String attribute, AttributeChange.Operation operation, String... values) {
        return new AttributeChange(attribute, operation,
                Arrays.stream(values).map(v -> v.getBytes(StandardCharsets.UTF_8)).toList());
    }

    static AttributeChange add(String attribute, String... values) {
        return change(attribute, AttributeChange.Operation.ADD, values);
    }

    static AttributeChange replace(String attribute, String... values) {
        return change(attribute, AttributeChange.Operation.REPLACE, values);
    }

    static WriteTarget modify(String dn, String... objectClasses) {
        return new WriteTarget(WriteTarget.Kind.MODIFY, dn, null, Set.of(objectClasses), Map.of());
    }

    static WriteTarget of(WriteTarget.Kind kind, String dn, String... objectClasses) {
        return new WriteTarget(kind, dn, null, Set.of(objectClasses), Map.of());
    }

    static WriteTarget rename(String dn, String newDn, String... objectClasses) {
        return new WriteTarget(WriteTarget.Kind.RENAME, dn, newDn, Set.of(objectClasses), Map.of());
    }

    static WriteTarget request(String state, String requester, String... approvals) {
        java.util.Map<String, List<byte[]>> current = new java.util.HashMap<>();
        current.put("kmsrecoverystate", List.of(state.getBytes(StandardCharsets.UTF_8)));
        current.put("kmsrecoveryrequester", List.of(requester.getBytes(StandardCharsets.UTF_8)));
        current.put("kmsrecoveryapproval",
                Arrays.stream(approvals).map(a -> a.getBytes(StandardCharsets.UTF_8)).toList());
        return new WriteTarget(WriteTarget.Kind.MODIFY, REQUEST, null, Set.of("kmsRecoveryRequest"), current);
    }

    /** A custody session in {@code state} ({@code null}: none yet) with the given approvals. */
    static WriteTarget session(String state, String... approvals) {
        java.util.Map<String, List<byte[]>> current = new java.util.HashMap<>();
        if (state != null) {
            current.put("kmsrecoverystate", List.of(state.getBytes(StandardCharsets.UTF_8)));
        }
        current.put("kmsrecoveryapproval",
                Arrays.stream(approvals).map(a -> a.getBytes(StandardCharsets.UTF_8)).toList());
        return new WriteTarget(WriteTarget.Kind.MODIFY, SESSION, null, Set.of("top", "kmsCustodySession"), current);
    }

    static AttributeChange delete(String attribute, String... values) {
        return change(attribute, AttributeChange.Operation.REMOVE, values);
    }

    private static void allowed(Identity who, WriteTarget target, AttributeChange... changes) {
        assertDoesNotThrow(() -> POLICY.checkWrite(who, target, List.of(changes)));
    }

    private static String refused(Identity who, WriteTarget target, AttributeChange... changes) {
        return assertThrows(LdapNoPermissionException.class, () -> POLICY.checkWrite(who, target, List.of(changes)))
                .getMessage();
    }

    private static String nobody(Identity who, WriteTarget target, AttributeChange... changes) {
        return assertThrows(LdapUnwillingToPerformException.class,
                () -> POLICY.checkWrite(who, target, List.of(changes))).getMessage();
    }

    private static void contains(String message, String expected) {
        assertTrue(message.contains(expected), message);
    }

    // ------------------------------------------------------------------ reading

    @Test
    void secretsAreReadOnlyByTheirEntitledReaders() {
        assertTrue(POLICY.mayRead(ALICE_USER, "kmskeypackage", ALICE, () -> null), "self reads own key package");
        assertFalse(POLICY.mayRead(user(BOB), "kmskeypackage", ALICE, () -> null), "another user does not");
        assertFalse(POLICY.mayRead(KMS_ADMIN, "kmskeypackage", ALICE, () -> null), "a KMS administrator does not");
        assertTrue(POLICY.mayRead(AGENT, "kmskeypackage", ALICE, () -> null));
        assertTrue(POLICY.mayRead(KMS_ADMIN, "kmsenrollmenttoken", ALICE, () -> null));
        assertFalse(POLICY.mayRead(SUPERUSER, "kmsenrollmenttoken", ALICE, () -> null),
                "the superuser resets passwords, so it must not hold tokens too");
        assertFalse(POLICY.mayRead(ALICE_USER, "kmsenrollmenttoken", ALICE, () -> null));
        assertFalse(POLICY.mayRead(KMS_ADMIN, "kmswrappedkey", ALICE, () -> null));
        assertTrue(POLICY.mayRead(Identity.SERVER, "kmswrappedkey", ALICE, () -> null));
        assertTrue(POLICY.mayRead(ALICE_USER, "kmsrecoverypackage", REQUEST, () -> ALICE), "requester reads it");
        assertFalse(POLICY.mayRead(user(BOB), "kmsrecoverytoken", REQUEST, () -> ALICE));
        assertFalse(POLICY.mayRead(SUPERUSER, "kmsrecoverypackage", REQUEST, () -> null));
        assertFalse(POLICY.mayRead(Identity.ANONYMOUS, "kmskeypackage", ALICE, () -> null));
    }

    @Test
    void nobodyReadsAPassword() {
        for (Identity who : List.of(ALICE_USER, user(BOB), SUPERUSER, KMS_ADMIN, AGENT, Identity.ANONYMOUS)) {
            assertFalse(POLICY.mayRead(who, "userpassword", ALICE, () -> null), who.toString());
        }
        assertTrue(POLICY.mayRead(Identity.SERVER, "userpassword", ALICE, () -> null));
    }

    @Test
    void anonymousReadsPublicAttributesOnly() {
        assertTrue(POLICY.mayRead(Identity.ANONYMOUS, "usercertificate", ALICE, () -> null));
        assertTrue(POLICY.mayRead(Identity.ANONYMOUS, "mail", ALICE, () -> null));
        assertFalse(POLICY.mayRead(Identity.ANONYMOUS, "kmsenrollmentstate", ALICE, () -> null));
        assertFalse(POLICY.mayRead(Identity.ANONYMOUS, "telephonenumber", ALICE, () -> null));
        assertTrue(POLICY.mayRead(user(BOB), "kmsenrollmentstate", ALICE, () -> null));
    }

    @Test
    void theSealedRecoveryKeysAreReadAndSearchedByKmsAgentsOnly() {
        String keyRecoveryAgent = norm(LAYOUT.keyRecoveryAgent());
        assertTrue(AccessPolicy.isSecret("kmssealedrecoverykeys"));
        for (Identity who : List.of(Identity.ANONYMOUS, ALICE_USER, SUPERUSER, KMS_ADMIN, RECOVERY_AGENT,
                user(keyRecoveryAgent))) {
            assertFalse(POLICY.mayRead(who, "kmssealedrecoverykeys", keyRecoveryAgent, () -> who.dn()), who.toString());
            contains(POLICY.filterRefusal(who, List.of("objectclass", "kmssealedrecoverykeys")),
                    "a filter may not test kmsSealedRecoveryKeys: it is a secret attribute");
        }
        assertTrue(POLICY.mayRead(AGENT, "kmssealedrecoverykeys", keyRecoveryAgent, () -> null));
        assertNull(POLICY.filterRefusal(AGENT, List.of("kmssealedrecoverykeys")));
        // A custody share is sealed to its holder: authenticated identities read it, anonymous ones do not.
        assertTrue(POLICY.mayRead(ALICE_USER, "kmssealedshare", SHARE, () -> null));
        assertFalse(POLICY.mayRead(Identity.ANONYMOUS, "kmssealedshare", SHARE, () -> null));
        assertFalse(POLICY.mayRead(Identity.ANONYMOUS, "kmsrecoveryshare", REQUEST, () -> null));
    }

    @Test
    void filtersOnSecretsAreForAgentsOnlyAndOnPasswordsForNobody() {
        assertNotNull(POLICY.filterRefusal(ALICE_USER, List.of("objectclass", "kmskeypackage")));
        assertNotNull(POLICY.filterRefusal(KMS_ADMIN, List.of("kmsenrollmenttoken")));
        assertNull(POLICY.filterRefusal(AGENT, List.of("kmskeypackage")));
        assertNull(POLICY.filterRefusal(ALICE_USER, List.of("kmsenrollmentstate")));
        String anonymous = POLICY.filterRefusal(Identity.ANONYMOUS, List.of("mail", "kmsenrollmentstate"));
        contains(anonymous, "kmsEnrollmentState");
        assertNull(POLICY.filterRefusal(Identity.ANONYMOUS, List.of("mail", "usercertificate", "objectclass")));
        for (Identity who : List.of(ALICE_USER, SUPERUSER, KMS_ADMIN, AGENT)) {
            contains(POLICY.filterRefusal(who, List.of("uid", "userpassword")), "checked by binding");
        }
    }

    // ------------------------------------------------------------------ people

    @Test
    void aUserDeletesTheirOwnKeyPackageButWritesNoOtherSecret() {
        allowed(ALICE_USER, modify(ALICE, "kmsUser"), change("kmskeypackage", AttributeChange.Operation.REMOVE));
        contains(refused(ALICE_USER, modify(ALICE, "kmsUser"), replace("kmskeypackage", "x")),
                "kmsKeyPackage is a secret attribute");
        refused(user(BOB), modify(ALICE, "kmsUser"), change("kmskeypackage", AttributeChange.Operation.REMOVE));
        refused(KMS_ADMIN, modify(ALICE, "kmsUser"), add("kmsenrollmenttoken", "t"));
        allowed(AGENT, modify(ALICE, "kmsUser"), add("kmskeypackage", "p"));
    }

    @Test
    void usersWriteTheirOwnEntryButNeitherTheirAddressNorKmsState() {
        allowed(ALICE_USER, modify(ALICE), replace("telephonenumber", "1"), replace("kmssigningrequest", "csr"),
                replace("kmsdeliverykey", "csr"), replace("userpassword", "new"));
        contains(refused(ALICE_USER, modify(ALICE), replace("kmsenrollmentstate", "requested")),
                "only KMS administrators set it");
        contains(refused(ALICE_USER, modify(ALICE, "kmsUser"), add("mail", "ceo@example.com")),
                "only the directory administrator changes it");
        refused(ALICE_USER, modify(BOB), replace("telephonenumber", "1"));
        refused(ALICE_USER, modify(ALICE), add("objectclass", "kmsUser"));
        refused(Identity.ANONYMOUS, modify(ALICE), replace("description", "x"));
    }

    @Test
    void onlyTheUserWritesWhatTheirClientMade() {
        contains(refused(SUPERUSER, modify(ALICE, "kmsUser"), replace("kmssigningrequest", "csr")),
                "only the user writes it");
        refused(KMS_ADMIN, modify(ALICE, "kmsUser"), replace("kmsdeliverykey", "csr"));
        allowed(AGENT, modify(ALICE, "kmsUser"), change("kmssigningrequest", AttributeChange.Operation.REMOVE));
    }

    @Test
    void kmsAdministratorsRequestKmsWorkButChangeNoIdentity() {
        allowed(KMS_ADMIN, modify(ALICE), add("objectclass", "kmsUser"), add("kmsenrollmentstate", "requested"),
                add("kmsadministrativegroup", "cn=Sales"), replace("kmsrevocationreason", "keyCompromise"));
        contains(refused(KMS_ADMIN, modify(ALICE, "kmsUser"), replace("userpassword", "x")), "change its password");
        refused(KMS_ADMIN, modify(ALICE, "kmsUser"), replace("mail", "ceo@example.com"));
        refused(KMS_ADMIN, modify(ALICE, "kmsUser"), replace("description", "x"));
        refused(KMS_ADMIN, of(WriteTarget.Kind.ADD, CEO, "inetOrgPerson"), add("uid", "ceo"));
        refused(KMS_ADMIN, of(WriteTarget.Kind.DELETE, ALICE));
        contains(refused(KMS_ADMIN, modify(ALICE, "kmsUser"), replace("kmsclaimedby", "me")), "written by the KMS only");
    }

    @Test
    void theDirectoryAdministratorOwnsIdentitiesButNoKmsRequestOrSecret() {
        allowed(SUPERUSER, of(WriteTarget.Kind.ADD, CEO, "inetOrgPerson"), add("objectclass", "inetOrgPerson"),
                add("mail", "ceo@example.com"), add("userpassword", "x"));
        allowed(SUPERUSER, modify(ALICE, "kmsUser"), replace("mail", "alice@example.com"), replace("userpassword", "x"));
        allowed(SUPERUSER, of(WriteTarget.Kind.DELETE, ALICE, "kmsUser"));
        contains(refused(SUPERUSER, modify(ALICE, "kmsUser"), replace("kmsenrollmentstate", "requested")),
                "only KMS administrators set it");
        contains(refused(SUPERUSER, of(WriteTarget.Kind.ADD, CEO, "inetOrgPerson"), add("objectclass", "kmsUser")),
                "is the KMS's");
        refused(SUPERUSER, of(WriteTarget.Kind.ADD, CEO, "inetOrgPerson"), add("kmsenrollmentstate", "requested"));
        contains(refused(SUPERUSER, of(WriteTarget.Kind.ADD, norm("cn=x," + ALICE), "kmsPublishedCertificate"),
                add("objectclass", "kmsPublishedCertificate")), "is the KMS's");
        refused(SUPERUSER, modify(norm("cn=signing," + ALICE), "kmsPublishedCertificate"), add("mail", "x@example.com"));
    }

    @Test
    void theDirectoryAdministratorCannotTakeOverARoleHolder() {
        contains(refused(SUPERUSER, modify(CAROL), replace("userpassword", "x")), "only its owner changes its password");
        refused(SUPERUSER, modify(AGENT_DN), replace("userpassword", "x"));
        contains(refused(SUPERUSER, of(WriteTarget.Kind.DELETE, CAROL)), "dirkms roles remove");
        refused(SUPERUSER, of(WriteTarget.Kind.ADD, BOB, "inetOrgPerson"), add("uid", "bob"));
        refused(SUPERUSER, rename(CAROL, norm("uid=carol2," + LAYOUT.people())));
        refused(SUPERUSER, rename(ALICE, BOB));
        allowed(new Identity(CAROL, EnumSet.of(Role.AUTHENTICATED, Role.KMS_ADMINISTRATOR)), modify(CAROL),
                replace("userpassword", "mine"));
    }

    @Test
    void certificatesOfKmsUsersArePublishedByTheKmsOnly() {
        contains(refused(ALICE_USER, modify(ALICE, "kmsUser"), add("usercertificate", "c")), "published by the KMS only");
        allowed(ALICE_USER, modify(ALICE, "inetOrgPerson"), add("usercertificate", "c"));
        allowed(SUPERUSER, modify(ALICE, "inetOrgPerson"), add("usersmimecertificate", "c"));
        refused(user(BOB), modify(ALICE, "inetOrgPerson"), add("usercertificate", "c"));
        allowed(AGENT, modify(ALICE, "kmsUser"), add("usercertificate", "c"));
    }

    // ------------------------------------------------------------------ role groups and the KMS

    @Test
    void roleGroupsChangeOnlyThroughTheKms() {
        for (String group : List.of(LAYOUT.kmsAdministratorsGroup(), LAYOUT.recoveryAgentsGroup(),
                LAYOUT.kmsAgentsGroup())) {
            for (Identity who : List.of(SUPERUSER, KMS_ADMIN, RECOVERY_AGENT, ALICE_USER)) {
                contains(refused(who, modify(norm(group), "groupOfNames"), add("member", who.dn())), "dirkms roles");
            }
            allowed(AGENT, modify(norm(group), "groupOfNames"), add("member", ALICE));
        }
    }

    @Test
    void theKmsSubtreeIsWrittenByTheKmsOnly() {
        for (String dn : List.of(LAYOUT.servers(), "cn=x," + LAYOUT.requests(), "cn=ca," + LAYOUT.certificationAuthorities(),
                "cn=t," + LAYOUT.certificateTemplates(), LAYOUT.kmsAgentIdentity())) {
            for (Identity who : List.of(SUPERUSER, KMS_ADMIN)) {
                contains(refused(who, modify(norm(dn)), replace("description", "x")), "written by the KMS only");
                refused(who, of(WriteTarget.Kind.DELETE, norm(dn)));
            }
            allowed(AGENT, modify(norm(dn)), replace("description", "x"));
        }
        contains(refused(KMS_ADMIN, of(WriteTarget.Kind.ADD, norm("cn=ceo," + LAYOUT.requests()), "kmsCertificateRequest"),
                add("kmsrequeststate", "pending")), "KMS subtree");
        refused(SUPERUSER, modify(norm(LAYOUT.kmsAgentIdentity())), replace("userpassword", "x"));
    }

    @Test
    void theArchiveIsAppendOnlyAndTheKmsSubtreeKeepsItsNames() {
        String record = norm("cn=k," + LAYOUT.keyArchive());
        for (Identity who : List.of(AGENT, SUPERUSER, KMS_ADMIN)) {
            contains(nobody(who, of(WriteTarget.Kind.DELETE, record, "kmsArchivedKey")), "append-only");
            contains(nobody(who, rename(norm(LAYOUT.kms()), norm("ou=KMS-x,dc=example,dc=com"))), "renamed or moved");
            nobody(who, rename(norm(LAYOUT.keyArchive()), norm("ou=Old Archive," + LAYOUT.kms())));
            nobody(who, rename(ALICE, norm("uid=alice," + LAYOUT.keyArchive())));
            nobody(who, rename(norm("dc=example,dc=com"), norm("dc=example2,dc=com")));
            nobody(who, rename(norm(LAYOUT.people()), norm("ou=Staff,dc=example,dc=com")));
        }
        allowed(AGENT, of(WriteTarget.Kind.ADD, record, "kmsArchivedKey"), add("kmsarchivestate", "archived"));
        refused(SUPERUSER, of(WriteTarget.Kind.ADD, record, "kmsArchivedKey"));
        contains(nobody(SUPERUSER, rename(ALICE, norm("uid=alice2," + LAYOUT.people()), "inetOrgPerson", "kmsUser")),
                "KMS user");
        allowed(SUPERUSER, rename(ALICE, norm("uid=alice2," + LAYOUT.people()), "inetOrgPerson"));
    }

    @Test
    void anArchiveRecordIsReWrappedByTheKmsOnlyAndNeverLosesItsKeyOrOwner() {
        String record = norm("cn=k," + LAYOUT.keyArchive());
        WriteTarget target = modify(record, "kmsArchivedKey");
        AttributeChange[] rewrap = {change("kmswrappedkey", AttributeChange.Operation.REMOVE, "old"),
            add("kmswrappedkey", "new"), replace("kmswrappingalgorithm", "x"), replace("kmswrappingkeyid", "sha256:1")};
        // dirkms archive rewrap's test-and-set: delete the value it unwrapped, add the new one.
        allowed(AGENT, target, rewrap);
        allowed(AGENT, target, replace("kmswrappedkey", "new"));
        allowed(AGENT, target, replace("kmsarchivestate", "abandoned"));
        allowed(AGENT, target, replace("usercertificate", "der"));
        for (Identity who : List.of(SUPERUSER, KMS_ADMIN, RECOVERY_AGENT, ALICE_USER)) {
            contains(refused(who, target, rewrap), "written by the KMS only");
        }
        // Not even the KMS loses a key or changes whose key it is.
        contains(nobody(AGENT, target, change("kmswrappedkey", AttributeChange.Operation.REMOVE, "old")),
                "never loses its key");
        contains(nobody(AGENT, target, change("kmswrappedkey", AttributeChange.Operation.REMOVE)), "never loses its key");
        contains(nobody(AGENT, target, replace("kmswrappedkey")), "never loses its key");
        contains(nobody(AGENT, target, change("kmswrappedkey", AttributeChange.Operation.REMOVE, "a", "b"),
                add("kmswrappedkey", "c", "d")), "exactly one");
        contains(nobody(AGENT, target, replace("kmskeyowner", ALICE)), "fixed when the key is archived");
        nobody(AGENT, target, replace("cn", "other"));
        nobody(AGENT, target, change("usercertificate", AttributeChange.Operation.REMOVE));
        nobody(AGENT, target, replace("kmswrappingkeyid"));
        // The container itself and the rest of the KMS subtree are not archive records.
        allowed(AGENT, modify(norm(LAYOUT.keyArchive()), "organizationalUnit"), replace("description", "x"));
    }

    @Test
    void theAuditAnchorAndTheKmsSchemaAreTheServers() {
        refused(AGENT, modify(norm(LAYOUT.auditHead())), replace("kmsaudithash", "0"));
        for (Identity who : List.of(AGENT, SUPERUSER)) {
            contains(nobody(who, modify(norm("m-oid=1.2.3,ou=attributeTypes,cn=dirkms,ou=schema")),
                    replace("m-description", "x")), "KMS schema");
        }
        assertDoesNotThrow(() -> POLICY.checkWrite(Identity.SERVER, modify(norm(LAYOUT.auditHead())),
                List.of(replace("kmsaudithash", "0"))));
    }

    @Test
    void aKmsAgentWritesItsOwnAuditAnchorBesideTheServersAndNobodyRemovesOne() {
        String anchor = norm("cn=agent-0123456789abcdef," + LAYOUT.audit());
        allowed(AGENT, of(WriteTarget.Kind.ADD, anchor, "kmsAuditRecord"), add("cn", "agent-0123456789abcdef"),
                add("kmsauditsequence", "1"), add("kmsaudithash", "ab"));
        allowed(AGENT, modify(anchor, "kmsAuditRecord"), replace("kmsauditsequence", "2"), replace("kmsaudithash", "cd"));
        // Not the server's anchor, not deeper, not removed or renamed, and by nobody but an agent.
        refused(AGENT, of(WriteTarget.Kind.ADD, norm("cn=x,cn=agent-0123456789abcdef," + LAYOUT.audit()),
                "kmsAuditRecord"), add("kmsauditsequence", "1"));
        refused(AGENT, of(WriteTarget.Kind.DELETE, anchor, "kmsAuditRecord"));
        refused(AGENT, rename(anchor, norm("cn=agent-other," + LAYOUT.audit()), "kmsAuditRecord"));
        for (Identity who : List.of(KMS_ADMIN, SUPERUSER)) {
            refused(who, modify(anchor, "kmsAuditRecord"), replace("kmsaudithash", "0"));
        }
    }

    @Test
    void administrativeGroupsAndTrustAreForKmsAdministrators() {
        allowed(KMS_ADMIN, of(WriteTarget.Kind.ADD, norm("cn=Sales," + LAYOUT.administrativeGroups()), "kmsAdminGroup"),
                add("kmskeyalgorithm", "EC-P256"), add("kmsassignedserver", "cn=default"));
        allowed(KMS_ADMIN, of(WriteTarget.Kind.ADD, norm("cn=Partner," + LAYOUT.trust()), "kmsTrustedPartner"),
                add("cacertificate", "c"), add("kmspartnerdomain", "partner.example"));
        refused(KMS_ADMIN, modify(norm("cn=list," + LAYOUT.trust())), replace("kmssignedtrustlist", "x"));
        for (String kmsOnly : List.of("kmstrustlistnextupdate", "kmspartnersubject", "kmslasterror")) {
            refused(KMS_ADMIN, modify(norm("cn=Partner," + LAYOUT.trust())), replace(kmsOnly, "x"));
        }
        // What the enterprise CA certified is the KMS's: published and kept by 'dirkms trust'.
        contains(refused(KMS_ADMIN, modify(norm("cn=Partner," + LAYOUT.trust()), "kmsTrustedPartner"),
                replace("crosscertificatepair", "pair")), "dirkms trust cross-certify");
        contains(refused(KMS_ADMIN, of(WriteTarget.Kind.ADD, norm("cn=Forged," + LAYOUT.trust()), "kmsTrustedPartner"),
                add("crosscertificatepair", "pair")), "written by the KMS only");
        WriteTarget crossCertified = new WriteTarget(WriteTarget.Kind.DELETE, norm("cn=Partner," + LAYOUT.trust()), null,
                Set.of("kmstrustedpartner"), Map.of("crosscertificatepair", List.of(new byte[] {0x30, 0})));
        contains(refused(KMS_ADMIN, crossCertified), "revoke-cross");
        allowed(KMS_ADMIN, of(WriteTarget.Kind.DELETE, norm("cn=Partner," + LAYOUT.trust()), "kmsTrustedPartner"));
        allowed(AGENT, crossCertified);
        contains(refused(SUPERUSER, modify(norm("cn=Sales," + LAYOUT.administrativeGroups())),
                replace("kmskeyalgorithm", "RSA-2048")), "KMS administrators");
    }

    // ------------------------------------------------------------------ recovery

    @Test
    void aNewRecoveryRequestCarriesNoApprovalsRequesterOrCount() {
        WriteTarget newRequest = of(WriteTarget.Kind.ADD, REQUEST, "kmsRecoveryRequest");
        allowed(KMS_ADMIN, newRequest, add("objectclass", "top", "kmsRecoveryRequest"), add("cn", "r1"),
                add("kmsrecoverytarget", ALICE), add("kmsrecoverystate", "pending"));
        contains(refused(KMS_ADMIN, newRequest, add("kmsrecoveryapproval", BOB)), "carries no approvals");
        contains(refused(KMS_ADMIN, newRequest, add("kmsrecoveryrequester", CAROL)), "set by the directory");
        contains(refused(KMS_ADMIN, newRequest, add("kmsrequiredapprovals", "1")), "configuration");
        refused(SUPERUSER, newRequest, add("kmsrecoverytarget", ALICE));
        refused(RECOVERY_AGENT, newRequest, add("kmsrecoverytarget", ALICE));
        refused(KMS_ADMIN, request("pending", CAROL), replace("kmsrecoverytarget", CEO));
        refused(KMS_ADMIN, request("pending", CAROL), replace("kmsrecoverystate", "approved"));
        refused(KMS_ADMIN, request("pending", CAROL), replace("kmsrequiredapprovals", "1"));
        allowed(KMS_ADMIN, request("pending", CAROL), replace("description", "why"));
    }

    @Test
    void recoveryAgentsApproveOnceWithTheirOwnDnWhilePendingAndNotTheirOwnRequest() {
        allowed(RECOVERY_AGENT, request("pending", CAROL), add("kmsrecoveryapproval", "uid=BOB,ou=People,dc=example,dc=com"));
        contains(refused(RECOVERY_AGENT, request("pending", CAROL), add("kmsrecoveryapproval", ALICE)),
                "only their own DN");
        refused(RECOVERY_AGENT, request("pending", CAROL), replace("kmsrecoveryapproval", BOB));
        refused(user(ALICE), request("pending", CAROL), add("kmsrecoveryapproval", ALICE));
        contains(nobody(RECOVERY_AGENT, request("approved", CAROL), add("kmsrecoveryapproval", BOB)), "pending");
        contains(refused(RECOVERY_AGENT, request("pending", "uid=BOB,ou=People,dc=example,dc=com"),
                add("kmsrecoveryapproval", BOB)), "you asked for this recovery");
        LdapAttributeInUseException twice = assertThrows(LdapAttributeInUseException.class,
                () -> POLICY.checkWrite(RECOVERY_AGENT, request("pending", CAROL, BOB), List.of(add("kmsrecoveryapproval", BOB))));
        contains(twice.getMessage(), "approved this recovery request already");
        allowed(RECOVERY_AGENT, request("pending", CAROL, BOB), change("kmsrecoveryapproval",
                AttributeChange.Operation.REMOVE, BOB));
        refused(SUPERUSER, request("pending", CAROL), add("kmsrecoveryapproval", "uid=admin,ou=system"));
    }

    // ------------------------------------------------------------------ threshold custody

    @Test
    void theCustodyIsWrittenByKmsAgentsOnly() {
        String keyRecoveryAgent = norm(LAYOUT.keyRecoveryAgent());
        WriteTarget custody = modify(keyRecoveryAgent, "applicationProcess", "pkiUser", "kmsRecoveryCustody");
        WriteTarget share = of(WriteTarget.Kind.ADD, SHARE, "kmsCustodyShare");
        allowed(AGENT, custody, replace("kmscustodyid", "c1"), replace("kmscustodythreshold", "2"),
                replace("kmssealedrecoverykeys", "sealed"));
        allowed(AGENT, share, add("objectclass", "kmsCustodyShare"), add("cn", "c1 1"), add("kmscustodyid", "c1"),
                add("kmsshareholder", BOB), add("kmsshareindex", "1"), add("kmssealedshare", "sealed"),
                add("kmssharedigest", "digest"));
        allowed(AGENT, of(WriteTarget.Kind.DELETE, SHARE, "kmsCustodyShare"));
        for (Identity who : List.of(ALICE_USER, SUPERUSER, KMS_ADMIN, RECOVERY_AGENT)) {
            for (String attribute : List.of("kmscustodyid", "kmscustodythreshold", "kmssealedrecoverykeys")) {
                contains(refused(who, custody, replace(attribute, "x")), "in the KMS subtree, written by the KMS only");
            }
            contains(refused(who, share, add("kmsshareholder", BOB)), "in the KMS subtree, written by the KMS only");
            refused(who, modify(SHARE, "kmsCustodyShare"), replace("kmssharedigest", "forged"));
            refused(who, of(WriteTarget.Kind.DELETE, SHARE, "kmsCustodyShare"));
        }
        // Nor anywhere else: the custody attributes are the KMS's wherever they are.
        for (String attribute : List.of("kmsrequestkey", "kmsrecoveryshare", "kmscustodyid", "kmscustodythreshold",
                "kmsshareholder", "kmsshareindex", "kmssealedshare", "kmssharedigest")) {
            assertTrue(AccessPolicy.AGENT_ONLY.contains(attribute), attribute);
            contains(refused(ALICE_USER, modify(ALICE), replace(attribute, "x")), "written by the KMS only");
            refused(KMS_ADMIN, modify(norm(LAYOUT.defaultAdministrativeGroup()), "kmsAdminGroup"), add(attribute, "x"));
        }
        contains(refused(ALICE_USER, modify(ALICE), replace("kmssealedrecoverykeys", "x")),
                "kmsSealedRecoveryKeys is a secret attribute: only KMS agents write it");
    }

    @Test
    void kmsAdministratorsAskForRecoveriesWithoutARequestKeyOrShares() {
        WriteTarget newRequest = of(WriteTarget.Kind.ADD, REQUEST, "kmsRecoveryRequest");
        contains(refused(KMS_ADMIN, newRequest, add("objectclass", "kmsRecoveryRequest"), add("cn", "r1"),
                add("kmsrecoverytarget", ALICE), add("kmsrequestkey", "DER")), "kmsRequestKey is the KMS's one-use key");
        contains(refused(KMS_ADMIN, newRequest, add("kmsrecoverytarget", ALICE), add("kmsrecoveryshare", "CMS")),
                "carries no custody shares");
        contains(refused(KMS_ADMIN, request("pending", CAROL), replace("kmsrequestkey", "DER")),
                "set when it is made and then by the KMS only");
        refused(KMS_ADMIN, request("pending", CAROL), add("kmsrecoveryshare", "CMS"));
        allowed(AGENT, request("pending", CAROL), replace("kmsrequestkey", "DER"),
                replace("kmsclaimedby", "agent"));
        allowed(AGENT, request("pending", CAROL), change("kmsrecoveryshare", AttributeChange.Operation.REMOVE));
    }

    @Test
    void onlyTheKmsOpensChangesAndClosesACustodySession() {
        WriteTarget newSession = of(WriteTarget.Kind.ADD, SESSION, "top", "kmsCustodySession");
        AttributeChange[] content = {add("objectclass", "top", "kmsCustodySession"), add("cn", "archive check 1"),
                add("kmsrequestkey", "DER")};
        allowed(AGENT, newSession, content);
        contains(refused(KMS_ADMIN, newSession, content), "a custody session is opened by the KMS");
        contains(refused(KMS_ADMIN, newSession, content), "not over LDAP by a KMS administrator");
        // Even the fields of a recovery request: the object class decides.
        contains(refused(KMS_ADMIN, of(WriteTarget.Kind.ADD, SESSION, "kmsRecoveryRequest", "kmsCustodySession"),
                add("cn", "archive check 1"), add("kmsrecoverytarget", ALICE)), "a custody session is opened by the KMS");
        for (Identity who : List.of(RECOVERY_AGENT, SUPERUSER, ALICE_USER)) {
            contains(refused(who, newSession, content), "a custody session is opened by the KMS");
            contains(refused(who, of(WriteTarget.Kind.DELETE, SESSION, "kmsCustodySession")),
                    "closed by the KMS command that opened it");
        }
        contains(refused(KMS_ADMIN, of(WriteTarget.Kind.DELETE, SESSION, "kmsCustodySession")),
                "closed by the KMS command that opened it");
        allowed(AGENT, of(WriteTarget.Kind.DELETE, SESSION, "kmsCustodySession"));
        contains(refused(KMS_ADMIN, session("pending"), replace("description", "mine")),
                "description of a custody session is written by the KMS only");
        contains(refused(RECOVERY_AGENT, session("pending"), replace("kmsrecoverystate", "approved")),
                "a recovery agent adds their own DN to kmsRecoveryApproval and their kmsRecoveryShare");
        refused(RECOVERY_AGENT, session(null), replace("kmsrequestkey", "DER"));
        allowed(AGENT, session("pending"), replace("kmsrecoverystate", "failed"), replace("kmslasterror", "why"));
    }

    @Test
    void recoveryAgentsApproveACustodySessionOnceWhilePendingOrWithoutAState() {
        for (WriteTarget open : List.of(session(null), session("pending"))) {
            allowed(RECOVERY_AGENT, open, add("kmsrecoveryapproval", BOB), add("kmsrecoveryshare", "CMS"));
            allowed(RECOVERY_AGENT, open, delete("kmsrecoveryapproval", BOB), delete("kmsrecoveryshare", "CMS"));
        }
        contains(refused(RECOVERY_AGENT, session(null), add("kmsrecoveryapproval", ALICE)), "only their own DN");
        assertThrows(LdapAttributeInUseException.class, () -> POLICY.checkWrite(RECOVERY_AGENT,
                session("pending", BOB), List.of(add("kmsrecoveryapproval", BOB))));
        contains(nobody(RECOVERY_AGENT, session("failed"), add("kmsrecoveryapproval", BOB)),
                "the custody session is failed: approvals are given or withdrawn only while it is pending");
        contains(nobody(RECOVERY_AGENT, session("approved"), add("kmsrecoveryshare", "CMS")),
                "the custody session is approved: custody shares are given or withdrawn only while it is pending");
        for (Identity who : List.of(KMS_ADMIN, SUPERUSER, ALICE_USER)) {
            contains(refused(who, session(null), add("kmsrecoveryshare", "CMS")),
                    "only members of the recovery agents group give custody shares");
        }
    }

    @Test
    void recoveryAgentsGiveTheirOwnShareOneAtATimeNeverReplacingOthers() {
        allowed(RECOVERY_AGENT, request("pending", CAROL), add("kmsrecoveryapproval", BOB), add("kmsrecoveryshare", "CMS"));
        allowed(RECOVERY_AGENT, request("pending", CAROL, BOB), add("kmsrecoveryshare", "CMS"));
        allowed(RECOVERY_AGENT, request("pending", CAROL, BOB), delete("kmsrecoveryshare", "CMS"));
        contains(refused(RECOVERY_AGENT, request("pending", CAROL), replace("kmsrecoveryshare", "CMS")),
                "replacing or deleting the attribute would take other agents' shares");
        contains(refused(RECOVERY_AGENT, request("pending", CAROL), delete("kmsrecoveryshare")),
                "replacing or deleting the attribute would take other agents' shares");
        contains(refused(RECOVERY_AGENT, request("pending", CAROL), add("kmsrecoveryshare", "CMS", "CMS2")),
                "one kmsRecoveryShare at a time");
        contains(nobody(RECOVERY_AGENT, request("delivered", CAROL), add("kmsrecoveryshare", "CMS")),
                "the recovery request is delivered: custody shares are given or withdrawn only while it is pending");
        contains(refused(RECOVERY_AGENT, request("pending", "uid=bob,ou=People,dc=example,dc=com"),
                add("kmsrecoveryshare", "CMS")), "you asked for this recovery: its custody shares come from other");
        contains(refused(KMS_ADMIN, request("pending", ALICE), add("kmsrecoveryshare", "CMS")),
                "only members of the recovery agents group give custody shares");
        refused(user(ALICE), request("pending", CAROL), add("kmsrecoveryshare", "CMS"));
        // Only on recovery requests and custody sessions.
        contains(refused(RECOVERY_AGENT, modify(norm("cn=other," + LAYOUT.recoveryRequests()), "organizationalRole"),
                add("kmsrecoveryshare", "CMS")), "written on kmsRecoveryRequest and kmsCustodySession entries only");
        contains(refused(RECOVERY_AGENT, modify(BOB), add("kmsrecoveryshare", "CMS")), "written by the KMS only");
    }

    @Test
    void aNewRecoveryRequestMayNameTheOneCertificateWhoseKeyToRecover() {
        WriteTarget newRequest = of(WriteTarget.Kind.ADD, REQUEST, "kmsRecoveryRequest");
        allowed(KMS_ADMIN, newRequest, add("objectclass", "top", "kmsRecoveryRequest"), add("cn", "r1"),
                add("kmsrecoverytarget", ALICE), add("kmsrecoverycertificate", "DER"));
        contains(refused(KMS_ADMIN, newRequest, add("kmsclaimedby", "me")), "optionally kmsRecoveryCertificate only");
        refused(KMS_ADMIN, request("pending", CAROL), replace("kmsrecoverycertificate", "DER"));
    }

    @Test
    void onlyTheRequesterDeletesTheRecoveredPackageToConfirmTheFetch() {
        allowed(KMS_ADMIN, request("approved", CAROL), change("kmsrecoverypackage", AttributeChange.Operation.REMOVE));
        allowed(KMS_ADMIN, request("approved", "uid=CAROL,ou=People,dc=example,dc=com"),
                change("kmsrecoverypackage", AttributeChange.Operation.REMOVE));
        contains(refused(KMS_ADMIN, request("approved", CAROL), replace("kmsrecoverypackage", "forged")),
                "only deletes it");
        contains(refused(KMS_ADMIN, request("approved", ALICE), change("kmsrecoverypackage",
                AttributeChange.Operation.REMOVE)), "only deletes it");
        refused(RECOVERY_AGENT, request("approved", CAROL), change("kmsrecoverypackage", AttributeChange.Operation.REMOVE));
        refused(SUPERUSER, request("approved", CAROL), change("kmsrecoverypackage", AttributeChange.Operation.REMOVE));
        refused(KMS_ADMIN, request("approved", CAROL), change("kmsrecoverytoken", AttributeChange.Operation.REMOVE));
    }

    @Test
    void anonymousWritesNothingAndTheDecisionDoesNotDependOnValues() throws LdapException {
        Executable anonymousDelete = () -> POLICY.checkWrite(Identity.ANONYMOUS, modify(ALICE, "kmsUser"),
                List.of(change("userpassword", AttributeChange.Operation.REMOVE, "guess")));
        assertThrows(LdapNoPermissionException.class, anonymousDelete);
        assertEquals(refused(user(BOB), modify(norm(LAYOUT.kmsAgentsGroup()), "groupOfNames"),
                change("member", AttributeChange.Operation.REMOVE, ALICE)),
                refused(user(BOB), modify(norm(LAYOUT.kmsAgentsGroup()), "groupOfNames"),
                        change("member", AttributeChange.Operation.REMOVE, AGENT_DN)));
        assertTrue(POLICY.isKmsEntry(norm(LAYOUT.servers())));
        assertFalse(POLICY.isKmsEntry(ALICE));
    }

    @Test
    void onlyKmsAgentsWriteTheCrlDistributionPointOfACa() {
        String ca = norm("cn=Example Root CA," + LAYOUT.certificationAuthorities());
        String url = "ldap://kms.example.com:389/cn=Example%20Root%20CA,ou=Certification%20Authorities,ou=KMS,"
                + "dc=example,dc=com?certificateRevocationList;binary?base";
        allowed(AGENT, modify(ca, "kmsCertificationAuthority", "pkiCA"), replace("kmscrldistributionpoint", url));
        for (Identity who : List.of(SUPERUSER, KMS_ADMIN, ALICE_USER)) {
            refused(who, modify(ca, "kmsCertificationAuthority", "pkiCA"), replace("kmscrldistributionpoint", url));
            // Nor anywhere else: the URL names where clients fetch the CRL of every certificate.
            refused(who, modify(ALICE, "inetOrgPerson"), replace("kmscrldistributionpoint", url));
        }
        assertFalse(POLICY.mayRead(Identity.ANONYMOUS, "kmscrldistributionpoint", ca, () -> null),
                "the certificates name it; the entry's copy is for the KMS");
    }
}
