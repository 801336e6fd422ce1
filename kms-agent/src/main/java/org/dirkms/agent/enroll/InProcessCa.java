package org.dirkms.agent.enroll;

import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;

import org.dirkms.agent.ca.CertificationAuthority;
import org.dirkms.agent.ca.IssuanceRefusedException;
import org.dirkms.agent.ca.IssuanceRequest;
import org.dirkms.agent.directory.Claim;
import org.dirkms.agent.directory.EnrollmentRecords.ArchivedKeyEntry;
import org.dirkms.agent.directory.EnrollmentRecords.UserEntry;
import org.dirkms.agent.enroll.EnrollmentCryptography.Wrapped;
import org.dirkms.schema.AttributeNames;

/**
 * Certificates from the CA in this process: both are issued at once, the encryption key is
 * archived with its certificate, and the attempt publishes — five directory writes in all (the
 * claim, the archive record, two published children, the publication).
 */
final class InProcessCa implements CertificateSource {

    private final EnrollmentContext context;
    private final Enrollment enrollment;
    private final CertificationAuthority ca;

    InProcessCa(EnrollmentContext context, Enrollment enrollment, CertificationAuthority ca) {
        this.context = context;
        this.enrollment = enrollment;
        this.ca = ca;
    }

    @Override
    public EnrollmentResult certify(Enrollment.Attempt attempt) throws EnrollmentFailure {
        UserEntry user = attempt.user;
        EnrollmentCryptography crypto = context.crypto();
        X509Certificate signing;
        PrivateKey signingKey = null;
        if (user.signingRequest() != null) {
            signing = issue(Enrollment.signingTemplate(attempt.group), user.signingRequest(), user, true);
        } else {
            KeyPair pair = crypto.newKeyPair(attempt.group.keyAlgorithm());
            signing = issue(Enrollment.signingTemplate(attempt.group), crypto.certificationRequest(pair), user, false);
            signingKey = pair.getPrivate();
        }
        KeyPair encryption = crypto.newKeyPair(attempt.group.keyAlgorithm());
        X509Certificate encryptionCertificate = issue(Enrollment.encryptionTemplate(attempt.group),
                crypto.certificationRequest(encryption), user, false);

        // The invariant (docs/reliability.md): the encryption key is durably archived before any
        // certificate for it is published. An add that fails stops here.
        Wrapped wrapped = crypto.wrap(encryption.getPrivate(), encryptionCertificate);
        String archiveDn = enrollment.archiveDn(user, attempt.claim);
        context.records().addArchivedKey(new ArchivedKeyEntry(archiveDn, user.dn(), wrapped.envelopedData(),
                Enrollment.der(encryptionCertificate), wrapped.algorithm(), wrapped.keyId()));
        attempt.archived = archiveDn;
        return enrollment.publish(attempt, signing, signingKey, encryptionCertificate, encryption.getPrivate(),
                ca.chain());
    }

    private X509Certificate issue(String template, byte[] pkcs10, UserEntry user, boolean fromClient)
            throws EnrollmentFailure {
        try {
            return ca.issue(IssuanceRequest.forPerson(template, pkcs10, user.dn(), user.mail()));
        } catch (IssuanceRefusedException e) {
            if (fromClient) {
                throw new EnrollmentFailure(AttributeNames.SIGNING_REQUEST + " cannot be certified: " + e.getMessage()
                        + "; replace it with a valid PKCS#10 request made by the user's client (or remove it to let"
                        + " the KMS make the signing key), then set " + AttributeNames.ENROLLMENT_STATE
                        + ": requested again");
            }
            throw new EnrollmentFailure("the CA refused the " + template + " certificate: " + e.getMessage());
        }
    }

    /** Nothing waits here: certificates are issued at once. */
    @Override
    public boolean holds(Claim claim) {
        return false;
    }

    @Override
    public EnrollmentResult advance(UserEntry user) {
        throw new IllegalStateException("no enrollment waits for a CA in this process");
    }

    @Override
    public void forgetLost(UserEntry user) {
        // nothing waits
    }

    @Override
    public List<String> waitingUsers() {
        return List.of();
    }

    @Override
    public void adoptFrom(CertificateSource previous) {
        // nothing waits
    }
}
