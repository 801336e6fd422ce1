package org.dirkms.ds.server;

import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.Set;

/**
 * Where the server's TLS key and certificate come from. Today a self-signed certificate made at
 * first start ({@link SelfSignedTlsCredentialSource}); later the project's own CA will issue it
 * through another implementation of this interface.
 */
public interface TlsCredentialSource {

    /**
     * Returns credentials whose certificate names every host in {@code subjectAltNames}, making
     * or renewing them in {@code tlsDirectory} if needed; the same credentials on every call
     * while they stay valid.
     *
     * @param tlsDirectory    folder owned by the server for its TLS material (created if missing)
     * @param subjectAltNames DNS names and IP address literals clients will connect to
     * @throws IOException              if the folder cannot be read or written
     * @throws GeneralSecurityException if the key store cannot be made or read
     */
    TlsCredentials credentials(Path tlsDirectory, Set<String> subjectAltNames)
            throws IOException, GeneralSecurityException;
}
