package org.dirkms.agent.custody;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.dirkms.agent.ca.StandardTemplates;
import org.dirkms.agent.directory.CustodyRecords.CustodyEntry;
import org.dirkms.agent.directory.CustodyRecords.ShareEntry;
import org.dirkms.agent.keys.KeyPairFactory;
import org.dirkms.agent.keys.RecoveryKey;
import org.dirkms.agent.keys.TestPki;
import org.dirkms.schema.KeyAlgorithm;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The cryptography of threshold custody: Shamir shares against values computed by hand in GF(2^8),
 * the sealed keys, the shares sealed to agents and given back, and the judge of what comes back.
 */
class CustodyCryptographyTest {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static TestPki pki;
    private static List<RecoveryKey> keys;
    private static List<TestPki.Credential> agents;
    private static final List<String> AGENT_DNS = List.of("uid=bob,ou=People,dc=example,dc=com",
            "uid=carol,ou=People,dc=example,dc=com", "uid=dave,ou=People,dc=example,dc=com");

    @BeforeAll
    static void setUp() {
        pki = TestPki.create();
        TestPki.Credential newer = pki.issue(StandardTemplates.SMIME_ENCRYPTION, KeyAlgorithm.EC_P256);
        TestPki.Credential older = pki.issue(StandardTemplates.SMIME_ENCRYPTION, KeyAlgorithm.RSA_2048);
        keys = List.of(new RecoveryKey(newer.certificate(), newer.keys().getPrivate()),
                new RecoveryKey(older.certificate(), older.keys().getPrivate()));
        agents = new ArrayList<>();
        agents.add(pki.issue(StandardTemplates.SMIME_ENCRYPTION, KeyAlgorithm.EC_P256));
        agents.add(pki.issue(StandardTemplates.SMIME_ENCRYPTION, KeyAlgorithm.RSA_2048));
        agents.add(pki.issue(StandardTemplates.SMIME_ENCRYPTION, KeyAlgorithm.EC_P256));
    }

    /** Multiplication in GF(2^8) modulo x^8 + x^4 + x^3 + x + 1, written out here to check the library by. */
    private static int multiply(int a, int b) {
        int product = 0;
        for (int i = 0; i < 8; i++) {
            if ((b & 1) != 0) {
                product ^= a;
            }
            boolean carry = (a & 0x80) != 0;
            a = (a << 1) & 0xff;
            if (carry) {
                a ^= 0x1b;
            }
            b >>= 1;
        }
        return product;
    }

    @Test
    void sharesComputedByHandCombineToTheirSecret() {
        // f(x) = 0x53 + 0xCA x: f(1) = 0x99, f(2) = 0x53 ^ (0xCA * 2) = 0x53 ^ 0x8F = 0xDC (FIPS 197 section 4.2.1).
        assertEquals(0x8f, multiply(0xca, 2));
        byte[] secret = ShamirShares.combine(List.of(new ShamirShares.Share(1, new byte[] {(byte) 0x99}),
                new ShamirShares.Share(2, new byte[] {(byte) 0xdc})));
        assertArrayEquals(new byte[] {0x53}, secret);
        // f(x) = s + a x + b x^2 with s = 0xA7, a = 0x3C, b = 0x91, at x = 2, 4, 5.
        int s = 0xa7;
        int a = 0x3c;
        int b = 0x91;
        List<ShamirShares.Share> shares = new ArrayList<>();
        for (int x : new int[] {2, 4, 5}) {
            int y = s ^ multiply(a, x) ^ multiply(b, multiply(x, x));
            shares.add(new ShamirShares.Share(x, new byte[] {(byte) y, (byte) y}));
        }
        assertArrayEquals(new byte[] {(byte) 0xa7, (byte) 0xa7}, ShamirShares.combine(shares));
    }

    @Test
    void anyThresholdOfSharesRebuildsTheSecretAndFewerDoNot() {
        byte[] secret = SealedRecoveryKeys.newSecret(RANDOM);
        List<ShamirShares.Share> shares = ShamirShares.split(secret, 3, 5, RANDOM);
        assertEquals(5, shares.size());
        for (int i = 0; i < 5; i++) {
            for (int j = i + 1; j < 5; j++) {
                for (int k = j + 1; k < 5; k++) {
                    assertArrayEquals(secret, ShamirShares.combine(List.of(shares.get(k), shares.get(i), shares.get(j))));
                }
                assertFalse(Arrays.equals(secret, ShamirShares.combine(List.of(shares.get(i), shares.get(j)))));
            }
        }
        assertThrows(IllegalArgumentException.class, () -> ShamirShares.split(secret, 4, 3, RANDOM));
        assertThrows(IllegalArgumentException.class, () -> ShamirShares.combine(List.of(shares.get(0), shares.get(0))));
    }

    @Test
    void sealedKeysOpenWithTheirSecretOnly() {
        byte[] secret = SealedRecoveryKeys.newSecret(RANDOM);
        byte[] sealed = SealedRecoveryKeys.seal(keys, secret, "0123abcd", RANDOM);
        List<RecoveryKey> opened = SealedRecoveryKeys.open(sealed, secret);
        assertTrue(Custody.sameKeys(keys, opened));
        byte[] other = SealedRecoveryKeys.newSecret(RANDOM);
        IllegalArgumentException wrong = assertThrows(IllegalArgumentException.class,
                () -> SealedRecoveryKeys.open(sealed, other));
        assertFalse(wrong.getMessage().contains(java.util.HexFormat.of().formatHex(other)));
    }

    @Test
    void aCustodyIsRebuiltFromTheThresholdOfSharesGivenBackOnARequest() {
        CustodyEntry custody = published(Custody.split(keys, holders(), 2, RANDOM));
        assertEquals(3, custody.shares().size());
        try (RequestKey request = RequestKey.generate("test", Duration.ofDays(1), Instant.now(), RANDOM)) {
            List<byte[]> given = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                given.add(RequestKey.sealTo(request.certificate(), openAgentShare(custody, i), RANDOM));
            }
            ShareJudge.Verdict one = ShareJudge.judge(custody, request, given.subList(0, 1), AGENT_DNS);
            assertEquals(1, one.good().size());
            assertThrows(IllegalArgumentException.class, () -> Custody.rebuild(custody, one.good()));
            ShareJudge.Verdict two = ShareJudge.judge(custody, request, given, AGENT_DNS);
            assertEquals(List.of(), two.refusals());
            try (Custody.Rebuilt rebuilt = Custody.rebuild(custody, two.good())) {
                assertTrue(Custody.sameKeys(keys, rebuilt.keys()));
            }
        }
    }

    @Test
    void theJudgeRefusesForgedForeignAndUnapprovedSharesNamingTheAgent() {
        CustodyEntry custody = published(Custody.split(keys, holders(), 2, RANDOM));
        try (RequestKey request = RequestKey.generate("test", Duration.ofDays(1), Instant.now(), RANDOM);
                RequestKey other = RequestKey.generate("other", Duration.ofDays(1), Instant.now(), RANDOM)) {
            byte[] bobs = openAgentShare(custody, 0);
            // Forged: Bob's name and index, another value.
            ShareContent real = ShareContent.decode(bobs);
            byte[] value = real.share().value();
            value[0] ^= 1;
            byte[] forged = new ShareContent(real.custodyId(), real.holder(), new ShamirShares.Share(real.share().index(),
                    value)).encoded();
            ShareJudge.Verdict verdict = ShareJudge.judge(custody, request,
                    List.of(RequestKey.sealTo(request.certificate(), forged, RANDOM)), AGENT_DNS);
            assertEquals(0, verdict.good().size());
            assertTrue(verdict.refusalText().contains(AGENT_DNS.get(0)), verdict.refusalText());
            assertTrue(verdict.refusalText().contains("forged or tampered"), verdict.refusalText());
            // Sealed to another request: does not open; the approver without a good share is named.
            verdict = ShareJudge.judge(custody, request, List.of(RequestKey.sealTo(other.certificate(), bobs, RANDOM)),
                    List.of(AGENT_DNS.get(0)));
            assertTrue(verdict.refusalText().contains("does not open") && verdict.refusalText().contains(AGENT_DNS.get(0)),
                    verdict.refusalText());
            // Not among the approvals counted.
            verdict = ShareJudge.judge(custody, request, List.of(RequestKey.sealTo(request.certificate(), bobs, RANDOM)),
                    List.of(AGENT_DNS.get(1)));
            assertEquals(0, verdict.good().size());
            assertTrue(verdict.refusalText().contains("no approval of theirs"), verdict.refusalText());
            // Of an earlier custody.
            CustodyEntry next = published(Custody.split(keys, holders(), 2, RANDOM));
            verdict = ShareJudge.judge(next, request, List.of(RequestKey.sealTo(request.certificate(), bobs, RANDOM)),
                    AGENT_DNS);
            assertTrue(verdict.refusalText().contains("not the current custody " + next.id()), verdict.refusalText());
            // The same share twice counts once.
            byte[] sealed = RequestKey.sealTo(request.certificate(), bobs, RANDOM);
            assertEquals(1, ShareJudge.judge(custody, request, List.of(sealed, sealed), AGENT_DNS).good().size());
        }
    }

    @Test
    void aShareOpensOnlyWithItsAgentsKey() {
        CustodyEntry custody = published(Custody.split(keys, holders(), 2, RANDOM));
        assertThrows(IllegalArgumentException.class, () -> SealedContent.open(custody.shares().get(0).sealedShare(),
                agents.get(1).keys().getPrivate()));
        assertThrows(IllegalArgumentException.class, () -> SealedContent.open(custody.shares().get(1).sealedShare(),
                agents.get(0).keys().getPrivate()));
        assertTrue(ShareContent.decode(openAgentShare(custody, 1)).toString().contains(AGENT_DNS.get(1)));
        assertFalse(ShareContent.decode(openAgentShare(custody, 1)).toString().contains("share="));
    }

    @Test
    void theRequestKeyIsASelfSignedKeyAgreementCertificate() {
        try (RequestKey request = RequestKey.generate("test", Duration.ofDays(1), Instant.now(), RANDOM)) {
            assertTrue(request.certificate().getKeyUsage()[4]);
            assertEquals(request.certificate().getSubjectX500Principal(), request.certificate().getIssuerX500Principal());
            assertTrue(KeyPairFactory.matches(TestPki.KEYS.generate(KeyAlgorithm.EC_P256).getPrivate(),
                    request.certificate().getPublicKey()) == false);
            assertArrayEquals(request.certificateDer(), RequestKey.parse(request.certificateDer()).getEncoded());
        } catch (java.security.cert.CertificateEncodingException e) {
            throw new AssertionError(e);
        }
    }

    private static List<Custody.Holder> holders() {
        List<Custody.Holder> holders = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            holders.add(new Custody.Holder(AGENT_DNS.get(i), agents.get(i).certificate()));
        }
        return holders;
    }

    /** The custody as the directory gives it back: each share entry with a DN. */
    private static CustodyEntry published(CustodyEntry made) {
        List<ShareEntry> shares = new ArrayList<>();
        for (ShareEntry share : made.shares()) {
            shares.add(new ShareEntry("cn=" + made.id() + " " + share.index() + "," + TestPki.RECOVERY_DN, share.custodyId(),
                    share.holder(), share.index(), share.digest(), share.sealedShare()));
        }
        return new CustodyEntry(made.id(), made.threshold(), made.sealedKeys(), shares);
    }

    /** What agent {@code i} does on their machine: open their share with their key. */
    private static byte[] openAgentShare(CustodyEntry custody, int i) {
        return SealedContent.open(custody.shares().get(i).sealedShare(), agents.get(i).keys().getPrivate());
    }
}
