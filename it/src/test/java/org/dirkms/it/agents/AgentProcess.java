package org.dirkms.it.agents;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.dirkms.it.support.LdapTools;
import org.dirkms.it.support.ProjectFiles;

/**
 * {@code ./dirkms agent --data DATA --url URL ...} in a process of its own, as an administrator
 * starts one more agent on a host: the repository's script, its standard output and standard error
 * (the agent logs INFO and up there) in files named after the agent in a work folder.
 *
 * <pre>{@code
 * AgentProcess agent = AgentProcess.start(url, data, work, "agent-a", "--lease-seconds", "8");
 * agent.awaitRunning();
 * agent.kill();        // SIGKILL, a process dying at any instruction
 * agent.terminate();   // SIGTERM, as systemd stops it
 * }</pre>
 */
public final class AgentProcess implements AutoCloseable {
    /** How long a start may take on two busy cores (the script builds the jar when it is stale). */
    private static final long START_SECONDS = 240;

    private final String name;
    private final Process process;
    private final Path out;
    private final Path err;

    private AgentProcess(String name, Process process, Path out, Path err) {
        this.name = name;
        this.process = process;
        this.out = out;
        this.err = err;
    }

    /**
     * Starts {@code dirkms agent --data data --url url extra...}; its outputs go to
     * {@code work/<name>.out} and {@code work/<name>.err}.
     */
    public static AgentProcess start(String url, Path data, Path work, String name, String... extra)
            throws IOException {
        List<String> command = new ArrayList<>(List.of(ProjectFiles.file("dirkms").toString(), "agent", "--data",
                data.toString(), "--url", url));
        command.addAll(List.of(extra));
        Path out = work.resolve(name + ".out");
        Path err = work.resolve(name + ".err");
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.redirectOutput(out.toFile());
        builder.redirectError(err.toFile());
        return new AgentProcess(name, builder.start(), out, err);
    }

    /**
     * Makes {@code agentData} the data folder of an agent on another host of the KMS whose
     * {@code dirkms serve} keeps {@code serveData}: what an administrator copies there (README,
     * "Several agents"): the agent's password, the CA certificate clients trust, the CA's key
     * store and the key recovery store, with their modes. Each agent keeps its own audit log in its
     * own folder.
     *
     * @return {@code agentData}
     */
    public static Path copyFolder(Path serveData, Path agentData) throws IOException {
        for (String item : List.of("kms-agent.password", "tls", "ca", "recovery")) {
            Path from = serveData.resolve(item);
            if (Files.isDirectory(from)) {
                copyTree(from, agentData.resolve(item));
            } else {
                Files.createDirectories(agentData);
                Files.copy(from, agentData.resolve(item), java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
            }
        }
        Files.deleteIfExists(agentData.resolve("tls").resolve("server.p12"));
        Files.deleteIfExists(agentData.resolve("tls").resolve("server.p12.pass"));
        return agentData;
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (java.util.stream.Stream<Path> paths = Files.walk(from)) {
            for (Path path : paths.toList()) {
                Path target = to.resolve(from.relativize(path).toString());
                if (Files.isDirectory(path)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(path, target, java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
        }
    }

    /** The name the agent was started with. */
    public String name() {
        return name;
    }

    /** Returns once the agent printed that it runs; fails the test, with its standard error, if it ends first. */
    public void awaitRunning() throws IOException, InterruptedException {
        Instant deadline = Instant.now().plusSeconds(START_SECONDS);
        while (!Files.readString(out).contains("dirkms agent running")) {
            if (!process.isAlive() || Instant.now().isAfter(deadline)) {
                fail(name + " did not start:\n" + Files.readString(err));
            }
            Thread.sleep(50); // polling the other process's start
        }
    }

    /** SIGKILL through kill(1), and waits for the process to be gone. */
    public void kill() throws InterruptedException {
        LdapTools.run(List.of("kill", "-KILL", Long.toString(process.pid())), Map.of(), null).assertSuccess();
        assertTrue(process.waitFor(30, TimeUnit.SECONDS), name + " survived SIGKILL");
    }

    /** SIGTERM through kill(1), as systemd stops the agent, and waits for it to end. */
    public void terminate() throws InterruptedException {
        if (process.isAlive()) {
            LdapTools.run(List.of("kill", "-TERM", Long.toString(process.pid())), Map.of(), null);
            process.waitFor(30, TimeUnit.SECONDS);
        }
    }

    /** What the agent logged on standard error so far. */
    public String log() throws IOException {
        return Files.readString(err);
    }

    /** The process id. */
    public long pid() {
        return process.pid();
    }

    /** Stops the agent with SIGTERM if it still runs, then kills it if that did not end it. */
    @Override
    public void close() throws InterruptedException {
        terminate();
        if (process.isAlive()) {
            process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        }
    }
}
