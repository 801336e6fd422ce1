package org.dirkms.agent.enroll;

import java.io.ByteArrayInputStream;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.Optional;
import java.util.function.Supplier;
import org.dirkms.agent.directory.RecoveryKeyRecords;
import org.dirkms.agent.keys.RecoveryKey;

/**
 * The key recovery certificate an enrollment archives to: the one published as current in the
 * directory ({@code cn=Key Recovery Agent,ou=KMS}), read again for every archive, so that
 * {@code dirkms archive rekey} takes effect at once in every running agent, wherever it runs and
 * whatever key store it started with (docs/reliability.md, "Rotating the recovery key"). Only
 * when the directory publishes none (a directory made before the entry existed, or a test's) is
 * it the certificate the agent was started with. Reading per archive rather than caching is what
 * lets {@code dirkms archive retire} trust the directory: once the new certificate is published,
 * no archive begun later is wrapped to the old key.
 *
 * <p>A published certificate that is not a key recovery agent certificate fails the archive
 * (and with it the enrollment, which a new {@code requested} retries) rather than being used.
 * Thread-safe; the last certificate parsed is kept, so an unchanged entry costs one read.
 */
final class PublishedRecoveryCertificate implements Supplier<X509Certificate> {
    private final RecoveryKeyRecords records;
    private final X509Certificate fallback;
    private volatile Parsed last;

    private record Parsed(byte[] der, X509Certificate certificate) {
    }

    PublishedRecoveryCertificate(RecoveryKeyRecords records, X509Certificate fallback) {
        this.records = records;
        this.fallback = fallback;
    }

    /**
     * The current key recovery certificate.
     *
     * @throws IllegalStateException if the published one cannot be parsed or is not a key recovery agent certificate
     * @throws org.dirkms.agent.directory.DirectoryAccessException if the directory cannot be read
     */
    @Override
    public X509Certificate get() {
        Optional<byte[]> published = records.currentRecoveryCertificate();
        if (published.isEmpty()) {
            return fallback;
        }
        Parsed known = last;
        if (known != null && Arrays.equals(known.der(), published.get())) {
            return known.certificate();
        }
        X509Certificate certificate;
        try {
            certificate = (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(published.get()));
        } catch (CertificateException | ClassCastException e) {
            throw new IllegalStateException("the key recovery certificate published in the directory is not an X.509"
                    + " certificate", e);
        }
        RecoveryKey.requireRecoveryAgentCertificate(certificate);
        last = new Parsed(published.get(), certificate);
        return certificate;
    }
}
