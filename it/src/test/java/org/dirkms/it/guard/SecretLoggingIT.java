package org.dirkms.it.guard;

import static org.dirkms.it.guard.GuardFixture.alice;
import static org.dirkms.it.guard.GuardFixture.base64;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Properties;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;

import javax.xml.parsers.DocumentBuilderFactory;

import org.dirkms.it.support.LdapTools;
import org.dirkms.it.support.ProjectFiles;
import org.dirkms.it.support.StandardErrorCapture;
import org.dirkms.it.support.TestDirectory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.LoggerFactory;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * No line the server logs carries bytes of a submitted secret value. ApacheDS's schema
 * interceptor logs a modification that adds a value already present as {@code ERR_54 Cannot add
 * a value which is already present : <value>}, at ERROR, with the first 16 bytes of a binary
 * value in hex, before the KMS guard sees the request; every logging configuration of the
 * project that runs the server (the command line's, the tests') keeps that logger silent. The
 * requests are refused all the same, with their result codes.
 */
class SecretLoggingIT {

    @RegisterExtension
    static final TestDirectory directory = new TestDirectory();

    private static final String PACKAGE = "LOGGED-PACKAGE-OF-ALICE-c7e1-0123456789";
    private static final String TOKEN = "LOGGED-TOKEN-OF-ALICE-49ab-0123456789";

    /** Every way a few bytes of {@code secret} could show in a log line. */
    private static List<String> traces(String secret) {
        byte[] bytes = secret.getBytes(StandardCharsets.UTF_8);
        List<String> traces = new ArrayList<>(List.of(secret.substring(0, 8), base64(secret).substring(0, 8)));
        for (int i = 0; i + 4 <= bytes.length; i++) {
            StringBuilder dump = new StringBuilder();
            for (int j = i; j < i + 4; j++) {
                dump.append(String.format("0x%02X ", bytes[j]));
            }
            // The LDAP API's dump of a binary value (Strings.dumpBytes), and plain hex.
            traces.add(dump.toString().strip());
            traces.add(HexFormat.of().formatHex(bytes, i, i + 4));
        }
        return traces;
    }

    private static void assertNoTrace(String log, String secret) {
        String lower = log.toLowerCase(Locale.ROOT);
        for (String trace : traces(secret)) {
            assertFalse(log.contains(trace) || lower.contains(trace.toLowerCase(Locale.ROOT)),
                    "the server's log shows '" + trace + "' of a secret value:\n" + log);
        }
    }

    @Test
    void aSecretValueTheSchemaRefusesIsNotLogged() {
        GuardFixture.addUsers(directory);
        GuardFixture.enrollAlice(directory, PACKAGE, TOKEN);
        LdapTools agent = LdapTools.against(directory).as(directory.agentDn(), directory.agentPassword())
                .withArguments("-ZZ");
        String log;
        try (StandardErrorCapture server = StandardErrorCapture.start()) {
            // The same values again: each value is already present (RFC 4511 section 4.6: add
            // fails with attributeOrValueExists).
            agent.modify("dn: " + alice(directory) + "\nchangetype: modify\n"
                    + "add: kmsKeyPackage\nkmsKeyPackage:: " + base64(PACKAGE) + "\n-\n").assertExitCode(20);
            agent.modify("dn: " + alice(directory) + "\nchangetype: modify\n"
                    + "add: kmsEnrollmentToken\nkmsEnrollmentToken:: " + base64(TOKEN) + "\n-\n").assertExitCode(20);
            // The capture sees what the console appender writes, or this test would prove nothing.
            LoggerFactory.getLogger(SecretLoggingIT.class).error("capture check after the refused adds");
            log = server.text();
        }
        assertTrue(log.contains("ERROR org.dirkms.it.guard.SecretLoggingIT - capture check"), log);
        assertNoTrace(log, PACKAGE);
        assertNoTrace(log, TOKEN);
    }

    @Test
    void everyLoggingConfigurationThatRunsTheServerSilencesTheSchemaInterceptor() throws Exception {
        // The command line's configurations ship in dirkms.jar (the built-in one, and the default
        // DIR/logback.xml); the JVM of this test reads the IT one; the plugin's tests slf4j-simple.
        for (String file : List.of("dist/src/main/resources/logback.xml",
                "dist/src/main/resources/org/dirkms/dist/data-folder-logback.xml",
                "dist/src/test/resources/logback-test.xml", "it/src/test/resources/logback-test.xml")) {
            Document configuration = DocumentBuilderFactory.newInstance().newDocumentBuilder()
                    .parse(ProjectFiles.file(file).toFile());
            NodeList loggers = configuration.getElementsByTagName("logger");
            String level = null;
            for (int i = 0; i < loggers.getLength(); i++) {
                Element logger = (Element) loggers.item(i);
                if (logger.getAttribute("name").equals("org.apache.directory.server.core.schema.SchemaInterceptor")) {
                    level = logger.getAttribute("level");
                }
            }
            assertEquals("OFF", level, file);
        }
        Properties configuration = new Properties();
        try (Reader in = Files.newBufferedReader(ProjectFiles.file("ds-plugin/src/test/resources/simplelogger.properties"))) {
            configuration.load(in);
        }
        assertEquals("off", configuration.getProperty(
                "org.slf4j.simpleLogger.log.org.apache.directory.server.core.schema.SchemaInterceptor"));
    }
}
