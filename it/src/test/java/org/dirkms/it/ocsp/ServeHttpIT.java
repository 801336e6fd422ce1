package org.dirkms.it.ocsp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.dirkms.dist.CaCommand;
import org.dirkms.it.support.LdapTools;
import org.dirkms.it.support.ServeProcess;
import org.dirkms.schema.DataFolder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code dirkms serve} with its HTTP flags, as an administrator starts it: the banner says where
 * the HTTP service listens and which public URL the certificates name, curl fetches the CA
 * certificate from the port, the CA entry records the public URLs (ldapsearch), and a restart
 * with {@code --no-http} listens on no HTTP port; an HTTP port in use stops the start.
 */
class ServeHttpIT {
    private static final Pattern LISTENING = Pattern.compile(
            "HTTP \\(CRL, OCSP\\): (\\S+) \\(listening on port (\\d+); OCSP at (\\S+)\\)");

    @TempDir
    Path data;

    @TempDir
    Path temporary;

    @Test
    void serveListensOnTheHttpPortAndCertificatesNameThePublicUrl() throws Exception {
        LdapTools.requireTool("curl", "curl");
        String publicBase = "http://pki.example.test:8080";
        String name = DataFolder.caFileName(CaCommand.DEFAULT_NAME);
        // A port in use stops the start with one line that says so; nothing stays running.
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1,
                java.net.InetAddress.getByName("127.0.0.1"));
                ServeProcess refused = ServeProcess.start(temporary, "--data", data.toString(), "--ldap-port", "0",
                        "--ldaps-port", "0", "--http-port", Integer.toString(taken.getLocalPort()))) {
            assertEquals(1, refused.awaitExit(), refused.stderr());
            String last = refused.stderr().strip().lines().reduce((first, second) -> second).orElse("");
            assertTrue(last.startsWith("dirkms serve: cannot listen for HTTP on 127.0.0.1:" + taken.getLocalPort()
                    + ": ") && last.endsWith("(choose another --http-port, or --no-http)"), refused.stderr());
        }
        try (ServeProcess serve = ServeProcess.start(temporary, "--data", data.toString(), "--ldap-port", "0",
                "--ldaps-port", "0", "--http-port", "0", "--public-http-url", publicBase)) {
            String banner = serve.awaitBanner();
            Matcher matcher = LISTENING.matcher(banner);
            assertTrue(matcher.find(), banner);
            assertEquals(publicBase, matcher.group(1));
            assertEquals(publicBase + "/ocsp", matcher.group(3));
            String local = "http://127.0.0.1:" + matcher.group(2);
            Path ca = temporary.resolve("ca.der");
            LdapTools.run(List.of("curl", "-sS", "-f", "-o", ca.toString(), local + "/ca/" + name + ".crt"), Map.of(),
                    null).assertSuccess();
            String subject = LdapTools.run(List.of("openssl", "x509", "-inform", "DER", "-in", ca.toString(), "-noout",
                    "-subject"), Map.of(), null).assertSuccess().stdout();
            assertTrue(subject.contains("CN = " + CaCommand.DEFAULT_NAME), subject);
            LdapTools.Result missing = LdapTools.run(List.of("curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}",
                    local + "/ca/other.crt"), Map.of(), null).assertSuccess();
            assertEquals("404", missing.stdout());

            String url = banner.lines().filter(line -> line.contains("LDAP (StartTLS):")).findFirst().orElseThrow()
                    .replaceAll(".*(ldap://\\S+).*", "$1");
            DataFolder folder = DataFolder.of(data);
            String recorded = LdapTools.against(url, folder.caCertificate())
                    .asWithPasswordFile("uid=admin,ou=system", folder.resolve(DataFolder.ADMIN_PASSWORD))
                    .searchRaw("-LLL", "-o", "ldif-wrap=no", "-s", "one", "-b",
                            "ou=Certification Authorities,ou=KMS,dc=example,dc=com", "(objectClass=pkiCA)", "kmsOcspUrl",
                            "kmsCaIssuersUrl", "kmsCrlDistributionPoint").assertSuccess().stdout();
            assertTrue(recorded.contains("kmsOcspUrl: " + publicBase + "/ocsp"), recorded);
            assertTrue(recorded.contains("kmsCaIssuersUrl: " + publicBase + "/ca/" + name + ".crt"), recorded);
            assertTrue(recorded.contains("kmsCrlDistributionPoint: " + publicBase + "/crl/" + name + ".crl"), recorded);
            assertTrue(recorded.contains("kmsCrlDistributionPoint: ldap://"), recorded);
            assertEquals(143, serve.terminate());
        }
        try (ServeProcess serve = ServeProcess.start(temporary, "--data", data.toString(), "--ldap-port", "0",
                "--ldaps-port", "0", "--no-http")) {
            String banner = serve.awaitBanner();
            assertFalse(banner.contains("HTTP"), banner);
            assertEquals(143, serve.terminate());
        }
    }
}
