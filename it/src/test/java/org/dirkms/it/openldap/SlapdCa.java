package org.dirkms.it.openldap;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.dirkms.it.support.LdapTools;

/**
 * A throwaway certification authority for test slapd servers, made with the real {@code openssl}
 * (EC P-256), and the passwords of the identities the servers it certifies share: one per test,
 * so that several providers replicating each other trust each other's certificates and know the
 * same KMS agent, directory administrator and replicator ({@link Slapd.Options#withCa}; a provider
 * that receives the tree by replication receives those entries with their password hashes). Its
 * key and the passwords never leave the test's folder.
 */
public final class SlapdCa {

    private final Path folder;
    private final String openssl;
    private int issued;

    private SlapdCa(Path folder, String openssl) {
        this.folder = folder;
        this.openssl = openssl;
    }

    /** Makes a new CA (key and self-signed certificate, 2 days) in {@code folder}, made when missing. */
    public static SlapdCa create(Path folder) throws IOException {
        Files.createDirectories(folder);
        SlapdCa ca = new SlapdCa(folder, LdapTools.requireTool("openssl", "openssl"));
        ca.openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
                "-subj", "/O=dirkms tests/CN=slapd test CA", "-addext", "basicConstraints=critical,CA:TRUE",
                "-addext", "keyUsage=critical,keyCertSign,cRLSign", "-keyout", ca.key().toString(), "-out",
                ca.certificate().toString());
        return ca;
    }

    /**
     * The password file of {@code identity} ({@code agent}, {@code directory-admin},
     * {@code replicator}), made with a new random password the first time it is asked for; mode
     * 0600, the password on one line without a newline.
     */
    public synchronized Path passwordFile(String identity) throws IOException {
        Path file = folder.resolve(identity + ".password");
        if (!Files.exists(file)) {
            byte[] bytes = new byte[18];
            RANDOM.nextBytes(bytes);
            Files.createFile(file, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                    java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")));
            Files.writeString(file, java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(bytes));
        }
        return file;
    }

    private static final java.security.SecureRandom RANDOM = new java.security.SecureRandom();

    /** The CA's certificate (PEM): what clients and peers trust. */
    public Path certificate() {
        return folder.resolve("ca.crt");
    }

    private Path key() {
        return folder.resolve("ca.key");
    }

    /**
     * A TLS server key and certificate for 127.0.0.1 and localhost, issued by this CA, written
     * into {@code target} as {@code server.key} and {@code server.crt}.
     */
    public Path[] issueServerCertificate(Path target) throws IOException {
        Files.createDirectories(target);
        Path key = target.resolve("server.key");
        Path request = target.resolve("server.csr");
        Path certificate = target.resolve("server.crt");
        Path extensions = target.resolve("server.ext");
        Files.writeString(extensions, "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n"
                + "extendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n");
        openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj",
                "/O=dirkms tests/CN=127.0.0.1", "-keyout", key.toString(), "-out", request.toString());
        synchronized (this) {
            issued++;
            openssl("x509", "-req", "-in", request.toString(), "-CA", certificate().toString(), "-CAkey",
                    key().toString(), "-set_serial", Integer.toString(1000 + issued), "-days", "2", "-extfile",
                    extensions.toString(), "-out", certificate.toString());
        }
        return new Path[] {key, certificate};
    }

    private void openssl(String... arguments) {
        List<String> command = new java.util.ArrayList<>(List.of(openssl));
        command.addAll(List.of(arguments));
        LdapTools.run(command, Map.of(), null).assertSuccess();
    }
}
