package org.dirkms.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import org.dirkms.schema.DataFolder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which configuration a {@code dirkms} process logs with: its data folder's {@code logback.xml},
 * written with the default when missing, or, without a data folder or with a configuration
 * logback cannot use, the built-in one (warnings on standard error).
 */
class LogConfigurationTest {

    @TempDir
    Path temporary;

    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    /** Puts this module's test configuration back. */
    @AfterEach
    void testConfiguration() throws Exception {
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        context.reset();
        JoranConfigurator configurator = new JoranConfigurator();
        configurator.setContext(context);
        configurator.doConfigure(LogConfigurationTest.class.getResource("/logback-test.xml"));
    }

    private void configure(String... arguments) {
        LogConfiguration.configure(List.of(arguments), new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private static String mode(Path path) throws Exception {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(path));
    }

    @Test
    void aCommandWhoseDataFolderDoesNotExistWritesNothing() {
        Path missing = temporary.resolve("missing");
        configure("roles", "list", "--data", missing.toString());
        assertFalse(Files.exists(missing));
        // serve makes its data folder, but not to print its help
        configure("serve", "--help", "--data", missing.toString());
        configure("--version", "serve", "--data", missing.toString());
        assertFalse(Files.exists(missing));
        assertEquals("", err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void theFirstCommandOnADataFolderWritesTheDefaultAndLogsToTheFile() throws Exception {
        DataFolder data = DataFolder.of(Files.createDirectory(temporary.resolve("data")));
        configure("roles", "list", "--data", data.root().toString());
        assertEquals("", err.toString(StandardCharsets.UTF_8));
        assertEquals("rw-------", mode(data.logbackConfiguration()));
        try (InputStream shipped = LogConfiguration.class.getResourceAsStream(LogConfiguration.DEFAULT_RESOURCE)) {
            assertEquals(new String(shipped.readAllBytes(), StandardCharsets.UTF_8),
                    Files.readString(data.logbackConfiguration()));
        }
        assertEquals("rwx------", mode(data.logs()));
        assertEquals("rw-------", mode(data.logFile()));

        Logger kms = LoggerFactory.getLogger("org.dirkms.agent.enroll.Enrollment");
        Logger apacheDs = LoggerFactory.getLogger("org.apache.directory.server.core.DefaultOperationManager");
        kms.info("an event of the KMS");
        kms.debug("a detail of the KMS");
        apacheDs.info("an INFO line of ApacheDS");
        apacheDs.warn("a warning of ApacheDS");
        LoggerFactory.getLogger("org.apache.directory.server.core.schema.SchemaInterceptor").error("ERR_54 0x4C 0x4F");
        List<String> lines = Files.readAllLines(data.logFile());
        assertEquals(2, lines.size(), lines.toString());
        assertTrue(lines.get(0).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}(Z|[+-]\\d\\d:\\d\\d) INFO"
                + " org\\.dirkms\\.agent\\.enroll\\.Enrollment - an event of the KMS"), lines.get(0));
        assertTrue(lines.get(1).endsWith(" WARN org.apache.directory.server.core.DefaultOperationManager - a warning"
                + " of ApacheDS"), lines.get(1));
    }

    @Test
    void anEditedConfigurationIsKeptAndRead() throws Exception {
        DataFolder data = DataFolder.of(Files.createDirectory(temporary.resolve("data")));
        configure("roles", "list", "--data", data.root().toString());
        String debug = Files.readString(data.logbackConfiguration()).replace("<logger name=\"org.dirkms\" level=\"INFO\"/>",
                "<logger name=\"org.dirkms\" level=\"DEBUG\"/>");
        Files.writeString(data.logbackConfiguration(), debug);
        configure("roles", "list", "--data", data.root().toString());
        assertEquals(debug, Files.readString(data.logbackConfiguration()), "not replaced by the default");
        LoggerFactory.getLogger("org.dirkms.agent.enroll.Enrollment").debug("a detail of the KMS");
        assertTrue(Files.readString(data.logFile()).contains(" DEBUG org.dirkms.agent.enroll.Enrollment - a detail"));
    }

    @Test
    void aConfigurationLogbackCannotUseIsOneLineAndWarningsGoToTheConsole() throws Exception {
        DataFolder data = DataFolder.of(Files.createDirectory(temporary.resolve("data")));
        Files.writeString(data.logbackConfiguration(), "<configuration><appender name=\"F\" class=\"no.such.Appender\"/>"
                + "<root level=\"INFO\"><appender-ref ref=\"F\"/></root></configuration>");
        configure("roles", "list", "--data", data.root().toString());
        String printed = err.toString(StandardCharsets.UTF_8);
        assertEquals(1, printed.lines().count(), printed);
        assertTrue(printed.startsWith("dirkms: the logging configuration " + data.logbackConfiguration()
                + " cannot be used ("), printed);
        assertTrue(printed.endsWith("); logging warnings to standard error only\n"), printed);
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        assertEquals(ch.qos.logback.classic.Level.WARN, context.getLogger(Logger.ROOT_LOGGER_NAME).getLevel());
        assertTrue(context.getLogger(Logger.ROOT_LOGGER_NAME).getAppender("CONSOLE") != null, "the built-in console");
    }
}
