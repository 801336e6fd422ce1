package org.dirkms.dist;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Base64;
import org.dirkms.schema.DataFolder;

/** The files {@code dirkms export}, {@code import} and {@code transfer} read and write (docs/transfer.md). */
final class TransferFiles {
    private TransferFiles() {
    }

    /** The bytes of {@code file}, or a usage error naming {@code flag} and what is wrong. */
    static byte[] read(Path file, String flag) throws UsageException {
        try {
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new UsageException(flag + " " + file + ": no such file");
        } catch (AccessDeniedException e) {
            throw new UsageException(flag + " " + file + ": permission denied");
        } catch (IOException e) {
            throw new UsageException(flag + " " + file + ": cannot read it: " + e.getMessage());
        }
    }

    /** The one certificate (PEM or DER) in {@code file}, or a usage error. */
    static X509Certificate certificate(Path file, String flag) throws UsageException {
        byte[] bytes = read(file, flag);
        try {
            X509Certificate certificate = (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(bytes));
            if (certificate == null) {
                throw new UsageException(flag + " " + file + " holds no certificate");
            }
            return certificate;
        } catch (CertificateException e) {
            throw new UsageException(flag + " " + file + " is not a certificate (PEM or DER)");
        }
    }

    /** The PEM text of {@code certificate} (RFC 7468 section 5). */
    static String pem(X509Certificate certificate) throws java.security.cert.CertificateEncodingException {
        return "-----BEGIN CERTIFICATE-----\n"
                + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(certificate.getEncoded())
                + "\n-----END CERTIFICATE-----\n";
    }

    /**
     * Writes {@code content} to {@code file}, mode 0600, which must not exist: written beside it
     * and moved into place, so that nobody reads half of it.
     *
     * @throws UsageException if the file exists
     */
    static void writeNew(Path file, byte[] content, String flag) throws UsageException, IOException {
        if (Files.exists(file)) {
            throw new UsageException(flag + " " + file + " exists; give a new file name (nothing was written)");
        }
        Path absolute = file.toAbsolutePath();
        Path temporary = absolute.resolveSibling("." + absolute.getFileName() + ".part");
        Files.deleteIfExists(temporary);
        Files.createFile(temporary, PosixFilePermissions.asFileAttribute(DataFolder.FILE_MODE));
        try {
            Files.write(temporary, content);
            Files.move(temporary, absolute, StandardCopyOption.ATOMIC_MOVE);
        } catch (FileAlreadyExistsException e) {
            throw new UsageException(flag + " " + file + " exists; give a new file name (nothing was written)");
        } finally {
            Files.deleteIfExists(temporary);
        }
    }
}
