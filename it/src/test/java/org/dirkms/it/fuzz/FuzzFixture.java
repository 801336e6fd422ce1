package org.dirkms.it.fuzz;

import static org.dirkms.schema.AttributeNames.*;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.apache.directory.api.ldap.model.entry.DefaultEntry;
import org.apache.directory.api.ldap.model.entry.DefaultModification;
import org.apache.directory.api.ldap.model.entry.Entry;
import org.apache.directory.api.ldap.model.entry.ModificationOperation;
import org.apache.directory.api.ldap.model.exception.LdapException;
import org.apache.directory.ldap.client.api.LdapConnection;
import org.dirkms.agent.fuzz.DerSeeds;
import org.dirkms.it.support.TestDirectory;
import org.dirkms.schema.DirectoryLayout;
import org.dirkms.schema.KmsSchema;
import org.dirkms.schema.ObjectClassDefinition;
import org.dirkms.schema.ObjectClassNames;

/**
 * The entries the fuzz cases work on, made in set-up by the administrator and the agent over
 * LDAPS the way they make them in production:
 * <ul>
 * <li><em>scratch</em> entries, one per KMS object class (and a user, a group, a CA with
 * {@code pkiCA} and {@code deltaCRL}), which the agent's and the administrator's fuzzed writes
 * change at will;</li>
 * <li><em>planted</em> entries holding secrets of someone else ({@code uid=target}'s key package
 * and enrollment token and password, a recovery request of {@code uid=target}'s with its package
 * and token, an archived key), which the fuzzed writes never change, so that every response
 * can be searched for a secret its reader may not have;</li>
 * <li>the fuzz user {@code uid=fuzzer} (the {@link Who#USER}), who writes its own entry;</li>
 * <li>{@code ou=Sandbox} with {@code cn=victim-0..9}: the only entries a fuzzed DN may delete or
 * rename.</li>
 * </ul>
 */
final class FuzzFixture {
    /** The fuzz user's password. */
    static final String FUZZER_PASSWORD = "fuzzer-test-password-7e1b";
    /** How many sandbox entries there are. */
    static final int VICTIMS = 10;

    final DirectoryLayout layout;
    final String suffix;
    final String fuzzer;
    final String target;
    final String scratchUser;
    final String server;
    final String group;
    final String ca;
    final String template;
    final String request;
    final String archive;
    final String recovery;
    final String partner;
    final String trustList;
    final String published;
    final String members;
    final String sandbox;
    final String plantedRecovery;
    final String plantedArchive;
    final String auditHead;

    /** Secret values planted, by lower-case attribute name (userPassword included). */
    final Map<String, byte[]> planted = new LinkedHashMap<>();

    /** The scratch entry each lower-case attribute name is written on. */
    private final Map<String, String> scratchFor = new HashMap<>();

    private FuzzFixture(DirectoryLayout layout) {
        this.layout = layout;
        suffix = layout.suffix();
        fuzzer = "uid=fuzzer," + layout.people();
        target = "uid=target," + layout.people();
        scratchUser = "uid=scratch," + layout.people();
        server = "cn=fuzz," + layout.servers();
        group = "cn=Fuzz Group," + layout.administrativeGroups();
        ca = DerSeeds.CA_DN.replace("dc=example,dc=com", suffix);
        template = "cn=fuzz," + layout.certificateTemplates();
        request = "cn=fuzz," + layout.requests();
        archive = "cn=fuzz," + layout.keyArchive();
        recovery = "cn=fuzz," + layout.recoveryRequests();
        partner = "cn=fuzz," + layout.trust();
        trustList = "cn=fuzz-list," + layout.trust();
        published = "cn=fuzz-published," + layout.people();
        members = "cn=Fuzz Members," + layout.groups();
        sandbox = "ou=Sandbox," + suffix;
        plantedRecovery = "cn=planted," + layout.recoveryRequests();
        plantedArchive = "cn=planted," + layout.keyArchive();
        auditHead = layout.auditHead();
    }

    /** Makes every entry of the fixture in {@code directory}. */
    static FuzzFixture create(TestDirectory directory) throws Exception {
        FuzzFixture fixture = new FuzzFixture(directory.layout());
        DerSeeds seeds = DerSeeds.get();
        fixture.planted.put(lc(KEY_PACKAGE), ascii("PLANTED-KEY-PACKAGE-of-target-9c41e07d"));
        fixture.planted.put(lc(ENROLLMENT_TOKEN), ascii("PLANTED-ENROLLMENT-TOKEN-of-target-52aa"));
        fixture.planted.put(lc(RECOVERY_PACKAGE), ascii("PLANTED-RECOVERY-PACKAGE-for-target-0b7f"));
        fixture.planted.put(lc(RECOVERY_TOKEN), ascii("PLANTED-RECOVERY-TOKEN-for-target-e3d9"));
        fixture.planted.put(lc(WRAPPED_KEY), seeds.envelopedToEc.clone());
        fixture.planted.put(lc(USER_PASSWORD), ascii("PLANTED-target-password-6f02"));
        try (LdapConnection admin = directory.secureAdminConnection();
                LdapConnection agent = directory.secureAgentConnection()) {
            fixture.createEntries(admin, agent, seeds);
        }
        fixture.mapScratchEntries();
        return fixture;
    }

    private void createEntries(LdapConnection admin, LdapConnection agent, DerSeeds seeds) throws LdapException {
        String cn = "cn: ";
        add(admin, fuzzer, "objectClass: inetOrgPerson", "objectClass: kmsUser", "objectClass: pkiUser", "uid: fuzzer",
                "cn: Fuzzer", "sn: Fuzzer", "mail: fuzzer@example.com", "userPassword: " + FUZZER_PASSWORD);
        add(admin, target, "objectClass: inetOrgPerson", "objectClass: kmsUser", "uid: target", cn + "Target",
                "sn: Target", "mail: target@example.com", "kmsEnrollmentState: requested");
        add(admin, scratchUser, "objectClass: inetOrgPerson", "objectClass: kmsUser", "objectClass: pkiUser",
                "uid: scratch", cn + "Scratch", "sn: Scratch", "mail: scratch@example.com");
        add(admin, server, "objectClass: kmsServer", cn + "fuzz");
        add(admin, group, "objectClass: kmsAdminGroup", cn + "Fuzz Group", "kmsAssignedServer: " + server);
        Entry caEntry = entry(ca, "objectClass: kmsCertificationAuthority", "objectClass: pkiCA",
                "objectClass: deltaCRL", cn + "Fuzz Root CA", "kmsCAState: active", "kmsPriority: 5");
        caEntry.add("cACertificate;binary", seeds.caCertificate);
        caEntry.add("certificateRevocationList;binary", seeds.crl);
        admin.add(caEntry);
        add(admin, template, "objectClass: kmsCertificateTemplate", cn + "fuzz", "kmsKeyUsage: digitalSignature",
                "kmsValidityDays: 365", "kmsAllowedKeyAlgorithm: EC-P256");
        Entry requestEntry = entry(request, "objectClass: kmsCertificateRequest", cn + "fuzz", "kmsRequestState: pending",
                "kmsRequestSubject: " + scratchUser);
        requestEntry.add(PKCS10_REQUEST, seeds.pkcs10);
        admin.add(requestEntry);
        Entry archiveEntry = entry(archive, "objectClass: kmsArchivedKey", cn + "fuzz", "kmsKeyOwner: " + scratchUser);
        archiveEntry.add(WRAPPED_KEY, seeds.envelopedToRsa);
        agent.add(archiveEntry);
        add(admin, recovery, "objectClass: kmsRecoveryRequest", cn + "fuzz", "kmsRecoveryTarget: " + scratchUser,
                "kmsRecoveryRequester: " + scratchUser, "kmsRecoveryState: pending");
        Entry partnerEntry = entry(partner, "objectClass: kmsTrustedPartner", cn + "fuzz", "kmsPartnerDomain: example.org");
        partnerEntry.add("crossCertificatePair;binary", seeds.certificatePair);
        admin.add(partnerEntry);
        add(admin, trustList, "objectClass: kmsTrustList", cn + "fuzz-list");
        add(admin, published, "objectClass: kmsPublishedCertificate", cn + "fuzz-published", "kmsCertificatePurpose: signing");
        add(admin, members, "objectClass: groupOfNames", cn + "Fuzz Members", "member: " + scratchUser);
        add(admin, sandbox, "objectClass: organizationalUnit", "ou: Sandbox");
        for (int i = 0; i < VICTIMS; i++) {
            add(admin, "cn=victim-" + i + "," + sandbox, "objectClass: organizationalRole", cn + "victim-" + i);
        }

        // The planted secrets, written by the agent as it would (over TLS).
        agent.modify(target,
                new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, KEY_PACKAGE, planted.get(lc(KEY_PACKAGE))),
                new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, ENROLLMENT_TOKEN,
                        planted.get(lc(ENROLLMENT_TOKEN))));
        admin.modify(target, new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, USER_PASSWORD,
                planted.get(lc(USER_PASSWORD))));
        add(admin, plantedRecovery, "objectClass: kmsRecoveryRequest", cn + "planted", "kmsRecoveryTarget: " + target,
                "kmsRecoveryRequester: " + target, "kmsRecoveryState: pending");
        agent.modify(plantedRecovery,
                new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, RECOVERY_PACKAGE,
                        planted.get(lc(RECOVERY_PACKAGE))),
                new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, RECOVERY_TOKEN,
                        planted.get(lc(RECOVERY_TOKEN))));
        Entry plantedKey = entry(plantedArchive, "objectClass: kmsArchivedKey", cn + "planted", "kmsKeyOwner: " + target);
        plantedKey.add(WRAPPED_KEY, planted.get(lc(WRAPPED_KEY)));
        agent.add(plantedKey);
    }

    private void mapScratchEntries() {
        Map<String, String> byClass = Map.ofEntries(Map.entry(ObjectClassNames.KMS_USER, scratchUser),
                Map.entry(ObjectClassNames.PUBLISHED_CERTIFICATE, published), Map.entry(ObjectClassNames.ADMIN_GROUP, group),
                Map.entry(ObjectClassNames.SERVER, server), Map.entry(ObjectClassNames.CERTIFICATION_AUTHORITY, ca),
                Map.entry(ObjectClassNames.CERTIFICATE_TEMPLATE, template),
                Map.entry(ObjectClassNames.CERTIFICATE_REQUEST, request), Map.entry(ObjectClassNames.ARCHIVED_KEY, archive),
                Map.entry(ObjectClassNames.RECOVERY_REQUEST, recovery), Map.entry(ObjectClassNames.TRUSTED_PARTNER, partner),
                Map.entry(ObjectClassNames.TRUST_LIST, trustList), Map.entry(ObjectClassNames.AUDIT_RECORD, auditHead));
        for (ObjectClassDefinition objectClass : KmsSchema.objectClasses()) {
            List<String> attributes = new ArrayList<>(objectClass.must());
            attributes.addAll(objectClass.may());
            for (String attribute : attributes) {
                scratchFor.putIfAbsent(lc(attribute), byClass.get(objectClass.name()));
            }
        }
        scratchFor.put(lc(USER_CERTIFICATE), scratchUser);
        scratchFor.put(lc(USER_SMIME_CERTIFICATE), scratchUser);
        scratchFor.put(lc(USER_PASSWORD), scratchUser);
        scratchFor.put(lc(CA_CERTIFICATE), ca);
        scratchFor.put(lc(CERTIFICATE_REVOCATION_LIST), ca);
        scratchFor.put(lc(AUTHORITY_REVOCATION_LIST), ca);
        scratchFor.put(lc(DELTA_REVOCATION_LIST), ca);
        scratchFor.put(lc(CROSS_CERTIFICATE_PAIR), partner);
        scratchFor.put(lc(MEMBER), members);
        scratchFor.put(lc(DESCRIPTION), server);
    }

    /** The scratch entry {@code attribute} (lower-case name) is written on. */
    String scratchFor(String attribute) {
        String dn = scratchFor.get(attribute);
        if (dn == null) {
            throw new IllegalArgumentException("no scratch entry for " + attribute);
        }
        return dn;
    }

    /**
     * The secret values {@code who} may not read: every planted one for an anonymous client and
     * the fuzz user, all but the enrollment token and {@code uid=target}'s password for the
     * administrator (a KMS administrator), none for the agent.
     */
    List<byte[]> forbiddenTo(Who who) {
        List<byte[]> forbidden = new ArrayList<>();
        for (Map.Entry<String, byte[]> secret : planted.entrySet()) {
            boolean adminMay = secret.getKey().equals(lc(ENROLLMENT_TOKEN)) || secret.getKey().equals(lc(USER_PASSWORD));
            if (who == Who.ANONYMOUS || who == Who.USER || (who == Who.ADMIN && !adminMay)) {
                forbidden.add(secret.getValue());
            }
        }
        return forbidden;
    }

    static String lc(String name) {
        return name.toLowerCase(Locale.ROOT);
    }

    private static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    private static Entry entry(String dn, String... lines) throws LdapException {
        return new DefaultEntry(dn, (Object[]) lines);
    }

    private static void add(LdapConnection connection, String dn, String... lines) throws LdapException {
        connection.add(entry(dn, lines));
    }
}
