package org.dirkms.agent.custody;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.dirkms.agent.ca.StandardTemplates;
import org.dirkms.agent.directory.CustodyRecords;
import org.dirkms.agent.keys.RecoveryKey;
import org.dirkms.agent.keys.TestPki;
import org.dirkms.schema.KeyAlgorithm;
import org.junit.jupiter.api.Test;

/**
 * {@link CustodySession}: a refused share is written to the session's {@code kmsLastError} once,
 * not at every look (each write is an audit line), the keys are rebuilt once the threshold of good
 * shares has come, and closing deletes the session.
 */
class CustodySessionTest {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final List<String> AGENT_DNS = List.of("uid=bob,ou=People,dc=example,dc=com",
            "uid=carol,ou=People,dc=example,dc=com", "uid=dave,ou=People,dc=example,dc=com");

    @Test
    void aRefusalIsNotedOnceAndTheThresholdRebuildsTheKeys() {
        TestPki pki = TestPki.create();
        TestPki.Credential recovery = pki.issue(StandardTemplates.SMIME_ENCRYPTION, KeyAlgorithm.EC_P256);
        List<RecoveryKey> keys = List.of(new RecoveryKey(recovery.certificate(), recovery.keys().getPrivate()));
        List<TestPki.Credential> agents = new ArrayList<>();
        List<Custody.Holder> holders = new ArrayList<>();
        for (String dn : AGENT_DNS) {
            TestPki.Credential agent = pki.issue(StandardTemplates.SMIME_ENCRYPTION, KeyAlgorithm.EC_P256);
            agents.add(agent);
            holders.add(new Custody.Holder(dn, agent.certificate()));
        }
        CustodyRecords.CustodyEntry earlier = Custody.split(keys, holders, 2, RANDOM);
        CustodyRecords.CustodyEntry current = Custody.split(keys, holders, 2, RANDOM);
        OneSession records = new OneSession(current);
        try (CustodySession session = CustodySession.open(records, "a test", Clock.systemUTC(), RANDOM)) {
            java.security.cert.X509Certificate requestKey = RequestKey.parse(records.requestKey);
            // Bob gives his share of the earlier custody: refused, and said so once however often the command looks.
            records.approvals.add(AGENT_DNS.get(0));
            records.shares.add(RequestKey.sealTo(requestKey, SealedContent.open(earlier.shares().get(0).sealedShare(),
                    agents.get(0).keys().getPrivate()), RANDOM));
            for (int look = 0; look < 3; look++) {
                assertTrue(session.poll(progress -> { }).isEmpty());
            }
            assertEquals(1, records.notes.size(), "noted once: " + records.notes);
            assertTrue(records.notes.get(0).contains(AGENT_DNS.get(0)), records.notes.get(0));
            // Carol and Dave give their current shares: the threshold is reached.
            for (int i = 1; i < 3; i++) {
                records.approvals.add(AGENT_DNS.get(i));
                records.shares.add(RequestKey.sealTo(requestKey, SealedContent.open(current.shares().get(i)
                        .sealedShare(), agents.get(i).keys().getPrivate()), RANDOM));
            }
            try (Custody.Rebuilt rebuilt = session.poll(progress -> { }).orElseThrow()) {
                assertEquals(current.id(), rebuilt.custodyId());
                assertTrue(Custody.sameKeys(keys, rebuilt.keys()));
            }
        }
        assertEquals(1, records.closed);
    }

    /** The custody records of one session, in memory. */
    private static final class OneSession implements CustodyRecords {
        private final CustodyEntry custody;
        final List<String> approvals = new ArrayList<>();
        final List<byte[]> shares = new ArrayList<>();
        final List<String> notes = new ArrayList<>();
        byte[] requestKey;
        int closed;

        OneSession(CustodyEntry custody) {
            this.custody = custody;
        }

        @Override
        public Optional<CustodyEntry> custody() {
            return Optional.of(custody);
        }

        @Override
        public String openSession(String name, byte[] key, int threshold, String description) {
            requestKey = key;
            return "cn=" + name + ",ou=Recovery Requests,ou=KMS,dc=example,dc=com";
        }

        @Override
        public Optional<SessionEntry> readSession(String dn) {
            return closed > 0 ? Optional.empty() : Optional.of(new SessionEntry(dn, requestKey, approvals, shares,
                    "a test"));
        }

        @Override
        public List<String> recoveryAgents() {
            return AGENT_DNS;
        }

        @Override
        public void noteSession(String dn, String text) {
            notes.add(text);
        }

        @Override
        public void closeSession(String dn) {
            closed++;
        }

        @Override
        public List<SessionEntry> sessions() {
            throw new UnsupportedOperationException();
        }

        @Override
        public Optional<ApprovalTarget> readApprovalTarget(String dn) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void approve(String dn, String approver, byte[] sealedShare) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Optional<ShareEntry> shareOf(String holderDn) {
            throw new UnsupportedOperationException();
        }

        @Override
        public boolean install(CustodyEntry made, CustodyEntry replaced) {
            throw new UnsupportedOperationException();
        }

        @Override
        public boolean reseal(String custodyId, byte[] before, byte[] after) {
            throw new UnsupportedOperationException();
        }

        @Override
        public List<byte[]> certificatesOf(String personDn) {
            throw new UnsupportedOperationException();
        }
    }
}
