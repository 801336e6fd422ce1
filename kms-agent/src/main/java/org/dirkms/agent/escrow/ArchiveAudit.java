package org.dirkms.agent.escrow;

import java.io.ByteArrayInputStream;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import javax.security.auth.x500.X500Principal;
import org.dirkms.agent.archive.ArchiveChecker;
import org.dirkms.agent.archive.KeyRecoverer;
import org.dirkms.agent.archive.KeyRecoveryException;
import org.dirkms.agent.ca.CaRecords;
import org.dirkms.agent.names.DistinguishedNames;
import org.dirkms.agent.directory.EnrollmentRecords;
import org.dirkms.agent.directory.EnrollmentRecords.ArchivedKeyEntry;
import org.dirkms.agent.directory.EnrollmentRecords.UserEntry;
import org.dirkms.schema.EnrollmentState;

/**
 * The archive checker: walks every KMS user and every record under {@code ou=Key Archive} and
 * reports what breaks the invariant of the design (every archived key unwraps with the recovery
 * key to the private key whose public half is in the published encryption certificate), each
 * finding naming the DNs concerned and never a key, a wrapped key or any other secret.
 *
 * <p>What counts as a problem follows the agent's own semantics ({@code org.dirkms.agent.enroll.EnrollmentService},
 * docs/state-machines.md):
 * <ul>
 * <li>{@link Problem#UNRECOVERABLE}: a record that does not unwrap with any recovery key given
 * (unknown recovery key, damaged CMS, not a private key);</li>
 * <li>{@link Problem#KEY_MISMATCH}: a record whose key is not the private key of the certificate
 * stored with it (mail sent to that certificate could not be recovered);</li>
 * <li>{@link Problem#MISSING_ARCHIVE}: an encryption certificate published on a user (in
 * {@code userCertificate} or a {@code kmsPublishedCertificate} child) with no archive record
 * holding that certificate;</li>
 * <li>{@link Problem#MISSING_HISTORY}: a DN in a user's {@code kmsArchiveRecord} (the publication
 * that committed each enrollment of the user listed its archive record there) whose record no
 * longer exists: the key of a certificate once published for the user, superseded or revoked
 * since or still current, cannot be recovered. Records cannot be deleted over LDAP (the archive
 * is append-only), so this is damage below LDAP; without the list, the loss of a superseded
 * record would leave no trace to check against;</li>
 * <li>{@link Problem#ORPHAN}: a record whose owner entry is gone, or whose certificate is not
 * published on its owner although the owner's enrollment is neither in progress (an attempt may
 * be under way, or dead and awaiting its take-over, which removes its record) nor revoked, and
 * the certificate was neither revoked by its CA nor superseded by a later published one. The
 * history of superseded and revoked certificates is kept on purpose (their keys must stay
 * recoverable) and is not an orphan;</li>
 * <li>{@link Problem#DUPLICATE}: one certificate published on two users, or twice among one
 * user's children, or archived in two records; or an enrolled user showing two different
 * encryption certificates.</li>
 * </ul>
 *
 * <p>Users are read before the archive, and the user of a missing record or the owner of an
 * orphan candidate is read again before it is reported, so that an agent enrolling or taking
 * over meanwhile (it archives before it publishes, and unpublishes before it removes a record)
 * does not make the checker report a problem that is not there. The one case it cannot tell
 * apart is a record whose attempt lost its claim after showing its certificate in a child entry
 * (the agent keeps that record on purpose) and whose certificate is later than the one the
 * successor published: it is reported as an orphan.
 */
public final class ArchiveAudit {

    /** The kinds of problem the checker reports. */
    public enum Problem {
        /** The archived key does not unwrap. */
        UNRECOVERABLE("unrecoverable"),
        /** The archived key is not the key of its certificate. */
        KEY_MISMATCH("key-mismatch"),
        /** A published encryption certificate has no archive record. */
        MISSING_ARCHIVE("missing-archive"),
        /** An archive record a user's {@code kmsArchiveRecord} lists no longer exists. */
        MISSING_HISTORY("missing-history"),
        /** An archive record whose certificate was never published, or whose owner is gone. */
        ORPHAN("orphan"),
        /** A certificate published or archived twice, or two encryption certificates on one user. */
        DUPLICATE("duplicate");

        private final String label;

        Problem(String label) {
            this.label = label;
        }

        /** The word that starts the finding's line: {@code orphan}, {@code missing-archive}, … */
        public String label() {
            return label;
        }
    }

    /**
     * One problem found.
     *
     * @param problem what kind of problem
     * @param dns the entries concerned (archive records, users), most specific first
     * @param message a sentence saying what is wrong, naming certificates by issuer and serial;
     *        never key material
     */
    public record Finding(Problem problem, List<String> dns, String message) {
        /** Copies the list. */
        public Finding {
            dns = List.copyOf(dns);
        }

        /** The finding as one line: the problem's label, then the message. */
        @Override
        public String toString() {
            return problem.label() + ": " + message;
        }
    }

    /**
     * The outcome of a run.
     *
     * @param usersChecked KMS users (entries with a {@code kmsEnrollmentState}) looked at
     * @param recordsChecked archive records looked at
     * @param keysUnwrapped archive records whose key unwrapped
     * @param findings every problem, in the order found
     * @param neverPublished archive records marked abandoned: their enrollment ended before a
     *        certificate for the key was published (it failed, its queued requests expired, its
     *        agent died and was taken over). Kept on purpose, as the archive is append-only; not a problem
     */
    public record Report(int usersChecked, int recordsChecked, int keysUnwrapped, List<Finding> findings,
            int neverPublished) {
        /** Copies the list. */
        public Report {
            findings = List.copyOf(findings);
        }

        /** A report that counts no never-published record. */
        public Report(int usersChecked, int recordsChecked, int keysUnwrapped, List<Finding> findings) {
            this(usersChecked, recordsChecked, keysUnwrapped, findings, 0);
        }

        /** True when nothing is wrong. */
        public boolean clean() {
            return findings.isEmpty();
        }

        /** The findings of one kind. */
        public List<Finding> findings(Problem problem) {
            return findings.stream().filter(f -> f.problem() == problem).toList();
        }

        /** One line: what was checked and how many problems were found. */
        public String summary() {
            return "checked " + usersChecked + " users and " + recordsChecked + " archive records"
                    + (neverPublished == 0 ? "" : " (" + neverPublished + " never published: kept, marked abandoned,"
                            + " when the enrollment ended before its certificate was published)")
                    + ", unwrapped " + keysUnwrapped + " keys: " + (findings.isEmpty() ? "no problems"
                            : findings.size() + (findings.size() == 1 ? " problem" : " problems"));
        }
    }

    private final EnrollmentRecords records;
    private final CaRecords caRecords;
    private final KeyRecoverer recoverer;
    private final ArchiveChecker checker;

    /**
     * A checker reading {@code records}, unwrapping with {@code recoverer} (give it every recovery
     * key the KMS ever had: a record names the key it was wrapped to), and reading the CRLs of
     * the issuing CAs through {@code caRecords} (null: no CRL is consulted, so only
     * supersession by a later certificate shows a record as history).
     */
    public ArchiveAudit(EnrollmentRecords records, CaRecords caRecords, KeyRecoverer recoverer) {
        this.records = records;
        this.caRecords = caRecords;
        this.recoverer = recoverer;
        this.checker = new ArchiveChecker(recoverer);
    }

    /**
     * Checks the whole tree once.
     *
     * @throws org.dirkms.agent.directory.DirectoryAccessException if the directory cannot be read
     */
    public Report run() {
        List<Finding> findings = new ArrayList<>();
        // Users first, archive second: an agent archives before it publishes, so every
        // certificate seen published has its record in the listing that follows.
        Map<String, Published> users = new LinkedHashMap<>();
        Map<ByteBuffer, Set<String>> publishers = new LinkedHashMap<>();
        for (UserEntry user : records.usersInState(EnrollmentState.values())) {
            Published published = published(user, findings);
            users.put(DistinguishedNames.normal(user.dn()), published);
            for (Certificate certificate : published.all()) {
                publishers.computeIfAbsent(certificate.key(), k -> new LinkedHashSet<>()).add(user.dn());
            }
        }
        List<ArchivedKeyEntry> archive = records.allArchivedKeys();
        // The publication lists a record only after the record was written, and records are
        // never deleted over LDAP: every DN listed on a user read above is in this listing.
        Set<String> recordDns = new java.util.HashSet<>();
        for (ArchivedKeyEntry record : archive) {
            recordDns.add(DistinguishedNames.normal(record.dn()));
        }
        Map<ByteBuffer, List<ArchivedKeyEntry>> archivedCertificates = new LinkedHashMap<>();
        int unwrapped = 0;
        CrlCache crls = new CrlCache();
        for (ArchivedKeyEntry record : archive) {
            Certificate certificate = record.certificate() == null ? null : Certificate.parse(record.certificate());
            if (certificate != null) {
                archivedCertificates.computeIfAbsent(certificate.key(), k -> new ArrayList<>()).add(record);
            }
            if (checkKey(record, certificate, findings)) {
                unwrapped++;
            }
            if (!record.abandoned()) {
                // An abandoned record is kept on purpose: its enrollment ended before publishing.
                orphan(record, certificate, users, crls).ifPresent(findings::add);
            }
        }

        for (Published user : users.values()) {
            for (Certificate encryption : user.encryption()) {
                if (!archivedCertificates.containsKey(encryption.key()) && stillPublished(user, encryption)) {
                    findings.add(new Finding(Problem.MISSING_ARCHIVE, List.of(user.entry().dn()), user.entry().dn()
                            + ": the encryption certificate " + encryption.name() + " published " + user.where(encryption)
                            + " has no archive record under ou=Key Archive: mail encrypted to it could not be"
                            + " recovered"));
                }
            }
            for (String listed : user.entry().archiveRecords()) {
                if (!recordDns.contains(DistinguishedNames.normal(listed))) {
                    findings.add(new Finding(Problem.MISSING_HISTORY, List.of(listed, user.entry().dn()),
                            user.entry().dn() + ": the archive record " + listed + " its kmsArchiveRecord lists no longer"
                                    + " exists: the key of an encryption certificate once published for the user"
                                    + " cannot be recovered, nor mail encrypted to it"));
                }
            }
            if (user.entry().state() == EnrollmentState.ENROLLED && user.encryption().size() > 1) {
                findings.add(new Finding(Problem.DUPLICATE, List.of(user.entry().dn()), user.entry().dn()
                        + ": enrolled with " + user.encryption().size() + " different encryption certificates ("
                        + String.join(", ", user.encryption().stream().map(Certificate::name).toList())
                        + "): a sender may encrypt to either"));
            }
        }
        for (Map.Entry<ByteBuffer, Set<String>> shared : publishers.entrySet()) {
            if (shared.getValue().size() > 1) {
                List<String> dns = shared.getValue().stream().sorted().toList();
                findings.add(new Finding(Problem.DUPLICATE, dns, "certificate "
                        + Certificate.parse(shared.getKey().array()).name() + " is published on " + dns.size()
                        + " users: " + String.join("; ", dns)));
            }
        }
        for (List<ArchivedKeyEntry> same : archivedCertificates.values()) {
            if (same.size() > 1) {
                List<String> dns = same.stream().map(ArchivedKeyEntry::dn).toList();
                findings.add(new Finding(Problem.DUPLICATE, dns, "certificate "
                        + Certificate.parse(same.get(0).certificate()).name() + " is archived in " + dns.size()
                        + " records: " + String.join("; ", dns)));
            }
        }
        // Grouped by kind (stable within a kind), so that a long report reads problem by problem.
        findings.sort(java.util.Comparator.comparing(Finding::problem));
        int neverPublished = (int) archive.stream().filter(ArchivedKeyEntry::abandoned).count();
        return new Report(users.size(), archive.size(), unwrapped, findings, neverPublished);
    }

    /**
     * Whether {@code certificate} is still published on {@code user}: a take-over removes the
     * children a dead attempt showed before it removes that attempt's archive record, so a
     * certificate seen before the archive was listed may have gone with its record since.
     */
    private boolean stillPublished(Published user, Certificate certificate) {
        return records.readUser(user.entry().dn())
                .map(fresh -> published(fresh, new ArrayList<>()).all().stream()
                        .anyMatch(c -> c.key().equals(certificate.key())))
                .orElse(false);
    }

    /** What one user shows: the entry's certificates and its children's, and duplicates among the children. */
    private Published published(UserEntry user, List<Finding> findings) {
        List<Certificate> onEntry = new ArrayList<>();
        for (byte[] der : user.certificates()) {
            Optional.ofNullable(Certificate.parse(der)).ifPresent(onEntry::add);
        }
        List<Certificate> children = new ArrayList<>();
        Set<ByteBuffer> seen = new LinkedHashSet<>();
        for (byte[] der : records.publishedCertificates(user.dn())) {
            Certificate certificate = Certificate.parse(der);
            if (certificate == null) {
                continue;
            }
            if (!seen.add(certificate.key())) {
                findings.add(new Finding(Problem.DUPLICATE, List.of(user.dn()), user.dn() + ": certificate "
                        + certificate.name() + " is published twice among its kmsPublishedCertificate children"));
                continue;
            }
            children.add(certificate);
        }
        return new Published(user, onEntry, children);
    }

    /** Unwraps the record's key and compares it with the record's certificate; true if it unwrapped. */
    private boolean checkKey(ArchivedKeyEntry record, Certificate certificate, List<Finding> findings) {
        List<String> dns = List.of(record.dn(), record.owner());
        String where = record.dn() + " (owner " + record.owner() + "): ";
        if (certificate != null) {
            // Verdict messages name the certificate and the reason, never key material (their contract).
            ArchiveChecker.Verdict verdict = checker.check(record.wrappedKey(), certificate.x509());
            switch (verdict.outcome()) {
                case MATCHES -> {
                    return true;
                }
                case MISMATCH -> {
                    findings.add(new Finding(Problem.KEY_MISMATCH, dns, where + verdict.message()));
                    return true;
                }
                default -> {
                    findings.add(new Finding(Problem.UNRECOVERABLE, dns, where + verdict.message()));
                    return false;
                }
            }
        }
        try {
            recoverer.unwrap(record.wrappedKey());
        } catch (KeyRecoveryException e) {
            findings.add(new Finding(Problem.UNRECOVERABLE, dns, where + e.getMessage()));
            return false;
        }
        if (record.certificate() != null) {
            findings.add(new Finding(Problem.KEY_MISMATCH, dns, where + "its userCertificate is not an X.509"
                    + " certificate, so its key cannot be matched to one"));
        }
        return true;
    }

    /**
     * The orphan finding of {@code record}, if it is one. The owner is read again before a record
     * is reported, so that an enrollment that began after the users were listed is seen in progress.
     */
    private Optional<Finding> orphan(ArchivedKeyEntry record, Certificate certificate, Map<String, Published> users,
            CrlCache crls) {
        Published owner = users.get(DistinguishedNames.normal(record.owner()));
        if (owner != null && keptOnPurpose(owner, certificate, crls)) {
            return Optional.empty();
        }
        Optional<UserEntry> fresh = record.owner().isEmpty() ? Optional.empty() : records.readUser(record.owner());
        if (fresh.isEmpty()) {
            return Optional.of(new Finding(Problem.ORPHAN, List.of(record.dn()), record.dn() + ": its owner "
                    + (record.owner().isEmpty() ? "is not named" : record.owner() + " does not exist")));
        }
        Published now = published(fresh.get(), new ArrayList<>());
        if (keptOnPurpose(now, certificate, crls)) {
            return Optional.empty();
        }
        String state = now.entry().rawState() == null ? "no kmsEnrollmentState" : "state " + now.entry().rawState();
        String what = certificate == null
                ? "it holds no certificate, so none was ever published for its key, and the owner's enrollment is"
                        + " not in progress"
                : "its certificate " + certificate.name() + " is not published on the owner, is not revoked, and no"
                        + " later certificate superseded it";
        return Optional.of(new Finding(Problem.ORPHAN, List.of(record.dn(), record.owner()), record.dn() + " (owner "
                + record.owner() + ", " + state + "): " + what));
    }

    /**
     * Whether a record of {@code owner} is where the agent means it to be: its certificate is
     * published on the owner; or the owner is being enrolled (the record may belong to the
     * attempt under way, or to a dead one whose take-over will remove it) or revoked (history is
     * kept); or its certificate is history — revoked on its CA's CRL, or superseded by an
     * encryption certificate published later (re-enrollment revokes the old one only after it
     * publishes the new one, and only when a CA runs in the agent's process).
     */
    private boolean keptOnPurpose(Published owner, Certificate certificate, CrlCache crls) {
        EnrollmentState state = owner.entry().state();
        if (state == EnrollmentState.IN_PROGRESS || state == EnrollmentState.REVOKE_REQUESTED
                || state == EnrollmentState.REVOKED) {
            return true;
        }
        if (certificate == null) {
            return false;
        }
        if (owner.all().stream().anyMatch(c -> c.key().equals(certificate.key()))) {
            return true;
        }
        boolean superseded = owner.encryption().stream()
                .anyMatch(c -> !certificate.x509().getNotBefore().after(c.x509().getNotBefore()));
        return superseded || crls.revoked(certificate.x509());
    }

    /** A user's published certificates: on the entry and in its children. */
    private record Published(UserEntry entry, List<Certificate> onEntry, List<Certificate> children) {
        List<Certificate> all() {
            Map<ByteBuffer, Certificate> distinct = new LinkedHashMap<>();
            onEntry.forEach(c -> distinct.putIfAbsent(c.key(), c));
            children.forEach(c -> distinct.putIfAbsent(c.key(), c));
            return List.copyOf(distinct.values());
        }

        List<Certificate> encryption() {
            return all().stream().filter(Certificate::forEncryption).toList();
        }

        String where(Certificate certificate) {
            boolean entry = onEntry.stream().anyMatch(c -> c.key().equals(certificate.key()));
            boolean child = children.stream().anyMatch(c -> c.key().equals(certificate.key()));
            return entry && child ? "on the entry and in a child" : entry ? "on the entry" : "in a child entry";
        }
    }

    /** A certificate with its DER (as a map key). */
    private record Certificate(X509Certificate x509, ByteBuffer key) {

        /** The certificate in {@code der}, or null when it is not one (the guard checks syntax; this is a checker). */
        static Certificate parse(byte[] der) {
            try {
                X509Certificate x509 = (X509Certificate) CertificateFactory.getInstance("X.509")
                        .generateCertificate(new ByteArrayInputStream(der));
                return new Certificate(x509, ByteBuffer.wrap(der.clone()));
            } catch (GeneralSecurityException e) {
                return null;
            }
        }

        String name() {
            return "serial " + x509.getSerialNumber().toString(16) + " of "
                    + x509.getIssuerX500Principal().getName(X500Principal.RFC2253);
        }

        /**
         * A certificate whose key may encrypt: its key usage allows keyEncipherment (RSA) or
         * keyAgreement (ECDH), or it has no key usage extension (RFC 5280 section 4.2.1.3). The
         * signing certificates dirkms issues allow digitalSignature and nonRepudiation only.
         */
        boolean forEncryption() {
            boolean[] usage = x509.getKeyUsage();
            return usage == null || usage[2] || usage[4];
        }
    }

    /** The CRLs of the issuing CAs, read once per issuer from its CA entry and checked against its certificate. */
    private final class CrlCache {
        private final Map<String, Optional<X509CRL>> byIssuer = new HashMap<>();

        boolean revoked(X509Certificate certificate) {
            if (caRecords == null) {
                return false;
            }
            String issuer = certificate.getIssuerX500Principal().getName(X500Principal.RFC2253);
            return byIssuer.computeIfAbsent(issuer, this::read).map(crl -> crl.isRevoked(certificate)).orElse(false);
        }

        private Optional<X509CRL> read(String issuer) {
            Optional<CaRecords.CaEntry> ca = caRecords.readCa(issuer);
            if (ca.isEmpty() || ca.get().crl() == null || ca.get().certificates().isEmpty()) {
                return Optional.empty();
            }
            try {
                CertificateFactory factory = CertificateFactory.getInstance("X.509");
                X509CRL crl = (X509CRL) factory.generateCRL(new ByteArrayInputStream(ca.get().crl()));
                X509Certificate caCertificate = (X509Certificate) factory.generateCertificate(
                        new ByteArrayInputStream(ca.get().certificates().get(0)));
                // Only a CRL the CA signed is evidence that a certificate was revoked (RFC 5280 section 6.3.3).
                crl.verify(caCertificate.getPublicKey());
                return Optional.of(crl);
            } catch (GeneralSecurityException e) {
                return Optional.empty();
            }
        }
    }
}
