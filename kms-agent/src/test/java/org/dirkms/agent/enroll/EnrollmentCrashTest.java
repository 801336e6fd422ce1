package org.dirkms.agent.enroll;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.security.cert.CRLReason;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Stream;

import org.dirkms.agent.enroll.EnrollmentFixture.Agent;
import org.dirkms.agent.enroll.InMemoryDirectory.Crash;
import org.dirkms.agent.enroll.InMemoryDirectory.SimulatedCrash;
import org.dirkms.schema.AttributeNames;
import org.dirkms.schema.EnrollmentState;
import org.dirkms.schema.RevocationReason;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Crash safety of the enrollment state machine (docs/reliability.md), write by write: each
 * scenario is one step of the state machine run by an agent process; the process is killed at
 * each of its writes in turn, once before the directory applied it and once after, and then the
 * KMS recovers as it does in production: the leases run out, a new agent process (another
 * owner) sweeps the tree and the CA serves the queue, and an agent with the CA in its process
 * finishes what only it can do. Then every invariant of {@link EnrollmentInvariants} must hold
 * and the user must have come to the end the step leads to. Each scenario also runs once without
 * a crash, which counts the writes to kill at.
 */
class EnrollmentCrashTest {
    @TempDir
    static Path work;
    private static EnrollmentFixture.Pki pki;

    @BeforeAll
    static void pki() {
        pki = EnrollmentFixture.pki(work);
    }

    /** Where a run of a scenario stands: the KMS, the user, and what the scenario remembers. */
    static final class Run {
        final EnrollmentFixture kms;
        String dn;
        /** The user's certificates before the step (what a re-enrollment supersedes, what a revocation revokes). */
        List<byte[]> before = List.of();
        /** An agent process started before the step that the step goes on with. */
        Agent waiting;
        /** The attempt {@link #waiting} holds the user with, when the step goes on with it. */
        String waitingAttempt;

        Run(EnrollmentFixture kms) {
            this.kms = kms;
        }

        /** The same point of the scenario in a copy of the KMS, when no agent of it goes on into the step. */
        Run copy() {
            Run copy = new Run(kms.copy());
            copy.dn = dn;
            copy.before = before;
            copy.waitingAttempt = waitingAttempt;
            return copy;
        }
    }

    /** When the acting process dies: at its {@code write}-th write, {@code when}; never for write 0. */
    record Plan(int write, Crash when) {
        static final Plan NONE = new Plan(0, Crash.BEFORE);

        Agent arm(Agent agent) {
            return write == 0 ? agent : agent.crashAt(write, when);
        }

        @Override
        public String toString() {
            return write == 0 ? "no crash" : "crash " + when.name().toLowerCase() + " write " + write;
        }
    }

    /**
     * One step of the state machine, the recovery after it, and the end it leads to.
     *
     * @param withCa     whether the agents of the KMS have the CA in their process (else they go
     *                   through the queue)
     * @param prepare    brings the directory to where the step starts (no crash)
     * @param act        the step; returns the agent process the plan arms
     * @param expect     the end state of the user once the KMS recovered
     * @param unknowable the archive records and requests no process can know of after the step
     *                   (see {@link EnrollmentInvariants#EnrollmentInvariants(EnrollmentFixture, Set)}):
     *                   none, but for an attempt whose claim was removed below the guard
     */
    record Scenario(boolean withCa, Consumer<Run> prepare, BiFunction<Run, Plan, Agent> act,
            BiConsumer<Run, EnrollmentInvariants> expect, Function<Run, Set<String>> unknowable) {

        Scenario(boolean withCa, Consumer<Run> prepare, BiFunction<Run, Plan, Agent> act,
                BiConsumer<Run, EnrollmentInvariants> expect) {
            this(withCa, prepare, act, expect, run -> Set.of());
        }
    }

    private record Named(String name, Scenario scenario) {
    }

    @TestFactory
    Stream<DynamicContainer> everyWriteOfEveryStepCanBeTheLast() {
        return scenarios().stream().map(named -> {
            Scenario scenario = named.scenario();
            Supplier<Run> prepared = prepared(scenario);
            List<DynamicTest> runs = new ArrayList<>();
            int writes;
            try {
                writes = runOnce(scenario, prepared.get(), Plan.NONE);
                runs.add(DynamicTest.dynamicTest(Plan.NONE.toString(), () -> { }));
            } catch (AssertionError | RuntimeException failed) {
                writes = 0;
                runs.add(DynamicTest.dynamicTest(Plan.NONE.toString(), () -> {
                    throw failed;
                }));
            }
            for (int n = 1; n <= writes; n++) {
                for (Crash when : Crash.values()) {
                    Plan plan = new Plan(n, when);
                    runs.add(DynamicTest.dynamicTest(plan + " of " + writes,
                            () -> runOnce(scenario, prepared.get(), plan)));
                }
            }
            return DynamicContainer.dynamicContainer(named.name() + " (" + writes + " writes)", runs);
        });
    }

    /**
     * Where each run of {@code scenario} starts: prepared once and copied for each run, unless
     * the step goes on with a living agent process of the preparation (which cannot be copied).
     */
    private static Supplier<Run> prepared(Scenario scenario) {
        Run once = new Run(new EnrollmentFixture(pki));
        scenario.prepare().accept(once);
        if (once.waiting != null) {
            return () -> {
                Run run = new Run(new EnrollmentFixture(pki));
                scenario.prepare().accept(run);
                return run;
            };
        }
        return once::copy;
    }

    /** Runs the scenario from {@code run} with the crash of {@code plan}, recovers and checks; returns the acting process's writes. */
    private static int runOnce(Scenario scenario, Run run, Plan plan) {
        Map<Agent, Integer> before = new HashMap<>();
        run.kms.agents.forEach(agent -> before.put(agent, agent.session().writes()));
        Agent acting;
        try {
            acting = scenario.act().apply(run, plan);
        } catch (SimulatedCrash expected) {
            acting = run.kms.agents.get(run.kms.agents.size() - 1);
        }
        int writes = acting.session().writes() - before.getOrDefault(acting, 0);
        assertEquals(plan.write() > 0, acting.session().crashed(), plan + ": the acting process "
                + (plan.write() > 0 ? "dies" : "lives") + "; it wrote " + acting.session().log());
        EnrollmentInvariants invariants = new EnrollmentInvariants(run.kms, scenario.unknowable().apply(run));
        recover(run.kms, scenario.withCa(), invariants);
        invariants.assertSettled();
        scenario.expect().accept(run, invariants);
        return writes;
    }

    /**
     * What the KMS does after a process died: the leases run out; a new agent (the kind the
     * scenario runs) sweeps and the CA serves the queue; without a CA in the agents' process,
     * what only an agent with the CA can do waits for one, which sweeps once its lease ran out.
     */
    static void recover(EnrollmentFixture kms, boolean withCa, EnrollmentInvariants invariants) {
        kms.afterTheLease();
        if (!withCa) {
            sweep(kms, kms.queueingAgent());
            invariants.assertSettledWithoutCa();
            kms.afterTheLease();
        }
        sweep(kms, kms.issuingAgent());
    }

    /** An agent's reconcile, the CA serving the queue, the agent's poll of its queued enrollments. */
    static void sweep(EnrollmentFixture kms, Agent agent) {
        InMemoryEnrollmentRecords records = kms.observer();
        for (int round = 0; round < 3; round++) {
            agent.service().reconcile();
            kms.serveQueue();
            agent.service().advanceQueued();
            if (records.usersInState(EnrollmentState.REQUESTED, EnrollmentState.IN_PROGRESS).isEmpty()) {
                return;
            }
        }
    }

    /** Runs {@code step} of a process that may have died: a dead process does nothing more. */
    private static void quietly(Runnable step) {
        try {
            step.run();
        } catch (SimulatedCrash dead) {
            // the process is gone; the rest of the KMS goes on
        }
    }

    // ---- the scenarios ---------------------------------------------------------------------------

    private static List<Named> scenarios() {
        return List.of(
                new Named("in-process CA: requested, in-progress, enrolled", enrollment(true)),
                new Named("queue: requested, in-progress (queued), enrolled", enrollment(false)),
                new Named("in-process CA: re-enrollment revokes what it supersedes", reEnrollment(true)),
                new Named("queue: re-enrollment leaves what it supersedes to an agent with the CA",
                        reEnrollment(false)),
                new Named("an agent with the CA finishes the revocations a queue agent's publication left",
                        supersessionFinishedByCa()),
                new Named("in-process CA: take-over of an attempt that died after showing its certificates",
                        inProcessTakeOver()),
                new Named("queue: take-over of an attempt that died before the CA served it",
                        queuedTakeOver(false, false)),
                new Named("queue: take-over, by an agent without the CA, of an attempt the CA had served",
                        queuedTakeOver(true, false)),
                new Named("take-over, by an agent with the CA, of a queued attempt the CA had served",
                        queuedTakeOver(true, true)),
                new Named("queue: renewal of the lease of a waiting attempt", renewal()),
                new Named("revoke-requested, revoked", revocation(false)),
                new Named("revoke-requested, revoked, with superseded certificates still in the claim",
                        revocation(true)),
                new Named("an unfetched package expires", packageRemoval(false)),
                new Named("a fetched package is confirmed", packageRemoval(true)),
                new Named("in-process CA refuses the user's signing request: failed", refusal(true)),
                new Named("queue: the CA refuses the user's signing request: failed", refusal(false)),
                new Named("an address another entry holds: failed", sharedAddress()),
                new Named("an unknown administrative group: failed", unknownGroup()),
                new Named("queue: an administrator clears the queue while the attempt waits: failed",
                        queueCleared()),
                new Named("queue: a successor that fails keeps the dead attempt's certificates to revoke",
                        failingSuccessor()),
                new Named("queue: the entry is reset below the guard while an attempt waits",
                        resetWhileWaiting()));
    }

    /** An agent of the scenario's kind enrolls: at once with the CA, else queue, CA, publication. */
    private static Agent enroll(Run run, Agent agent) {
        quietly(() -> agent.service().handle(run.dn));
        run.kms.serveQueue();
        quietly(() -> agent.service().advanceQueued());
        return agent;
    }

    private static Agent agent(Run run, boolean withCa) {
        return withCa ? run.kms.issuingAgent() : run.kms.queueingAgent();
    }

    private static Scenario enrollment(boolean withCa) {
        return new Scenario(withCa, run -> run.dn = run.kms.requestedUser("first"),
                (run, plan) -> enroll(run, plan.arm(agent(run, withCa))),
                (run, invariants) -> invariants.assertEnrolled(run.dn, true));
    }

    /** Enrolls {@code run.dn} without a crash and asks for its enrollment again. */
    private static void enrolledAndRequestedAgain(Run run, boolean withCa) {
        run.dn = run.kms.requestedUser("again");
        enroll(run, agent(run, withCa));
        run.before = run.kms.user(run.dn).certificates();
        assertEquals(2, run.before.size());
        run.kms.request(run.dn);
    }

    private static Scenario reEnrollment(boolean withCa) {
        return new Scenario(withCa, run -> enrolledAndRequestedAgain(run, withCa),
                (run, plan) -> enroll(run, plan.arm(agent(run, withCa))),
                (run, invariants) -> {
                    invariants.assertEnrolled(run.dn, true);
                    invariants.assertOnCrl(run.before, CRLReason.SUPERSEDED);
                });
    }

    private static Scenario supersessionFinishedByCa() {
        return new Scenario(true, run -> {
            enrolledAndRequestedAgain(run, false);
            enroll(run, run.kms.queueingAgent());
            assertEquals(2, run.kms.user(run.dn).claim().superseded().size(), "the claim names what is left to revoke");
            run.kms.afterTheLease();
        }, (run, plan) -> {
            Agent agent = plan.arm(run.kms.issuingAgent());
            agent.service().handle(run.dn);
            return agent;
        }, (run, invariants) -> {
            invariants.assertEnrolled(run.dn, true);
            invariants.assertOnCrl(run.before, CRLReason.SUPERSEDED);
        });
    }

    private static Scenario inProcessTakeOver() {
        return new Scenario(true, run -> {
            run.dn = run.kms.requestedUser("taken");
            Agent dead = run.kms.issuingAgent().crashAt(4, Crash.AFTER);
            quietly(() -> dead.service().handle(run.dn));
            assertEquals(2, run.kms.observer().publishedCertificates(run.dn).size(), "it showed its certificates");
            run.kms.afterTheLease();
        }, (run, plan) -> {
            Agent agent = plan.arm(run.kms.issuingAgent());
            agent.service().handle(run.dn);
            return agent;
        }, (run, invariants) -> invariants.assertEnrolled(run.dn, true));
    }

    private static Scenario queuedTakeOver(boolean served, boolean successorWithCa) {
        return new Scenario(successorWithCa, run -> {
            run.dn = run.kms.requestedUser("queued");
            Agent dead = run.kms.queueingAgent();
            dead.service().handle(run.dn);
            if (served) {
                assertEquals(2, run.kms.serveQueue()[0]);
            }
            dead.kill();
            run.kms.afterTheLease();
        }, (run, plan) -> enroll(run, plan.arm(agent(run, successorWithCa))),
                (run, invariants) -> invariants.assertEnrolled(run.dn, true));
    }

    private static Scenario renewal() {
        return new Scenario(false, run -> {
            run.dn = run.kms.requestedUser("patient");
            run.waiting = run.kms.queueingAgent();
            run.waiting.service().handle(run.dn);
        }, (run, plan) -> {
            Agent agent = plan.arm(run.waiting);
            run.kms.clock.advance(EnrollmentFixture.LEASE.dividedBy(2).plusSeconds(1));
            quietly(() -> agent.service().advanceQueued());
            run.kms.serveQueue();
            quietly(() -> agent.service().advanceQueued());
            return agent;
        }, (run, invariants) -> invariants.assertEnrolled(run.dn, true));
    }

    private static Scenario revocation(boolean supersededLeft) {
        return new Scenario(true, run -> {
            if (supersededLeft) {
                enrolledAndRequestedAgain(run, true);
                enroll(run, run.kms.queueingAgent());
                assertEquals(2, run.kms.user(run.dn).claim().superseded().size());
            } else {
                run.dn = run.kms.requestedUser("leaver");
                enroll(run, run.kms.issuingAgent());
            }
            run.kms.requestRevocation(run.dn, RevocationReason.KEY_COMPROMISE);
        }, (run, plan) -> {
            List<byte[]> published = run.kms.user(run.dn).certificates();
            Agent agent = plan.arm(run.kms.issuingAgent());
            run.waiting = agent;
            run.before = published;
            agent.service().handle(run.dn);
            return agent;
        }, (run, invariants) -> {
            invariants.assertRevoked(run.dn);
            invariants.assertOnCrl(run.before, CRLReason.KEY_COMPROMISE);
        });
    }

    private static Scenario packageRemoval(boolean confirmed) {
        return new Scenario(true, run -> {
            run.dn = run.kms.requestedUser("fetcher");
            enroll(run, run.kms.issuingAgent());
            if (confirmed) {
                run.kms.confirmPackage(run.dn);
            } else {
                run.kms.clock.advance(EnrollmentFixture.PACKAGE_LIFETIME.plusSeconds(1));
            }
        }, (run, plan) -> {
            Agent agent = plan.arm(run.kms.issuingAgent());
            agent.service().handle(run.dn);
            return agent;
        }, (run, invariants) -> {
            invariants.assertEnrolled(run.dn, false);
            assertTrue(run.kms.observer().readEnrollmentToken(run.dn) == null, "the token went with the package");
            assertTrue(run.kms.user(run.dn).packageExpires() == null, "and its expiry");
        });
    }


    private static Scenario refusal(boolean withCa) {
        return new Scenario(withCa, run -> {
            run.dn = run.kms.addPerson("refused", "refused@example.com");
            run.kms.request(run.dn);
            run.kms.set(run.dn, AttributeNames.SIGNING_REQUEST, (Object) EnrollmentFixture.somebodyElsesRequest());
        }, (run, plan) -> enroll(run, plan.arm(agent(run, withCa))),
                (run, invariants) -> invariants.assertFailed(run.dn, "kmsSigningRequest cannot be certified"));
    }

    private static Scenario sharedAddress() {
        return new Scenario(true, run -> {
            run.kms.addPerson("owner", "shared@example.com");
            run.dn = run.kms.addPerson("taker", "Shared@Example.com");
            run.kms.request(run.dn);
        }, (run, plan) -> enroll(run, plan.arm(run.kms.issuingAgent())),
                (run, invariants) -> invariants.assertFailed(run.dn, "an address is certified for one person only"));
    }

    private static Scenario unknownGroup() {
        return new Scenario(true, run -> {
            run.dn = run.kms.requestedUser("lost");
            run.kms.set(run.dn, AttributeNames.ADMINISTRATIVE_GROUP,
                    "cn=Nowhere," + EnrollmentFixture.LAYOUT.administrativeGroups());
        }, (run, plan) -> enroll(run, plan.arm(run.kms.issuingAgent())),
                (run, invariants) -> invariants.assertFailed(run.dn, "is not an administrative group"));
    }

    private static Scenario queueCleared() {
        return new Scenario(false, run -> {
            run.dn = run.kms.requestedUser("cleared");
            run.waiting = run.kms.queueingAgent();
            run.waiting.service().handle(run.dn);
            run.kms.clearQueueOf(run.dn);
        }, (run, plan) -> {
            Agent agent = plan.arm(run.waiting);
            agent.service().advanceQueued();
            return agent;
        }, (run, invariants) -> enrolledOrFailed(run, invariants, "was removed before a CA served it"));
    }

    /**
     * A crash before the failure is written leaves the enrollment in progress: it is taken over
     * and, the queue being served again, ends enrolled; after it, the failure stands.
     */
    private static void enrolledOrFailed(Run run, EnrollmentInvariants invariants, String reason) {
        if (run.kms.user(run.dn).state() == EnrollmentState.ENROLLED) {
            invariants.assertEnrolled(run.dn, true);
        } else {
            invariants.assertFailed(run.dn, reason);
        }
    }

    private static Scenario failingSuccessor() {
        return new Scenario(false, run -> {
            run.dn = run.kms.requestedUser("unlucky");
            Agent dead = run.kms.queueingAgent();
            dead.service().handle(run.dn);
            assertEquals(2, run.kms.serveQueue()[0]);
            dead.kill();
            run.kms.afterTheLease();
        }, (run, plan) -> {
            Agent agent = plan.arm(run.kms.queueingAgent());
            quietly(() -> agent.service().handle(run.dn));
            run.kms.clearQueueOf(run.dn);
            quietly(() -> agent.service().advanceQueued());
            return agent;
        }, (run, invariants) -> enrolledOrFailed(run, invariants, "was removed before a CA served it"));
    }

    private static Scenario resetWhileWaiting() {
        return new Scenario(false, run -> {
            run.dn = run.kms.requestedUser("reset");
            run.waiting = run.kms.queueingAgent();
            run.waiting.service().handle(run.dn);
            run.waitingAttempt = run.kms.observer().readUser(run.dn).orElseThrow().claim().attempt();
            run.kms.resetBelowTheGuard(run.dn);
        }, (run, plan) -> {
            Agent agent = plan.arm(run.waiting);
            quietly(() -> agent.service().advanceQueued());
            run.kms.serveQueue();
            quietly(() -> agent.service().advanceQueued());
            return agent;
        }, (run, invariants) -> invariants.assertEnrolled(run.dn, true), EnrollmentCrashTest::leftByTheResetAttempt);
    }

    /**
     * Once the claim is gone only the waiting process knows its attempt: when it died before it
     * withdrew what the attempt left, those leftovers stay, and nothing else may.
     */
    private static Set<String> leftByTheResetAttempt(Run run) {
        InMemoryEnrollmentRecords records = run.kms.observer();
        String attempt = run.waitingAttempt;
        String record = records.archivedKeyDn(run.dn, attempt);
        boolean withdrawn = records.archivedKeys(run.dn).stream().anyMatch(r -> r.dn().equals(record) && r.abandoned());
        if (!run.waiting.session().crashed() || withdrawn) {
            return Set.of();
        }
        return Set.of(record, records.requestDn(run.dn, attempt, "signing"),
                records.requestDn(run.dn, attempt, "encryption"));
    }
}
