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
import org.dirkms.it.support.Staff;
import org.dirkms.it.support.TestDirectory;
import org.dirkms.schema.DirectoryLayout;
import org.dirkms.schema.KmsSchema;
import org.dirkms.schema.ObjectClassDefinition;
import org.dirkms.schema.ObjectClassNames;

/**
 * The entries the fuzz cases work on, made in set-up over TLS by the superuser, a KMS
 * administrator and the agent, each the part the access rules give it, the way they make
 * them in production:
 * <ul>
 * <li><em>scratch</em> entries, one per KMS object class (and a user, a group, a CA with
 * {@code pkiCA} and {@code deltaCRL}; the key recovery agent under custody with one custody share,
 * and a custody session), which the agent's and the administrator's fuzzed writes change at
 * will;</li>
 * <li><em>planted</em> entries holding secrets of someone else ({@code uid=target}'s key package
 * and enrollment token and password, a recovery request for {@code uid=target} asked for by another KMS
 * administrator with its package and token, an archived key, recovery keys sealed under
 * custody), which the fuzzed writes never change, so that every response
 * can be searched for a secret its reader may not have;</li>
 * <li>the fuzz user {@code uid=fuzzer} (the {@link Who#USER}), who writes its own entry;</li>
 * <li>{@code ou=Sandbox} with {@code cn=victim-0..9}: the only entries a fuzzed DN may delete or
 * rename.</li>
 * </ul>
 */
final class FuzzFixture {
    /** The fuzz user's password. */
    static final String FUZZER_PASSWORD = "fuzzer-test-password-7e1b";
    /** The KMS administrator who asks for the planted recovery (under ou=Staff). */
    static final String PLANTER = "planter";
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
    final String custody;
    final String custodyShare;
    final String custodySession;
    final String partner;
    final String trustList;
    final String published;
    final String members;
    final String sandbox;
    final String plantedRecovery;
    final String plantedArchive;
    final String plantedCustody;
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
        custody = layout.keyRecoveryAgent();
        custodyShare = "cn=fuzz 1," + custody;
        custodySession = "cn=fuzz-session," + layout.recoveryRequests();
        partner = "cn=fuzz," + layout.trust();
        trustList = "cn=fuzz-list," + layout.trust();
        published = "cn=fuzz-published," + layout.people();
        members = "cn=Fuzz Members," + layout.groups();
        sandbox = "ou=Sandbox," + suffix;
        plantedRecovery = "cn=planted," + layout.recoveryRequests();
        plantedArchive = "cn=planted," + layout.keyArchive();
        plantedCustody = "cn=planted-custody," + layout.kms();
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
        // Not a seed of the generators: they may copy seeds into public attributes.
        fixture.planted.put(lc(WRAPPED_KEY), ascii("PLANTED-WRAPPED-KEY-of-target-77a1c0de5e"));
        fixture.planted.put(lc(SEALED_RECOVERY_KEYS), ascii("PLANTED-SEALED-RECOVERY-KEYS-3be90c41d2"));
        fixture.planted.put(lc(USER_PASSWORD), ascii("PLANTED-target-password-6f02"));
        // A second KMS administrator asks for the planted recovery, so that the requester, who
        // alone reads its package and token, is nobody the cases are sent as.
        Staff.person(directory.server(), PLANTER, "kms-administrators");
        try (LdapConnection superuser = directory.secureAdminConnection();
                LdapConnection kmsAdministrator = directory.kmsAdministratorConnection();
                LdapConnection planter = directory.connection(Staff.dn(directory.server(), PLANTER), Staff.PASSWORD);
                LdapConnection agent = directory.secureAgentConnection()) {
            fixture.createEntries(superuser, kmsAdministrator, planter, agent, seeds);
        }
        fixture.mapScratchEntries();
        return fixture;
    }

    /**
     * Each entry made by the identity the access rules give it to (docs/security.md): the
     * superuser adds the people with their names, addresses and passwords, the groups and the
     * sandbox; a KMS administrator makes the people KMS users, asks for the recovery requests
     * and writes the trust and the administrative groups; the agent writes the KMS subtree, the
     * published certificates and every secret.
     */
    private void createEntries(LdapConnection superuser, LdapConnection kmsAdministrator, LdapConnection planter,
            LdapConnection agent, DerSeeds seeds) throws LdapException {
        String cn = "cn: ";
        add(superuser, fuzzer, "objectClass: inetOrgPerson", "objectClass: pkiUser", "uid: fuzzer", "cn: Fuzzer",
                "sn: Fuzzer", "mail: fuzzer@example.com", "userPassword: " + FUZZER_PASSWORD);
        Entry targetEntry = entry(target, "objectClass: inetOrgPerson", "uid: target", cn + "Target", "sn: Target",
                "mail: target@example.com");
        targetEntry.add(USER_PASSWORD, planted.get(lc(USER_PASSWORD)));
        superuser.add(targetEntry);
        add(superuser, scratchUser, "objectClass: inetOrgPerson", "objectClass: pkiUser", "uid: scratch", cn + "Scratch",
                "sn: Scratch", "mail: scratch@example.com");
        add(superuser, members, "objectClass: groupOfNames", cn + "Fuzz Members", "member: " + scratchUser);
        add(superuser, sandbox, "objectClass: organizationalUnit", "ou: Sandbox");
        for (int i = 0; i < VICTIMS; i++) {
            add(superuser, "cn=victim-" + i + "," + sandbox, "objectClass: organizationalRole", cn + "victim-" + i);
        }
        for (String person : List.of(fuzzer, target, scratchUser)) {
            kmsAdministrator.modify(person, new DefaultModification(ModificationOperation.ADD_ATTRIBUTE, OBJECT_CLASS,
                    ObjectClassNames.KMS_USER));
        }
        kmsAdministrator.modify(target, new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE,
                ENROLLMENT_STATE, "requested"));

        add(agent, server, "objectClass: kmsServer", cn + "fuzz");
        Entry caEntry = entry(ca, "objectClass: kmsCertificationAuthority", "objectClass: pkiCA",
                "objectClass: deltaCRL", cn + "Fuzz Root CA", "kmsCAState: active", "kmsPriority: 5");
        caEntry.add("cACertificate;binary", seeds.caCertificate);
        caEntry.add("certificateRevocationList;binary", seeds.crl);
        agent.add(caEntry);
        add(agent, template, "objectClass: kmsCertificateTemplate", cn + "fuzz", "kmsKeyUsage: digitalSignature",
                "kmsValidityDays: 365", "kmsAllowedKeyAlgorithm: EC-P256");
        // kmsRequestQueue is the auxiliary class of ou=Requests; the scratch request carries it too,
        // so that kmsRequestLifetime has an entry to be written on.
        Entry requestEntry = entry(request, "objectClass: kmsCertificateRequest", "objectClass: kmsRequestQueue",
                cn + "fuzz", "kmsRequestState: pending", "kmsRequestSubject: " + scratchUser);
        requestEntry.add(PKCS10_REQUEST, seeds.pkcs10);
        agent.add(requestEntry);
        Entry archiveEntry = entry(archive, "objectClass: kmsArchivedKey", cn + "fuzz", "kmsKeyOwner: " + scratchUser);
        archiveEntry.add(WRAPPED_KEY, seeds.envelopedToRsa);
        agent.add(archiveEntry);
        add(agent, published, "objectClass: kmsPublishedCertificate", cn + "fuzz-published",
                "kmsCertificatePurpose: signing");

        add(kmsAdministrator, group, "objectClass: kmsAdminGroup", cn + "Fuzz Group", "kmsAssignedServer: " + server);
        add(kmsAdministrator, recovery, "objectClass: kmsRecoveryRequest", cn + "fuzz",
                "kmsRecoveryTarget: " + scratchUser, "kmsRecoveryState: pending");
        add(kmsAdministrator, partner, "objectClass: kmsTrustedPartner", cn + "fuzz", "kmsPartnerDomain: example.org");
        // The cross-certificate is the KMS's to publish ('dirkms trust cross-certify').
        agent.modify(partner, new DefaultModification(ModificationOperation.ADD_ATTRIBUTE, "crossCertificatePair;binary",
                seeds.certificatePair));
        add(kmsAdministrator, trustList, "objectClass: kmsTrustList", cn + "fuzz-list");

        // The planted secrets, written by the agent as it would (over TLS).
        agent.modify(target,
                new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, KEY_PACKAGE, planted.get(lc(KEY_PACKAGE))),
                new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, ENROLLMENT_TOKEN,
                        planted.get(lc(ENROLLMENT_TOKEN))));
        add(planter, plantedRecovery, "objectClass: kmsRecoveryRequest", cn + "planted", "kmsRecoveryTarget: " + target,
                "kmsRecoveryState: pending");
        agent.modify(plantedRecovery,
                new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, RECOVERY_PACKAGE,
                        planted.get(lc(RECOVERY_PACKAGE))),
                new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, RECOVERY_TOKEN,
                        planted.get(lc(RECOVERY_TOKEN))));
        Entry plantedKey = entry(plantedArchive, "objectClass: kmsArchivedKey", cn + "planted", "kmsKeyOwner: " + target);
        plantedKey.add(WRAPPED_KEY, planted.get(lc(WRAPPED_KEY)));
        agent.add(plantedKey);
        createCustody(agent, seeds);
    }

    /**
     * Threshold custody (docs/custody.md), written by the agent as {@code dirkms archive custody}
     * does: the key recovery agent with its custody and one share below it, a custody session
     * waiting for shares, and elsewhere in the KMS subtree the planted sealed recovery keys.
     */
    private void createCustody(LdapConnection agent, DerSeeds seeds) throws LdapException {
        Entry keyRecoveryAgent = entry(custody, "objectClass: applicationProcess", "objectClass: pkiUser",
                "objectClass: " + ObjectClassNames.RECOVERY_CUSTODY, "cn: Key Recovery Agent", "kmsCustodyId: fuzz",
                "kmsCustodyThreshold: 2");
        keyRecoveryAgent.add(SEALED_RECOVERY_KEYS, seeds.envelopedToEc);
        agent.add(keyRecoveryAgent);
        Entry share = entry(custodyShare, "objectClass: " + ObjectClassNames.CUSTODY_SHARE, "cn: fuzz 1",
                "kmsCustodyId: fuzz", "kmsShareHolder: " + scratchUser, "kmsShareIndex: 1");
        share.add(SEALED_SHARE, seeds.envelopedToRsa);
        share.add(SHARE_DIGEST, new byte[32]);
        agent.add(share);
        Entry session = entry(custodySession, "objectClass: " + ObjectClassNames.CUSTODY_SESSION, "cn: fuzz-session",
                "kmsRecoveryState: pending");
        session.add(REQUEST_KEY, seeds.userCertificate);
        agent.add(session);
        Entry plantedKeys = entry(plantedCustody, "objectClass: applicationProcess",
                "objectClass: " + ObjectClassNames.RECOVERY_CUSTODY, "cn: planted-custody", "kmsCustodyId: planted");
        plantedKeys.add(SEALED_RECOVERY_KEYS, planted.get(lc(SEALED_RECOVERY_KEYS)));
        agent.add(plantedKeys);
    }

    private void mapScratchEntries() {
        Map<String, String> byClass = Map.ofEntries(Map.entry(ObjectClassNames.KMS_USER, scratchUser),
                Map.entry(ObjectClassNames.PUBLISHED_CERTIFICATE, published), Map.entry(ObjectClassNames.ADMIN_GROUP, group),
                Map.entry(ObjectClassNames.SERVER, server), Map.entry(ObjectClassNames.CERTIFICATION_AUTHORITY, ca),
                Map.entry(ObjectClassNames.CERTIFICATE_TEMPLATE, template),
                Map.entry(ObjectClassNames.CERTIFICATE_REQUEST, request), Map.entry(ObjectClassNames.REQUEST_QUEUE, request),
                Map.entry(ObjectClassNames.ARCHIVED_KEY, archive),
                Map.entry(ObjectClassNames.RECOVERY_REQUEST, recovery), Map.entry(ObjectClassNames.TRUSTED_PARTNER, partner),
                Map.entry(ObjectClassNames.TRUST_LIST, trustList), Map.entry(ObjectClassNames.AUDIT_RECORD, auditHead),
                Map.entry(ObjectClassNames.RECOVERY_CUSTODY, custody), Map.entry(ObjectClassNames.CUSTODY_SHARE, custodyShare),
                Map.entry(ObjectClassNames.CUSTODY_SESSION, custodySession));
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
     * The secret values {@code who} may not read (docs/security.md): {@code uid=target}'s
     * password nobody reads (binds check it); every other planted one is the agent's, and a KMS
     * administrator reads the enrollment token too. The planted recovery's package and token
     * are its requester's, who is none of the identities the cases are sent as.
     */
    List<byte[]> forbiddenTo(Who who) {
        List<byte[]> forbidden = new ArrayList<>();
        for (Map.Entry<String, byte[]> secret : planted.entrySet()) {
            boolean password = secret.getKey().equals(lc(USER_PASSWORD));
            boolean may = who == Who.AGENT || who == Who.KMS_ADMIN && secret.getKey().equals(lc(ENROLLMENT_TOKEN));
            if (password || !may) {
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
