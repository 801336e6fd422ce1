package org.dirkms.dist;

import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.dirkms.agent.custody.Custody;
import org.dirkms.agent.custody.CustodySession;
import org.dirkms.agent.directory.CustodyRecords;
import org.dirkms.agent.directory.CustodyRecords.SessionEntry;

/**
 * How a dirkms command under custody gets the recovery keys (docs/custody.md, "Archive operations
 * under custody"): it opens a custody session, prints what each recovery agent runs, waits for the
 * threshold of good shares and deletes the session, whatever happens.
 *
 * <p>A session's {@code description} ends with the process that opened it
 * ({@code [dirkms process PID on HOST, started INSTANT]}). A process that dies (SIGKILL, a power
 * cut) cannot delete its session; the entry stays, pending, its request key gone with the
 * process, so that the shares given to it open for nobody: harmless, but in the agents' way. So
 * before it opens its own, a command removes every session whose opener ran on this host and no
 * longer runs (no process with that id, or one started at another instant: the id was reused),
 * and names the sessions of other hosts, which it cannot judge, with the command that deletes one.
 */
final class CustodySessions {
    /** How often a waiting command looks at the session. */
    static final Duration POLL = Duration.ofSeconds(1);

    /** The opener's trailer at the end of a session's description. */
    private static final Pattern OPENER = Pattern.compile("\\[dirkms process (\\d+) on (\\S+), started (\\S+)\\]$");

    private CustodySessions() {
    }

    /**
     * The recovery keys rebuilt from the shares of a session opened for {@code purpose}, or null
     * when they did not come within {@code wait}; the caller closes what it gets. Stale sessions of
     * dead processes of this host are removed first.
     *
     * @throws InterruptedException if interrupted while waiting
     */
    static Custody.Rebuilt rebuild(KmsContext kms, CustodyRecords records, String purpose, Duration wait,
            PrintWriter out) throws InterruptedException {
        removeStale(records, out);
        try (CustodySession session = CustodySession.open(records, purpose + " " + opener(), kms.clock(),
                kms.random())) {
            out.println("the recovery keys are under custody " + session.custody().id() + ": " + session.custody()
                    .threshold() + " of its " + session.custody().shares().size() + " recovery agents must approve the"
                    + " custody session " + session.dn());
            out.println("  each runs: dirkms recovery approve '" + session.dn() + "' --key-package THEIR.p12"
                    + " (or the openssl steps of docs/custody.md)");
            out.println("  waiting up to " + wait.toMinutes() + " minutes...");
            out.flush();
            return session.await(wait, POLL, kms.clock(), progress -> {
                out.println("  " + progress.good() + " of " + progress.threshold() + " shares"
                        + (progress.refusals().isEmpty() ? "" : "; " + String.join("; ", progress.refusals())));
                out.flush();
            }).orElse(null);
        }
    }

    /**
     * Deletes the sessions whose opening process ran on this host and is gone; prints one line per
     * session it removed and per session it leaves (another host's, or a live process's).
     */
    static void removeStale(CustodyRecords records, PrintWriter out) {
        String here = host();
        for (SessionEntry session : records.sessions()) {
            Optional<Opener> opener = Optional.ofNullable(session.description()).flatMap(CustodySessions::openerOf);
            if (opener.isPresent() && opener.get().host().equals(here) && !opener.get().alive()) {
                records.closeSession(session.dn());
                out.println("removed the custody session " + session.dn() + ": the dirkms process "
                        + opener.get().pid() + " that opened it is no longer running (the shares given to it opened"
                        + " for nobody)");
            } else {
                out.println("another custody session is open: " + session.dn() + (opener.isPresent() ? " (dirkms"
                        + " process " + opener.get().pid() + " on " + opener.get().host() + ")" : "") + "; if that"
                        + " command no longer runs, delete it as the KMS agent: ldapdelete '" + session.dn() + "'");
            }
        }
        out.flush();
    }

    /**
     * The process that opened a session, from its description's trailer.
     *
     * @param pid its process id
     * @param host the host it ran on
     * @param started when it started, as {@link ProcessHandle.Info#startInstant()} said
     */
    record Opener(long pid, String host, String started) {
        /** Whether a process with this id, started at this instant, runs on this host now. */
        boolean alive() {
            Optional<ProcessHandle> process = ProcessHandle.of(pid);
            if (process.isEmpty() || !process.get().isAlive()) {
                return false;
            }
            // A process with this id started at another instant reuses the id: the opener is gone.
            return process.get().info().startInstant().map(Instant::toString).map(started::equals).orElse(true);
        }
    }

    /** The opener named at the end of {@code description}, if it names one. */
    static Optional<Opener> openerOf(String description) {
        Matcher matcher = OPENER.matcher(description);
        if (!matcher.find()) {
            return Optional.empty();
        }
        return Optional.of(new Opener(Long.parseLong(matcher.group(1)), matcher.group(2), matcher.group(3)));
    }

    /** This process's trailer for a session's description. */
    static String opener() {
        ProcessHandle self = ProcessHandle.current();
        return "[dirkms process " + self.pid() + " on " + host() + ", started " + self.info().startInstant()
                .map(Instant::toString).orElse("unknown") + "]";
    }

    private static String host() {
        try {
            String name = InetAddress.getLocalHost().getHostName();
            return name == null || name.isBlank() ? "unknown-host" : name.replaceAll("\\s", "");
        } catch (UnknownHostException e) {
            return "unknown-host";
        }
    }
}
