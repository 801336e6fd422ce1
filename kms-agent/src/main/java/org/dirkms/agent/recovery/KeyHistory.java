package org.dirkms.agent.recovery;

import java.io.ByteArrayInputStream;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import javax.security.auth.x500.X500Principal;

import org.dirkms.agent.archive.ArchiveChecker;
import org.dirkms.agent.archive.KeyRecoverer;
import org.dirkms.agent.archive.KeyRecoveryException;
import org.dirkms.agent.directory.EnrollmentRecords.ArchivedKeyEntry;
import org.dirkms.agent.directory.RecoveryRecords;
import org.dirkms.agent.directory.RecoveryRecords.TargetUser;
import org.dirkms.agent.names.DistinguishedNames;
import org.dirkms.agent.smime.KeyPackage;
import org.dirkms.schema.AttributeNames;

/**
 * Every encryption key a user ever had, out of the key archive (docs/reliability.md, "The
 * invariant"): the records the user's {@code kmsArchiveRecord} lists (one per enrollment that
 * published a key: the current key, superseded and revoked ones, since old mail needs old keys),
 * and any other record whose {@code kmsKeyOwner} is the user and whose certificate is known, but
 * not those marked {@code kmsArchiveState: abandoned} (their key was never certified). Each is
 * unwrapped with the recovery keys and checked to be the private key of its certificate
 * ({@link ArchiveChecker#recover}); a key that cannot be recovered fails the whole recovery with a
 * plain reason, rather than delivering part of the history unnoticed. Signing keys are never
 * archived; a record whose certificate is for signing only is refused.
 */
final class KeyHistory {

    private static final DateTimeFormatter DAY = DateTimeFormatter.ofPattern("yyyy-MM-dd").withZone(ZoneOffset.UTC);

    private final RecoveryRecords records;

    KeyHistory(RecoveryRecords records) {
        this.records = records;
    }

    /**
     * The keys of {@code target}, each with its certificate chain (the leaf first, then the
     * issuing CA's certificates from its entry), the oldest first; only the key of
     * {@code certificate} (DER) when one is named.
     *
     * @throws RecoveryFailure when there is no key to recover, a listed record is gone, or a key
     *         does not unwrap or is not its certificate's
     */
    List<KeyPackage.Item> recover(TargetUser target, byte[] certificate, KeyRecoverer recoverer)
            throws RecoveryFailure {
        List<Found> found = records(target, certificate);
        ArchiveChecker checker = new ArchiveChecker(recoverer);
        String name = target.mail().isEmpty() ? target.dn() : target.mail().get(0);
        List<KeyPackage.Item> items = new ArrayList<>();
        for (Found record : found) {
            PrivateKey key;
            try {
                key = checker.recover(record.entry().wrappedKey(), record.certificate());
            } catch (KeyRecoveryException e) {
                throw new RecoveryFailure("the archived key " + record.entry().dn() + " (" + describe(record.certificate())
                        + ") cannot be recovered: " + e.getMessage() + "; nothing was delivered");
            }
            items.add(new KeyPackage.Item(key, chain(record.certificate()), name + " encryption key of "
                    + DAY.format(record.certificate().getNotBefore().toInstant()) + " (serial "
                    + record.certificate().getSerialNumber().toString(16) + ")"));
        }
        return items;
    }

    /** An archive record with its parsed certificate. */
    private record Found(ArchivedKeyEntry entry, X509Certificate certificate) {
    }

    private List<Found> records(TargetUser target, byte[] wanted) throws RecoveryFailure {
        // By certificate, so that one key listed twice, or listed and owned, comes once.
        Map<String, Found> byCertificate = new LinkedHashMap<>();
        for (String listed : target.archiveRecords()) {
            Optional<ArchivedKeyEntry> entry = records.readArchivedKey(listed);
            if (entry.isEmpty()) {
                if (wanted != null) {
                    continue; // another key's record: the one asked for may still be there
                }
                throw new RecoveryFailure("the archive record " + listed + " that " + AttributeNames.ARCHIVE_RECORD
                        + " of " + target.dn() + " lists no longer exists, so that key is lost ('dirkms archive check'"
                        + " reports it as missing-history); nothing was delivered. To recover the user's other keys,"
                        + " name one certificate in " + AttributeNames.RECOVERY_CERTIFICATE + " of a new request");
            }
            if (entry.get().abandoned()) {
                continue;
            }
            if (entry.get().certificate() == null) {
                throw new RecoveryFailure("the archive record " + listed + " holds no certificate to check its key"
                        + " against; nothing was delivered");
            }
            add(byCertificate, entry.get());
        }
        for (ArchivedKeyEntry owned : records.archivedKeys(target.dn())) {
            // A record not listed is an enrollment's that did not publish yet (or predates the
            // listing): without a certificate its key was never used.
            if (!owned.abandoned() && owned.certificate() != null) {
                add(byCertificate, owned);
            }
        }
        List<Found> found = new ArrayList<>(byCertificate.values());
        if (wanted != null) {
            found.removeIf(record -> !Arrays.equals(der(record.certificate()), wanted));
            if (found.isEmpty()) {
                throw new RecoveryFailure("no archive record of " + target.dn() + " holds the certificate named in "
                        + AttributeNames.RECOVERY_CERTIFICATE + " (" + describe(parse(wanted, "kmsRecoveryCertificate"))
                        + "): nothing to recover");
            }
        }
        if (found.isEmpty()) {
            throw new RecoveryFailure(target.dn() + " has no archived encryption key (" + AttributeNames.ARCHIVE_RECORD
                    + " lists none and no record under ou=Key Archive names the user as its owner): nothing to recover");
        }
        for (Found record : found) {
            if (signingOnly(record.certificate())) {
                throw new RecoveryFailure("the archive record " + record.entry().dn() + " holds a signing certificate ("
                        + describe(record.certificate()) + "): signing keys are never archived nor recovered, so the"
                        + " archive was written by something else than the KMS; nothing was delivered");
            }
        }
        found.sort(Comparator.comparing(record -> record.certificate().getNotBefore()));
        return found;
    }

    private static void add(Map<String, Found> byCertificate, ArchivedKeyEntry entry) throws RecoveryFailure {
        X509Certificate certificate = parse(entry.certificate(), entry.dn());
        byCertificate.putIfAbsent(java.util.HexFormat.of().formatHex(der(certificate)), new Found(entry, certificate));
    }

    /** The certificate followed by its issuer's chain as the issuing CA's entry holds it. */
    private List<java.security.cert.X509Certificate> chain(X509Certificate leaf) {
        List<X509Certificate> chain = new ArrayList<>();
        chain.add(leaf);
        String issuer = leaf.getIssuerX500Principal().getName(X500Principal.RFC2253);
        for (byte[] der : records.caCertificates(issuer)) {
            try {
                chain.add(parse(der, issuer));
            } catch (RecoveryFailure e) {
                // A damaged CA value costs the chain, not the key: clients find the CA by its entry.
                break;
            }
        }
        return chain;
    }

    /**
     * Whether the certificate's key usage (RFC 5280 section 4.2.1.3) allows neither key
     * encipherment, data encipherment nor key agreement: a signing certificate.
     */
    private static boolean signingOnly(X509Certificate certificate) {
        boolean[] usage = certificate.getKeyUsage();
        return usage != null && !(bit(usage, 2) || bit(usage, 3) || bit(usage, 4));
    }

    private static boolean bit(boolean[] usage, int index) {
        return usage.length > index && usage[index];
    }

    private static String describe(X509Certificate certificate) {
        return "certificate serial " + certificate.getSerialNumber().toString(16) + " of "
                + certificate.getIssuerX500Principal().getName(X500Principal.RFC2253);
    }

    private static X509Certificate parse(byte[] der, String where) throws RecoveryFailure {
        try {
            return (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(der));
        } catch (CertificateException | RuntimeException e) {
            throw new RecoveryFailure(where + " holds a certificate value that is not an X.509 certificate;"
                    + " nothing was delivered");
        }
    }

    private static byte[] der(X509Certificate certificate) {
        try {
            return certificate.getEncoded();
        } catch (java.security.cert.CertificateEncodingException e) {
            throw new IllegalStateException("a parsed certificate cannot be encoded", e);
        }
    }
}
