package org.dirkms.it.support;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * Runs the Debian OpenLDAP clients ({@code ldapsearch}, {@code ldapmodify}, {@code ldapadd},
 * {@code ldapcompare}, {@code ldapdelete}, {@code ldapwhoami}) as separate processes, the way an
 * administrator would, and returns their exit code and output. When a client is missing the
 * test fails with "install the Debian package ldap-utils".
 *
 * <p>An instance is immutable: {@link #against(TestDirectory)} gives one aimed at the
 * directory's LDAP URL with {@code LDAPTLS_CACERT} set to the server certificate and no bind;
 * {@link #asAdmin()}, {@link #asAgent()}, {@link #as(String, String)}, {@link #url(String)},
 * {@link #env(String, String)} and {@link #withArguments(String...)} return changed copies.
 *
 * <pre>{@code
 * LdapTools admin = LdapTools.against(directory).asAdmin();
 * admin.modify(Files.readString(sample)).assertSuccess();
 * LdapTools.Result found = admin.search(directory.layout().people(), "(uid=jdoe)", "mail");
 * }</pre>
 */
public final class LdapTools {

    /** How long one client may run before it is killed and the test fails. */
    private static final long TIMEOUT_SECONDS = 60;

    private final TestDirectory directory;
    private final String url;
    private final List<String> bindArguments;
    private final List<String> extraArguments;
    private final Map<String, String> environment;
    private final boolean withoutTls;

    private LdapTools(TestDirectory directory, String url, List<String> bindArguments, List<String> extraArguments,
            Map<String, String> environment, boolean withoutTls) {
        this.directory = directory;
        this.url = url;
        this.bindArguments = List.copyOf(bindArguments);
        this.extraArguments = List.copyOf(extraArguments);
        this.environment = Map.copyOf(environment);
        this.withoutTls = withoutTls;
    }

    /**
     * Clients aimed at {@code directory}'s {@code ldap://} URL, anonymous, with
     * {@code LDAPTLS_CACERT} naming its certificate (so {@code -ZZ} and {@code ldaps://} verify it)
     * and {@code LDAPTLS_REQCERT=demand}.
     */
    public static LdapTools against(TestDirectory directory) {
        return new LdapTools(directory, directory.ldapUrl(), List.of("-x"), List.of(),
                environment(directory.tlsCertificateFile()), false);
    }

    /**
     * Clients aimed at a server this test started itself (not through {@link TestDirectory}),
     * anonymous, trusting {@code caCertificate}; bind with {@link #as} or
     * {@link #asWithPasswordFile} ({@link #asAdmin()} and {@link #asAgent()} need a TestDirectory).
     */
    public static LdapTools against(String url, Path caCertificate) {
        return new LdapTools(null, url, List.of("-x"), List.of(), environment(caCertificate), false);
    }

    private static Map<String, String> environment(Path caCertificate) {
        Map<String, String> environment = new HashMap<>();
        environment.put("LDAPTLS_CACERT", caCertificate.toString());
        environment.put("LDAPTLS_REQCERT", "demand");
        // The machine's /etc/ldap/ldap.conf and an ~/.ldaprc must not change what the test sees
        // (LDAPNOINIT would also drop the LDAPTLS_* variables, so the files are redirected).
        environment.put("LDAPCONF", "/dev/null");
        environment.put("LDAPRC", "dirkms-it-no-ldaprc");
        return environment;
    }

    private LdapTools copy(String newUrl, List<String> newBind, List<String> newExtra, Map<String, String> newEnv) {
        return new LdapTools(directory, newUrl, newBind, newExtra, newEnv, withoutTls);
    }

    /**
     * Bound clients on an {@code ldap://} URL use StartTLS ({@code -ZZ}) unless told otherwise,
     * as a person must: the server refuses binds with a password on connections without TLS.
     * This turns that off, to show the refusal (or against a lab server that allows it).
     */
    public LdapTools withoutTls() {
        return new LdapTools(directory, url, bindArguments, extraArguments, environment, true);
    }

    /** Simple bind as a KMS administrator of the directory ({@link TestDirectory#kmsAdministratorDn()}). */
    public LdapTools asKmsAdministrator() {
        return as(directory.kmsAdministratorDn(), directory.kmsAdministratorPassword());
    }

    /** Simple bind as the administrator, the password read from its file ({@code -y}). */
    public LdapTools asAdmin() {
        return asWithPasswordFile(directory.adminDn(), directory.adminPasswordFile());
    }

    /** Simple bind as the KMS agent, the password read from its file ({@code -y}). */
    public LdapTools asAgent() {
        return asWithPasswordFile(directory.agentDn(), directory.agentPasswordFile());
    }

    /** Simple bind as {@code dn} with {@code password} ({@code -w}: test passwords only). */
    public LdapTools as(String dn, String password) {
        return copy(url, List.of("-x", "-D", dn, "-w", password), extraArguments, environment);
    }

    /** Simple bind as {@code dn} with the password in {@code passwordFile} ({@code -y}; no trailing newline). */
    public LdapTools asWithPasswordFile(String dn, Path passwordFile) {
        return copy(url, List.of("-x", "-D", dn, "-y", passwordFile.toString()), extraArguments, environment);
    }

    /** Anonymous simple bind. */
    public LdapTools anonymous() {
        return copy(url, List.of("-x"), extraArguments, environment);
    }

    /** Another server URL, e.g. {@code directory.ldapsUrl()}. */
    public LdapTools url(String newUrl) {
        return copy(newUrl, bindArguments, extraArguments, environment);
    }

    /** One more environment variable for the client. */
    public LdapTools env(String name, String value) {
        Map<String, String> newEnv = new HashMap<>(environment);
        newEnv.put(name, value);
        return copy(url, bindArguments, extraArguments, newEnv);
    }

    /** Arguments put before the operation's own, e.g. {@code "-ZZ"} for StartTLS. */
    public LdapTools withArguments(String... arguments) {
        List<String> newExtra = new ArrayList<>(extraArguments);
        newExtra.addAll(List.of(arguments));
        return copy(url, bindArguments, newExtra, environment);
    }

    /** {@code ldapsearch -LLL -b base filter attributes...}. */
    public Result search(String base, String filter, String... attributes) {
        List<String> arguments = new ArrayList<>(List.of("-LLL", "-o", "ldif-wrap=no", "-b", base, filter));
        arguments.addAll(List.of(attributes));
        return tool("ldapsearch", null, arguments);
    }

    /** {@code ldapsearch} with exactly the given arguments after URL, bind and extra arguments. */
    public Result searchRaw(String... arguments) {
        return tool("ldapsearch", null, List.of(arguments));
    }

    /** {@code ldapmodify} reading {@code ldif} from standard input ({@code changetype} records). */
    public Result modify(String ldif, String... arguments) {
        return tool("ldapmodify", ldif, List.of(arguments));
    }

    /** {@code ldapmodify -f file}: an LDIF file of change records, as an administrator runs it. */
    public Result modifyFile(Path ldifFile) {
        return tool("ldapmodify", null, List.of("-f", ldifFile.toString()));
    }

    /** {@code ldapadd} reading {@code ldif} (entries) from standard input. */
    public Result add(String ldif, String... arguments) {
        return tool("ldapadd", ldif, List.of(arguments));
    }

    /** {@code ldapcompare dn attribute:value}. */
    public Result compare(String dn, String assertion) {
        return tool("ldapcompare", null, List.of(dn, assertion));
    }

    /** {@code ldapdelete dn...}. */
    public Result delete(String... dns) {
        return tool("ldapdelete", null, List.of(dns));
    }

    /** {@code ldapwhoami}. */
    public Result whoami() {
        return tool("ldapwhoami", null, List.of());
    }

    private Result tool(String name, String stdin, List<String> arguments) {
        List<String> command = new ArrayList<>();
        command.add(executable(name));
        command.add("-H");
        command.add(url);
        command.addAll(bindArguments);
        if (!withoutTls && bindArguments.contains("-D") && url.startsWith("ldap://") && !extraArguments.contains("-ZZ")
                && !extraArguments.contains("-Z")) {
            command.add("-ZZ");
        }
        command.addAll(extraArguments);
        command.addAll(arguments);
        return run(command, environment, stdin);
    }

    /**
     * Runs {@code command} with {@code environment} added to this process's, feeding it
     * {@code stdin} (may be null), and waits at most a minute.
     */
    public static Result run(List<String> command, Map<String, String> environment, String stdin) {
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().putAll(environment);
        try {
            Process process = builder.start();
            CompletableFuture<byte[]> out = CompletableFuture.supplyAsync(() -> readAll(process.getInputStream()));
            CompletableFuture<byte[]> err = CompletableFuture.supplyAsync(() -> readAll(process.getErrorStream()));
            try (OutputStream in = process.getOutputStream()) {
                if (stdin != null) {
                    in.write(stdin.getBytes(StandardCharsets.UTF_8));
                }
            }
            if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new AssertionError(command.get(0) + " did not finish within " + TIMEOUT_SECONDS + " s: "
                        + String.join(" ", command));
            }
            return new Result(command, process.exitValue(), new String(out.get(), StandardCharsets.UTF_8),
                    new String(err.get(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + command.get(0), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while running " + command.get(0), e);
        } catch (ExecutionException e) {
            throw new AssertionError("cannot read the output of " + command.get(0), e.getCause());
        }
    }

    /**
     * The absolute path of an OpenLDAP client on the PATH.
     *
     * @throws AssertionError naming the Debian package ldap-utils when it is missing
     */
    public static String executable(String name) {
        return requireTool(name, "ldap-utils");
    }

    /**
     * The absolute path of {@code name} on the PATH.
     *
     * @throws AssertionError "install the Debian package {debianPackage}" when it is missing
     */
    public static String requireTool(String name, String debianPackage) {
        String path = Objects.requireNonNullElse(System.getenv("PATH"), "/usr/bin:/bin");
        for (String folder : path.split(File.pathSeparator)) {
            Path candidate = Path.of(folder, name);
            if (Files.isExecutable(candidate)) {
                return candidate.toString();
            }
        }
        throw new AssertionError(name + " is not on the PATH: install the Debian package " + debianPackage);
    }

    private static byte[] readAll(InputStream stream) {
        try (stream) {
            return stream.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * What a client did.
     *
     * @param command  the command line (contains {@code -w PASSWORD} only for {@link #as} binds)
     * @param exitCode the client's exit code: the LDAP result code for the OpenLDAP clients
     * @param stdout   standard output
     * @param stderr   standard error
     */
    public record Result(List<String> command, int exitCode, String stdout, String stderr) {

        /** Returns this result if the exit code is 0, else fails the test showing the output. */
        public Result assertSuccess() {
            if (exitCode != 0) {
                throw new AssertionError(describe("expected success"));
            }
            return this;
        }

        /** Returns this result if the exit code is {@code expected}, else fails showing the output. */
        public Result assertExitCode(int expected) {
            if (exitCode != expected) {
                throw new AssertionError(describe("expected exit code " + expected));
            }
            return this;
        }

        /** A readable account of the run for failure messages. */
        public String describe(String expectation) {
            return expectation + " but " + command.get(0) + " exited " + exitCode + "\n--- stdout:\n" + stdout
                    + "\n--- stderr:\n" + stderr;
        }
    }
}
