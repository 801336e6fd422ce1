package org.dirkms.agent.enroll;

import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

import javax.security.auth.x500.X500Principal;

import org.dirkms.agent.directory.Claim;
import org.dirkms.agent.directory.DirectoryAccessException;
import org.dirkms.agent.names.DistinguishedNames;
import org.dirkms.agent.directory.EnrollmentRecords;
import org.dirkms.agent.directory.EnrollmentRecords.ArchivedKeyEntry;
import org.dirkms.agent.directory.EnrollmentRecords.QueuedRequest;
import org.dirkms.agent.directory.EnrollmentRecords.UserEntry;
import org.dirkms.agent.enroll.EnrollmentCryptography.Wrapped;
import org.dirkms.agent.keys.KeyPairFactory;
import org.dirkms.schema.AttributeNames;
import org.dirkms.schema.CertificatePurpose;
import org.dirkms.schema.EnrollmentState;
import org.dirkms.schema.RequestState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Certificates through the request queue under {@code ou=Requests}, for an agent without a CA
 * in its process (docs/state-machines.md, "Enrollment through the queue"). The attempt makes the
 * keys, archives the encryption key first (without its certificate, which does not exist yet:
 * whatever the CA later issues for that key has its key archived), queues both requests at DNs
 * derived from its attempt, and waits in-progress under its claim; {@link #advance} publishes
 * once a CA has issued both, or ends the enrollment failed with the CA's reason.
 *
 * <p>The keys of a waiting enrollment live only in this process's memory (the encryption key is
 * also in the archive, wrapped), so only the holder of the claim can finish it; while it waits
 * it renews its lease once half of it has passed, so that a slow CA does not let another agent
 * take a live enrollment over. A process that dies stops renewing, and a take-over cleans up its
 * archive record and requests.
 */
final class RequestQueue implements CertificateSource {

    private static final Logger LOG = LoggerFactory.getLogger(RequestQueue.class);

    /** An enrollment waiting for the CA to serve its two queued requests. */
    private record Waiting(Enrollment.Attempt attempt, KeyPair encryption, PrivateKey signingKey,
            String signingRequestDn, String encryptionRequestDn) {
    }

    private final EnrollmentContext context;
    private final EnrollmentRecords records;
    private final Enrollment enrollment;
    /** The waiting enrollments, by attempt. */
    private final ConcurrentMap<String, Waiting> waiting = new ConcurrentHashMap<>();
    /** The users of the waiting enrollments, by the normalised DN of each request they queued. */
    private final ConcurrentMap<String, String> waiterByRequest = new ConcurrentHashMap<>();

    RequestQueue(EnrollmentContext context, Enrollment enrollment) {
        this.context = context;
        this.records = context.records();
        this.enrollment = enrollment;
    }

    @Override
    public EnrollmentResult certify(Enrollment.Attempt attempt) {
        UserEntry user = attempt.user;
        EnrollmentCryptography crypto = context.crypto();
        byte[] signingRequest;
        PrivateKey signingKey = null;
        if (user.signingRequest() != null) {
            signingRequest = user.signingRequest();
        } else {
            KeyPair pair = crypto.newKeyPair(attempt.group.keyAlgorithm());
            signingRequest = crypto.certificationRequest(pair);
            signingKey = pair.getPrivate();
        }
        KeyPair encryption = crypto.newKeyPair(attempt.group.keyAlgorithm());
        Wrapped wrapped = crypto.wrap(encryption.getPrivate(), null);
        String archiveDn = enrollment.archiveDn(user, attempt.claim);
        records.addArchivedKey(new ArchivedKeyEntry(archiveDn, user.dn(), wrapped.envelopedData(), null,
                wrapped.algorithm(), wrapped.keyId()));
        attempt.archived = archiveDn;
        String signingDn = records.requestDn(user.dn(), attempt.claim.attempt(), CertificatePurpose.SIGNING.ldapValue());
        String encryptionDn = records.requestDn(user.dn(), attempt.claim.attempt(),
                CertificatePurpose.ENCRYPTION.ldapValue());
        // Registered before the adds: a CA that serves them at once finds the enrollment known.
        remember(new Waiting(attempt, encryption, signingKey, signingDn, encryptionDn));
        try {
            records.queueRequest(signingDn, Enrollment.signingTemplate(attempt.group), user.dn(), signingRequest);
            records.queueRequest(encryptionDn, Enrollment.encryptionTemplate(attempt.group), user.dn(),
                    crypto.certificationRequest(encryption));
        } catch (DirectoryAccessException e) {
            forget(attempt.claim.attempt());
            throw e;
        }
        LOG.info("Queued the certificate requests of {} ({}); encryption key archived at {}", user.dn(),
                attempt.group.dn(), archiveDn);
        return new EnrollmentResult(user.dn(), user.mail(), EnrollmentResult.Outcome.QUEUED,
                EnrollmentState.IN_PROGRESS, "waiting for the CA to serve " + signingDn + " and " + encryptionDn, null);
    }

    @Override
    public boolean holds(Claim claim) {
        return claim != null && waiting.containsKey(claim.attempt());
    }

    /**
     * When both requests are issued, checks that each certificate is for the key this enrollment
     * holds, adds the encryption certificate to the archive record and publishes; when the CA
     * refused one, ends the enrollment as failed with the CA's reason (nothing was published, so
     * the archive record is marked abandoned, and a certificate the CA issued for the other
     * request is left in the claim to be revoked).
     */
    @Override
    public EnrollmentResult advance(UserEntry user) {
        Waiting held = waiting.get(user.claim().attempt());
        if (!renewIfDue(held)) {
            forget(held.attempt().claim.attempt());
            return Enrollment.nothing(held.attempt().user,
                    "the claim was lost to another process while the requests waited for the CA");
        }
        Enrollment.Attempt attempt = held.attempt();
        Optional<QueuedRequest> signing = expireIfDue(records.readRequest(held.signingRequestDn()));
        Optional<QueuedRequest> encryption = expireIfDue(records.readRequest(held.encryptionRequestDn()));
        boolean clientSigning = attempt.user.signingRequest() != null;
        EnrollmentResult result = enrollment.guarded(attempt, () -> {
            String refused = refusal(signing, held.signingRequestDn(), "signature",
                    Enrollment.signingTemplate(attempt.group), clientSigning);
            if (refused == null) {
                refused = refusal(encryption, held.encryptionRequestDn(), "encryption",
                        Enrollment.encryptionTemplate(attempt.group), false);
            }
            if (refused != null) {
                // The other request must not be issued any more for a key nobody will publish, and
                // an expired one is removed from the queue (the user's entry says why).
                for (Optional<QueuedRequest> other : List.of(signing, encryption)) {
                    other.filter(r -> r.state() == RequestState.PENDING || r.state() == RequestState.EXPIRED)
                            .ifPresent(r -> records.deleteRequest(r.dn()));
                }
                // One the CA issued already will never be published either: like a certificate issued
                // to a dead attempt (TakeOver), it is revoked, through the claim the failure keeps
                // for an agent with the CA.
                List<SupersededCertificate> unused = new ArrayList<>();
                for (Optional<QueuedRequest> other : List.of(signing, encryption)) {
                    if (issued(other)) {
                        unused.add(SupersededCertificate.of(Enrollment.parse(other.get().certificate(), other.get().dn())));
                    }
                }
                if (!unused.isEmpty()) {
                    attempt.claim = attempt.claim.superseding(SupersededCertificate.der(SupersededCertificate.union(
                            SupersededCertificate.parse(attempt.claim.superseded()), unused)));
                }
                throw new EnrollmentFailure(refused);
            }
            if (!issued(signing) || !issued(encryption)) {
                return new EnrollmentResult(attempt.user.dn(), attempt.user.mail(), EnrollmentResult.Outcome.QUEUED,
                        EnrollmentState.IN_PROGRESS, "waiting for the CA to serve the certificate requests", null);
            }
            X509Certificate signingCertificate = Enrollment.parse(signing.get().certificate(), attempt.user.dn());
            X509Certificate encryptionCertificate = Enrollment.parse(encryption.get().certificate(), attempt.user.dn());
            if (!KeyPairFactory.matches(held.encryption().getPrivate(), encryptionCertificate.getPublicKey())
                    || (held.signingKey() != null
                            && !KeyPairFactory.matches(held.signingKey(), signingCertificate.getPublicKey()))) {
                throw new IllegalStateException("a certificate issued through the queue is not for the key requested");
            }
            List<X509Certificate> caChain = caChain(encryptionCertificate);
            records.attachArchivedCertificate(attempt.archived, Enrollment.der(encryptionCertificate));
            return enrollment.publish(attempt, signingCertificate, held.signingKey(), encryptionCertificate,
                    held.encryption().getPrivate(), caChain);
        });
        if (result.outcome() != EnrollmentResult.Outcome.QUEUED) {
            forget(attempt.claim.attempt());
        }
        return result;
    }

    /**
     * Renews the lease of a waiting enrollment once half of it has passed, with a test-and-set on
     * its claim and stored lease.
     *
     * @return false if another process took the claim over (this attempt must publish nothing)
     */
    private boolean renewIfDue(Waiting held) {
        Enrollment.Attempt attempt = held.attempt();
        if (!context.lease().renewalDue(attempt.claim)) {
            return true;
        }
        Claim renewed = attempt.claim.until(context.lease().fromNow());
        if (!records.renewLease(attempt.user.dn(), attempt.claim, renewed.leaseExpires())) {
            LOG.info("{}: the claim {} was taken over while its requests waited for the CA", attempt.user.dn(),
                    attempt.claim.attempt());
            return false;
        }
        attempt.claim = renewed;
        LOG.debug("{}: lease renewed until {} while the requests wait for the CA", attempt.user.dn(),
                renewed.leaseExpires());
        return true;
    }

    @Override
    public void forgetLost(UserEntry user) {
        if (waiting.isEmpty()) {
            return;
        }
        String dn = DistinguishedNames.normal(user.dn());
        List<Waiting> lost = waiting.values().stream()
                .filter(held -> DistinguishedNames.normal(held.attempt().user.dn()).equals(dn)
                        && (user.state() != EnrollmentState.IN_PROGRESS || user.claim() == null
                                || !held.attempt().claim.attempt().equals(user.claim().attempt())))
                .toList();
        for (Waiting held : lost) {
            forget(held.attempt().claim.attempt());
            withdraw(held, user);
        }
    }

    /**
     * What a lost attempt leaves behind, withdrawn by the process that held it. A process that
     * took the claim over cleans up after it as well (TakeOver); but when the entry was reset
     * (its claim removed below the guard, as a restore from a backup does), the claim that named
     * the attempt is gone and only this process knows it: its requests not yet issued are deleted
     * (the CA would refuse them anyway) and its archive record, whose key nobody will publish, is
     * marked abandoned. A record the entry lists was published and stays as it is; deleting a
     * request or marking a record twice is harmless. A certificate the CA issued before the reset
     * cannot be revoked by an agent without the CA and no claim is left to name it: it is logged.
     */
    private void withdraw(Waiting held, UserEntry user) {
        for (String requestDn : List.of(held.signingRequestDn(), held.encryptionRequestDn())) {
            Optional<QueuedRequest> request = records.readRequest(requestDn);
            if (issued(request) && user.certificates().stream()
                    .noneMatch(published -> Arrays.equals(published, request.get().certificate()))) {
                LOG.warn("{}: the CA issued {} to the attempt {}, whose claim is gone; its certificate was never"
                        + " published and is not revoked", user.dn(), requestDn, held.attempt().claim.attempt());
            } else if (request.isPresent() && !issued(request)) {
                records.deleteRequest(requestDn);
            }
        }
        String archived = held.attempt().archived;
        if (archived != null && user.archiveRecords().stream().noneMatch(listed -> DistinguishedNames.same(listed, archived))) {
            records.abandonArchivedKey(archived);
        }
        LOG.info("{}: forgot the waiting attempt {}, whose claim is gone", user.dn(), held.attempt().claim.attempt());
    }

    @Override
    public List<String> waitingUsers() {
        List<String> dns = new ArrayList<>();
        for (Waiting held : waiting.values()) {
            dns.add(held.attempt().user.dn());
        }
        return dns;
    }

    @Override
    public void adoptFrom(CertificateSource previous) {
        if (previous instanceof RequestQueue queue) {
            queue.waiting.values().forEach(this::remember);
        }
    }

    @Override
    public Optional<String> waiterOf(String requestDn) {
        return Optional.ofNullable(waiterByRequest.get(DistinguishedNames.normal(requestDn)));
    }

    private void remember(Waiting held) {
        waiting.put(held.attempt().claim.attempt(), held);
        waiterByRequest.put(DistinguishedNames.normal(held.signingRequestDn()), held.attempt().user.dn());
        waiterByRequest.put(DistinguishedNames.normal(held.encryptionRequestDn()), held.attempt().user.dn());
    }

    private void forget(String attempt) {
        Waiting held = waiting.remove(attempt);
        if (held != null) {
            waiterByRequest.remove(DistinguishedNames.normal(held.signingRequestDn()));
            waiterByRequest.remove(DistinguishedNames.normal(held.encryptionRequestDn()));
        }
    }

    private static boolean issued(Optional<QueuedRequest> request) {
        return request.isPresent() && request.get().state() == RequestState.ISSUED && request.get().certificate() != null;
    }

    /**
     * {@code request}, expired first when no CA can serve it any more at the lease's clock
     * ({@link QueuedRequest#expiredAt}): its deadline passed while it waited, or while a CA that
     * died held it. When a CA claims it at that moment the expiry loses, and the request is read
     * again.
     */
    private Optional<QueuedRequest> expireIfDue(Optional<QueuedRequest> request) {
        if (request.isEmpty() || !request.get().expiredAt(context.lease().clock().instant())) {
            return request;
        }
        QueuedRequest due = request.get();
        if (records.expireRequest(due)) {
            LOG.info("{} expired: no certification authority served it by {}", due.dn(), due.expires());
            return Optional.of(new QueuedRequest(due.dn(), RequestState.EXPIRED, null, null, due.requested(),
                    due.expires(), null));
        }
        return records.readRequest(due.dn());
    }

    /** The plain-language reason when {@code request} ended without a certificate, else null. */
    private static String refusal(Optional<QueuedRequest> request, String dn, String kind, String template,
            boolean fromClient) {
        if (request.isEmpty()) {
            return "the " + kind + " certificate request " + dn + " was removed before a CA served it; set "
                    + AttributeNames.ENROLLMENT_STATE + ": requested to retry";
        }
        RequestState state = request.get().state();
        if (state == RequestState.EXPIRED) {
            return "the " + kind + " certificate request waited " + waited(request.get())
                    + " without an available certification authority that has the template " + template
                    + " (none active, all busy, or the template installed on none); request enrollment again (set "
                    + AttributeNames.ENROLLMENT_STATE + ": requested)";
        }
        if (state != RequestState.FAILED) {
            return null;
        }
        String reason = request.get().lastError() == null ? "no reason given" : request.get().lastError();
        if (fromClient) {
            return AttributeNames.SIGNING_REQUEST + " cannot be certified: " + reason + "; replace it with a valid"
                    + " PKCS#10 request made by the user's client (or remove it to let the KMS make the signing key),"
                    + " then set " + AttributeNames.ENROLLMENT_STATE + ": requested again";
        }
        return "the CA refused the " + kind + " certificate request: " + reason + "; set "
                + AttributeNames.ENROLLMENT_STATE + ": requested to retry";
    }

    /** How long an expired request waited, in words: its lifetime, in hours when whole. */
    private static String waited(QueuedRequest request) {
        if (request.requested() == null || request.expires() == null) {
            return "its whole lifetime";
        }
        java.time.Duration lifetime = java.time.Duration.between(request.requested(), request.expires());
        long hours = Math.round(lifetime.toMinutes() / 60.0);
        return hours == 1 ? "1 hour" : hours + " hours";
    }

    /** The issuer's chain, read from its CA entry (it sits at the issuer's subject DN). */
    private List<X509Certificate> caChain(X509Certificate leaf) {
        String issuer = leaf.getIssuerX500Principal().getName(X500Principal.RFC2253);
        List<X509Certificate> chain = new ArrayList<>();
        for (byte[] der : records.caCertificates(issuer)) {
            chain.add(Enrollment.parse(der, issuer));
        }
        if (chain.isEmpty()) {
            throw new IllegalStateException("there is no CA entry at the issuer's DN " + issuer);
        }
        return chain;
    }
}
