package org.dirkms.agent.custody;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import org.dirkms.agent.directory.CustodyRecords;
import org.dirkms.agent.directory.CustodyRecords.CustodyEntry;
import org.dirkms.agent.directory.CustodyRecords.SessionEntry;
import org.dirkms.agent.names.DistinguishedNames;

/**
 * A use of the recovery keys by a dirkms command under custody (docs/custody.md): a
 * {@code kmsCustodySession} entry under {@code ou=Recovery Requests} with a fresh request key,
 * which recovery agents approve as they approve a recovery ({@code dirkms recovery approve DN}),
 * each giving back their share sealed to the request key. Once the threshold of good shares has
 * arrived, the keys are rebuilt in this process's memory; closing the session deletes the entry
 * and destroys the request key. A session whose process dies leaves its entry behind, pending, and
 * its request key is gone with the process: the shares sealed to it open for nobody.
 */
public final class CustodySession implements AutoCloseable {
    /** How long a session's request key certificate is valid: a command waits no longer for its agents. */
    public static final Duration LIFETIME = Duration.ofDays(1);

    private final CustodyRecords records;
    private final CustodyEntry custody;
    private final RequestKey key;
    private final String dn;
    /** The refusals last written to the session's kmsLastError. */
    private String noted;

    private CustodySession(CustodyRecords records, CustodyEntry custody, RequestKey key, String dn) {
        this.records = records;
        this.custody = custody;
        this.key = key;
        this.dn = dn;
    }

    /**
     * Opens a session for {@code purpose} (a line saying what the keys are wanted for, shown to the
     * approving agents).
     *
     * @throws IllegalStateException if the recovery keys are not under custody
     */
    public static CustodySession open(CustodyRecords records, String purpose, Clock clock, SecureRandom random) {
        CustodyEntry custody = records.custody().orElseThrow(() -> new IllegalStateException(
                "the recovery keys are not under custody: there is nothing to ask the recovery agents for"));
        byte[] suffix = new byte[6];
        random.nextBytes(suffix);
        String name = "custody session " + HexFormat.of().formatHex(suffix);
        RequestKey key = RequestKey.generate(name, LIFETIME, clock.instant(), random);
        try {
            String dn = records.openSession(name, key.certificateDer(), custody.threshold(), purpose);
            return new CustodySession(records, custody, key, dn);
        } catch (RuntimeException e) {
            key.close();
            throw e;
        }
    }

    /** The session entry's DN: what the recovery agents approve. */
    public String dn() {
        return dn;
    }

    /** The custody the session collects shares of. */
    public CustodyEntry custody() {
        return custody;
    }

    /**
     * How far a session got.
     *
     * @param good the good shares so far
     * @param threshold the shares needed
     * @param refusals the shares refused, one line each
     */
    public record Progress(int good, int threshold, List<String> refusals) {
        /** Copies the list. */
        public Progress {
            refusals = List.copyOf(refusals);
        }
    }

    /**
     * Looks at the shares given so far once: the rebuilt keys when enough good ones have arrived.
     * Only shares of approvals by current members of the recovery agents group count.
     *
     * @param progress told what was judged
     * @throws IllegalStateException if the session entry was deleted
     */
    public Optional<Custody.Rebuilt> poll(Consumer<Progress> progress) {
        SessionEntry session = records.readSession(dn).orElseThrow(() -> new IllegalStateException(
                "the custody session " + dn + " was deleted while it waited"));
        List<String> agents = new ArrayList<>();
        for (String member : records.recoveryAgents()) {
            DistinguishedNames.normalIfValid(member).ifPresent(agents::add);
        }
        List<String> approvers = new ArrayList<>();
        for (String approval : session.approvals()) {
            DistinguishedNames.normalIfValid(approval).filter(agents::contains).ifPresent(normal -> approvers.add(approval));
        }
        ShareJudge.Verdict verdict = ShareJudge.judge(custody, key, session.shares(), approvers);
        try {
            progress.accept(new Progress(verdict.good().size(), custody.threshold(), verdict.refusals()));
            if (verdict.refusals().isEmpty() && session.shares().isEmpty()) {
                return Optional.empty();
            }
            if (verdict.good().size() >= custody.threshold()) {
                return Optional.of(Custody.rebuild(custody, verdict.good()));
            }
            String text = verdict.refusalText();
            if (text != null && !text.equals(noted)) {
                // Once per new verdict, not at every look: each write is a line of the audit log.
                records.noteSession(dn, text);
                noted = text;
            }
            return Optional.empty();
        } finally {
            verdict.clear();
        }
    }

    /**
     * Waits until the threshold of good shares has arrived, looking every {@code interval}, at most
     * {@code timeout}; {@code progress} is told each time the count or the refusals change.
     *
     * @return the rebuilt keys, or empty when the time ran out
     * @throws InterruptedException if interrupted while waiting
     */
    public Optional<Custody.Rebuilt> await(Duration timeout, Duration interval, Clock clock, Consumer<Progress> progress)
            throws InterruptedException {
        Instant deadline = clock.instant().plus(timeout);
        Progress[] last = {null};
        Consumer<Progress> changes = now -> {
            if (!now.equals(last[0])) {
                last[0] = now;
                progress.accept(now);
            }
        };
        while (true) {
            Optional<Custody.Rebuilt> rebuilt = poll(changes);
            if (rebuilt.isPresent()) {
                return rebuilt;
            }
            if (!clock.instant().isBefore(deadline)) {
                return Optional.empty();
            }
            Thread.sleep(interval.toMillis());
        }
    }

    /** Deletes the session entry and destroys the request key. */
    @Override
    public void close() {
        try {
            records.closeSession(dn);
        } finally {
            key.close();
        }
    }

    @Override
    public String toString() {
        return "CustodySession[" + dn + "]";
    }
}
