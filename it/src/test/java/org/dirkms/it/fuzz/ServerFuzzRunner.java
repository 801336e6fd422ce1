package org.dirkms.it.fuzz;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;

import org.dirkms.agent.fuzz.FuzzSettings;
import org.dirkms.agent.fuzz.FuzzTally;
import org.dirkms.it.support.TestDirectory;

/**
 * Sends fuzz cases to the real embedded server over real TLS sockets, in a few threads, and
 * judges each answer. Every worker thread keeps one connection per {@link Who} and reuses it;
 * a connection the server closed or that timed out is replaced.
 *
 * <p>A case fails as a <em>crash</em> when no final response comes within
 * {@link #TIMEOUT_MILLIS}, when the server drops a connection it had no reason to drop, when the
 * result code is operationsError (1) or other (80), or when the server no longer answers a simple
 * search on the same connection afterwards. It fails as a <em>violation</em> when the result
 * code is outside the set expected for the input class, when a diagnostic carries Java exception
 * text, a stack trace or a secret, or when a response gives a reader a secret it may not have.
 */
final class ServerFuzzRunner {
    /** The longest one operation may take. Generous: the machine is shared and GC may pause. */
    static final long TIMEOUT_MILLIS = 15_000;
    /** Text that betrays a Java exception or a stack trace in a diagnostic. */
    static final List<String> JAVA_TEXT = List.of("Exception", "\tat ", "java.", "org.apache");
    /** Crashes after which a target stops: by then the report says what is wrong. */
    static final int GIVE_UP_AFTER = 10;
    /** How long a malformed PDU waits for an answer: its lengths may promise octets never sent. */
    static final long RAW_TIMEOUT_MILLIS = 1_500;
    /** Worker threads: two cores, and the server's own threads need them too. */
    static final int THREADS = 3;
    /** A probe on the case's connection follows every case that ended unusually and every this many. */
    static final int PROBE_EVERY = 10;

    /** Makes case {@code index} of a target from its own generator. */
    @FunctionalInterface
    interface CaseFactory {
        ServerCase make(int index, SplittableRandom random);
    }

    private final TestDirectory directory;
    private final FuzzFixture fixture;
    private final SSLContext tls;

    ServerFuzzRunner(TestDirectory directory, FuzzFixture fixture) {
        this.directory = directory;
        this.fixture = fixture;
        try {
            tls = SSLContext.getInstance("TLS");
            tls.init(null, new TrustManager[] {directory.trustManager()}, null);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("no TLS", e);
        }
    }

    /** Runs {@code cases} cases of {@code target}. */
    FuzzTally run(String target, int cases, CaseFactory factory) throws Exception {
        FuzzTally tally = new FuzzTally(target);
        AtomicInteger next = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        try {
            List<Future<?>> workers = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                workers.add(pool.submit(() -> {
                    try (Connections connections = new Connections()) {
                        for (int index = next.getAndIncrement(); index < cases; index = next.getAndIncrement()) {
                            if (tally.crashes() >= GIVE_UP_AFTER) {
                                break; // a server that stopped serving fails every later case the same way
                            }
                            if (FuzzSettings.runs(index)) {
                                runOne(target, index, factory, connections, tally);
                            }
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> worker : workers) {
                try {
                    worker.get();
                } catch (ExecutionException e) {
                    throw new AssertionError("a fuzz worker failed: " + e.getCause(), e.getCause());
                }
            }
        } finally {
            pool.shutdownNow();
        }
        if (!probe(new Connections(), Who.ADMIN)) {
            tally.crash(-1, "the server does not answer a simple search after the target", target);
        }
        return tally;
    }

    private void runOne(String target, int index, CaseFactory factory, Connections connections, FuzzTally tally) {
        ServerCase fuzzCase = factory.make(index, FuzzSettings.random(target, index));
        String description = fuzzCase.who() + " " + fuzzCase.description();
        if (fuzzCase.rawMessage() != null && fuzzCase.rawMessage().length <= 64) {
            description += " = " + java.util.HexFormat.of().formatHex(fuzzCase.rawMessage());
        }
        if (fuzzCase.local() != null) {
            tally.record(fuzzCase.local(), 0, description);
            if (fuzzCase.localCrash() != null) {
                tally.crash(index, fuzzCase.localCrash(), description);
            }
            return;
        }
        WireConnection connection = connections.get(fuzzCase.who());
        String previous = connections.previous(fuzzCase.who(), index + " " + description);
        long started = System.nanoTime();
        boolean unframed = fuzzCase.rawMessage() != null && !framed(fuzzCase.rawMessage());
        LdapResponse response = send(connection, fuzzCase, unframed);
        long elapsed = System.nanoTime() - started;
        tally.record(response.label(), elapsed, description);
        judge(index, fuzzCase, response, description + (previous == null ? "" : "\n    after, on this connection: case "
                + previous), tally, unframed);
        // The server still answers a simple search: on the same connection after every case that
        // ended unusually and every PROBE_EVERY cases (the next case on the connection checks the
        // others), on a new connection when the case ended the connection.
        boolean unusual = response.code() < 0 || response.code() == 1 || response.code() == 80;
        // A PDU that is not exactly one element leaves the stream mid-element (lengths that promise
        // octets never sent, the server waiting for them) or with octets after it the server takes
        // for the start of the next request: the next case's octets on this connection would be
        // read as part of it, so the connection is done.
        boolean unfinished = unframed;
        if (connection.isOpen() && !unfinished) {
            if (unusual || index % PROBE_EVERY == 0) {
                LdapResponse probe = connection.request(LdapRequests.probe(fixture.suffix), null, TIMEOUT_MILLIS);
                if (probe.code() != 0) {
                    tally.crash(index, "the connection no longer answers a simple search (" + probe.label() + " "
                            + probe.diagnostic() + ")", description);
                    connections.drop(fuzzCase.who());
                }
            }
        } else {
            connections.drop(fuzzCase.who());
            if (!probe(new Connections(), fuzzCase.who())) {
                tally.crash(index, "the server does not answer a simple search on a new connection", description);
            }
        }
    }

    private static LdapResponse send(WireConnection connection, ServerCase fuzzCase, boolean unframed) {
        return fuzzCase.rawMessage() == null
                ? connection.request(fuzzCase.operation(), fuzzCase.controls(), TIMEOUT_MILLIS)
                : connection.raw(fuzzCase.rawMessage(), unframed ? RAW_TIMEOUT_MILLIS : TIMEOUT_MILLIS);
    }

    /** Whether {@code message} is exactly one TLV, so that the server can tell where it ends. */
    private static boolean framed(byte[] message) {
        List<Ber.Tlv> tlvs = Ber.read(message, 0, message.length);
        return tlvs.size() == 1 && tlvs.get(0).end() == message.length;
    }

    private void judge(int index, ServerCase fuzzCase, LdapResponse response, String description, FuzzTally tally,
            boolean unframed) {
        int code = response.code();
        if (code == LdapResponse.TIMEOUT && !unframed) {
            tally.crash(index, "no final response within " + TIMEOUT_MILLIS + " ms", description);
            return;
        }
        if (code == LdapResponse.TIMEOUT) {
            // A malformed PDU whose lengths promise more octets than were sent: the server waits
            // for them, as it should; the probe on a new connection checks it still serves.
            return;
        }
        if (code == LdapResponse.CLOSED) {
            if (!fuzzCase.mayClose()) {
                tally.crash(index, "the server closed the connection (" + abbreviate(response.diagnostic()) + ")",
                        description);
            }
        } else if (code == 1 || code == 80) {
            tally.crash(index, "result code " + code + ": " + abbreviate(response.diagnostic()), description);
        } else if (!fuzzCase.allowed().contains(code)) {
            tally.violation(index, "result code " + code + " is not one of " + fuzzCase.allowed() + " expected here: "
                    + abbreviate(response.diagnostic()), description);
        }
        String diagnostic = response.diagnostic();
        for (String text : JAVA_TEXT) {
            if (diagnostic.contains(text)) {
                tally.violation(index, "the diagnostic contains '" + text.replace("\t", "\\t") + "': "
                        + abbreviate(diagnostic), description);
                break;
            }
        }
        byte[] diagnosticOctets = diagnostic.getBytes(StandardCharsets.UTF_8);
        List<byte[]> secrets = new ArrayList<>(fixture.planted.values());
        secrets.addAll(fuzzCase.sentSecrets());
        for (byte[] secret : secrets) {
            if (contains(diagnosticOctets, secret) || containsText(diagnostic, secret)) {
                tally.violation(index, "the diagnostic echoes a secret value (" + secret.length + " octets)", description);
            }
        }
        for (byte[] secret : fixture.forbiddenTo(fuzzCase.who())) {
            if (contains(response.octets(), secret)) {
                tally.violation(index, "the response gives " + fuzzCase.who() + " a secret it may not read ("
                        + secret.length + " octets)", description);
            }
        }
        if (fuzzCase.check() != null) {
            String wrong = fuzzCase.check().judge(response);
            if (wrong != null) {
                tally.violation(index, wrong, description);
            }
        }
    }

    private boolean probe(Connections connections, Who who) {
        try (connections) {
            WireConnection connection = connections.get(who);
            return connection.request(LdapRequests.probe(fixture.suffix), null, TIMEOUT_MILLIS).code() == 0;
        } catch (RuntimeException e) {
            return false;
        }
    }

    /**
     * Whether {@code haystack} contains {@code needle}: secrets of at least 12 octets are looked
     * for whole and by a 12-octet window from their middle (a diagnostic may cut a value).
     */
    static boolean contains(byte[] haystack, byte[] needle) {
        if (needle.length < 12) {
            return false;
        }
        int start = needle.length > 24 ? needle.length / 2 - 6 : 0;
        byte[] window = java.util.Arrays.copyOfRange(needle, start, start + 12);
        outer:
        for (int i = 0; i + window.length <= haystack.length; i++) {
            for (int j = 0; j < window.length; j++) {
                if (haystack[i + j] != window[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    /** A secret shown as hex or base64 in a diagnostic counts too. */
    private static boolean containsText(String diagnostic, byte[] secret) {
        if (secret.length < 12) {
            return false;
        }
        byte[] window = java.util.Arrays.copyOfRange(secret, 0, 12);
        String hex = java.util.HexFormat.of().formatHex(window);
        String base64 = java.util.Base64.getEncoder().encodeToString(window).substring(0, 12);
        String lower = diagnostic.toLowerCase(Locale.ROOT).replace(" ", "");
        return lower.contains(hex) || diagnostic.contains(base64);
    }

    /** A diagnostic cut for the report: its start, and its end, where a stack trace's cause is. */
    static String abbreviate(String text) {
        return text.length() > 900 ? text.substring(0, 300) + " [...] " + text.substring(text.length() - 600) : text;
    }

    /** One worker's connections, one per identity, opened when first needed. */
    private final class Connections implements AutoCloseable {
        private final Map<Who, WireConnection> open = new EnumMap<>(Who.class);
        private final Map<Who, String> last = new EnumMap<>(Who.class);

        /** The case sent last on {@code who}'s open connection (null on a new one); {@code next} becomes it. */
        String previous(Who who, String next) {
            return last.put(who, next);
        }

        WireConnection get(Who who) {
            WireConnection connection = open.get(who);
            if (connection == null || !connection.isOpen()) {
                last.remove(who);
                connection = connect(who);
                open.put(who, connection);
            }
            return connection;
        }

        void drop(Who who) {
            last.remove(who);
            WireConnection connection = open.remove(who);
            if (connection != null) {
                connection.close();
            }
        }

        private WireConnection connect(Who who) {
            try {
                WireConnection connection = switch (who) {
                    case AGENT, KMS_ADMIN, USER -> WireConnection.startTls(directory.ldapPort(), tls);
                    case ADMIN, ANONYMOUS -> WireConnection.ldaps(directory.ldapsPort(), tls);
                };
                LdapResponse bound = switch (who) {
                    case AGENT -> connection.bind(directory.agentDn(), directory.agentPassword());
                    case ADMIN -> connection.bind(directory.adminDn(), directory.adminPassword());
                    case KMS_ADMIN -> connection.bind(directory.kmsAdministratorDn(), directory.kmsAdministratorPassword());
                    case USER -> connection.bind(fixture.fuzzer, FuzzFixture.FUZZER_PASSWORD);
                    case ANONYMOUS -> connection.bind(null, null);
                };
                if (bound.code() != 0) {
                    connection.close();
                    throw new IllegalStateException("cannot bind as " + who + ": " + bound.label() + " " + bound.diagnostic());
                }
                return connection;
            } catch (IOException e) {
                throw new IllegalStateException("cannot connect as " + who + ": " + e.getMessage(), e);
            }
        }

        @Override
        public void close() {
            for (WireConnection connection : open.values()) {
                connection.close();
            }
            open.clear();
        }
    }
}
