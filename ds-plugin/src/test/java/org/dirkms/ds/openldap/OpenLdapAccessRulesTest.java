package org.dirkms.ds.openldap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import org.dirkms.ds.guard.AccessPolicy;
import org.dirkms.ds.guard.Identity;
import org.dirkms.ds.guard.Role;
import org.dirkms.schema.DirectoryLayout;
import org.dirkms.schema.KmsSchema;
import org.junit.jupiter.api.Test;

/**
 * The slapd access rules say what {@link AccessPolicy} says: who reads each secret (checked
 * against {@link AccessPolicy#mayRead} for every role), that nobody but the agents and the
 * replicator may use a secret in a filter, that secrets travel over TLS only, that anonymous
 * clients reach exactly the public attributes, and that the agent-only attributes are the
 * agents' to write.
 */
class OpenLdapAccessRulesTest {

    private static final String SUFFIX = "dc=example,dc=com";
    private static final DirectoryLayout LAYOUT = new DirectoryLayout(SUFFIX);
    private static final OpenLdapSettings SETTINGS = OpenLdapSettings.of(SUFFIX, LAYOUT.kmsAgentIdentity());
    private static final List<String> RULES = new OpenLdapAccessRules(SETTINGS).rules();
    private static final String TARGET = "uid=alice,ou=people," + SUFFIX;
    private static final String REQUESTER = "uid=carol,ou=people," + SUFFIX;
    private static final AccessPolicy POLICY = new AccessPolicy(LAYOUT, dn -> dn.toLowerCase(Locale.ROOT),
            dn -> false);

    @Test
    void everySecretIsReadByWhomAccessPolicyNames() {
        for (String secret : KmsSchema.secretAttributeNames()) {
            Set<OpenLdapAccessRules.SecretReader> readers = OpenLdapAccessRules.readers(secret);
            assertEquals(readers.contains(OpenLdapAccessRules.SecretReader.SELF),
                    mayRead(new Identity(TARGET, EnumSet.of(Role.AUTHENTICATED)), secret), secret + " by its owner");
            assertEquals(readers.contains(OpenLdapAccessRules.SecretReader.KMS_ADMINISTRATOR),
                    mayRead(new Identity("uid=other,ou=people," + SUFFIX, EnumSet.of(Role.AUTHENTICATED,
                            Role.KMS_ADMINISTRATOR)), secret), secret + " by a KMS administrator");
            assertEquals(readers.contains(OpenLdapAccessRules.SecretReader.RECOVERY_REQUESTER),
                    mayRead(new Identity(REQUESTER, EnumSet.of(Role.AUTHENTICATED)), secret),
                    secret + " by the recovery requester");
            for (Identity nobody : List.of(Identity.ANONYMOUS, new Identity("uid=bob,ou=people," + SUFFIX,
                    EnumSet.of(Role.AUTHENTICATED, Role.RECOVERY_AGENT)), new Identity(DirectoryLayout.ADMIN_DN,
                            EnumSet.of(Role.AUTHENTICATED, Role.DIRECTORY_ADMINISTRATOR)))) {
                assertFalse(mayRead(nobody, secret), secret + " by " + nobody);
            }
            assertTrue(mayRead(new Identity(LAYOUT.kmsAgentIdentity().toLowerCase(Locale.ROOT), EnumSet.of(
                    Role.AUTHENTICATED, Role.KMS_AGENT)), secret), secret + " by an agent");
        }
    }

    private static boolean mayRead(Identity who, String secret) {
        return POLICY.mayRead(who, secret, TARGET, () -> REQUESTER);
    }

    @Test
    void eachSecretHasARuleBeforeAnyOtherThatTestsNoValueAndNeedsTls() {
        int anonymous = indexOf("attrs=entry,");
        for (String secret : KmsSchema.secretAttributeNames()) {
            int index = -1;
            for (int i = 0; i < RULES.size(); i++) {
                if (attributes(RULES.get(i)).contains(secret)) {
                    index = i;
                    break;
                }
            }
            assertTrue(index >= 0 && index < anonymous, secret + " has its own rule before the anonymous one");
            String rule = RULES.get(index);
            assertEquals(Set.of(secret), attributes(rule), rule);
            assertTrue(rule.endsWith(" by * none"), rule);
            for (String by : rule.split(" by ")) {
                if (by.startsWith("to ") || by.equals("* none") || by.endsWith(" none")) {
                    continue;
                }
                assertTrue(by.contains(" tls_ssf=128 "), "a secret only over TLS: " + by);
                if (!by.startsWith("group.exact=\"" + LAYOUT.kmsAgentsGroup()) && !by.startsWith("dn.exact=\""
                        + SETTINGS.replicatorDn())) {
                    String privileges = by.substring(by.lastIndexOf(' ') + 1);
                    assertTrue(privileges.startsWith("="), "an explicit privilege set: " + by);
                    assertFalse(privileges.contains("s"), "no filter on a secret: " + by);
                    assertTrue(privileges.contains("r") && privileges.contains("c"), "read and compare: " + by);
                }
            }
        }
    }

    @Test
    void anonymousClientsReachThePublicAttributesAndTheBookkeepingOnly() {
        String rule = RULES.get(indexOf("attrs=entry,"));
        Set<String> expected = new TreeSet<>(AccessPolicy.PUBLIC_ATTRIBUTES);
        expected.addAll(AccessPolicy.REPLICATION_BOOKKEEPING);
        expected.add("entry");
        assertEquals(expected, attributes(rule));
        assertTrue(rule.endsWith(" by anonymous =rscd by * break"), rule);
        assertEquals("to dn.subtree=\"" + SUFFIX + "\" by anonymous none by * break", RULES.get(indexOf("attrs=entry,")
                + 1));
        for (String attribute : expected) {
            assertFalse(AccessPolicy.isSecret(attribute), attribute);
        }
    }

    @Test
    void nobodyReadsPasswordsButTheReplicatorThatCopiesThem() {
        String rule = RULES.get(0);
        assertEquals(Set.of("userpassword"), attributes(rule));
        for (String by : rule.split(" by ")) {
            if (!by.startsWith("to ") && !by.startsWith("dn.exact=\"" + SETTINGS.replicatorDn())) {
                assertFalse(by.substring(by.lastIndexOf(' ') + 1).contains("r"), "no read of a password: " + by);
            }
        }
    }

    @Test
    void agentOnlyAttributesAreWrittenByTheAgentsAlone() {
        String rule = RULES.stream().filter(r -> r.startsWith("to dn.subtree=\"" + SUFFIX + "\" attrs=")
                && attributes(r).equals(AccessPolicy.AGENT_ONLY)).findFirst().orElseThrow();
        assertEquals("by group.exact=\"" + LAYOUT.kmsAgentsGroup() + "\" write by dn.exact=\"" + SETTINGS.replicatorDn()
                + "\" read by users read", rule.substring(rule.indexOf(" by ") + 1));
    }

    @Test
    void theKeyArchiveTakesNewRecordsButLosesNone() {
        String children = RULES.get(indexOf("to dn.base=\"" + LAYOUT.keyArchive() + "\" attrs=children"));
        assertTrue(children.contains("group.exact=\"" + LAYOUT.kmsAgentsGroup() + "\" =rscdxa "), children);
        assertFalse(children.contains(" write"), "nobody deletes an archived key: " + children);
    }

    @Test
    void theReplicatorReadsEveryPasswordItsOwnIncluded() {
        // slapd stops at the first 'by' clause that matches: were 'self' first, the replicator's own
        // password would never reach the other providers, and their syncrepl could not bind here.
        String rule = RULES.get(indexOf("attrs=userPassword"));
        String replicator = "by dn.exact=\"" + SETTINGS.replicatorDn() + "\"";
        assertTrue(rule.contains(replicator), rule);
        assertTrue(rule.indexOf(replicator) < rule.indexOf("by self "), "the replicator before self: " + rule);
    }

    @Test
    void theSealedRecoveryKeysAreReadByTheAgentsAndTheReplicatorOnlyAndNeverSearched() {
        assertEquals(Set.of(), OpenLdapAccessRules.readers("kmsSealedRecoveryKeys"));
        String tls = " tls_ssf=" + OpenLdapAccessRules.SECRET_TLS_SSF;
        assertEquals("to dn.subtree=\"" + SUFFIX + "\" attrs=kmsSealedRecoveryKeys by group.exact=\""
                + LAYOUT.kmsAgentsGroup() + "\"" + tls + " write by dn.exact=\"" + SETTINGS.replicatorDn() + "\"" + tls
                + " read by * none", RULES.get(indexOf("attrs=kmsSealedRecoveryKeys ")));
    }

    @Test
    void theCustodyIsWrittenByTheAgentsAlone() {
        Set<String> custody = Set.of("kmsrequestkey", "kmsrecoveryshare", "kmscustodyid", "kmscustodythreshold",
                "kmsshareholder", "kmsshareindex", "kmssealedshare", "kmssharedigest");
        assertTrue(AccessPolicy.AGENT_ONLY.containsAll(custody), "the agent-only rule names every custody attribute");
        // The shares live below cn=Key Recovery Agent, in the KMS subtree only the agents write.
        String kms = RULES.get(indexOf("to dn.subtree=\"" + LAYOUT.kms() + "\" by"));
        assertEquals(kmsOnly("dn.subtree=\"" + LAYOUT.kms() + "\""), kms);
        for (String objectClass : List.of("kmsRecoveryCustody", "kmsCustodyShare", "kmsCustodySession")) {
            assertTrue(RULES.contains(kmsOnly("dn.subtree=\"" + SUFFIX + "\" attrs=objectClass val=" + objectClass)),
                    objectClass);
        }
    }

    @Test
    void recoveryAgentsApproveAndGiveSharesToPendingRequestsAndSessionsTheyDidNotAskFor() {
        String requests = "dn.one=\"" + LAYOUT.recoveryRequests() + "\"";
        String approvable = "(|(kmsRecoveryState=pending)(&(objectClass=kmsCustodySession)(!(kmsRecoveryState=*))))";
        String recoveryAgents = "group.exact=\"" + LAYOUT.recoveryAgentsGroup() + "\"";
        for (String[] attribute : new String[][] {{"kmsRecoveryApproval", "selfwrite"}, {"kmsRecoveryShare", "write"}}) {
            String rule = RULES.get(indexOf("attrs=" + attribute[0]));
            assertTrue(rule.startsWith("to " + requests + " filter=" + approvable + " attrs=" + attribute[0] + " by "),
                    rule);
            assertTrue(rule.contains(" by " + recoveryAgents + " " + attribute[1] + " "), rule);
            assertTrue(rule.indexOf("by dnattr=kmsRecoveryRequester read") < rule.indexOf("by " + recoveryAgents),
                    "the requester reads, before the recovery agents write: " + rule);
            // Elsewhere under ou=Recovery Requests (requests no longer pending), the KMS alone.
            assertTrue(indexOf("attrs=" + attribute[0]) < RULES.indexOf(kmsOnly("dn.subtree=\""
                    + LAYOUT.recoveryRequests() + "\"")), rule);
        }
    }

    @Test
    void onlyTheAgentsAddACustodySessionOrARequestCarryingARequestKeyOrShares() {
        String requests = "dn.one=\"" + LAYOUT.recoveryRequests() + "\"";
        int requesterEntry = indexOf("to " + requests + " attrs=entry ");
        int session = RULES.indexOf(kmsOnly(requests + " filter=(objectClass=kmsCustodySession) attrs=entry"));
        int keyed = indexOf("to " + requests + " filter=(|(kmsRequestKey=*)(kmsRecoveryShare=*)) attrs=entry ");
        assertTrue(session >= 0 && session < requesterEntry, "sessions are the agents' before requesters add entries");
        assertTrue(keyed < requesterEntry, "a keyed request before requesters add entries");
        String rule = RULES.get(keyed);
        String requester = "group.exact=\"" + LAYOUT.kmsAdministratorsGroup() + "\" dnattr=kmsRecoveryRequester";
        assertTrue(rule.contains(" by " + requester + " =rscdxz "), "the requester withdraws but adds none: " + rule);
    }

    private static String kmsOnly(String what) {
        return "to " + what + " by group.exact=\"" + LAYOUT.kmsAgentsGroup() + "\" write by dn.exact=\""
                + SETTINGS.replicatorDn() + "\" read by users read";
    }

    private static int indexOf(String part) {
        for (int i = 0; i < RULES.size(); i++) {
            if (RULES.get(i).contains(part)) {
                return i;
            }
        }
        throw new AssertionError("no rule with " + part);
    }

    private static final Pattern ATTRS = Pattern.compile(" attrs=(\\S+)");

    private static Set<String> attributes(String rule) {
        Matcher matcher = ATTRS.matcher(rule);
        return matcher.find() ? Arrays.stream(matcher.group(1).split(",")).map(a -> a.toLowerCase(Locale.ROOT))
                .collect(Collectors.toCollection(TreeSet::new)) : Set.of();
    }
}
