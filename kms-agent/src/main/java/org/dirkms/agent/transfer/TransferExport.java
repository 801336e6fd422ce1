package org.dirkms.agent.transfer;

import java.io.ByteArrayInputStream;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.directory.api.ldap.model.exception.LdapInvalidDnException;
import org.apache.directory.api.ldap.model.name.Dn;
import org.dirkms.agent.archive.KeyRecoverer;
import org.dirkms.agent.archive.KeyRecoveryException;
import org.dirkms.agent.directory.EnrollmentRecords;
import org.dirkms.agent.directory.EnrollmentRecords.ArchivedKeyEntry;
import org.dirkms.agent.directory.TransferRecords;
import org.dirkms.agent.directory.TransferRecords.Person;

/**
 * {@code dirkms export} (docs/transfer.md): reads the selected KMS users of the source directory
 * — each entry's KMS state, every certificate it has had (on the entry, in its published
 * children, on its archive records) and every archived encryption key, unwrapped with the source's
 * recovery keys — into a {@link TransferDocument}, which {@link TransferEnvelope} signs with the
 * source's transfer signing key and seals to the destination's transport certificate. The keys
 * exist unwrapped in memory only until the file is sealed, and are cleared then.
 *
 * <p>The export is recorded under {@code ou=Transfers,ou=KMS} ({@link TransferRecords#recordTransfer}),
 * so the source directory's audit log holds it.
 */
public final class TransferExport {

    /** How long a transfer file may be imported unless the administrator says otherwise. */
    public static final Duration DEFAULT_LIFETIME = Duration.ofDays(7);

    /**
     * What an export wrote.
     *
     * @param file the sealed transfer file
     * @param manifest its manifest (counts, addressee, expiry)
     * @param recordDn the entry that records the export at the source, or null before it is written
     */
    public record Result(byte[] file, TransferDocument.Manifest manifest, String recordDn) {
    }

    private final EnrollmentRecords enrollment;
    private final TransferRecords transfers;
    private final KeyRecoverer recoverer;
    private final TransferIdentity identity;
    private final String serverDn;
    private final String suffix;
    private final Clock clock;
    private final SecureRandom random;

    /**
     * @param enrollment the source's enrollment records (children, archive)
     * @param transfers the source's transfer records
     * @param recoverer every recovery key of the source: archive records name the key they were wrapped to
     * @param identity the source's transfer identity: its signing key signs the file
     * @param serverDn the source KMS server entry's DN
     * @param suffix the source directory's suffix
     * @param clock the time of the manifest
     * @param random the source of the envelope's keys
     */
    public TransferExport(EnrollmentRecords enrollment, TransferRecords transfers, KeyRecoverer recoverer,
            TransferIdentity identity, String serverDn, String suffix, Clock clock, SecureRandom random) {
        this.enrollment = enrollment;
        this.transfers = transfers;
        this.recoverer = recoverer;
        this.identity = identity;
        this.serverDn = serverDn;
        this.suffix = suffix;
        this.clock = clock;
        this.random = random;
    }

    /**
     * Checks that {@code destination} can be a transport certificate: it may receive
     * encrypted keys (keyEncipherment or keyAgreement, RFC 5280 section 4.2.1.3) and is valid now.
     *
     * @throws IllegalArgumentException saying what is wrong with it
     */
    public void checkDestination(X509Certificate destination) {
        boolean[] usage = destination.getKeyUsage();
        if (usage != null && !usage[2] && !usage[4]) {
            throw new IllegalArgumentException("the certificate " + destination.getSubjectX500Principal().getName()
                    + " may not receive encrypted keys (its keyUsage has neither keyEncipherment nor keyAgreement):"
                    + " give the destination's transport certificate ('dirkms transfer certificate' there)");
        }
        try {
            destination.checkValidity(java.util.Date.from(clock.instant()));
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("the destination's transport certificate "
                    + destination.getSubjectX500Principal().getName() + " is not valid now (valid "
                    + destination.getNotBefore().toInstant() + " to " + destination.getNotAfter().toInstant() + ")");
        }
    }

    /**
     * Writes the file for {@code users} to {@code destination}, valid for {@code lifetime}.
     *
     * @throws IllegalArgumentException if an archived key of a user cannot be unwrapped or belongs
     *         to a signing certificate (nothing is written then)
     */
    public Result export(List<Person> users, X509Certificate destination, Duration lifetime) {
        checkDestination(destination);
        List<TransferDocument.User> documentUsers = new ArrayList<>();
        int certificates = 0;
        int keys = 0;
        TransferDocument document = null;
        try {
            for (Person person : users) {
                TransferDocument.User user = user("user-" + (documentUsers.size() + 1), person);
                documentUsers.add(user);
                certificates += user.certificates().size();
                keys += user.keys().size();
            }
            Instant created = clock.instant();
            X509Certificate signer = identity.signing().certificate();
            TransferDocument.Manifest manifest = new TransferDocument.Manifest(TransferDocument.FORMAT, serverDn,
                    suffix, signer.getIssuerX500Principal().getName(), TransferEnvelope.thumbprint(destination), created,
                    created.plus(lifetime), documentUsers.size(), certificates, keys,
                    TransferDocument.digests(documentUsers));
            document = new TransferDocument(manifest, documentUsers);
            byte[] file = TransferEnvelope.seal(document, identity.signing().privateKey(), identity.signing().chain(),
                    destination, random);
            return new Result(file, manifest, null);
        } finally {
            if (document != null) {
                document.clearKeys();
            } else {
                new TransferDocument(emptyManifest(), documentUsers).clearKeys();
            }
        }
    }

    /**
     * Records {@code result} at the source under {@code ou=Transfers,ou=KMS}: the counts, the
     * addressee, the expiry and the file's SHA-256, never a key.
     */
    public Result record(Result result, String fileSha256) {
        TransferDocument.Manifest m = result.manifest();
        String name = "export " + m.created() + " " + fileSha256.substring(0, 16);
        transfers.recordTransfer(name, List.of("export of " + m.userCount() + " users, " + m.certificateCount()
                + " certificates and " + m.keyCount() + " archived keys",
                "to the server whose transport certificate has the SHA-256 thumbprint " + m.destinationThumbprint(),
                "importable until " + m.notAfter(), "file SHA-256 " + fileSha256));
        return new Result(result.file(), m, name);
    }

    private TransferDocument.User user(String id, Person person) {
        // The published certificates first, in the entry's order (encryption, then signing), then
        // every other one the user had: children, archive records.
        Map<ByteBuffer, byte[]> certificates = new LinkedHashMap<>();
        for (byte[] der : person.certificates()) {
            certificates.putIfAbsent(ByteBuffer.wrap(der), der);
        }
        int published = certificates.size();
        for (byte[] der : enrollment.publishedCertificates(person.dn())) {
            certificates.putIfAbsent(ByteBuffer.wrap(der), der);
        }
        List<TransferDocument.Key> keys = new ArrayList<>();
        for (ArchivedKeyEntry record : enrollment.archivedKeys(person.dn())) {
            if (record.abandoned() || record.certificate() == null) {
                continue; // never published: no mail was ever encrypted to it
            }
            X509Certificate certificate = parse(record.certificate(), record.dn());
            boolean[] usage = certificate.getKeyUsage();
            if (usage != null && !usage[2] && !usage[4]) {
                throw new IllegalArgumentException("the archive record " + record.dn() + " holds the key of a"
                        + " certificate that is not for encryption (" + name(certificate) + "): signing keys never"
                        + " leave the server");
            }
            PrivateKey key;
            try {
                key = recoverer.unwrap(record.wrappedKey());
            } catch (KeyRecoveryException e) {
                throw new IllegalArgumentException("the archive record " + record.dn() + " does not unwrap with the"
                        + " recovery keys of this data folder: " + e.getMessage() + "; run 'dirkms archive check'", e);
            }
            keys.add(new TransferDocument.Key(record.certificate(), key.getEncoded()));
            certificates.putIfAbsent(ByteBuffer.wrap(record.certificate()), record.certificate());
        }
        return new TransferDocument.User(id, person.dn(), person.mail(), person.commonName(), person.surname(),
                person.enrollmentState(), groupName(person.groupDn()), List.copyOf(certificates.values()), keys,
                published);
    }

    private static String groupName(String groupDn) {
        if (groupDn == null) {
            return null;
        }
        try {
            return new Dn(groupDn).getRdn().getValue();
        } catch (LdapInvalidDnException e) {
            return null;
        }
    }

    private TransferDocument.Manifest emptyManifest() {
        return new TransferDocument.Manifest(TransferDocument.FORMAT, serverDn, suffix, "", "", Instant.EPOCH,
                Instant.EPOCH, 0, 0, 0, Map.of());
    }

    static X509Certificate parse(byte[] der, String where) {
        try {
            return (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(der));
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException(where + " holds a certificate that cannot be read");
        }
    }

    static String name(X509Certificate certificate) {
        return certificate.getSubjectX500Principal().getName() + ", serial " + certificate.getSerialNumber().toString(16);
    }
}
