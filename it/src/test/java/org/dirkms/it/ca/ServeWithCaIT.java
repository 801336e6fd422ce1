package org.dirkms.it.ca;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import org.dirkms.agent.ca.StandardTemplates;
import org.dirkms.dist.CaServeSetup;
import org.dirkms.dist.DirkmsCommand;
import org.dirkms.ds.server.DirectoryServer;
import org.dirkms.ds.server.ServerSettings;
import org.dirkms.it.support.LdapTools;
import org.dirkms.schema.DataFolder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The embedded server on a fresh data folder makes its enterprise root CA, publishes it with
 * the standard templates, and serves StartTLS and LDAPS with a certificate from that CA that
 * ldapsearch verifies with {@code LDAPTLS_CACERT} set to the CA certificate alone, and which
 * {@code dirkms ca list} on its data folder shows serving; a restart keeps the CA and the
 * certificate.
 */
class ServeWithCaIT {
    @TempDir
    Path data;

    @Test
    void freshServerIssuesItsOwnTlsCertificateFromItsCa() throws Exception {
        LdapTools.requireTool("openssl", "openssl");
        String caDn = "cn=dirkms Root CA,ou=Certification Authorities,ou=KMS,dc=example,dc=com";
        Path caPem = DataFolder.of(data).caCertificate();
        String firstCa;
        String firstServer;
        try (DirectoryServer server = CaServeSetup.start(ServerSettings.forTests(data), Clock.systemUTC(),
                new SecureRandom())) {
            assertEquals(caPem, server.tlsCertificateFile());
            Map<String, String> environment = Map.of("LDAPTLS_CACERT", caPem.toString(), "LDAPTLS_REQCERT", "demand",
                    "LDAPCONF", "/dev/null", "LDAPRC", "dirkms-it-no-ldaprc");
            String ldapsearch = LdapTools.executable("ldapsearch");
            // The CA's state and templates are for authenticated readers; anonymous clients read
            // certificates and CRLs only.
            LdapTools.Result startTls = LdapTools.run(List.of(ldapsearch, "-H", server.ldapUrl(), "-ZZ", "-x", "-LLL",
                    "-D", server.adminDn(), "-y", server.adminPasswordFile().toString(), "-s", "base", "-b", caDn, "(objectClass=pkiCA)", "kmsCAState", "kmsInstalledTemplate"),
                    environment, null).assertSuccess();
            assertTrue(startTls.stdout().contains("kmsCAState: active"), startTls.stdout());
            assertEquals(StandardTemplates.all().size(), startTls.stdout().lines()
                    .filter(l -> l.startsWith("kmsInstalledTemplate: ")).count(),
                    startTls.stdout());
            LdapTools.run(List.of(ldapsearch, "-H", server.ldapsUrl(), "-x", "-LLL", "-s", "base", "-b", caDn,
                    "(objectClass=*)", "cn"), environment, null).assertSuccess();
            // The same client refuses a server it cannot verify: the check above is real.
            LdapTools.Result untrusted = LdapTools.run(List.of(ldapsearch, "-H", server.ldapsUrl(), "-x", "-LLL", "-s",
                    "base", "-b", caDn, "(objectClass=*)", "cn"), Map.of("LDAPTLS_CACERT", "/etc/ssl/certs/ca-certificates.crt",
                    "LDAPTLS_REQCERT", "demand", "LDAPCONF", "/dev/null", "LDAPRC", "dirkms-it-no-ldaprc"), null);
            assertTrue(untrusted.exitCode() != 0, untrusted.describe("expected failure"));

            Path serverPem = DataFolder.of(data).tlsCertificate();
            LdapTools.run(List.of("openssl", "verify", "-x509_strict", "-purpose", "sslserver", "-CAfile",
                    caPem.toString(), serverPem.toString()), Map.of(), null).assertSuccess();
            // 'dirkms ca list' on the data folder of the running server: its CA is here and serving.
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            int exit = DirkmsCommand.run(List.of("ca", "list", "--json", "--data", data.toString()), Map.of(),
                    new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(new ByteArrayOutputStream(),
                            true, StandardCharsets.UTF_8));
            assertEquals(0, exit, out.toString(StandardCharsets.UTF_8));
            JsonNode ca = new ObjectMapper().readTree(out.toString(StandardCharsets.UTF_8)).get(0);
            assertEquals("dirkms Root CA", ca.get("name").asText());
            assertEquals(caDn, ca.get("dn").asText());
            assertTrue(ca.get("keyHere").asBoolean() && ca.get("serving").asBoolean(), ca.toString());
            assertFalse(ca.get("crlStale").asBoolean(), ca.toString());
            firstCa = Files.readString(caPem);
            firstServer = Files.readString(serverPem);
        }
        try (DirectoryServer again = CaServeSetup.start(ServerSettings.forTests(data), Clock.systemUTC(),
                new SecureRandom())) {
            assertEquals(firstCa, Files.readString(caPem), "the CA survives a restart");
            assertEquals(firstServer, Files.readString(DataFolder.of(data).tlsCertificate()),
                    "a valid server certificate is reused");
        }
    }
}
