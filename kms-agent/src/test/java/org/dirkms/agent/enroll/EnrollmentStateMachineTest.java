package org.dirkms.agent.enroll;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.security.cert.CRLReason;
import java.security.cert.X509Certificate;
import java.util.List;

import org.dirkms.agent.queue.QueueServer;
import org.dirkms.agent.directory.EnrollmentRecords.ArchivedKeyEntry;
import org.dirkms.agent.directory.EnrollmentRecords.UserEntry;
import org.dirkms.agent.enroll.EnrollmentFixture.Agent;
import org.dirkms.agent.enroll.EnrollmentResult.Outcome;
import org.dirkms.agent.enroll.InMemoryDirectory.Crash;
import org.dirkms.agent.enroll.InMemoryDirectory.SimulatedCrash;
import org.dirkms.schema.AttributeNames;
import org.dirkms.schema.CertificateFormat;
import org.dirkms.schema.EnrollmentState;
import org.dirkms.schema.PackageFormat;
import org.dirkms.schema.RequestState;
import org.dirkms.schema.RevocationReason;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every transition of the enrollment state machine (docs/state-machines.md), for both sources of
 * certificates — the CA in the agent's process and the request queue served by a CA elsewhere —
 * driven through {@link EnrollmentService} over the in-memory directory: what each step writes,
 * in which order, and what the entry, the archive, the queue and the CRL hold afterwards.
 */
class EnrollmentStateMachineTest {
    private static final String USER = "modify kmsUser";
    private static final String ARCHIVE = "add kmsArchivedKey";
    private static final String CHILD = "add kmsPublishedCertificate";
    private static final String REQUEST = "add kmsCertificateRequest";

    @TempDir
    static Path work;
    private static EnrollmentFixture.Pki pki;

    private EnrollmentFixture kms;
    private EnrollmentInvariants invariants;

    @BeforeAll
    static void pki() {
        pki = EnrollmentFixture.pki(work);
    }

    @BeforeEach
    void kms() {
        kms = new EnrollmentFixture(pki);
        invariants = new EnrollmentInvariants(kms);
    }

    private static EnrollmentResult handled(Agent agent, String dn, Outcome expected) {
        EnrollmentResult result = agent.service().handle(dn);
        assertEquals(expected, result.outcome(), result.toString());
        return result;
    }

    private List<byte[]> certificates(String dn) {
        return kms.user(dn).certificates();
    }

    // ---- a CA in the agent's process ----------------------------------------------------------

    @Test
    void requestedBecomesEnrolledInFiveWritesTheKeyArchivedBeforeAnythingIsPublished() {
        String dn = kms.requestedUser("alice");
        Agent agent = kms.issuingAgent();
        EnrollmentResult result = handled(agent, dn, Outcome.ENROLLED);

        assertEquals(List.of(USER, ARCHIVE, CHILD, CHILD, USER), agent.session().log(),
                "claim, archive, the two children, the publication");
        assertEquals(new String(result.token()), new String(kms.observer().readEnrollmentToken(dn)));
        UserEntry user = kms.user(dn);
        assertEquals(kms.clock.instant().plus(EnrollmentFixture.PACKAGE_LIFETIME), user.packageExpires());
        assertEquals(2, kms.caKey.issued().size(), "two certificates, issued once each");
        invariants.assertEnrolled(dn, true);
        invariants.assertSettled();
        handled(agent, dn, Outcome.NOTHING);
        assertEquals(5, agent.session().writes(), "handling an enrolled user again writes nothing");
    }

    // ---- a CA in the agent's process that also serves the queue ---------------------------------

    @Test
    void theAgentOfAProcessWhoseCaServesTheQueueIssuesWithItWhileItCan() {
        String dn = kms.requestedUser("local");
        Agent agent = kms.localCaAgent();
        handled(agent, dn, Outcome.ENROLLED);
        assertEquals(List.of(USER, ARCHIVE, CHILD, CHILD, USER), agent.session().log(),
                "the same five writes as a CA in the process: nothing queued");
        assertTrue(kms.requests().isEmpty());
        invariants.assertEnrolled(dn, true);
        invariants.assertSettled();
    }

    @Test
    void whenItsCaIsBusyTheAgentQueuesInsteadOfFailing() {
        kms.set(EnrollmentFixture.CA_DN, AttributeNames.CAPACITY, "1");
        String waiting = kms.requestedUser("waiting");
        handled(kms.queueingAgent(), waiting, Outcome.QUEUED);
        QueueServer.Claims held = kms.claimQueue();
        assertEquals(1, held.claimed().size(), "the CA holds one request: its whole capacity");
        assertTrue(held.busy());

        String dn = kms.requestedUser("busy");
        Agent agent = kms.localCaAgent();
        handled(agent, dn, Outcome.QUEUED);
        assertEquals(4, kms.requests().size(), "the busy CA's own agent queued both requests");
        kms.serveClaimed(held);
        for (int round = 0; round < 4; round++) {
            kms.serveQueue();
        }
        assertEquals(Outcome.ENROLLED, agent.service().advanceQueued().get(0).outcome());
        invariants.assertEnrolled(dn, true);
    }

    @Test
    void whenItsCaLacksATemplateOrIsDisabledTheAgentQueuesForAnotherCa() {
        kms.set(EnrollmentFixture.CA_DN, AttributeNames.INSTALLED_TEMPLATE,
                "cn=smime-signature," + EnrollmentFixture.LAYOUT.certificateTemplates());
        kms.serveQueue(); // the CA reads its entry: smime-encryption is no longer installed on it
        String dn = kms.requestedUser("notemplate");
        Agent agent = kms.localCaAgent();
        handled(agent, dn, Outcome.QUEUED);
        assertEquals(2, kms.requests().size());
        assertArrayEquals(new int[] {1, 0}, kms.serveQueue(), "it issues the signing request only; the other waits");

        kms.set(EnrollmentFixture.CA_DN, AttributeNames.CA_STATE, "disabled");
        kms.serveQueue();
        String other = kms.requestedUser("disabled");
        handled(kms.localCaAgent(), other, Outcome.QUEUED);
    }

    @Test
    void aGroupForGpgsm22GetsOnePkcs12PerKeyInTheSameFiveWrites() {
        kms.set(EnrollmentFixture.LAYOUT.defaultAdministrativeGroup(), AttributeNames.PACKAGE_FORMAT,
                PackageFormat.LEGACY_PBE_SHA1_3DES.ldapValue());
        String dn = kms.requestedUser("gina");
        Agent agent = kms.issuingAgent();
        handled(agent, dn, Outcome.ENROLLED);

        assertEquals(List.of(USER, ARCHIVE, CHILD, CHILD, USER), agent.session().log(), "the same five writes");
        assertEquals(2, kms.entry(dn).bytes(AttributeNames.KEY_PACKAGE).size(), "one PKCS#12 per key");
        invariants.assertEnrolled(dn, true);
        invariants.assertSettled();
    }

    @Test
    void anEnrollmentUnderAValidLeaseIsLeftAloneAndTakenOverOnceItRanOut() {
        String dn = kms.requestedUser("bob");
        Agent dead = kms.issuingAgent().crashAt(1, Crash.AFTER);
        assertThrows(SimulatedCrash.class, () -> dead.service().handle(dn));
        assertEquals(EnrollmentState.IN_PROGRESS, kms.user(dn).state());

        Agent other = kms.issuingAgent();
        EnrollmentResult waiting = handled(other, dn, Outcome.NOTHING);
        assertEquals("in progress under a valid lease", waiting.detail());
        assertEquals(0, other.session().writes());
        kms.afterTheLease();
        handled(other, dn, Outcome.ENROLLED);
        assertEquals(List.of(USER, ARCHIVE, CHILD, CHILD, USER), other.session().log(),
                "the take-over (one modify), then the enrollment: the dead attempt had left nothing to clean");
        invariants.assertEnrolled(dn, true);
        invariants.assertSettled();
    }

    @Test
    void anAttemptCutOffAfterShowingItsCertificatesIsTakenOverWithoutLeftovers() {
        String dn = kms.requestedUser("carol");
        Agent dead = kms.issuingAgent().crashAt(4, Crash.AFTER);
        assertThrows(SimulatedCrash.class, () -> dead.service().handle(dn));
        List<byte[]> shown = kms.observer().publishedCertificates(dn);
        assertEquals(2, shown.size(), "the dead attempt showed both certificates in the children");
        assertTrue(certificates(dn).isEmpty(), "but never published them on the entry");

        kms.afterTheLease();
        Agent successor = kms.issuingAgent();
        handled(successor, dn, Outcome.ENROLLED);
        assertEquals(List.of(USER, "delete kmsPublishedCertificate", "delete kmsPublishedCertificate",
                "modify kmsArchivedKey", ARCHIVE, CHILD, CHILD, USER), successor.session().log(),
                "take over, remove what the dead attempt showed, mark its record abandoned, enroll");
        List<ArchivedKeyEntry> archive = kms.observer().archivedKeys(dn);
        assertEquals(2, archive.size());
        assertEquals(1, archive.stream().filter(ArchivedKeyEntry::abandoned).count(),
                "the dead attempt's record stays, marked abandoned: the archive is append-only");
        invariants.assertEnrolled(dn, true);
        invariants.assertSettled();
    }

    @Test
    void aReEnrollmentRevokesWhatItSupersedesOnceTheNewCertificatesArePublished() {
        String dn = kms.requestedUser("dave");
        Agent agent = kms.issuingAgent();
        handled(agent, dn, Outcome.ENROLLED);
        List<byte[]> first = certificates(dn);
        kms.request(dn);
        int before = agent.session().writes();
        handled(agent, dn, Outcome.ENROLLED);

        assertEquals(List.of(USER, ARCHIVE, CHILD, "modify kmsPublishedCertificate", CHILD,
                "modify kmsPublishedCertificate", USER, "modify kmsCertificationAuthority",
                "modify kmsCertificationAuthority", USER), agent.session().log().subList(before,
                        agent.session().writes()),
                "the children are replaced, the publication keeps the claim, one CRL per revocation, then the claim ends");
        invariants.assertOnCrl(first, CRLReason.SUPERSEDED);
        invariants.assertNotOnCrl(certificates(dn));
        assertEquals(2, kms.user(dn).archiveRecords().size(), "both keys stay archived, listed in the history");
        invariants.assertEnrolled(dn, true);
        invariants.assertSettled();
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"no mail", "an unknown group", "a group without a KMS server", "an address another entry holds",
        "a signing request the CA refuses", "a delivery key that is no key"})
    void whatTheAdministratorCanFixEndsFailedWithAReasonAndNothingHalfDone(String cause) {
        String dn = kms.addPerson("failing", cause.equals("no mail") ? new String[0] : new String[] {"failing@example.com"});
        kms.request(dn);
        String reason = switch (cause) {
            case "no mail" -> "the entry has no mail address";
            case "an unknown group" -> {
                kms.set(dn, AttributeNames.ADMINISTRATIVE_GROUP, "cn=Nowhere," + EnrollmentFixture.LAYOUT.administrativeGroups());
                yield "is not an administrative group";
            }
            case "a group without a KMS server" -> {
                String group = "cn=Orphans," + EnrollmentFixture.LAYOUT.administrativeGroups();
                kms.addGroup(group, false);
                kms.directory.session("an administrator").modify(group,
                        InMemoryDirectory.Change.replace(AttributeNames.ASSIGNED_SERVER));
                kms.set(dn, AttributeNames.ADMINISTRATIVE_GROUP, group);
                yield "names no KMS server";
            }
            case "an address another entry holds" -> {
                kms.addPerson("holder", "Failing@Example.com");
                yield "an address is certified for one person only";
            }
            case "a signing request the CA refuses" -> {
                kms.set(dn, AttributeNames.SIGNING_REQUEST, (Object) EnrollmentFixture.somebodyElsesRequest());
                yield "kmsSigningRequest cannot be certified";
            }
            default -> {
                kms.set(dn, AttributeNames.DELIVERY_KEY, (Object) new byte[] {1, 2, 3});
                yield "kmsDeliveryKey cannot be used";
            }
        };
        Agent agent = kms.issuingAgent();
        EnrollmentResult result = handled(agent, dn, Outcome.FAILED);
        assertTrue(result.detail().contains(reason), result.detail());
        assertEquals(List.of(USER, USER), agent.session().log(), "the claim and the failure: nothing else");
        invariants.assertFailed(dn, reason);
        assertTrue(kms.observer().archivedKeys(dn).isEmpty(), "nothing archived");
        assertTrue(kms.observer().publishedCertificates(dn).isEmpty(), "nothing published");
        assertNull(kms.user(dn).claim(), "the failure ends the claim");
        invariants.assertSettled();
    }

    @Test
    void aFailedUserRequestedAgainEnrollsAndTheErrorGoes() {
        String dn = kms.addPerson("retry");
        kms.request(dn);
        Agent agent = kms.issuingAgent();
        handled(agent, dn, Outcome.FAILED);
        kms.set(dn, AttributeNames.MAIL, "retry@example.com");
        kms.request(dn);
        handled(agent, dn, Outcome.ENROLLED);
        invariants.assertEnrolled(dn, true);
        invariants.assertSettled();
    }

    @Test
    void revocationPutsBothCertificatesOnTheCrlWithTheAdministratorsReasonAndKeepsTheArchive() {
        String dn = kms.requestedUser("leaver");
        Agent agent = kms.issuingAgent();
        handled(agent, dn, Outcome.ENROLLED);
        List<byte[]> published = certificates(dn);
        kms.requestRevocation(dn, RevocationReason.KEY_COMPROMISE);
        int before = agent.session().writes();
        handled(agent, dn, Outcome.REVOKED);

        assertEquals(List.of("modify kmsCertificationAuthority", "modify kmsCertificationAuthority",
                "delete kmsPublishedCertificate", "delete kmsPublishedCertificate", USER),
                agent.session().log().subList(before, agent.session().writes()));
        invariants.assertRevoked(dn);
        invariants.assertOnCrl(published, CRLReason.KEY_COMPROMISE);
        assertEquals(1, kms.observer().archivedKeys(dn).size(), "the archive keeps the key");
        invariants.assertSettled();
    }

    @Test
    void aConfirmedPackageGoesWithItsTokenAnUnfetchedOneWhenItExpires() {
        String prompt = kms.requestedUser("prompt");
        String late = kms.requestedUser("late");
        Agent agent = kms.issuingAgent();
        handled(agent, prompt, Outcome.ENROLLED);
        handled(agent, late, Outcome.ENROLLED);

        kms.confirmPackage(prompt);
        handled(agent, prompt, Outcome.PACKAGE_REMOVED);
        assertNull(kms.observer().readEnrollmentToken(prompt), "the token goes with the confirmed package");
        assertNull(kms.user(prompt).packageExpires());

        assertEquals("package waiting until " + kms.user(late).packageExpires(), handled(agent, late, Outcome.NOTHING).detail());
        kms.clock.advance(EnrollmentFixture.PACKAGE_LIFETIME.plusSeconds(1));
        handled(agent, late, Outcome.PACKAGE_REMOVED);
        invariants.assertEnrolled(late, false);
        assertNull(kms.observer().readEnrollmentToken(late));
        invariants.assertSettled();
    }

    @Test
    void anAttemptWhoseLeaseRanOutMidWayPublishesNothingOnceTakenOver() {
        String dn = kms.requestedUser("slow");
        Agent slow = kms.issuingAgent();
        Agent fast = kms.issuingAgent();
        // The slow process stalls before its publication; its lease runs out and another takes over.
        slow.session().meanwhile(5, () -> {
            kms.afterTheLease();
            handled(fast, dn, Outcome.ENROLLED);
        });
        EnrollmentResult lost = handled(slow, dn, Outcome.NOTHING);
        assertEquals("the claim was lost to another process before publication", lost.detail());
        assertNull(lost.token());
        invariants.assertEnrolled(dn, true);
        invariants.assertSettled();
    }


    @Test
    void aProcessThatStalledBeforeShowingItsCertificatesDoesNotOverwriteTheSuccessorsChildren() {
        String dn = kms.requestedUser("stalled");
        Agent slow = kms.issuingAgent();
        Agent fast = kms.issuingAgent();
        // The slow process stalls after archiving: another takes over and publishes first.
        slow.session().meanwhile(3, () -> {
            kms.afterTheLease();
            handled(fast, dn, Outcome.ENROLLED);
        });
        handled(slow, dn, Outcome.NOTHING);
        String replaced = "modify kmsPublishedCertificate";
        assertEquals(List.of(USER, ARCHIVE, CHILD, replaced, CHILD, replaced, USER, CHILD, replaced, CHILD, replaced,
                "modify kmsArchivedKey"), slow.session().log(), "its children over the successor's, its publication"
                        + " refused, the successor's children put back, its record marked abandoned");
        invariants.assertEnrolled(dn, true);
        invariants.assertSettled();
    }

    @Test
    void anAttemptWhoseEntryWasResetBeforeItPublishedLeavesNothingLive() {
        String dn = kms.requestedUser("restored");
        Agent agent = kms.issuingAgent();
        Agent other = kms.issuingAgent();
        // Right before the publication the entry is restored from a backup and enrolled anew.
        agent.session().meanwhile(5, () -> {
            kms.resetBelowTheGuard(dn);
            handled(other, dn, Outcome.ENROLLED);
        });
        handled(agent, dn, Outcome.NOTHING);
        assertEquals(1, kms.observer().archivedKeys(dn).stream().filter(ArchivedKeyEntry::abandoned).count(),
                "the record of the attempt whose claim was removed is marked abandoned: nobody else knows it");
        invariants.assertEnrolled(dn, true);
        invariants.assertSettled();
    }

    // ---- the request queue, served by a CA elsewhere ---------------------------------------------

    @Test
    void throughTheQueueTheKeyIsArchivedBeforeTheRequestsAreQueuedAndPublishedOnceBothAreIssued() {
        String dn = kms.requestedUser("queued");
        Agent agent = kms.queueingAgent();
        EnrollmentResult queued = handled(agent, dn, Outcome.QUEUED);
        assertEquals(EnrollmentState.IN_PROGRESS, queued.state());
        assertEquals(List.of(USER, ARCHIVE, REQUEST, REQUEST), agent.session().log());
        List<ArchivedKeyEntry> archive = kms.observer().archivedKeys(dn);
        assertEquals(1, archive.size());
        assertNull(archive.get(0).certificate(), "no certificate exists yet for the archived key");
        assertTrue(certificates(dn).isEmpty(), "nothing published");
        assertEquals(List.of(dn), agent.service().queuedUsers());
        assertEquals(Outcome.QUEUED, agent.service().advanceQueued().get(0).outcome(), "the CA has not served yet");

        assertEquals(2, kms.serveQueue()[0]);
        EnrollmentResult enrolled = agent.service().advanceQueued().get(0);
        assertEquals(Outcome.ENROLLED, enrolled.outcome(), enrolled.toString());
        assertEquals(List.of(USER, ARCHIVE, REQUEST, REQUEST, "modify kmsArchivedKey", CHILD, CHILD, USER),
                agent.session().log(), "the archive record gets its certificate, then children and publication");
        assertTrue(agent.service().queuedUsers().isEmpty());
        for (InMemoryDirectory.Entry request : kms.requests()) {
            assertEquals(RequestState.ISSUED.ldapValue(), request.string(AttributeNames.REQUEST_STATE));
        }
        invariants.assertEnrolled(dn, true);
        invariants.assertSettled();
    }

    @Test
    void aGroupOfOlderClientsIsEnrolledWithVersionOneCertificatesInProcessAndThroughTheQueue() throws Exception {
        String group = "cn=Legacy Clients," + EnrollmentFixture.LAYOUT.administrativeGroups();
        kms.addGroup(group, false);
        kms.set(group, AttributeNames.CERTIFICATE_FORMAT, CertificateFormat.X509_V1.ldapValue());
        for (boolean withCa : List.of(true, false)) {
            String dn = kms.addPerson(withCa ? "legacy" : "queuedlegacy", (withCa ? "legacy" : "queuedlegacy")
                    + "@example.com");
            kms.set(dn, AttributeNames.ADMINISTRATIVE_GROUP, group);
            kms.request(dn);
            if (withCa) {
                handled(kms.issuingAgent(), dn, Outcome.ENROLLED);
            } else {
                Agent agent = kms.queueingAgent();
                handled(agent, dn, Outcome.QUEUED);
                // The CA serves both legacy-v1 requests of the live enrollment: neither is stray.
                assertArrayEquals(new int[] {2, 0}, kms.serveQueue());
                assertEquals(Outcome.ENROLLED, agent.service().advanceQueued().get(0).outcome());
            }
            List<byte[]> published = certificates(dn);
            assertEquals(2, published.size());
            for (byte[] der : published) {
                X509Certificate certificate = (X509Certificate) java.security.cert.CertificateFactory
                        .getInstance("X.509").generateCertificate(new java.io.ByteArrayInputStream(der));
                assertEquals(1, certificate.getVersion(), dn);
                assertNull(certificate.getKeyUsage(), "no extensions in a version 1 certificate");
            }
            assertEquals(EnrollmentState.ENROLLED, kms.user(dn).state());
            // Nothing in a version 1 certificate tells encryption from signing: the order does.
            // The first value is the certificate of the archived (encryption) key.
            List<ArchivedKeyEntry> archive = kms.observer().archivedKeys(dn);
            assertEquals(1, archive.size());
            assertArrayEquals(archive.get(0).certificate(), published.get(0), dn);
        }
    }

    @Test
    void aRequestTheCaRefusesEndsTheEnrollmentFailedWithTheCasReason() {
        String dn = kms.addPerson("refused", "refused@example.com");
        kms.request(dn);
        kms.set(dn, AttributeNames.SIGNING_REQUEST, (Object) EnrollmentFixture.somebodyElsesRequest());
        Agent agent = kms.queueingAgent();
        handled(agent, dn, Outcome.QUEUED);
        kms.serveQueue();
        EnrollmentResult failed = agent.service().advanceQueued().get(0);
        assertEquals(Outcome.FAILED, failed.outcome(), failed.toString());
        invariants.assertFailed(dn, "kmsSigningRequest cannot be certified");
        List<ArchivedKeyEntry> archive = kms.observer().archivedKeys(dn);
        assertTrue(archive.get(0).abandoned(), "the failed attempt's record is marked abandoned");
        assertTrue(certificates(dn).isEmpty());

        // The CA issued the encryption certificate before it refused the signing request: nobody
        // will ever publish it, so the failed entry keeps a claim naming it for an agent with the CA.
        List<byte[]> issued = kms.requests().stream().map(r -> r.bytes(AttributeNames.USER_CERTIFICATE))
                .filter(values -> !values.isEmpty()).map(values -> values.get(0)).toList();
        assertEquals(1, issued.size(), "the encryption request was issued");
        assertEquals(1, kms.user(dn).claim().superseded().size());
        invariants.assertSettledWithoutCa();
        kms.afterTheLease();
        handled(kms.issuingAgent(), dn, Outcome.REVOKED);
        invariants.assertOnCrl(issued, CRLReason.SUPERSEDED);
        invariants.assertFailed(dn, "kmsSigningRequest cannot be certified");
        invariants.assertSettled();
    }

    @Test
    void aQueueAgentsReEnrollmentLeavesWhatItSupersedesToAnAgentWithTheCa() {
        String dn = kms.requestedUser("renewed");
        handled(kms.issuingAgent(), dn, Outcome.ENROLLED);
        List<byte[]> first = certificates(dn);
        kms.request(dn);
        Agent queue = kms.queueingAgent();
        handled(queue, dn, Outcome.QUEUED);
        kms.serveQueue();
        assertEquals(Outcome.ENROLLED, queue.service().advanceQueued().get(0).outcome());
        UserEntry published = kms.user(dn);
        assertEquals(2, published.claim().superseded().size(), "the claim stays, naming what is left to revoke");
        invariants.assertNotOnCrl(first);
        invariants.assertSettledWithoutCa();
        assertEquals("the revocation of 2 superseded certificate(s) waits for an agent that has the CA in its process",
                handled(queue, dn, Outcome.NOTHING).detail());

        Agent withCa = kms.issuingAgent();
        assertEquals("the superseded certificates are being revoked under a valid lease",
                handled(withCa, dn, Outcome.NOTHING).detail());
        kms.afterTheLease();
        handled(withCa, dn, Outcome.REVOKED);
        assertEquals(List.of(USER, "modify kmsCertificationAuthority", "modify kmsCertificationAuthority", USER),
                withCa.session().log(), "take over, one CRL per certificate, end the claim");
        invariants.assertOnCrl(first, CRLReason.SUPERSEDED);
        invariants.assertEnrolled(dn, true);
        invariants.assertSettled();
    }

    @ParameterizedTest(name = "served by the CA: {0}, successor with the CA: {1}")
    @org.junit.jupiter.params.provider.CsvSource({"false,false", "true,false", "true,true"})
    void aQueuedAttemptWhoseAgentDiedIsTakenOverWithoutLeftovers(boolean served, boolean successorWithCa) {
        String dn = kms.requestedUser("orphaned");
        Agent dead = kms.queueingAgent();
        handled(dead, dn, Outcome.QUEUED);
        if (served) {
            assertEquals(2, kms.serveQueue()[0]);
        }
        dead.kill();
        List<String> deadRequests = kms.requests().stream().map(InMemoryDirectory.Entry::dn).toList();
        kms.afterTheLease();

        Agent successor = successorWithCa ? kms.issuingAgent() : kms.queueingAgent();
        successor.service().handle(dn);
        for (String request : deadRequests) {
            assertTrue(kms.observer().readRequest(request).isEmpty(), request + " of the dead attempt is gone");
        }
        assertEquals(1, kms.observer().archivedKeys(dn).stream().filter(ArchivedKeyEntry::abandoned).count(),
                "the dead attempt's record is marked abandoned");
        if (!successorWithCa) {
            assertEquals(served ? 2 : 0, kms.user(dn).claim().superseded().size(),
                    "what the CA issued to the dead attempt waits in the claim for an agent with the CA");
            kms.serveQueue();
            successor.service().advanceQueued();
            invariants.assertSettledWithoutCa();
            kms.afterTheLease();
            kms.issuingAgent().service().reconcile();
        }
        invariants.assertEnrolled(dn, true);
        invariants.assertSettled();
    }

    @Test
    void aSuccessorKilledRightAfterNamingTheDeadAttemptsCertificatesLeavesTheDeadAttemptToTheNextTakeOver() {
        String dn = kms.requestedUser("twice");
        Agent dead = kms.queueingAgent();
        handled(dead, dn, Outcome.QUEUED);
        assertEquals(2, kms.serveQueue()[0]);
        dead.kill();
        String deadRecord = kms.observer().archivedKeys(dn).get(0).dn();
        kms.afterTheLease();

        // Writes: the take-over, then the claim naming the issued certificates, and it dies.
        Agent successor = kms.queueingAgent().crashAt(2, Crash.AFTER);
        assertThrows(SimulatedCrash.class, () -> successor.service().handle(dn));
        UserEntry amended = kms.user(dn);
        assertEquals(2, amended.claim().superseded().size(), "the certificates issued to the dead attempt");
        assertEquals(List.of(dead.owner() + " #1"), amended.claim().replaced(),
                "the dead attempt stays named: its requests and its archive record are not cleaned up yet");

        kms.afterTheLease();
        Agent next = kms.queueingAgent();
        handled(next, dn, Outcome.QUEUED);
        assertTrue(kms.observer().archivedKeys(dn).stream().anyMatch(r -> r.dn().equals(deadRecord) && r.abandoned()),
                "the next take-over marks the dead attempt's record abandoned");
        kms.serveQueue();
        next.service().advanceQueued();
        invariants.assertSettledWithoutCa();
        kms.afterTheLease();
        kms.issuingAgent().service().reconcile();
        invariants.assertEnrolled(dn, true);
        invariants.assertSettled();
    }

    @Test
    void aWaitingAttemptRenewsItsLeaseOnceHalfOfItPassedSoThatNobodyTakesItOver() {
        String dn = kms.requestedUser("patient");
        Agent holder = kms.queueingAgent();
        handled(holder, dn, Outcome.QUEUED);
        java.time.Instant firstLease = kms.user(dn).claim().leaseExpires();
        kms.clock.advance(EnrollmentFixture.LEASE.dividedBy(2).minusSeconds(1));
        holder.service().advanceQueued();
        assertEquals(firstLease, kms.user(dn).claim().leaseExpires(), "not before half of the lease passed");
        kms.clock.advance(java.time.Duration.ofSeconds(2));
        int before = holder.session().writes();
        holder.service().advanceQueued();
        assertEquals(List.of(USER), holder.session().log().subList(before, holder.session().writes()), "one renewal");
        assertEquals(kms.clock.instant().plus(EnrollmentFixture.LEASE), kms.user(dn).claim().leaseExpires());

        kms.clock.advance(EnrollmentFixture.LEASE.dividedBy(2).plusSeconds(1));
        assertTrue(kms.clock.instant().isAfter(firstLease));
        Agent other = kms.queueingAgent();
        assertEquals("in progress under a valid lease", handled(other, dn, Outcome.NOTHING).detail());
        kms.serveQueue();
        assertEquals(Outcome.ENROLLED, holder.service().advanceQueued().get(0).outcome());
        invariants.assertEnrolled(dn, true);
        invariants.assertSettled();
    }

    @Test
    void aWaitingAttemptThatWasTakenOverPublishesNothing() {
        String dn = kms.requestedUser("overtaken");
        Agent stalled = kms.queueingAgent();
        handled(stalled, dn, Outcome.QUEUED);
        kms.afterTheLease();
        Agent successor = kms.queueingAgent();
        handled(successor, dn, Outcome.QUEUED);
        kms.serveQueue();
        int before = stalled.session().writes();
        assertEquals("in progress under a valid lease", stalled.service().advanceQueued().get(0).detail(),
                "the stalled process sees another claim on the entry: its own attempt is lost");
        assertTrue(stalled.service().queuedUsers().isEmpty(), "the stalled process forgot its attempt");
        assertEquals(List.of("modify kmsArchivedKey"), stalled.session().log().subList(before, stalled.session().writes()),
                "and published nothing: it only marks its record abandoned (the successor did already; twice is harmless)");
        assertEquals(Outcome.ENROLLED, successor.service().advanceQueued().get(0).outcome());
        invariants.assertEnrolled(dn, true);
        invariants.assertSettled();
    }

    @Test
    void anAdministratorClearingTheQueueEndsTheWaitingEnrollmentFailed() {
        String dn = kms.requestedUser("cleared");
        Agent agent = kms.queueingAgent();
        handled(agent, dn, Outcome.QUEUED);
        kms.clearQueueOf(dn);
        EnrollmentResult failed = agent.service().advanceQueued().get(0);
        assertEquals(Outcome.FAILED, failed.outcome(), failed.toString());
        invariants.assertFailed(dn, "was removed before a CA served it");
        invariants.assertSettled();
    }

    @Test
    void aRevocationWaitsForAnAgentWithTheCa() {
        String dn = kms.requestedUser("revokedlater");
        handled(kms.issuingAgent(), dn, Outcome.ENROLLED);
        List<byte[]> published = certificates(dn);
        kms.requestRevocation(dn, RevocationReason.AFFILIATION_CHANGED);
        Agent queue = kms.queueingAgent();
        assertEquals("the revocation waits for an agent that has the CA in its process",
                handled(queue, dn, Outcome.NOTHING).detail());
        assertEquals(0, queue.session().writes());
        handled(kms.issuingAgent(), dn, Outcome.REVOKED);
        invariants.assertRevoked(dn);
        invariants.assertOnCrl(published, CRLReason.AFFILIATION_CHANGED);
        invariants.assertSettled();
    }

    @Test
    void anEntryResetWhileItsAttemptWaitsIsEnrolledAnewAndTheWaitingKeysAreNeverPublished() {
        String dn = kms.requestedUser("reset");
        Agent agent = kms.queueingAgent();
        handled(agent, dn, Outcome.QUEUED);
        String forgotten = kms.observer().archivedKeys(dn).get(0).dn();
        kms.resetBelowTheGuard(dn);
        kms.serveQueue();
        assertEquals(2, kms.requests().stream().filter(r -> RequestState.FAILED.ldapValue()
                .equals(r.string(AttributeNames.REQUEST_STATE))).count(),
                "the CA serves no request of a claim that is not on the entry");
        int before = agent.session().writes();
        assertEquals(Outcome.QUEUED, agent.service().advanceQueued().get(0).outcome(), "a new attempt");
        assertEquals(List.of("delete kmsCertificateRequest", "delete kmsCertificateRequest", "modify kmsArchivedKey",
                USER, ARCHIVE, REQUEST, REQUEST), agent.session().log().subList(before, agent.session().writes()),
                "the process that held the forgotten attempt withdraws what it left, then enrolls anew");
        kms.serveQueue();
        assertEquals(Outcome.ENROLLED, agent.service().advanceQueued().get(0).outcome());
        assertFalse(kms.observer().archivedKeys(dn).stream().anyMatch(r -> r.dn().equals(forgotten) && !r.abandoned()),
                "the forgotten attempt's record does not stay live");
        invariants.assertEnrolled(dn, true);
        invariants.assertSettled();
    }
}
