package org.dirkms.it.schema;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.List;

import org.apache.directory.api.ldap.model.entry.Entry;
import org.apache.directory.api.ldap.model.entry.Modification;
import org.apache.directory.api.ldap.model.exception.LdapException;
import org.apache.directory.api.ldap.model.ldif.LdifEntry;
import org.apache.directory.api.ldap.model.ldif.LdifReader;
import org.apache.directory.api.ldap.model.name.Dn;
import org.apache.directory.ldap.client.api.LdapNetworkConnection;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.CRLNumber;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.cert.X509v2CRLBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.dirkms.agent.directory.LdapCaRecords;
import org.dirkms.schema.AttributeNames;
import org.dirkms.schema.ContentEncryptionAlgorithm;
import org.dirkms.schema.DirectoryLayout;
import org.dirkms.schema.EnrollmentState;
import org.dirkms.schema.KeyAlgorithm;
import org.dirkms.schema.MessageFormat;
import org.dirkms.schema.ObjectClassNames;
import org.dirkms.schema.PackageFormat;
import org.dirkms.schema.SchemaForms;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The committed OpenLDAP form ({@code ldif/schema/dirkms-openldap.ldif}) loads into a real
 * slapd beside the Debian core, cosine and inetorgperson schemas; slapd then stores KMS entries,
 * enforces the KMS definitions, and publishes them in its subschema exactly as
 * {@link org.dirkms.schema.KmsSchema} defines them. The server is a throwaway: its cn=config
 * and mdb database live in a temporary folder and it listens on loopback only.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OpenLdapSchemaIT {

    private static final String ROOT_DN = "cn=admin," + DirectoryLayout.DEFAULT_SUFFIX;
    private static final DirectoryLayout LAYOUT = new DirectoryLayout(DirectoryLayout.DEFAULT_SUFFIX);
    private static final String USER_DN = "uid=alice," + LAYOUT.people();
    /** A few bytes standing for a PKCS#10 request: octetStringMatch stores any bytes as they are. */
    private static final byte[] SIGNING_REQUEST = {0x30, (byte) 0x82, 0x01, 0x00, (byte) 0xff, 0x00, 0x0a};

    @TempDir
    static Path work;

    private Path slapd;
    private Path slapadd;
    private Path slaptest;
    private Path ldapadd;
    private Path ldapmodify;
    private Path ldapsearch;
    private Path passwordFile;
    private Path pidFile;
    private String url;

    @BeforeAll
    void startSlapdWithTheKmsSchema() throws IOException, InterruptedException {
        slapd = ExternalTool.require("slapd", "slapd");
        slapadd = ExternalTool.require("slapadd", "slapd");
        slaptest = ExternalTool.require("slaptest", "slapd");
        ldapadd = ExternalTool.require("ldapadd", "ldap-utils");
        ldapmodify = ExternalTool.require("ldapmodify", "ldap-utils");
        ldapsearch = ExternalTool.require("ldapsearch", "ldap-utils");
        List<Path> schemas = new ArrayList<>();
        for (String name : List.of("core", "cosine", "inetorgperson")) {
            Path schema = Path.of("/etc/ldap/schema", name + ".ldif");
            if (!Files.isRegularFile(schema)) {
                fail(schema + " is missing: install the Debian package slapd");
            }
            schemas.add(schema);
        }
        schemas.add(projectRoot().resolve("ldif/schema").resolve(SchemaForms.OPENLDAP_FILE));

        Path config = Files.createDirectory(work.resolve("slapd.d"));
        Path database = Files.createDirectory(work.resolve("db"));
        pidFile = work.resolve("slapd.pid");
        // The root password is for this throwaway server only; ldap-utils read it from a private file.
        passwordFile = work.resolve("rootpw");
        Files.writeString(passwordFile, "throwaway-" + ProcessHandle.current().pid(), StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(passwordFile, PosixFilePermissions.fromString("rw-------"));

        Path configLdif = work.resolve("config.ldif");
        Files.writeString(configLdif, configLdif(config, database, schemas), StandardCharsets.UTF_8);
        // slapadd -n0 builds cn=config offline, as Debian's own installer does; an invalid schema fails here.
        ExternalTool.run(work, null, List.of(slapadd.toString(), "-n0", "-F", config.toString(), "-l",
                configLdif.toString())).assertSuccess();
        ExternalTool.run(work, null, List.of(slaptest.toString(), "-F", config.toString(), "-u")).assertSuccess();

        url = "ldap://127.0.0.1:" + ExternalTool.freeLoopbackPort() + "/";
        // Without -d slapd detaches, and its parent exits only once the listener is bound and the
        // databases are open, so the exit code says whether the server is ready.
        ExternalTool.run(work, null, List.of(slapd.toString(), "-h", url, "-F", config.toString())).assertSuccess();
        add(baseEntries()).assertSuccess();
    }

    @AfterAll
    void stopSlapd() throws IOException {
        ExternalTool.stopDaemon(pidFile, "slapd");
    }

    @Test
    void slapdStoresAndReturnsAKmsUserAndAnAdministrativeGroup() throws Exception {
        Entry group = searchOne(LAYOUT.defaultAdministrativeGroup(), "(objectClass=" + ObjectClassNames.ADMIN_GROUP + ")");
        assertEquals(KeyAlgorithm.EC_P256.ldapValue(), group.get(AttributeNames.KEY_ALGORITHM).getString());
        assertEquals(ContentEncryptionAlgorithm.AES_256_GCM.ldapValue(),
                group.get(AttributeNames.CONTENT_ENCRYPTION_ALGORITHM).getString());
        assertEquals(MessageFormat.SMIME_4_0.ldapValue(), group.get(AttributeNames.MESSAGE_FORMAT).getString());
        assertEquals(PackageFormat.PBES2_AES_256.ldapValue(), group.get(AttributeNames.PACKAGE_FORMAT).getString());
        assertEquals("TRUE", group.get(AttributeNames.DEFAULT_GROUP).getString());

        Entry user = searchOne(USER_DN, "(objectClass=" + ObjectClassNames.KMS_USER + ")");
        assertTrue(user.contains(AttributeNames.OBJECT_CLASS, ObjectClassNames.INET_ORG_PERSON));
        assertEquals(EnrollmentState.REQUESTED.ldapValue(), user.get(AttributeNames.ENROLLMENT_STATE).getString());
        assertEquals(new Dn(LAYOUT.defaultAdministrativeGroup()),
                new Dn(user.get(AttributeNames.ADMINISTRATIVE_GROUP).getString()));
        assertEquals("20261126083000Z", user.get(AttributeNames.KEY_PACKAGE_EXPIRES).getString());
        assertArrayEquals(SIGNING_REQUEST, user.get(AttributeNames.SIGNING_REQUEST).getBytes());
        assertEquals("alice@example.com", user.get(AttributeNames.MAIL).getString());
    }

    /** The matching rules are really in force: enumerated values match exactly, DNs as DNs. */
    @Test
    void slapdMatchesKmsAttributesWithTheirRules() throws Exception {
        String requested = EnrollmentState.REQUESTED.ldapValue();
        assertEquals(List.of(USER_DN), dns(search(LAYOUT.people(), "(" + AttributeNames.ENROLLMENT_STATE + "=" + requested + ")")));
        assertEquals(List.of(), dns(search(LAYOUT.people(),
                "(" + AttributeNames.ENROLLMENT_STATE + "=" + requested.toUpperCase(java.util.Locale.ROOT) + ")")),
                "caseExactMatch must not match a value in another case");
        String groupWithOtherSpacing = LAYOUT.defaultAdministrativeGroup().replace(",", ", ").toUpperCase(java.util.Locale.ROOT);
        assertEquals(List.of(USER_DN), dns(search(LAYOUT.people(),
                "(" + AttributeNames.ADMINISTRATIVE_GROUP + "=" + groupWithOtherSpacing + ")")),
                "distinguishedNameMatch compares DNs, not strings");
        assertEquals(List.of(USER_DN), dns(search(LAYOUT.people(),
                "(" + AttributeNames.KEY_PACKAGE_EXPIRES + "<=20261231000000Z)")), "generalizedTimeOrderingMatch");
    }

    @Test
    void slapdEnforcesSingleValueAndTheAuxiliaryClass() throws Exception {
        ExternalTool.Result second = modify("dn: " + USER_DN + "\nchangetype: modify\nadd: "
                + AttributeNames.ENROLLMENT_STATE + "\n" + AttributeNames.ENROLLMENT_STATE + ": "
                + EnrollmentState.FAILED.ldapValue() + "\n");
        assertEquals(19, second.exitCode(), "a second value of a SINGLE-VALUE type is a constraintViolation (19): "
                + second.stderr());
        String other = "uid=bob," + LAYOUT.people();
        ExternalTool.Result withoutClass = add("dn: " + other + "\nobjectClass: inetOrgPerson\nuid: bob\ncn: Bob\nsn: B\n"
                + AttributeNames.ENROLLMENT_STATE + ": " + EnrollmentState.REQUESTED.ldapValue() + "\n");
        assertEquals(65, withoutClass.exitCode(), "a KMS attribute without kmsUser is an objectClassViolation (65): "
                + withoutClass.stderr());
        assertEquals(List.of(), dns(search(LAYOUT.people(), "(uid=bob)")), "the refused entry must not exist");
    }

    @Test
    void slapdPublishesEveryKmsDefinitionAsKmsSchemaDefinesIt() throws Exception {
        SchemaComparison.assertSubschemaMatches("slapd", subschema());
    }

    /**
     * The RFC 4512 form, which OpenLDAP cannot apply (its subschema is read-only), still says
     * exactly what slapd publishes after loading the OpenLDAP form.
     */
    @Test
    void rfc4512FormParsesToWhatSlapdPublishes() throws Exception {
        List<LdifEntry> records = readLdif(Files.readString(
                projectRoot().resolve("ldif/schema").resolve(SchemaForms.RFC4512_FILE), StandardCharsets.UTF_8));
        assertEquals(1, records.size());
        List<String> attributeTypes = new ArrayList<>();
        List<String> objectClasses = new ArrayList<>();
        for (Modification modification : records.get(0).getModifications()) {
            List<String> target = modification.getAttribute().getUpId().equalsIgnoreCase("attributeTypes")
                    ? attributeTypes : objectClasses;
            modification.getAttribute().forEach(value -> target.add(value.getString()));
        }
        Entry published = readLdif(subschema()).get(0).getEntry();
        SchemaComparison.assertSameDefinitions(SchemaForms.RFC4512_FILE + " attribute types",
                SchemaComparison.expectedAttributeTypes(), SchemaComparison.kmsAttributeTypes(attributeTypes));
        SchemaComparison.assertSameDefinitions(SchemaForms.RFC4512_FILE + " object classes",
                SchemaComparison.expectedObjectClasses(), SchemaComparison.kmsObjectClasses(objectClasses));
        SchemaComparison.assertSameDefinitions("slapd attribute types (against " + SchemaForms.RFC4512_FILE + ")",
                SchemaComparison.kmsAttributeTypes(attributeTypes),
                SchemaComparison.kmsAttributeTypes(SchemaComparison.values(published, "attributeTypes")));
        SchemaComparison.assertSameDefinitions("slapd object classes (against " + SchemaForms.RFC4512_FILE + ")",
                SchemaComparison.kmsObjectClasses(objectClasses),
                SchemaComparison.kmsObjectClasses(SchemaComparison.values(published, "objectClasses")));
    }

    static Path projectRoot() {
        String root = System.getProperty("dirkms.project.root");
        if (root == null) {
            fail("system property dirkms.project.root is not set: run the ITs with mvn verify (failsafe sets it)");
        }
        return Path.of(root).toAbsolutePath().normalize();
    }

    /**
     * The CA's CRL compare-and-swap works on slapd, whose core schema gives
     * certificateRevocationList no EQUALITY rule: slapd refuses to add or delete one value of it
     * (inappropriateMatching, 18), so LdapCaRecords replaces the CRL under an RFC 4528 assertion
     * that the entry's entryCSN is still the one read with the CRL; a stale assertion is
     * assertionFailed (122).
     */
    @Test
    void slapdSwapsTheCaCrlUnderAnAssertionOnItsEntryCsn() throws Exception {
        String caDn = "cn=Swap CA," + LAYOUT.certificationAuthorities();
        byte[] first = crl(1);
        byte[] second = crl(2);
        byte[] third = crl(3);
        Base64.Encoder base64 = Base64.getEncoder();
        add("dn: " + LAYOUT.kms() + "\nobjectClass: organizationalUnit\nou: KMS\n\n"
                + "dn: " + LAYOUT.certificationAuthorities() + "\nobjectClass: organizationalUnit\nou: Certification Authorities\n\n"
                + "dn: " + caDn + "\nobjectClass: " + ObjectClassNames.CERTIFICATION_AUTHORITY + "\nobjectClass: "
                + ObjectClassNames.PKI_CA + "\ncn: Swap CA\n" + AttributeNames.CA_STATE + ": active\n"
                + "certificateRevocationList;binary:: " + base64.encodeToString(first) + "\n").assertSuccess();
        ExternalTool.Result valueSwap = modify("dn: " + caDn + "\nchangetype: modify\nadd: certificateRevocationList;binary\n"
                + "certificateRevocationList;binary:: " + base64.encodeToString(second) + "\n-\n"
                + "delete: certificateRevocationList;binary\ncertificateRevocationList;binary:: "
                + base64.encodeToString(first) + "\n-\n");
        assertEquals(18, valueSwap.exitCode(), "slapd matches no CRL values: " + valueSwap.stderr());

        String port = url.substring(url.lastIndexOf(':') + 1, url.length() - 1);
        try (LdapNetworkConnection connection = new LdapNetworkConnection("127.0.0.1", Integer.parseInt(port))) {
            connection.bind(ROOT_DN, password());
            LdapCaRecords records = new LdapCaRecords(connection, LAYOUT, Clock.systemUTC());
            assertFalse(records.replaceCrl(caDn, second, third), "a CRL that is not published is not replaced");
            assertArrayEquals(first, records.readCa(caDn).orElseThrow().crl());
            String csnBefore = entryCsn(caDn);
            assertTrue(records.replaceCrl(caDn, first, second), "the published CRL is replaced");
            assertArrayEquals(second, records.readCa(caDn).orElseThrow().crl());
            assertFalse(records.replaceCrl(caDn, first, third), "a stale expected CRL loses");
            assertArrayEquals(second, records.readCa(caDn).orElseThrow().crl());

            // What guards the window between the read and the replace: slapd refuses a replace
            // asserting an entryCSN the entry no longer has.
            List<String> command = new ArrayList<>(List.of(ldapmodify.toString()));
            command.addAll(bind());
            command.addAll(List.of("-e", "!assert=(entryCSN=" + csnBefore + ")"));
            ExternalTool.Result stale = ExternalTool.run(work, "dn: " + caDn + "\nchangetype: modify\n"
                    + "replace: certificateRevocationList;binary\ncertificateRevocationList;binary:: "
                    + base64.encodeToString(third) + "\n-\n", command);
            assertEquals(122, stale.exitCode(), "assertionFailed: " + stale.stderr());
            assertArrayEquals(second, records.readCa(caDn).orElseThrow().crl());
        }
    }

    private String entryCsn(String dn) throws IOException, InterruptedException {
        return search(dn, "(objectClass=*)", "entryCSN").lines().filter(line -> line.startsWith("entryCSN: "))
                .map(line -> line.substring("entryCSN: ".length())).findFirst()
                .orElseThrow(() -> new AssertionError("slapd returned no entryCSN for " + dn));
    }

    /** An empty CRL with CRL number {@code number}, signed by a throwaway EC P-256 key. */
    private static byte[] crl(int number) throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair key = generator.generateKeyPair();
        X509v2CRLBuilder builder = new X509v2CRLBuilder(new X500Name("CN=Swap CA"), new Date());
        builder.addExtension(Extension.cRLNumber, false, new CRLNumber(BigInteger.valueOf(number)));
        return builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(key.getPrivate())).getEncoded();
    }

    private String configLdif(Path config, Path database, List<Path> schemas) {
        StringBuilder ldif = new StringBuilder();
        ldif.append("dn: cn=config\nobjectClass: olcGlobal\ncn: config\nolcPidFile: ").append(pidFile).append("\n\n");
        ldif.append("dn: cn=module{0},cn=config\nobjectClass: olcModuleList\ncn: module{0}\n"
                + "olcModulePath: /usr/lib/ldap\nolcModuleLoad: back_mdb\n\n");
        ldif.append("dn: cn=schema,cn=config\nobjectClass: olcSchemaConfig\ncn: schema\n\n");
        for (Path schema : schemas) {
            ldif.append("include: file://").append(schema).append("\n\n");
        }
        ldif.append("dn: olcDatabase={-1}frontend,cn=config\nobjectClass: olcDatabaseConfig\n"
                + "objectClass: olcFrontendConfig\nolcDatabase: {-1}frontend\n\n");
        ldif.append("dn: olcDatabase={0}config,cn=config\nobjectClass: olcDatabaseConfig\nolcDatabase: {0}config\n\n");
        ldif.append("dn: olcDatabase={1}mdb,cn=config\nobjectClass: olcDatabaseConfig\nobjectClass: olcMdbConfig\n")
                .append("olcDatabase: {1}mdb\nolcDbDirectory: ").append(database).append('\n')
                .append("olcSuffix: ").append(DirectoryLayout.DEFAULT_SUFFIX).append('\n')
                .append("olcRootDN: ").append(ROOT_DN).append('\n')
                .append("olcRootPW: ").append(password()).append('\n')
                // 16 MiB is plenty and keeps the sparse map file small.
                .append("olcDbMaxSize: 16777216\n");
        return ldif.toString();
    }

    private String password() {
        try {
            return Files.readString(passwordFile, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new AssertionError("cannot read " + passwordFile, e);
        }
    }

    private static String baseEntries() {
        String group = LAYOUT.defaultAdministrativeGroup();
        return "dn: " + DirectoryLayout.DEFAULT_SUFFIX + "\nobjectClass: dcObject\nobjectClass: organization\n"
                + "o: Example\ndc: example\n\n"
                + "dn: " + LAYOUT.people() + "\nobjectClass: organizationalUnit\nou: People\n\n"
                + "dn: " + LAYOUT.administrativeGroups() + "\nobjectClass: organizationalUnit\nou: Administrative Groups\n\n"
                + "dn: " + group + "\nobjectClass: " + ObjectClassNames.ADMIN_GROUP + "\ncn: Default\n"
                + AttributeNames.DESCRIPTION + ": the group of users who name none\n"
                + AttributeNames.KEY_ALGORITHM + ": " + KeyAlgorithm.EC_P256.ldapValue() + "\n"
                + AttributeNames.CONTENT_ENCRYPTION_ALGORITHM + ": " + ContentEncryptionAlgorithm.AES_256_GCM.ldapValue() + "\n"
                + AttributeNames.MESSAGE_FORMAT + ": " + MessageFormat.SMIME_4_0.ldapValue() + "\n"
                + AttributeNames.PACKAGE_FORMAT + ": " + PackageFormat.PBES2_AES_256.ldapValue() + "\n"
                + AttributeNames.DEFAULT_GROUP + ": TRUE\n\n"
                + "dn: " + USER_DN + "\nobjectClass: inetOrgPerson\nobjectClass: " + ObjectClassNames.KMS_USER + "\n"
                + "uid: alice\ncn: Alice Example\nsn: Example\nmail: alice@example.com\n"
                + AttributeNames.ENROLLMENT_STATE + ": " + EnrollmentState.REQUESTED.ldapValue() + "\n"
                + AttributeNames.ADMINISTRATIVE_GROUP + ": " + group + "\n"
                + AttributeNames.KEY_PACKAGE_EXPIRES + ": 20261126083000Z\n"
                + AttributeNames.SIGNING_REQUEST + ":: " + java.util.Base64.getEncoder().encodeToString(SIGNING_REQUEST)
                + "\n";
    }

    private List<String> bind() {
        return List.of("-x", "-H", url, "-D", ROOT_DN, "-y", passwordFile.toString());
    }

    private ExternalTool.Result add(String ldif) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(ldapadd.toString()));
        command.addAll(bind());
        return ExternalTool.run(work, ldif, command);
    }

    private ExternalTool.Result modify(String ldif) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(ldapmodify.toString()));
        command.addAll(bind());
        return ExternalTool.run(work, ldif, command);
    }

    private String search(String base, String filter, String... attributes) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(ldapsearch.toString()));
        command.addAll(bind());
        command.addAll(List.of("-LLL", "-o", "ldif-wrap=no", "-b", base, filter));
        command.addAll(List.of(attributes));
        return ExternalTool.run(work, null, command).assertSuccess().stdout();
    }

    private String subschema() throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(ldapsearch.toString()));
        command.addAll(bind());
        command.addAll(List.of("-LLL", "-o", "ldif-wrap=no", "-s", "base", "-b", "cn=subschema", "(objectClass=*)",
                "attributeTypes", "objectClasses"));
        return ExternalTool.run(work, null, command).assertSuccess().stdout();
    }

    private Entry searchOne(String base, String filter) throws Exception {
        List<LdifEntry> entries = readLdif(search(base, filter, "*"));
        assertEquals(1, entries.size(), "one entry at " + base + " matching " + filter);
        return entries.get(0).getEntry();
    }

    private static List<String> dns(String ldif) throws LdapException {
        List<String> dns = new ArrayList<>();
        for (LdifEntry entry : readLdif(ldif)) {
            dns.add(entry.getDn().getName());
        }
        return dns;
    }

    static List<LdifEntry> readLdif(String ldif) throws LdapException {
        try (LdifReader reader = new LdifReader()) {
            return reader.parseLdif(ldif);
        } catch (IOException e) {
            throw new AssertionError("closing an in-memory LDIF reader failed", e);
        }
    }
}
