package org.dirkms.dist;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.core.joran.spi.JoranException;
import ch.qos.logback.core.status.Status;
import ch.qos.logback.core.util.StatusPrinter2;
import ch.qos.logback.core.status.StatusUtil;
import org.dirkms.schema.DataFolder;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParseResult;

/**
 * Where a {@code dirkms} process logs (README, "Logs"). Until it knows its data folder, and for a
 * command without one, the configuration built into the jar ({@code logback.xml}): warnings and
 * errors on standard error. {@code dirkms serve}, and every command whose data folder
 * ({@code --data DIR}) exists, log as {@code DIR/logback.xml} says
 * ({@link DataFolder#LOGBACK_CONFIGURATION}); it is written with the project's default at the
 * first start when missing: a rotating file {@code DIR/logs/dirkms.log}, levels per package, one
 * line per event, INFO and up on standard error.
 *
 * <p>Only {@link DirkmsCommand#main} configures: a command run inside another JVM (the
 * integration tests) keeps that JVM's logging.
 */
final class LogConfiguration {

    /** The logback variable holding the data folder, for the paths of {@code DIR/logback.xml}. */
    static final String DATA_FOLDER_VARIABLE = "DIRKMS_DATA";
    /** The default {@code DIR/logback.xml}, a resource beside this class. */
    static final String DEFAULT_RESOURCE = "data-folder-logback.xml";

    private LogConfiguration() {
    }

    /**
     * Configures logging for the command line {@code arguments}: from the data folder of the
     * command they name when it has one, else leaves the built-in configuration. A configuration
     * that cannot be read or applied is reported on {@code err} in one line and the built-in one
     * stays; the command runs all the same.
     */
    static void configure(List<String> arguments, PrintStream err) {
        Optional<Path> folder;
        boolean serve;
        try {
            ParseResult parsed = DirkmsCommand.commandLine(System.out, err).parseArgs(arguments.toArray(String[]::new));
            ParseResult command = parsed;
            while (true) {
                if (command.isUsageHelpRequested() || command.isVersionHelpRequested()) {
                    return; // help and --version print and stop: no data folder is made for them
                }
                if (!command.hasSubcommand()) {
                    break;
                }
                command = command.subcommand();
            }
            folder = dataFolderOf(command.commandSpec().commandLine());
            serve = command.commandSpec().qualifiedName().equals("dirkms serve");
        } catch (CommandLine.ParameterException e) {
            return; // the command reports the usage error itself
        }
        if (folder.isEmpty() || !(serve || Files.isDirectory(folder.get()))) {
            return;
        }
        DataFolder data = DataFolder.of(folder.get());
        try {
            Path file = prepare(data);
            apply(data, file);
        } catch (IOException | JoranException | RuntimeException e) {
            err.println("dirkms: the logging configuration " + data.logbackConfiguration() + " cannot be used ("
                    + e.getMessage() + "); logging warnings to standard error only");
            builtIn();
        }
    }

    /** The value of the {@code --data} flag of {@code command}, its default included, if it has one. */
    static Optional<Path> dataFolderOf(CommandLine command) {
        OptionSpec data = command.getCommandSpec().findOption("--data");
        if (data == null || data.getValue() == null) {
            return Optional.empty();
        }
        return Optional.of(Path.of(data.getValue().toString()));
    }

    /**
     * Makes what the default configuration needs in {@code data}, each with the data folder's
     * modes: the folder itself (0700, for {@code dirkms serve}'s first start), {@code logback.xml}
     * when missing (0600), {@code logs/} (0700) and an empty {@code logs/dirkms.log} (0600), so
     * that the file logback appends to is the owner's only whatever the umask.
     *
     * @return {@code DIR/logback.xml}
     */
    static Path prepare(DataFolder data) throws IOException {
        boolean posix = data.root().getFileSystem().supportedFileAttributeViews().contains("posix");
        createFolder(data.root(), posix);
        Path file = data.logbackConfiguration();
        if (!Files.exists(file)) {
            Path temporary = data.root().resolve(file.getFileName() + ".new");
            Files.deleteIfExists(temporary);
            if (posix) {
                Files.createFile(temporary, PosixFilePermissions.asFileAttribute(DataFolder.FILE_MODE));
            } else {
                Files.createFile(temporary);
            }
            try (InputStream in = LogConfiguration.class.getResourceAsStream(DEFAULT_RESOURCE)) {
                if (in == null) {
                    throw new IOException("the jar lacks " + DEFAULT_RESOURCE);
                }
                Files.write(temporary, in.readAllBytes());
            }
            try {
                // Not replacing: a file another process wrote meanwhile wins.
                Files.createLink(file, temporary);
            } catch (FileAlreadyExistsException e) {
                // kept
            } finally {
                Files.deleteIfExists(temporary);
            }
        }
        createFolder(data.logs(), posix);
        Path log = data.logFile();
        if (!Files.exists(log)) {
            try {
                if (posix) {
                    Files.createFile(log, PosixFilePermissions.asFileAttribute(DataFolder.FILE_MODE));
                } else {
                    Files.createFile(log);
                }
            } catch (FileAlreadyExistsException e) {
                // another process made it
            }
        }
        return file;
    }

    private static void createFolder(Path folder, boolean posix) throws IOException {
        if (Files.isDirectory(folder)) {
            return;
        }
        Files.createDirectories(folder.toAbsolutePath().getParent());
        try {
            if (posix) {
                Files.createDirectory(folder, PosixFilePermissions.asFileAttribute(DataFolder.FOLDER_MODE));
            } else {
                Files.createDirectory(folder);
            }
        } catch (FileAlreadyExistsException e) {
            if (!Files.isDirectory(folder)) {
                throw e;
            }
        }
    }

    /**
     * Replaces the configuration of this JVM's logback with {@code file}, {@value #DATA_FOLDER_VARIABLE}
     * set to the data folder.
     *
     * @throws JoranException when the file is not a logback configuration
     * @throws IllegalStateException when logback reports an error applying it (its first message)
     */
    static void apply(DataFolder data, Path file) throws JoranException {
        if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
            return; // another SLF4J backend: it configures itself
        }
        context.reset();
        context.putProperty(DATA_FOLDER_VARIABLE, data.root().toString());
        JoranConfigurator configurator = new JoranConfigurator();
        configurator.setContext(context);
        long start = System.currentTimeMillis();
        configurator.doConfigure(file.toFile());
        StatusUtil status = new StatusUtil(context);
        if (status.getHighestLevel(start) >= Status.ERROR) {
            String first = context.getStatusManager().getCopyOfStatusList().stream()
                    .filter(s -> s.getDate() >= start && s.getLevel() >= Status.ERROR).map(Status::getMessage)
                    .findFirst().orElse("an error");
            throw new IllegalStateException(first);
        }
    }

    /** Puts the configuration built into the jar back ({@code logback.xml}: warnings on standard error). */
    static void builtIn() {
        if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
            return;
        }
        context.reset();
        JoranConfigurator configurator = new JoranConfigurator();
        configurator.setContext(context);
        try {
            configurator.doConfigure(LogConfiguration.class.getResource("/logback.xml"));
        } catch (JoranException e) {
            new StatusPrinter2().printInCaseOfErrorsOrWarnings(context);
        }
    }
}
