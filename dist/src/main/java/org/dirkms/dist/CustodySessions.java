package org.dirkms.dist;

import java.io.PrintWriter;
import java.time.Duration;
import org.dirkms.agent.custody.Custody;
import org.dirkms.agent.custody.CustodySession;
import org.dirkms.agent.directory.CustodyRecords;

/**
 * How a dirkms command under custody gets the recovery keys (docs/custody.md): it opens a custody
 * session, prints what each recovery agent runs, waits for the threshold of good shares and
 * deletes the session, whatever happens.
 */
final class CustodySessions {
    /** How often a waiting command looks at the session. */
    static final Duration POLL = Duration.ofSeconds(1);

    private CustodySessions() {
    }

    /**
     * The recovery keys rebuilt from the shares of a session opened for {@code purpose}, or null
     * when they did not come within {@code wait}; the caller closes what it gets.
     *
     * @throws InterruptedException if interrupted while waiting
     */
    static Custody.Rebuilt rebuild(KmsContext kms, CustodyRecords records, String purpose, Duration wait,
            PrintWriter out) throws InterruptedException {
        try (CustodySession session = CustodySession.open(records, purpose, kms.clock(), kms.random())) {
            out.println("the recovery keys are under custody " + session.custody().id() + ": " + session.custody()
                    .threshold() + " of its " + session.custody().shares().size() + " recovery agents must approve the"
                    + " custody session " + session.dn());
            out.println("  each runs: dirkms recovery approve '" + session.dn() + "' --key-package THEIR.p12"
                    + " (or the openssl steps of the README)");
            out.println("  waiting up to " + wait.toMinutes() + " minutes...");
            out.flush();
            return session.await(wait, POLL, kms.clock(), progress -> {
                out.println("  " + progress.good() + " of " + progress.threshold() + " shares"
                        + (progress.refusals().isEmpty() ? "" : "; " + String.join("; ", progress.refusals())));
                out.flush();
            }).orElse(null);
        }
    }
}
