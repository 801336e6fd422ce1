package org.dirkms.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.dirkms.agent.directory.CustodyRecords;
import org.junit.jupiter.api.Test;

/**
 * {@link CustodySessions}: a session names the process that opened it, and the next command on
 * the same host removes the sessions of processes that no longer run, and only those.
 */
class CustodySessionsTest {

    @Test
    void theOpenerOfThisProcessIsAliveAndReadBack() {
        String description = "dirkms archive check: unwrap every archived key " + CustodySessions.opener();
        CustodySessions.Opener opener = CustodySessions.openerOf(description).orElseThrow();
        assertEquals(ProcessHandle.current().pid(), opener.pid());
        assertTrue(opener.alive());
        assertTrue(CustodySessions.openerOf("a session of an earlier version, no opener").isEmpty());
    }

    @Test
    void aProcessThatEndedOrAReusedIdIsNotTheOpener() throws Exception {
        Process ended = new ProcessBuilder("true").start();
        assertTrue(ended.waitFor(30, TimeUnit.SECONDS));
        assertFalse(new CustodySessions.Opener(ended.pid(), "h", "2026-01-01T00:00:00Z").alive());
        // This process's id with another start instant: the id was reused, the opener is gone.
        assertFalse(new CustodySessions.Opener(ProcessHandle.current().pid(), "h", "2001-01-01T00:00:00Z").alive());
    }

    @Test
    void removesTheSessionsOfDeadProcessesOfThisHostOnly() throws Exception {
        Process ended = new ProcessBuilder("true").start();
        assertTrue(ended.waitFor(30, TimeUnit.SECONDS));
        String here = CustodySessions.openerOf(CustodySessions.opener()).orElseThrow().host();
        String alive = CustodySessions.opener();
        String dead = "[dirkms process " + ended.pid() + " on " + here + ", started 2026-01-01T00:00:00Z]";
        String elsewhere = "[dirkms process " + ended.pid() + " on another-host.example, started 2026-01-01T00:00:00Z]";
        Sessions records = new Sessions(List.of(
                session("cn=alive", "check " + alive),
                session("cn=dead", "rewrap " + dead),
                session("cn=elsewhere", "rekey " + elsewhere),
                session("cn=unnamed", "a session without an opener")));
        StringWriter text = new StringWriter();
        CustodySessions.removeStale(records, new PrintWriter(text));
        assertEquals(List.of("cn=dead"), records.closed);
        String printed = text.toString();
        assertTrue(printed.contains("removed the custody session cn=dead: the dirkms process " + ended.pid()
                + " that opened it is no longer running"), printed);
        assertTrue(printed.contains("another custody session is open: cn=elsewhere (dirkms process " + ended.pid()
                + " on another-host.example); if that command no longer runs, delete it as the KMS agent: ldapdelete"
                + " 'cn=elsewhere'"), printed);
        assertTrue(printed.contains("another custody session is open: cn=alive"), printed);
        assertTrue(printed.contains("another custody session is open: cn=unnamed; "), printed);
    }

    private static CustodyRecords.SessionEntry session(String dn, String description) {
        return new CustodyRecords.SessionEntry(dn, new byte[] {1}, List.of(), List.of(), description);
    }

    /** Sessions as listed; what is closed is noted. Nothing else is used. */
    private static final class Sessions implements CustodyRecords {
        private final List<SessionEntry> sessions;
        final List<String> closed = new ArrayList<>();

        Sessions(List<SessionEntry> sessions) {
            this.sessions = sessions;
        }

        @Override
        public List<SessionEntry> sessions() {
            return sessions;
        }

        @Override
        public void closeSession(String dn) {
            closed.add(dn);
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
        public Optional<CustodyEntry> custody() {
            throw new UnsupportedOperationException();
        }

        @Override
        public boolean install(CustodyEntry custody, CustodyEntry replaced) {
            throw new UnsupportedOperationException();
        }

        @Override
        public boolean reseal(String custodyId, byte[] before, byte[] after) {
            throw new UnsupportedOperationException();
        }

        @Override
        public List<String> recoveryAgents() {
            throw new UnsupportedOperationException();
        }

        @Override
        public List<byte[]> certificatesOf(String personDn) {
            throw new UnsupportedOperationException();
        }

        @Override
        public String openSession(String name, byte[] requestKey, int threshold, String description) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Optional<SessionEntry> readSession(String dn) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void noteSession(String dn, String text) {
            throw new UnsupportedOperationException();
        }
    }
}
