package org.dirkms.agent.enroll;

import java.io.ByteArrayInputStream;
import java.security.PrivateKey;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import org.dirkms.agent.ca.StandardTemplates;
import org.dirkms.agent.directory.Claim;
import org.dirkms.agent.directory.DirectoryAccessException;
import org.dirkms.agent.names.DistinguishedNames;
import org.dirkms.agent.directory.EnrollmentRecords;
import org.dirkms.agent.directory.EnrollmentRecords.GroupEntry;
import org.dirkms.agent.directory.EnrollmentRecords.Publication;
import org.dirkms.agent.directory.EnrollmentRecords.UserEntry;
import org.dirkms.agent.enroll.EnrollmentCryptography.PackageItem;
import org.dirkms.agent.enroll.EnrollmentResult.Outcome;
import org.dirkms.schema.AttributeNames;
import org.dirkms.schema.CertificateFormat;
import org.dirkms.schema.CertificatePurpose;
import org.dirkms.schema.EnrollmentState;
import org.dirkms.schema.RevocationReason;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One attempt at enrolling a claimed user (docs/state-machines.md, "Enrollment"): the checks
 * before anything is made, the certificates from the {@link CertificateSource}, the publication
 * that commits the enrollment, and the failure that ends it. The invariant it keeps
 * (docs/reliability.md): no certificate for an encryption key is published unless that key is
 * durably archived; an attempt that ends without publishing leaves its archive record marked
 * abandoned, never deleted.
 */
final class Enrollment {

    private static final Logger LOG = LoggerFactory.getLogger(Enrollment.class);

    /** What one attempt has done so far, for the clean-up of a failure. */
    static final class Attempt {
        final UserEntry user;
        final GroupEntry group;
        Claim claim;
        String archived;
        boolean visible;
        char[] token;

        Attempt(UserEntry user, GroupEntry group, Claim claim) {
            this.user = user;
            this.group = group;
            this.claim = claim;
        }
    }

    /** One step of an attempt; it may end the enrollment with a failure the administrator can fix. */
    interface Step {
        EnrollmentResult run() throws EnrollmentFailure;
    }

    private final EnrollmentContext context;
    private final EnrollmentRecords records;
    private final Supersession supersession;

    Enrollment(EnrollmentContext context, Supersession supersession) {
        this.context = context;
        this.records = context.records();
        this.supersession = supersession;
    }

    /**
     * Enrolls the user whose enrollment {@code claim} holds: checks what the user's entry asks
     * for, then has {@code source} certify the keys (issuing and publishing now, or queueing).
     */
    EnrollmentResult enroll(UserEntry user, GroupEntry group, Claim claim, CertificateSource source) {
        Attempt attempt = new Attempt(user, group, claim);
        return guarded(attempt, () -> {
            if (user.mail().isEmpty()) {
                throw new EnrollmentFailure("the entry has no mail address: add mail (mail clients look certificates up"
                        + " by it), then set " + AttributeNames.ENROLLMENT_STATE + ": requested again");
            }
            refuseSharedAddresses(user);
            if (user.deliveryKey() != null) {
                try {
                    context.crypto().checkDeliveryKey(user.deliveryKey());
                } catch (IllegalArgumentException e) {
                    throw new EnrollmentFailure(AttributeNames.DELIVERY_KEY + " cannot be used: " + e.getMessage()
                            + "; the user's client writes a new self-signed PKCS#10 of an RSA (2048 bits or more) or"
                            + " EC key there (or the user removes it to get a package protected by a token), then set "
                            + AttributeNames.ENROLLMENT_STATE + ": requested again");
                }
            }
            return source.certify(attempt);
        });
    }

    /**
     * An address is certified for one person only (docs/security.md, "The KMS itself checks what
     * it certifies"): the directory administrator sets {@code mail}, so one person holding that
     * role could otherwise give their own entry someone else's address and have a KMS
     * administrator enroll it. Any entry of the directory other than the user and the
     * certificates published for the user that holds one of the user's addresses stops the
     * enrollment before anything is issued, archived or published.
     */
    private void refuseSharedAddresses(UserEntry user) throws EnrollmentFailure {
        String self = DistinguishedNames.normal(user.dn());
        Map<String, Set<String>> others = new LinkedHashMap<>();
        for (EnrollmentRecords.AddressHolder holder : records.entriesWithMail(user.mail())) {
            if (DistinguishedNames.normal(holder.holderDn()).equals(self)
                    || DistinguishedNames.normal(holder.dn()).equals(self)) {
                continue;
            }
            for (String address : holder.mail()) {
                others.computeIfAbsent(address.toLowerCase(Locale.ROOT), a -> new LinkedHashSet<>())
                        .add(holder.holderDn());
            }
        }
        if (others.isEmpty()) {
            return;
        }
        List<String> clashes = new ArrayList<>();
        others.forEach((address, holders) -> {
            // A handful of DNs names the problem; a directory full of copies need not fill kmsLastError.
            List<String> named = holders.stream().limit(3).toList();
            clashes.add("the address " + address + " is also the mail of " + String.join(" and ", named)
                    + (holders.size() > named.size() ? " and " + (holders.size() - named.size()) + " more entries" : ""));
        });
        throw new EnrollmentFailure(String.join("; ", clashes) + ": an address is certified for one person only, so"
                + " nothing was issued; remove it from the entry that must not have it (the directory administrator"
                + " sets mail), then set " + AttributeNames.ENROLLMENT_STATE + ": requested again");
    }

    /**
     * The template of the signing certificate of {@code group}'s users: {@code smime-signature},
     * or {@code legacy-v1} when the group's {@code kmsCertificateFormat} is {@code x509v1}.
     */
    static String signingTemplate(GroupEntry group) {
        return group.certificateFormat() == CertificateFormat.X509_V1 ? StandardTemplates.LEGACY_V1
                : StandardTemplates.SMIME_SIGNATURE;
    }

    /**
     * The template of the encryption certificate of {@code group}'s users: {@code smime-encryption},
     * or {@code legacy-v1} when the group's {@code kmsCertificateFormat} is {@code x509v1}. A
     * version 1 certificate carries no key usage (RFC 5280 section 4.1.2.9), so the two
     * certificates differ only in their keys: the KMS still makes, archives and publishes two.
     */
    static String encryptionTemplate(GroupEntry group) {
        return group.certificateFormat() == CertificateFormat.X509_V1 ? StandardTemplates.LEGACY_V1
                : StandardTemplates.SMIME_ENCRYPTION;
    }

    /** The DN of the archive record of the attempt holding {@code claim} on {@code user}. */
    String archiveDn(UserEntry user, Claim claim) {
        return records.archivedKeyDn(user.dn(), claim.attempt());
    }

    /**
     * The commit of an enrollment whose encryption key is archived: builds the package and the
     * bundle, publishes the children and, in one modify under the claim, the user entry; then
     * revokes what the new certificates supersede.
     */
    EnrollmentResult publish(Attempt attempt, X509Certificate signing, PrivateKey signingKey,
            X509Certificate encryptionCertificate, PrivateKey encryptionKey, List<X509Certificate> caChain) {
        UserEntry user = attempt.user;
        GroupEntry group = attempt.group;
        String name = user.mail().get(0);
        List<PackageItem> items = new ArrayList<>();
        items.add(new PackageItem(encryptionKey, chain(encryptionCertificate, caChain), name + " encryption"));
        if (signingKey != null) {
            items.add(new PackageItem(signingKey, chain(signing, caChain), name + " signing"));
        }
        List<byte[]> keyPackage;
        if (user.deliveryKey() != null) {
            // Sealed delivery (docs/security.md, "Key delivery"): only the holder of the key the
            // user's client made opens the package; no token exists for anybody to hand over.
            keyPackage = context.crypto().sealedKeyPackage(items, user.deliveryKey(), group.packageFormat());
        } else {
            attempt.token = context.crypto().newToken();
            keyPackage = context.crypto().keyPackage(items, attempt.token, group.packageFormat());
        }
        byte[] bundle = context.crypto().smimeBundle(signing, signingKey, encryptionCertificate, caChain,
                group.contentEncryption(), group.messageFormat());

        // What this enrollment supersedes was written with the claim, before anything is
        // published; the publication keeps it on the entry, under the claim and its lease, until it
        // is revoked, so a crash right after publishing leaves it to a take-over.
        List<SupersededCertificate> stillToRevoke = SupersededCertificate.without(
                SupersededCertificate.parse(attempt.claim.superseded()),
                List.of(SupersededCertificate.of(signing), SupersededCertificate.of(encryptionCertificate)));

        attempt.visible = true;
        records.putPublishedCertificate(user.dn(), CertificatePurpose.SIGNING.ldapValue(), user.mail(), der(signing));
        records.putPublishedCertificate(user.dn(), CertificatePurpose.ENCRYPTION.ldapValue(), user.mail(),
                der(encryptionCertificate));
        Instant expires = context.clock().instant().plus(context.packageLifetime());
        // The encryption certificate first: clients that keep one userCertificate value of an
        // entry keep the first, and must be able to encrypt to it (docs/interoperability.md).
        if (!records.publish(user.dn(), attempt.claim, new Publication(List.of(der(encryptionCertificate), der(signing)),
                bundle, keyPackage, attempt.token, expires, SupersededCertificate.der(stillToRevoke), attempt.archived))) {
            // Our lease expired and another process took over, or the entry was reset: our keys
            // are never published.
            clear(attempt.token);
            withdrawShown(attempt, signing, encryptionCertificate);
            return nothing(user, "the claim was lost to another process before publication");
        }
        LOG.info("Enrolled {} ({}): signing {} encryption {}, key archived at {}", user.dn(), group.dn(),
                signing.getSerialNumber().toString(16), encryptionCertificate.getSerialNumber().toString(16),
                attempt.archived);
        if (!stillToRevoke.isEmpty()) {
            supersession.revokeAfterPublication(user, attempt.claim.superseding(SupersededCertificate.der(stillToRevoke)),
                    stillToRevoke);
        }
        return new EnrollmentResult(user.dn(), user.mail(), Outcome.ENROLLED, EnrollmentState.ENROLLED, null,
                attempt.token);
    }

    /**
     * After a publication that failed because the claim was lost. This process wrote its
     * children before it learnt that: if it had stalled until the enrollment that took its place
     * (a take-over after the lease, or a new one after a reset) had published, they now show this
     * attempt's certificates beside the entry's. When they do and no enrollment is under way, they
     * are put back to the certificates the entry shows (or removed, when it shows none); an
     * enrollment under way writes its own before it publishes. The attempt's archive record is
     * marked abandoned: its key is never published, and stays archived as its certificate was
     * visible (a process that took over marks it too: twice is harmless).
     */
    private void withdrawShown(Attempt attempt, X509Certificate signing, X509Certificate encryption) {
        String dn = attempt.user.dn();
        List<byte[]> ours = List.of(der(signing), der(encryption));
        boolean shown = records.publishedCertificates(dn).stream()
                .anyMatch(child -> ours.stream().anyMatch(own -> Arrays.equals(own, child)));
        UserEntry now = records.readUser(dn).orElse(null);
        if (shown && now != null && now.state() != EnrollmentState.IN_PROGRESS) {
            if (now.certificates().isEmpty()) {
                records.removePublishedCertificates(dn);
            }
            for (byte[] published : now.certificates()) {
                records.putPublishedCertificate(dn, purposeOf(parse(published, dn)).ldapValue(), now.mail(), published);
            }
            LOG.info("{}: put the published certificates back in place of those of the attempt {}, which lost its"
                    + " claim after showing them", dn, attempt.claim.attempt());
        }
        records.abandonArchivedKey(attempt.archived);
    }

    /**
     * Runs {@code step} with the failure handling every attempt shares: a failure the
     * administrator can fix ends in failed (the archive record is marked abandoned when nothing
     * was published); a directory failure leaves the claim to expire and be taken over; anything
     * else is logged and ends in failed without internals.
     */
    EnrollmentResult guarded(Attempt attempt, Step step) {
        try {
            return step.run();
        } catch (EnrollmentFailure e) {
            clear(attempt.token);
            return fail(attempt.user, e.getMessage(), attempt.visible ? null : attempt.archived, attempt.claim);
        } catch (DirectoryAccessException e) {
            clear(attempt.token);
            // The directory failed mid-way: the claim's lease expires and the work is taken over;
            // nothing is lost (the archive record of this attempt is found by its DN).
            LOG.warn("Enrollment of {} interrupted: {}", attempt.user.dn(), e.getMessage());
            throw e;
        } catch (RuntimeException e) {
            clear(attempt.token);
            // Not the administrator's doing (e.g. a broken key store): the cause goes to the log,
            // the entry gets a reason without internals, and a new 'requested' retries.
            LOG.error("Enrollment of {} failed", attempt.user.dn(), e);
            return fail(attempt.user, "the KMS could not complete the enrollment (" + e.getClass().getSimpleName()
                    + "); the agent's log has the details; set " + AttributeNames.ENROLLMENT_STATE
                    + ": requested to retry", attempt.visible ? null : attempt.archived, attempt.claim);
        }
    }

    /**
     * Ends the attempt holding {@code claim} as failed. The certificates the claim names that are
     * not published on the entry (superseded by an earlier publication whose revocations were not
     * finished, or issued to a dead attempt) still must be revoked: at once when this agent has
     * the CA, else the failed entry keeps the claim naming them, with its lease, for an agent that
     * has ({@link Supersession#finish}). The published ones stay valid: nothing replaced them.
     */
    EnrollmentResult fail(UserEntry user, String reason, String orphanArchive, Claim claim) {
        if (orphanArchive != null) {
            // Nothing of this attempt was published: its archive record is marked, never deleted.
            records.abandonArchivedKey(orphanArchive);
        }
        List<SupersededCertificate> unrevoked = SupersededCertificate.without(
                SupersededCertificate.parse(claim.superseded()), SupersededCertificate.parse(user.certificates()));
        List<SupersededCertificate> left = context.revocations().revoke(user.dn(), unrevoked,
                RevocationReason.SUPERSEDED);
        if (left.isEmpty()) {
            records.fail(user.dn(), reason);
        } else {
            records.failKeepingClaim(user.dn(), reason, claim, SupersededCertificate.der(left));
        }
        LOG.info("Enrollment of {} failed: {}", user.dn(), reason);
        return new EnrollmentResult(user.dn(), user.mail(), Outcome.FAILED, EnrollmentState.FAILED, reason, null);
    }

    /** A result that did nothing, saying why. */
    static EnrollmentResult nothing(UserEntry user, String why) {
        return new EnrollmentResult(user.dn(), user.mail(), Outcome.NOTHING, user.state(), why, null);
    }

    /**
     * The purpose of a certificate the KMS published: encryption when its key usage has
     * keyEncipherment (RSA) or keyAgreement (EC), RFC 5280 section 4.2.1.3; signing otherwise.
     */
    static CertificatePurpose purposeOf(X509Certificate certificate) {
        boolean[] usage = certificate.getKeyUsage();
        return usage != null && (usage[2] || usage[4]) ? CertificatePurpose.ENCRYPTION : CertificatePurpose.SIGNING;
    }

    static List<X509Certificate> chain(X509Certificate leaf, List<X509Certificate> caChain) {
        List<X509Certificate> chain = new ArrayList<>();
        chain.add(leaf);
        chain.addAll(caChain);
        return chain;
    }

    static byte[] der(X509Certificate certificate) {
        try {
            return certificate.getEncoded();
        } catch (CertificateEncodingException e) {
            throw new IllegalStateException("a certificate cannot be encoded", e);
        }
    }

    static X509Certificate parse(byte[] der, String dn) {
        try {
            return (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(der));
        } catch (CertificateException e) {
            throw new IllegalStateException(dn + " holds a certificate value that is not a certificate", e);
        }
    }

    static void clear(char[] token) {
        if (token != null) {
            Arrays.fill(token, '\0');
        }
    }
}
