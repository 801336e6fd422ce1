package org.dirkms.it.slapd;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.dirkms.it.support.LdapTools;
import org.dirkms.it.support.ProjectFiles;
import org.dirkms.schema.DirectoryLayout;
import org.dirkms.schema.KmsSchema;
import org.dirkms.schema.SchemaForms;

/**
 * A throwaway slapd (OpenLDAP 2.5) for the agent's ITs: cn=config and an mdb database in a
 * temporary folder, the Debian core, cosine and inetorgperson schemas and the KMS schema
 * ({@code ldif/schema/dirkms-openldap.ldif}), the syncprov overlay (RFC 4533) with the indexes
 * it needs, StartTLS with a server certificate from a CA made here with openssl (EC P-256), the
 * project's bootstrap LDIF ({@code ldif/bootstrap/}) for the suffix, and the KMS agent's identity
 * without a size limit. It listens on {@code ldap://127.0.0.1:PORT} only.
 *
 * <p>The access rules are a stand-in for the shipped ones: the agent writes everything, KMS
 * administrators write the KMS's request attributes, users read each other's public attributes,
 * a user reads their own key package, and the secrets are read by nobody else.
 */
final class ThrowawaySlapd implements AutoCloseable {

    private final Path work;
    private final String suffix;
    private final Path pidFile;
    private final Path rootPasswordFile;
    private final Path caCertificate;
    private final int port;

    private ThrowawaySlapd(Path work, String suffix, Path pidFile, Path rootPasswordFile, Path caCertificate,
            int port) {
        this.work = work;
        this.suffix = suffix;
        this.pidFile = pidFile;
        this.rootPasswordFile = rootPasswordFile;
        this.caCertificate = caCertificate;
        this.port = port;
    }

    /**
     * Makes and starts a slapd serving {@code suffix} in {@code work}.
     *
     * @throws AssertionError naming the Debian package when slapd, its schemas or openssl are missing
     */
    static ThrowawaySlapd start(Path work, String suffix) throws IOException, InterruptedException {
        String slapd = LdapTools.requireTool("slapd", "slapd");
        String slapadd = LdapTools.requireTool("slapadd", "slapd");
        String openssl = LdapTools.requireTool("openssl", "openssl");
        for (String name : List.of("core", "cosine", "inetorgperson")) {
            if (!Files.isRegularFile(Path.of("/etc/ldap/schema", name + ".ldif"))) {
                fail("/etc/ldap/schema/" + name + ".ldif is missing: install the Debian package slapd");
            }
        }
        Path tls = Files.createDirectories(work.resolve("tls"));
        Path caKey = tls.resolve("ca.key");
        Path caCertificate = tls.resolve("ca.crt");
        Path serverKey = tls.resolve("server.key");
        Path serverRequest = tls.resolve("server.csr");
        Path serverCertificate = tls.resolve("server.crt");
        Path extensions = Files.writeString(tls.resolve("server.ext"),
                "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n"
                        + "keyUsage=critical,digitalSignature\n");
        LdapTools.run(List.of(openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                "-nodes", "-keyout", caKey.toString(), "-out", caCertificate.toString(), "-subj",
                "/CN=Throwaway slapd TLS CA", "-days", "2", "-addext", "basicConstraints=critical,CA:TRUE",
                "-addext", "keyUsage=critical,keyCertSign,cRLSign"), Map.of(), null).assertSuccess();
        LdapTools.run(List.of(openssl, "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", serverKey.toString(), "-out", serverRequest.toString(), "-subj", "/CN=127.0.0.1"),
                Map.of(), null).assertSuccess();
        LdapTools.run(List.of(openssl, "x509", "-req", "-in", serverRequest.toString(), "-CA",
                caCertificate.toString(), "-CAkey", caKey.toString(), "-CAcreateserial", "-days", "2", "-out",
                serverCertificate.toString(), "-extfile", extensions.toString()), Map.of(), null).assertSuccess();

        Path config = Files.createDirectory(work.resolve("slapd.d"));
        Path database = Files.createDirectory(work.resolve("db"));
        Path pidFile = work.resolve("slapd.pid");
        byte[] secret = new byte[16];
        new SecureRandom().nextBytes(secret);
        String rootPassword = HexFormat.of().formatHex(secret);
        Path rootPasswordFile = Files.writeString(work.resolve("root.password"), rootPassword, StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(rootPasswordFile, PosixFilePermissions.fromString("rw-------"));
        Path configLdif = Files.writeString(work.resolve("config.ldif"),
                configLdif(suffix, config, database, pidFile, rootPassword, tls), StandardCharsets.UTF_8);
        LdapTools.run(List.of(slapadd, "-n0", "-F", config.toString(), "-l", configLdif.toString()), Map.of(), null)
                .assertSuccess();
        // The suffix is dc=NAME,...: its entry is a domain (RFC 4524 section 3.4).
        String firstValue = suffix.substring(suffix.indexOf('=') + 1, suffix.indexOf(','));
        Path bootstrap = Files.writeString(work.resolve("bootstrap.ldif"), Files.readString(
                ProjectFiles.file("ldif/bootstrap/10-tree.ldif")).replace("${suffixObjectClass}", "domain")
                .replace("${suffixRdnType}", "dc").replace("${suffixRdnValue}", firstValue)
                .replace("${suffix}", suffix), StandardCharsets.UTF_8);
        LdapTools.run(List.of(slapadd, "-n1", "-F", config.toString(), "-l", bootstrap.toString()), Map.of(), null)
                .assertSuccess();
        int port = freeLoopbackPort();
        // Without -d slapd detaches once its listener is bound and its databases are open.
        LdapTools.run(List.of(slapd, "-h", "ldap://127.0.0.1:" + port + "/", "-F", config.toString()), Map.of(), null)
                .assertSuccess();
        return new ThrowawaySlapd(work, suffix, pidFile, rootPasswordFile, caCertificate, port);
    }

    /** {@code ldap://127.0.0.1:PORT} (StartTLS). */
    String url() {
        return "ldap://127.0.0.1:" + port;
    }

    /** The port it listens on. */
    int port() {
        return port;
    }

    /** The CA certificate (PEM) its TLS certificate chains to: LDAPTLS_CACERT, {@code --ca-cert}. */
    Path caCertificate() {
        return caCertificate;
    }

    /** The database's rootdn, for the test's own set-up only. */
    String rootDn() {
        return "cn=admin," + suffix;
    }

    /** The rootdn's password (first line). */
    Path rootPasswordFile() {
        return rootPasswordFile;
    }

    /** The folder it lives in. */
    Path work() {
        return work;
    }

    /** The OpenLDAP clients against it as its rootdn, over StartTLS. */
    LdapTools asRoot() {
        return LdapTools.against(url(), caCertificate).asWithPasswordFile(rootDn(), rootPasswordFile);
    }

    /**
     * Sets the password of {@code dn} to the content of {@code passwordFile} as the rootdn does
     * it: {@code ldappasswd -ZZ -T FILE} (RFC 3062).
     */
    void setPassword(String dn, Path passwordFile) {
        LdapTools.run(List.of(LdapTools.executable("ldappasswd"), "-H", url(), "-ZZ", "-x", "-D", rootDn(), "-y",
                rootPasswordFile.toString(), "-T", passwordFile.toString(), dn), Map.of("LDAPTLS_CACERT",
                        caCertificate.toString(), "LDAPTLS_REQCERT", "demand", "LDAPCONF", "/dev/null", "LDAPRC",
                        "dirkms-it-no-ldaprc"), null).assertSuccess();
    }

    /** Stops it (SIGTERM, then SIGKILL and a failure after 20 seconds). */
    @Override
    public void close() throws IOException {
        if (!Files.isRegularFile(pidFile)) {
            return;
        }
        long pid = Long.parseLong(Files.readString(pidFile, StandardCharsets.US_ASCII).strip());
        ProcessHandle.of(pid).ifPresent(handle -> {
            handle.destroy();
            try {
                handle.onExit().get(20, TimeUnit.SECONDS);
            } catch (TimeoutException | InterruptedException | ExecutionException e) {
                handle.destroyForcibly();
                throw new AssertionError("slapd " + pid + " did not stop on SIGTERM; killed", e);
            }
        });
    }

    private static String configLdif(String suffix, Path config, Path database, Path pidFile, String rootPassword,
            Path tls) throws IOException {
        DirectoryLayout layout = new DirectoryLayout(suffix);
        String agent = layout.kmsAgentIdentity();
        String administrators = layout.kmsAdministratorsGroup();
        StringBuilder ldif = new StringBuilder();
        ldif.append("dn: cn=config\nobjectClass: olcGlobal\ncn: config\nolcPidFile: ").append(pidFile)
                .append("\nolcTLSCACertificateFile: ").append(tls.resolve("ca.crt"))
                .append("\nolcTLSCertificateFile: ").append(tls.resolve("server.crt"))
                .append("\nolcTLSCertificateKeyFile: ").append(tls.resolve("server.key"))
                // A simple bind only over TLS, as the embedded server requires (RFC 4513 section 5.1.2).
                .append("\nolcSecurity: simple_bind=128\n\n");
        ldif.append("dn: cn=module{0},cn=config\nobjectClass: olcModuleList\ncn: module{0}\n"
                + "olcModulePath: /usr/lib/ldap\nolcModuleLoad: back_mdb\nolcModuleLoad: syncprov\n\n");
        ldif.append("dn: cn=schema,cn=config\nobjectClass: olcSchemaConfig\ncn: schema\n\n");
        for (Path schema : List.of(Path.of("/etc/ldap/schema/core.ldif"), Path.of("/etc/ldap/schema/cosine.ldif"),
                Path.of("/etc/ldap/schema/inetorgperson.ldif"),
                ProjectFiles.file("ldif/schema").resolve(SchemaForms.OPENLDAP_FILE))) {
            ldif.append(Files.readString(schema).strip()).append("\n\n");
        }
        ldif.append("dn: olcDatabase={-1}frontend,cn=config\nobjectClass: olcDatabaseConfig\n"
                + "objectClass: olcFrontendConfig\nolcDatabase: {-1}frontend\n\n");
        ldif.append("dn: olcDatabase={0}config,cn=config\nobjectClass: olcDatabaseConfig\nolcDatabase: {0}config\n\n");
        String secrets = String.join(",", KmsSchema.secretAttributeNames());
        ldif.append("dn: olcDatabase={1}mdb,cn=config\nobjectClass: olcDatabaseConfig\nobjectClass: olcMdbConfig\n")
                .append("olcDatabase: {1}mdb\nolcDbDirectory: ").append(database).append('\n')
                .append("olcSuffix: ").append(suffix).append('\n')
                .append("olcRootDN: cn=admin,").append(suffix).append('\n')
                .append("olcRootPW: ").append(rootPassword).append('\n')
                .append("olcDbMaxSize: 268435456\n")
                .append("olcDbIndex: objectClass eq\nolcDbIndex: entryUUID eq\nolcDbIndex: entryCSN eq\n")
                .append("olcDbIndex: mail eq\nolcDbIndex: kmsEnrollmentState eq\n")
                .append("olcLimits: {0}dn.exact=\"").append(agent).append("\" size=unlimited time=unlimited\n")
                .append("olcAccess: {0}to attrs=userPassword by self write by dn.exact=\"").append(agent)
                .append("\" write by anonymous auth by * none\n")
                .append("olcAccess: {1}to attrs=").append(secrets).append(" by dn.exact=\"").append(agent)
                .append("\" write by self read by group.exact=\"").append(administrators)
                .append("\" read by * none\n")
                .append("olcAccess: {2}to dn.subtree=\"").append(layout.audit()).append("\" by dn.exact=\"")
                .append(agent).append("\" write by users read by * none\n")
                .append("olcAccess: {3}to * by dn.exact=\"").append(agent).append("\" write by group.exact=\"")
                .append(administrators).append("\" write by self read by * read\n\n");
        ldif.append("dn: olcOverlay={0}syncprov,olcDatabase={1}mdb,cn=config\nobjectClass: olcOverlayConfig\n"
                + "objectClass: olcSyncProvConfig\nolcOverlay: {0}syncprov\nolcSpCheckpoint: 100 10\n"
                + "olcSpSessionlog: 1000\n\n");
        return ldif.toString();
    }

    private static int freeLoopbackPort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
