package org.dirkms.ds.server;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.util.Set;

import org.dirkms.schema.DataFolder;

/**
 * Where the server's TLS key and certificate come from. Today a self-signed certificate made at
 * first start ({@link SelfSignedTlsCredentialSource}); later the project's own CA will issue it
 * through another implementation of this interface.
 */
public interface TlsCredentialSource {

    /**
     * Returns credentials whose certificate names every host in {@code subjectAltNames}, making
     * or renewing them in the data folder's {@link DataFolder#tls()} if needed; the same
     * credentials on every call while they stay valid.
     *
     * @param data            the server's data folder; its TLS folder is created if missing
     * @param subjectAltNames DNS names and IP address literals clients will connect to
     * @throws IOException              if the folder cannot be read or written
     * @throws GeneralSecurityException if the key store cannot be made or read
     */
    TlsCredentials credentials(DataFolder data, Set<String> subjectAltNames)
            throws IOException, GeneralSecurityException;
}
