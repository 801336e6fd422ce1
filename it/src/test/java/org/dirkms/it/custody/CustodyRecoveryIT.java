package org.dirkms.it.custody;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringReader;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.Key;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.RSAPrivateCrtKey;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.dirkms.agent.custody.RequestKey;
import org.dirkms.agent.custody.SealedContent;
import org.dirkms.agent.custody.SealedRecoveryKeys;
import org.dirkms.agent.custody.ShamirShares;
import org.dirkms.agent.custody.ShareContent;
import org.dirkms.it.support.DirkmsRun;
import org.dirkms.it.support.LdapTools;
import org.dirkms.it.support.ServeProcess;
import org.dirkms.schema.DataFolder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Recovery under threshold custody (docs/custody.md), end to end, as the README's section
 * "Threshold custody of the recovery keys" tells people to drive it, against {@code dirkms serve}
 * run as a process of its own. The directory superuser adds Alice (KMS administrator), three
 * recovery agents and Jane; Alice enrolls them all (EC P-256); each agent fetches their key package
 * as a person does ({@code ldapsearch}, the token from Alice), a correspondent encrypts a message to
 * Jane with {@code openssl cms}. The test reads the recovery key from the data folder's key store,
 * then the administrator runs {@code dirkms archive custody --threshold 2 --agents A B C}. From then
 * on: no form of the recovery key is left in the data folder; one agent's share delivers nothing
 * and two deliver a package that opens Jane's message; a stolen data folder, an LDIF export and one
 * agent's key package open no archived key; forged, misplaced, replayed and wrongly keyed shares
 * are refused with the agent's DN and change nothing; a KMS restart re-keys a waiting request; and
 * an agent approves with the OpenSSL and OpenLDAP tools alone.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CustodyRecoveryIT {

    @TempDir
    static Path folder;

    private static final String SUFFIX = "dc=example,dc=com";
    private static final String PASSWORD = "custody-test-password";
    private static final String ALICE = "uid=alice,ou=People," + SUFFIX;
    private static final String JDOE = "uid=jdoe,ou=People," + SUFFIX;
    private static final String AGENT_A = "uid=agent-a,ou=People," + SUFFIX;
    private static final String AGENT_B = "uid=agent-b,ou=People," + SUFFIX;
    private static final String AGENT_C = "uid=agent-c,ou=People," + SUFFIX;
    private static final String KMS_AGENT = "uid=kms-agent,ou=KMS," + SUFFIX;
    private static final String REQUESTS = "ou=Recovery Requests,ou=KMS," + SUFFIX;
    private static final String KEY_RECOVERY_AGENT = "cn=Key Recovery Agent,ou=KMS," + SUFFIX;
    /** The agent's claims last this long, so that a restarted serve re-keys a waiting request within the test. */
    private static final int LEASE_SECONDS = 4;
    private static final int SWEEP_SECONDS = 2;
    private static final Pattern URL = Pattern.compile("LDAP \\(StartTLS\\): (ldap://\\S+)");

    private static Path data;
    private static ServeProcess serve;
    private static String url;
    private static Path passwordFile;
    /** Each agent's key package and the file holding its token (the package's password). */
    private static final Map<String, Path> PACKAGES = new LinkedHashMap<>();
    private static final Map<String, Path> TOKENS = new LinkedHashMap<>();
    /** The recovery private keys, read from the key store before custody. */
    private static final List<PrivateKey> RECOVERY_KEYS = new ArrayList<>();
    private static Path message;
    private static final String TEXT = "for Jane only, encrypted to her encryption certificate before custody\n";
    private static String custodyOutput;

    @BeforeAll
    static void enrolledAgentsAndThenCustody() throws Exception {
        LdapTools.requireTool("openssl", "openssl");
        data = folder.resolve("data");
        passwordFile = Files.writeString(folder.resolve("person.password"), PASSWORD);
        start();
        StringBuilder people = new StringBuilder();
        for (String dn : List.of(ALICE, JDOE, AGENT_A, AGENT_B, AGENT_C)) {
            String uid = dn.substring(4, dn.indexOf(','));
            people.append("dn: ").append(dn).append("\nobjectClass: inetOrgPerson\nuid: ").append(uid).append("\ncn: ")
                    .append(uid).append("\nsn: ").append(uid).append("\nmail: ").append(uid)
                    .append("@example.com\nuserPassword: ").append(PASSWORD).append("\n\n");
        }
        superuser().add(people.toString()).assertSuccess();
        dirkms("roles", "add", "kms-administrators", ALICE);
        for (String agent : List.of(AGENT_A, AGENT_B, AGENT_C)) {
            dirkms("roles", "add", "recovery-agents", agent);
        }
        // EC P-256 keys: fast, and openssl seals to them by key agreement.
        as(ALICE).modify("dn: cn=Default,ou=Administrative Groups," + SUFFIX + "\nchangetype: modify\n"
                + "replace: kmsKeyAlgorithm\nkmsKeyAlgorithm: EC-P256\n").assertSuccess();
        StringBuilder enroll = new StringBuilder();
        for (String dn : List.of(JDOE, AGENT_A, AGENT_B, AGENT_C)) {
            enroll.append("dn: ").append(dn).append("\nchangetype: modify\nadd: objectClass\nobjectClass: kmsUser\n-\n"
                    + "add: kmsEnrollmentState\nkmsEnrollmentState: requested\n-\n\n");
        }
        as(ALICE).modify(enroll.toString()).assertSuccess();
        for (String dn : List.of(JDOE, AGENT_A, AGENT_B, AGENT_C)) {
            await(dn + " enrolled", () -> as(ALICE).search(dn, "(objectClass=*)", "kmsEnrollmentState").stdout()
                    .contains("kmsEnrollmentState: enrolled"));
        }
        for (String agent : List.of(AGENT_A, AGENT_B, AGENT_C)) {
            fetchKeyPackage(agent);
        }
        // A correspondent writes to Jane.
        Path certificate = folder.resolve("jdoe-encryption.pem");
        Files.writeString(certificate, pem("CERTIFICATE", binary(as(ALICE).search("cn=encryption," + JDOE,
                "(objectClass=*)", "userCertificate;binary").assertSuccess().stdout(), "userCertificate;binary")));
        Path plain = Files.writeString(folder.resolve("message.txt"), TEXT);
        message = folder.resolve("message.p7m");
        openssl("cms", "-encrypt", "-binary", "-aes256", "-in", plain.toString(), "-out", message.toString(),
                certificate.toString()).assertSuccess();
        Files.delete(plain);

        // The test knows the recovery key: read from the key store before custody removes it.
        DataFolder folderOf = DataFolder.of(data);
        char[] passphrase = Files.readAllLines(folderOf.recoveryPassphrase()).get(0).toCharArray();
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (var in = Files.newInputStream(folderOf.recoveryKeyStore())) {
            store.load(in, passphrase);
        }
        for (String alias : Collections.list(store.aliases())) {
            if (store.getKey(alias, passphrase) instanceof PrivateKey key) {
                RECOVERY_KEYS.add(key);
            }
        }
        assertFalse(RECOVERY_KEYS.isEmpty(), "the recovery key store holds the recovery key");
        // The search below finds the key while it is there: it can fail.
        assertFalse(recoveryKeyTraces(data).isEmpty(), "the search finds the recovery key in the key store");

        DirkmsRun custody = DirkmsRun.of("archive", "custody", "--threshold", "2", "--agents", AGENT_A, AGENT_B,
                AGENT_C, "--data", data.toString(), "--url", url, "--ca-cert", caCertificate().toString());
        assertEquals(0, custody.code(), custody.toString());
        custodyOutput = custody.out();
    }

    @AfterAll
    static void stop() throws Exception {
        if (serve != null) {
            serve.close();
        }
    }

    @Test
    @Order(1)
    void theDataFolderHoldsNoFormOfTheRecoveryKey() throws Exception {
        assertTrue(custodyOutput.contains("split among 3 recovery agents, any 2 of whom rebuild them"), custodyOutput);
        assertTrue(custodyOutput.contains("holds no recovery private key"), custodyOutput);
        assertTrue(custodyOutput.contains("restart 'dirkms serve'"), custodyOutput);
        DataFolder folderOf = DataFolder.of(data);
        assertFalse(Files.exists(folderOf.recoveryKeyStore()), "no recovery key store");
        assertFalse(Files.exists(folderOf.recoveryPassphrase()), "no recovery passphrase");
        String marker = Files.readString(folderOf.recoveryCustody());
        assertTrue(marker.contains("threshold 2 of 3") && marker.contains(AGENT_A) && marker.contains(AGENT_C), marker);
        assertEquals(List.of(), recoveryKeyTraces(data), "the recovery key in any form, anywhere in the data folder");
    }

    @Test
    @Order(2)
    void oneShareDeliversNothingTwoDeliverAPackageThatReadsJanesMail() throws Exception {
        String request = request("custody-two-of-three");
        byte[] key = awaitRequestKey(request);
        RequestKey.parse(key); // a certificate, as openssl needs it
        DirkmsRun a = approve(AGENT_A, request, AGENT_A);
        assertEquals(0, a.code(), a.toString());
        assertTrue(a.out().contains("with your share"), a.out());
        // The agent is shown what they approve: whose keys, and who asked.
        assertTrue(a.out().contains("the keys of " + JDOE + ", asked for by " + ALICE), a.out());
        settle();
        String one = kmsView(request);
        assertTrue(one.contains("kmsRecoveryState: pending"), one);
        assertFalse(one.contains("kmsRecoveryPackage"), "no package with one share: " + one);
        assertFalse(one.contains("kmsLastError"), "a good share is no error: " + one);

        DirkmsRun b = approve(AGENT_B, request, AGENT_B);
        assertEquals(0, b.code(), b.toString());
        awaitState(request, "approved");
        String delivered = kmsView(request);
        assertFalse(delivered.contains("kmsRequestKey") || delivered.contains("kmsRecoveryShare"),
                "the spent request key and shares go with the delivery: " + delivered);
        fetchAndReadJanesMail(request, "two-of-three");
        // Delivered: no share is taken any more.
        DirkmsRun late = approve(AGENT_C, request, AGENT_C);
        assertEquals(1, late.code(), late.toString());
        assertTrue(late.err().contains(request + " is delivered: approvals are given only while it is pending"),
                late.err());
    }

    @Test
    @Order(3)
    void aStolenDataFolderAnLdifExportAndOneAgentsPackageOpenNoArchivedKey() throws Exception {
        // The thief copies the whole data folder and exports what the directory superuser reads.
        Path stolen = folder.resolve("stolen");
        try (Stream<Path> files = Files.walk(data)) {
            for (Path file : files.toList()) {
                Path copy = stolen.resolve(data.relativize(file).toString());
                if (Files.isDirectory(file)) {
                    Files.createDirectories(copy);
                } else if (Files.isRegularFile(file) && Files.isReadable(file)) {
                    Files.copy(file, copy);
                }
            }
        }
        String export = superuser().searchRaw("-LLL", "-o", "ldif-wrap=no", "-b", SUFFIX, "(objectClass=*)", "*", "+")
                .assertSuccess().stdout();
        // The data folder holds the KMS agent's password: the thief binds as the agent too.
        String asAgent = LdapTools.against(url, stolen.resolve(data.relativize(DataFolder.of(data).caCertificate())
                .toString())).asWithPasswordFile(KMS_AGENT, stolen.resolve(data.relativize(DataFolder.of(data)
                .kmsAgentPassword()).toString())).searchRaw("-LLL", "-o", "ldif-wrap=no", "-b", SUFFIX,
                "(objectClass=*)", "*", "kmsWrappedKey", "kmsSealedRecoveryKeys", "kmsSealedShare").assertSuccess()
                .stdout();
        String everything = export + "\n" + asAgent;
        List<byte[]> wrapped = values(everything, "kmsWrappedKey");
        List<byte[]> sealedKeys = values(everything, "kmsSealedRecoveryKeys");
        List<byte[]> sealedShares = new ArrayList<>();
        for (byte[] value : values(everything, "kmsSealedShare")) {
            if (sealedShares.stream().noneMatch(known -> Arrays.equals(known, value))) {
                sealedShares.add(value);
            }
        }
        assertFalse(wrapped.isEmpty(), "the archived keys are in the directory");
        assertEquals(1, new LinkedHashSet<>(sealedKeys.stream().map(HexFormat.of()::formatHex).toList()).size());
        assertEquals(3, sealedShares.size(), "one sealed share per agent");
        // The check can fail: the recovery key read before custody opens the archived keys.
        assertTrue(wrapped.stream().anyMatch(value -> opens(value, RECOVERY_KEYS)), "the recovery key opens them");

        // Every private key the stolen folder holds, and agent A's own.
        List<PrivateKey> keys = new ArrayList<>(privateKeysIn(stolen));
        assertFalse(keys.isEmpty(), "the folder's own key stores open (the CA's, the TLS key): the search works");
        List<PrivateKey> agentA = keysOf(PACKAGES.get(AGENT_A), TOKENS.get(AGENT_A));
        keys.addAll(agentA);
        for (byte[] value : wrapped) {
            assertFalse(opens(value, keys), "no key of the stolen folder or of agent A opens an archived key");
        }
        // Agent A opens their own share, and only it; alone, or as if any one share were enough, it opens nothing.
        List<ShareContent> opened = new ArrayList<>();
        for (byte[] sealed : sealedShares) {
            for (PrivateKey key : keys) {
                try {
                    opened.add(ShareContent.decode(SealedContent.open(sealed, key)));
                } catch (IllegalArgumentException e) {
                    // not this key's share
                }
            }
        }
        assertEquals(1, opened.size(), "agent A's key opens agent A's share alone");
        ShamirShares.Share share = opened.get(0).share();
        for (byte[] candidate : List.of(ShamirShares.combine(List.of(share)), share.value(),
                ShamirShares.combine(List.of(share, new ShamirShares.Share(share.index() % 3 + 1, new byte[32]))))) {
            assertThrows(IllegalArgumentException.class, () -> SealedRecoveryKeys.open(sealedKeys.get(0), candidate),
                    "one share does not open the sealed recovery keys");
        }
    }

    @Test
    @Order(4)
    void forgedMisplacedReplayedAndWronglyKeyedSharesAreRefusedAndChangeNothing() throws Exception {
        String first = request("custody-refusals-1");
        String second = request("custody-refusals-2");
        byte[] firstKey = awaitRequestKey(first);
        awaitRequestKey(second);
        DirkmsRun a = approve(AGENT_A, first, AGENT_A);
        assertEquals(0, a.code(), a.toString());

        // A replayed approval: the command refuses and writes nothing.
        String before = kmsView(first);
        DirkmsRun again = approve(AGENT_A, first, AGENT_A);
        assertEquals(1, again.code(), again.toString());
        assertTrue(again.err().contains("you have approved " + first + " already"), again.err());
        assertEquals(before, kmsView(first), "a refused approval writes nothing");
        // Agent C's key package given by agent B: refused, nothing written.
        DirkmsRun wrong = approve(AGENT_B, first, AGENT_C);
        assertEquals(1, wrong.code(), wrong.toString());
        assertTrue(wrong.err().contains("no key in " + PACKAGES.get(AGENT_C) + " opens your share"), wrong.err());
        assertEquals(before, kmsView(first), "a refused approval writes nothing");

        // Agent C's share, sealed to the request key, one byte flipped on its way, with ldapmodify.
        byte[] tampered = RequestKey.sealTo(RequestKey.parse(firstKey), shareContentOf(AGENT_C),
                new java.security.SecureRandom());
        tampered[tampered.length - 1] ^= 0x01;
        as(AGENT_C).modify(approvalWithShare(first, AGENT_C, tampered)).assertSuccess();
        String refusedC = awaitLastError(first, AGENT_C);
        assertTrue(refusedC.contains("refused"), refusedC);
        // What the recovery agents see where they are.
        DirkmsRun list = DirkmsRun.of("recovery", "list", "--bind-dn", AGENT_B, "--password-file",
                passwordFile.toString(), "--url", url, "--ca-cert", caCertificate().toString());
        assertEquals(0, list.code(), list.toString());
        assertTrue(list.out().contains("custody-refusals-1  pending") && list.out().contains("under custody: 2 share(s)"
                + " given") && list.out().contains("  note: ") && list.out().contains(AGENT_C), list.out());
        String afterC = kmsView(first);
        assertTrue(afterC.contains("kmsRecoveryState: pending") && !afterC.contains("kmsRecoveryPackage"), afterC);
        assertEquals(Set.of(AGENT_A, AGENT_C), Set.copyOf(lines(afterC, "kmsRecoveryApproval")),
                "the KMS left the approvals as the agents wrote them");

        // Agent A's good share on the first request, copied with an approval to the second.
        byte[] copied = values(kmsView(first), "kmsRecoveryShare").stream()
                .filter(value -> !Arrays.equals(value, tampered)).findFirst().orElseThrow();
        as(AGENT_A).modify(approvalWithShare(second, AGENT_A, copied)).assertSuccess();
        String refusedCopy = awaitLastError(second, AGENT_A);
        assertTrue(refusedCopy.contains("not open with this request's key"), refusedCopy);
        String afterCopy = kmsView(second);
        assertTrue(afterCopy.contains("kmsRecoveryState: pending") && !afterCopy.contains("kmsRecoveryPackage"),
                afterCopy);

        // The refusals block nobody: agent B's good share makes two with agent A's.
        DirkmsRun b = approve(AGENT_B, first, AGENT_B);
        assertEquals(0, b.code(), b.toString());
        awaitState(first, "approved");
    }

    @Test
    @Order(5)
    void anAgentApprovesWithOpensslAndLdapmodifyAlone() throws Exception {
        String request = request("custody-openssl");
        awaitRequestKey(request);
        Path work = Files.createDirectories(folder.resolve("agent-a-openssl"));
        // The README's steps, as agent A runs them (with -y for the password, where a person types -W).
        String script = String.join("\n",
                "set -euo pipefail",
                "ME='" + AGENT_A + "'",
                "R='" + request + "'",
                "KRA='" + KEY_RECOVERY_AGENT + "'",
                "L=\"-H " + url + " -ZZ -x -D $ME -y " + passwordFile + "\"",
                "ldapsearch $L -b \"$KRA\" -LLL -o ldif-wrap=no \"(kmsShareHolder=$ME)\" kmsSealedShare \\",
                "    | sed -n 's/^kmsSealedShare:: //p' | base64 -d > share.der",
                "ldapsearch $L -b \"$R\" -s base -LLL -o ldif-wrap=no kmsRequestKey \\",
                "    | sed -n 's/^kmsRequestKey:: //p' | base64 -d > request-key.der",
                "openssl x509 -inform DER -in request-key.der -out request-key.pem",
                "openssl pkcs12 -in " + PACKAGES.get(AGENT_A) + " -passin file:" + TOKENS.get(AGENT_A)
                        + " -nodes -nocerts -out my-keys.pem",
                "openssl cms -decrypt -binary -inform DER -in share.der -inkey my-keys.pem -out share-content.der",
                "openssl cms -encrypt -binary -aes256 -outform DER -in share-content.der -out share-for-request.der"
                        + " request-key.pem",
                "printf 'dn: %s\\nchangetype: modify\\nadd: kmsRecoveryApproval\\nkmsRecoveryApproval: %s\\n-\\n"
                        + "add: kmsRecoveryShare\\nkmsRecoveryShare:< file://%s\\n-\\n' \\",
                "    \"$R\" \"$ME\" \"$PWD/share-for-request.der\" | ldapmodify $L",
                "rm share-content.der my-keys.pem");
        LdapTools.Result run = shell(work, script);
        run.assertSuccess();
        settle();
        String one = kmsView(request);
        assertFalse(one.contains("kmsLastError"), "the KMS takes the share openssl sealed: " + one);
        assertEquals(1, values(one, "kmsRecoveryShare").size(), one);
        DirkmsRun b = approve(AGENT_B, request, AGENT_B);
        assertEquals(0, b.code(), b.toString());
        awaitState(request, "approved");
        fetchAndReadJanesMail(request, "openssl");
    }

    @Test
    @Order(6)
    void aRestartedKmsReKeysAWaitingRequestAndTheAgentsApproveAgain() throws Exception {
        String request = request("custody-restart");
        byte[] before = awaitRequestKey(request);
        DirkmsRun a = approve(AGENT_A, request, AGENT_A);
        assertEquals(0, a.code(), a.toString());
        // The KMS process dies, taking the request key along; it is started again.
        serve.close();
        start();
        await("a new request key on " + request, () -> {
            String now = kmsView(request);
            return now.contains("kmsRequestKey") && !Arrays.equals(before, values(now, "kmsRequestKey").get(0));
        });
        String rekeyed = kmsView(request);
        assertFalse(rekeyed.contains("kmsRecoveryApproval") || rekeyed.contains("kmsRecoveryShare"), rekeyed);
        assertTrue(rekeyed.contains("stopped and took the key along") && rekeyed.contains("approves again"), rekeyed);
        assertTrue(rekeyed.contains("kmsRecoveryState: pending"), rekeyed);
        for (String agent : List.of(AGENT_A, AGENT_B)) {
            DirkmsRun run = approve(agent, request, agent);
            assertEquals(0, run.code(), run.toString());
        }
        awaitState(request, "approved");
        fetchAndReadJanesMail(request, "restart");
    }

    /**
     * After custody the running agent and {@code dirkms enroll} archive new keys to the certificate
     * the directory publishes, and nothing makes a recovery key store again: {@code dirkms enroll}
     * made a new one in the data folder, which took every archive it made out of custody.
     */
    @Test
    @Order(7)
    void enrollmentsAfterCustodyArchiveToThePublishedCertificateAndMakeNoKeyStore() throws Exception {
        String late = "uid=late,ou=People," + SUFFIX;
        String bulk = "uid=bulk,ou=People," + SUFFIX;
        StringBuilder people = new StringBuilder();
        for (String dn : List.of(late, bulk)) {
            String uid = dn.substring(4, dn.indexOf(','));
            people.append("dn: ").append(dn).append("\nobjectClass: inetOrgPerson\nuid: ").append(uid).append("\ncn: ")
                    .append(uid).append("\nsn: ").append(uid).append("\nmail: ").append(uid).append("@example.com\n\n");
        }
        superuser().add(people.toString()).assertSuccess();
        as(ALICE).modify("dn: " + late + "\nchangetype: modify\nadd: objectClass\nobjectClass: kmsUser\n-\n"
                + "add: kmsEnrollmentState\nkmsEnrollmentState: requested\n-\n").assertSuccess();
        await(late + " enrolled", () -> as(ALICE).search(late, "(objectClass=*)", "kmsEnrollmentState").stdout()
                .contains("kmsEnrollmentState: enrolled"));
        dirkms("enroll", "--filter", "(uid=bulk)", "--report", folder.resolve("enroll-report.tsv").toString());

        DataFolder folderOf = DataFolder.of(data);
        assertFalse(Files.exists(folderOf.recoveryKeyStore()), "no recovery key store made after custody");
        assertFalse(Files.exists(folderOf.recoveryPassphrase()), "no recovery passphrase made after custody");
        byte[] published = binary(kmsAgent().search("cn=Key Recovery Agent,ou=KMS," + SUFFIX, "(objectClass=*)",
                "userCertificate;binary").assertSuccess().stdout(), "userCertificate;binary");
        String keyId = "sha256:" + HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                .digest(published));
        for (String dn : List.of(late, bulk)) {
            String records = kmsAgent().search("ou=Key Archive,ou=KMS," + SUFFIX, "(kmsKeyOwner=" + dn + ")",
                    "kmsWrappingKeyId").assertSuccess().stdout();
            List<String> wrappedTo = lines(records, "kmsWrappingKeyId");
            assertFalse(wrappedTo.isEmpty(), "an archive record of " + dn + "\n" + records);
            assertEquals(Set.of(keyId), Set.copyOf(wrappedTo), dn + " archived to the published recovery certificate");
        }
    }

    // ------------------------------------------------------------------ the people and the server

    private static void start() throws Exception {
        serve = ServeProcess.start(folder, "--data", data.toString(), "--ldap-port", "0", "--ldaps-port", "0",
                "--no-http", "--lease-seconds", Integer.toString(LEASE_SECONDS), "--sweep-seconds",
                Integer.toString(SWEEP_SECONDS));
        Matcher found = URL.matcher(serve.awaitBanner());
        assertTrue(found.find());
        url = found.group(1);
    }

    private static Path caCertificate() {
        return DataFolder.of(data).caCertificate();
    }

    private static LdapTools superuser() {
        return LdapTools.against(url, caCertificate()).asWithPasswordFile("uid=admin,ou=system",
                DataFolder.of(data).adminPassword());
    }

    private static LdapTools kmsAgent() {
        return LdapTools.against(url, caCertificate()).asWithPasswordFile(KMS_AGENT, DataFolder.of(data)
                .kmsAgentPassword());
    }

    private static LdapTools as(String dn) {
        return LdapTools.against(url, caCertificate()).as(dn, PASSWORD);
    }

    /** {@code dirkms ARGUMENTS --data DIR}, run where the KMS runs; fails the test unless it succeeds. */
    private static void dirkms(String... arguments) {
        List<String> all = new ArrayList<>(List.of(arguments));
        all.addAll(List.of("--data", data.toString(), "--url", url, "--ca-cert", caCertificate().toString()));
        DirkmsRun run = DirkmsRun.of(all);
        assertEquals(0, run.code(), run.toString());
    }

    /** The agent's key package, fetched as a person does: bound as themselves, the token from a KMS administrator. */
    private static void fetchKeyPackage(String agent) throws IOException {
        String uid = agent.substring(4, agent.indexOf(','));
        Path p12 = folder.resolve(uid + ".p12");
        Files.write(p12, binary(as(agent).search(agent, "(objectClass=*)", "kmsKeyPackage").assertSuccess().stdout(),
                "kmsKeyPackage"));
        Path token = folder.resolve(uid + ".token");
        Files.write(token, binary(as(ALICE).search(agent, "(objectClass=*)", "kmsEnrollmentToken").assertSuccess()
                .stdout(), "kmsEnrollmentToken"));
        as(agent).modify("dn: " + agent + "\nchangetype: modify\ndelete: kmsKeyPackage\n-\n").assertSuccess();
        PACKAGES.put(agent, p12);
        TOKENS.put(agent, token);
    }

    /** Alice asks for the recovery of Jane's keys, as the README's sample does. */
    private static String request(String name) {
        String dn = "cn=" + name + "," + REQUESTS;
        as(ALICE).modify("dn: " + dn + "\nchangetype: add\nobjectClass: top\nobjectClass: kmsRecoveryRequest\ncn: "
                + name + "\nkmsRecoveryTarget: " + JDOE + "\ndescription: Jane Doe lost her laptop\n").assertSuccess();
        return dn;
    }

    /** {@code dirkms recovery approve} bound as {@code agent}, with {@code packageOf}'s key package, from a person's machine. */
    private static DirkmsRun approve(String agent, String request, String packageOf) {
        return DirkmsRun.of("recovery", "approve", request, "--bind-dn", agent, "--password-file",
                passwordFile.toString(), "--key-package", PACKAGES.get(packageOf).toString(),
                "--key-package-password-file", TOKENS.get(packageOf).toString(), "--url", url, "--ca-cert",
                caCertificate().toString());
    }

    /** Alice fetches the package; openssl opens it with the token and reads Jane's message with its key. */
    private static void fetchAndReadJanesMail(String request, String name) throws IOException {
        Path p12 = folder.resolve("recovered-" + name + ".p12");
        DirkmsRun fetch = DirkmsRun.of("recovery", "fetch", request, "--out", p12.toString(), "--bind-dn", ALICE,
                "--password-file", passwordFile.toString(), "--url", url, "--ca-cert", caCertificate().toString());
        assertEquals(0, fetch.code(), fetch.toString());
        Path keys = folder.resolve("recovered-" + name + ".pem");
        openssl("pkcs12", "-in", p12.toString(), "-passin", "file:" + p12 + ".token", "-nodes", "-out", keys.toString())
                .assertSuccess();
        Path read = folder.resolve("read-" + name + ".txt");
        openssl("cms", "-decrypt", "-binary", "-in", message.toString(), "-inkey", keys.toString(), "-out",
                read.toString()).assertSuccess();
        assertEquals(TEXT, Files.readString(read));
    }

    /** The share agent {@code agent} holds, opened with their key package (what they would re-seal). */
    private static byte[] shareContentOf(String agent) throws Exception {
        byte[] sealed = values(kmsAgent().search(KEY_RECOVERY_AGENT, "(kmsShareHolder=" + agent + ")", "kmsSealedShare")
                .assertSuccess().stdout(), "kmsSealedShare").get(0);
        for (PrivateKey key : keysOf(PACKAGES.get(agent), TOKENS.get(agent))) {
            try {
                return SealedContent.open(sealed, key);
            } catch (IllegalArgumentException e) {
                // the signing key
            }
        }
        throw new AssertionError("no key of " + agent + " opens their share");
    }

    private static String approvalWithShare(String request, String agent, byte[] share) {
        return "dn: " + request + "\nchangetype: modify\nadd: kmsRecoveryApproval\nkmsRecoveryApproval: " + agent
                + "\n-\nadd: kmsRecoveryShare\nkmsRecoveryShare:: " + Base64.getEncoder().encodeToString(share)
                + "\n-\n";
    }

    // ------------------------------------------------------------------ what the KMS did

    /** The request as the KMS agent reads it: state, approvals, shares, key, error, whether a package is there. */
    private static String kmsView(String request) {
        return kmsAgent().search(request, "(objectClass=*)", "kmsRecoveryState", "kmsRecoveryApproval",
                "kmsRecoveryShare", "kmsRequestKey", "kmsLastError", "kmsRecoveryPackage").assertSuccess().stdout();
    }

    private static byte[] awaitRequestKey(String request) {
        await("a request key on " + request, () -> kmsView(request).contains("kmsRequestKey"));
        // The recovery agents read it, to seal their shares to it.
        return binary(as(AGENT_B).search(request, "(objectClass=*)", "kmsRequestKey").assertSuccess().stdout(),
                "kmsRequestKey");
    }

    private static String awaitLastError(String request, String naming) {
        await("kmsLastError naming " + naming + " on " + request, () -> kmsView(request).contains(naming)
                && lines(kmsView(request), "kmsLastError").stream().anyMatch(line -> line.contains(naming)));
        return String.join("\n", lines(kmsView(request), "kmsLastError"));
    }

    private static void awaitState(String request, String state) {
        await(request + " " + state, () -> {
            String now = kmsView(request);
            assertFalse(now.contains("kmsRecoveryState: failed"), now);
            return now.contains("kmsRecoveryState: " + state);
        });
    }

    /** Lets the KMS look at what was just written: the notification, or at worst two sweeps. */
    private static void settle() throws InterruptedException {
        Thread.sleep(2_500L * SWEEP_SECONDS);
    }

    private static void await(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "waited 90 s for " + what);
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }

    // ------------------------------------------------------------------ looking for the recovery key

    /**
     * Where the recovery key shows in {@code root}: its PKCS#8 DER, its private scalar or exponents
     * (raw, hex, base64 at every alignment, PEM), or a key store that opens with any passphrase
     * found in the folder and holds it. Empty when there is none.
     */
    private static List<String> recoveryKeyTraces(Path root) throws Exception {
        Map<String, byte[]> forms = new LinkedHashMap<>();
        for (PrivateKey key : RECOVERY_KEYS) {
            forms.put("PKCS#8", key.getEncoded());
            if (key instanceof ECPrivateKey ec) {
                forms.put("EC private scalar", unsigned(ec.getS()));
            } else if (key instanceof RSAPrivateCrtKey rsa) {
                forms.put("RSA private exponent", unsigned(rsa.getPrivateExponent()));
                forms.put("RSA prime p", unsigned(rsa.getPrimeP()));
                forms.put("RSA prime q", unsigned(rsa.getPrimeQ()));
                forms.put("RSA exponent dP", unsigned(rsa.getPrimeExponentP()));
                forms.put("RSA exponent dQ", unsigned(rsa.getPrimeExponentQ()));
            }
        }
        List<String> traces = new ArrayList<>();
        Set<String> candidates = passphrases(root);
        for (Path file : files(root)) {
            byte[] bytes = Files.readAllBytes(file);
            String text = new String(bytes, StandardCharsets.ISO_8859_1);
            String compact = text.replaceAll("\\s", "");
            String lower = text.toLowerCase(Locale.ROOT);
            for (Map.Entry<String, byte[]> form : forms.entrySet()) {
                byte[] value = form.getValue();
                if (indexOf(bytes, value) >= 0) {
                    traces.add(form.getKey() + " raw in " + file);
                }
                if (lower.contains(HexFormat.of().formatHex(value))) {
                    traces.add(form.getKey() + " hex in " + file);
                }
                for (int shift = 0; shift < 3; shift++) {
                    String encoded = Base64.getEncoder().encodeToString(Arrays.copyOfRange(value, shift, value.length));
                    String core = encoded.substring(0, encoded.length() - 4);
                    if (compact.contains(core) || compact.contains(core.replace('+', '-').replace('/', '_'))) {
                        traces.add(form.getKey() + " base64/PEM in " + file);
                    }
                }
            }
            for (PrivateKey found : privateKeysInFile(file, candidates)) {
                for (PrivateKey key : RECOVERY_KEYS) {
                    if (Arrays.equals(found.getEncoded(), key.getEncoded())) {
                        traces.add("a key store or PEM file holding the recovery key: " + file);
                    }
                }
            }
        }
        return traces;
    }

    private static List<Path> files(Path root) throws IOException {
        try (Stream<Path> walk = Files.walk(root)) {
            return walk.filter(Files::isRegularFile).filter(Files::isReadable).sorted().toList();
        }
    }

    /**
     * Whatever could open a key store: the first line (and the whole text) of every passphrase or
     * password file in {@code root} ({@code *.pass}, {@code *.password}, {@code *passphrase*}), and
     * the empty passphrase.
     */
    private static Set<String> passphrases(Path root) throws IOException {
        Set<String> candidates = new LinkedHashSet<>(List.of(""));
        for (Path file : files(root)) {
            String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
            if (name.contains("pass") && Files.size(file) < 4096) {
                String text = new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
                text.lines().findFirst().ifPresent(line -> candidates.add(line.strip()));
                candidates.add(text);
            }
        }
        return candidates;
    }

    /** Every private key in {@code root}: key stores opened with any passphrase found there, PEM keys. */
    private static List<PrivateKey> privateKeysIn(Path root) throws Exception {
        List<PrivateKey> keys = new ArrayList<>();
        Set<String> passphrases = passphrases(root);
        for (Path file : files(root)) {
            keys.addAll(privateKeysInFile(file, passphrases));
        }
        return keys;
    }

    private static List<PrivateKey> privateKeysInFile(Path file, Set<String> passphrases) throws IOException {
        List<PrivateKey> keys = new ArrayList<>();
        byte[] bytes = Files.readAllBytes(file);
        if (bytes.length > 1 << 20) {
            return keys;
        }
        boolean pkcs12;
        try {
            new org.bouncycastle.pkcs.PKCS12PfxPdu(bytes);
            pkcs12 = true;
        } catch (Exception e) {
            pkcs12 = false; // not a PKCS#12 PFX (RFC 7292): no passphrase opens it
        }
        for (String passphrase : pkcs12 ? passphrases : Set.<String>of()) {
            try {
                KeyStore store = KeyStore.getInstance("PKCS12");
                store.load(new ByteArrayInputStream(bytes), passphrase.toCharArray());
                for (String alias : Collections.list(store.aliases())) {
                    Key key = store.getKey(alias, passphrase.toCharArray());
                    if (key instanceof PrivateKey privateKey) {
                        keys.add(privateKey);
                    }
                }
                break;
            } catch (Exception e) {
                // not a PKCS#12, or not this passphrase
            }
        }
        String text = new String(bytes, StandardCharsets.ISO_8859_1);
        if (text.contains("PRIVATE KEY-----")) {
            try (PEMParser parser = new PEMParser(new StringReader(text))) {
                JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
                for (Object object = parser.readObject(); object != null; object = parser.readObject()) {
                    if (object instanceof PrivateKeyInfo info) {
                        keys.add(converter.getPrivateKey(info));
                    } else if (object instanceof PEMKeyPair pair) {
                        keys.add(converter.getKeyPair(pair).getPrivate());
                    }
                }
            }
        }
        return keys;
    }

    private static List<PrivateKey> keysOf(Path p12, Path token) throws Exception {
        char[] password = Files.readAllLines(token).get(0).toCharArray();
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (var in = Files.newInputStream(p12)) {
            store.load(in, password);
        }
        List<PrivateKey> keys = new ArrayList<>();
        for (String alias : Collections.list(store.aliases())) {
            if (store.getKey(alias, password) instanceof PrivateKey key) {
                keys.add(key);
            }
        }
        return keys;
    }

    private static boolean opens(byte[] enveloped, List<PrivateKey> keys) {
        for (PrivateKey key : keys) {
            try {
                SealedContent.open(enveloped, key);
                return true;
            } catch (IllegalArgumentException e) {
                // not this key
            }
        }
        return false;
    }

    private static byte[] unsigned(BigInteger value) {
        byte[] bytes = value.toByteArray();
        return bytes[0] == 0 && bytes.length > 1 ? Arrays.copyOfRange(bytes, 1, bytes.length) : bytes;
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i <= haystack.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    // ------------------------------------------------------------------ LDIF and tools

    /** The first value of {@code attribute} in ldapsearch output (base64 or text). */
    private static byte[] binary(String ldif, String attribute) {
        List<byte[]> all = values(ldif, attribute);
        if (all.isEmpty()) {
            throw new AssertionError("no " + attribute + " in\n" + ldif);
        }
        return all.get(0);
    }

    private static List<byte[]> values(String ldif, String attribute) {
        List<byte[]> values = new ArrayList<>();
        for (String line : ldif.split("\n")) {
            if (line.regionMatches(true, 0, attribute + ":: ", 0, attribute.length() + 3)) {
                values.add(Base64.getDecoder().decode(line.substring(attribute.length() + 3).trim()));
            } else if (line.regionMatches(true, 0, attribute + ": ", 0, attribute.length() + 2)) {
                values.add(line.substring(attribute.length() + 2).getBytes(StandardCharsets.UTF_8));
            }
        }
        return values;
    }

    private static List<String> lines(String ldif, String attribute) {
        return ldif.lines().filter(line -> line.startsWith(attribute + ": "))
                .map(line -> line.substring(attribute.length() + 2)).toList();
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(der) + "\n-----END " + type + "-----\n";
    }

    private static LdapTools.Result openssl(String... arguments) {
        List<String> command = new ArrayList<>(List.of("openssl"));
        command.addAll(List.of(arguments));
        return LdapTools.run(command, Map.of(), null);
    }

    /** Runs {@code script} with bash in {@code work}, the OpenLDAP clients trusting the server's CA. */
    private static LdapTools.Result shell(Path work, String script) {
        return LdapTools.run(List.of("bash", "-c", "cd '" + work + "'\n" + script),
                Map.of("LDAPTLS_CACERT", caCertificate().toString(), "LDAPTLS_REQCERT", "demand", "LDAPCONF",
                        "/dev/null", "LDAPRC", "dirkms-it-no-ldaprc"), null);
    }
}
