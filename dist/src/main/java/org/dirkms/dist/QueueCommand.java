package org.dirkms.dist;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.NoSuchFileException;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

import org.apache.directory.api.ldap.model.exception.LdapException;
import org.apache.directory.ldap.client.api.LdapNetworkConnection;
import org.dirkms.agent.directory.LdapCaRecords;
import org.dirkms.agent.directory.DirectoryAccessException;
import org.dirkms.agent.directory.LdapQueueReadings;
import org.dirkms.agent.directory.QueueSnapshot;
import org.dirkms.agent.directory.QueueSnapshot.Authority;
import org.dirkms.agent.directory.QueueSnapshot.Request;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code dirkms queue}: the certificate request queue under {@code ou=Requests,ou=KMS} and the CAs
 * that serve it, as one read of the directory finds them ({@link LdapQueueReadings}): per request
 * its name, subject, template, state, the CA and attempt holding it, its age, its deadline and the
 * end of its lease; per CA its state, templates, capacity, load and last heartbeat. Every age is
 * measured from the moment of the read ({@link QueueSnapshot#readAt()}), so that one listing is
 * consistent in itself; the formatting takes that moment, never the clock, and is tested with a
 * fixed one. It prints names, states and times only: never a request's PKCS#10 or certificate.
 */
@Command(name = "queue", description = {"Show the certificate request queue (ou=Requests,ou=KMS) and the CAs serving"
        + " it: per request its subject, template, state, the CA and attempt holding it, its age, deadline and"
        + " lease end; per CA its state, templates, capacity, load and last heartbeat.", "",
        "By default the requests still waiting (pending and claimed); --all also those issued, failed or expired."
                + " A CA whose heartbeat is older than 30 s is shown as not serving. Any bound identity may read the"
                + " queue; by default the command binds as the KMS agent of DIR."})
final class QueueCommand extends Subcommand {

    /** How long one read may wait for the directory's answer. */
    private static final long TIMEOUT_MILLIS = Duration.ofMinutes(1).toMillis();

    @Mixin
    PersonConnectionOptions connection;

    @Option(names = "--all", description = "also the requests issued, failed or expired")
    boolean all;

    @Option(names = "--json", description = "one JSON object on standard output: readAt, requests (name, dn, state,"
            + " subject, template, templateDn, requested, ageSeconds, expires, expiresInSeconds, claimedBy, claimedByCa,"
            + " claimAttempt, leaseExpires, leaseExpiresInSeconds, lastError), requestsNotShown, cas (name, dn, state,"
            + " priority, templates, capacity, capacitySet, load, heartbeat, heartbeatAgeSeconds, serving)"
            + " (README, \"The certificate request queue\")")
    boolean json;

    @Option(names = "--set-lifetime-hours", paramLabel = "N", description = "first set how long a request queued from"
            + " now on waits for a CA before it expires and its enrollment fails (kmsRequestLifetime of ou=Requests;"
            + " 24 when never set); only the KMS agent identity may")
    String lifetimeHours;

    @Override
    List<String> examples() {
        return List.of("dirkms queue", "the requests waiting and the CAs, as the KMS agent of ./data",
                "dirkms queue --set-lifetime-hours 48", "requests queued from now on wait two days for a CA",
                "dirkms queue --all --bind-dn uid=alice,ou=People,dc=example,dc=com --password-file alice.pw",
                "every request, read as KMS administrator alice",
                "dirkms queue --json | jq '.cas[] | select(.serving | not) | .name'", "the CAs not serving");
    }

    @Override
    int run() throws UsageException {
        KmsContext kms = connection.context();
        long hours = Numbers.integer("--set-lifetime-hours", lifetimeHours, 0, 1, 24 * 366);
        try (LdapNetworkConnection directory = PersonConnectionOptions.open(kms, TIMEOUT_MILLIS)) {
            LdapCaRecords queue = new LdapCaRecords(directory, kms.layout(), kms.clock());
            if (hours > 0) {
                queue.setRequestLifetime(hours);
            }
            long lifetime = queue.requestLifetime().toHours();
            QueueSnapshot snapshot = new LdapQueueReadings(directory, kms.layout(), kms.clock()).read();
            if (json) {
                ObjectNode document = json(snapshot, all);
                document.put("requestLifetimeHours", lifetime);
                JsonOutput.print(out(), document);
            } else {
                out().println("A request waits up to " + lifetime + " hour" + (lifetime == 1 ? "" : "s")
                        + " for a CA (kmsRequestLifetime of " + kms.layout().requests() + ")"
                        + (hours > 0 ? ", set now" : "") + ".");
                print(snapshot, all, kms.layout().requests(), out());
            }
            return OK;
        } catch (NoSuchFileException e) {
            return failed("cannot read " + e.getFile() + ": give --data DIR of the server, or --password-file and"
                    + " --ca-cert");
        } catch (IOException | LdapException | GeneralSecurityException | DirectoryAccessException e) {
            return failed("cannot read the certificate request queue", e, kms.connection());
        }
    }

    /** Prints the requests of {@code snapshot} ({@code all} or the waiting ones) and its CAs, as two tables. */
    static void print(QueueSnapshot snapshot, boolean all, String queueDn, PrintWriter out) {
        Instant now = readAt(snapshot);
        List<Request> shown = snapshot.shown(all);
        int notShown = snapshot.requests().size() - shown.size();
        if (shown.isEmpty()) {
            out.println(snapshot.requests().isEmpty() ? "no request in " + queueDn
                    : "no request waiting in " + queueDn + " (" + notShown + " issued, failed or expired: --all lists"
                            + " them)");
        } else {
            TextTable requests = new TextTable("REQUEST", "STATE", "TEMPLATE", "AGE", "DEADLINE", "CLAIMED BY",
                    "LEASE END");
            Map<String, Integer> byState = new TreeMap<>();
            for (Request request : shown) {
                String state = request.state() == null ? "no state" : request.state();
                byState.merge(state, 1, Integer::sum);
                requests.row(request.subjectDn() == null ? null : "for " + request.subjectDn(), request.name(), state,
                        request.templateName(), request.requested() == null ? null
                                : age(Duration.between(request.requested(), now)),
                        until(request.expires(), now, "passed"), claimedBy(snapshot, request),
                        until(request.leaseExpires(), now, "ran out"));
            }
            requests.print(out);
            List<String> counts = new ArrayList<>();
            byState.forEach((state, count) -> counts.add(count + " " + state));
            out.println(shown.size() + " request" + (shown.size() == 1 ? "" : "s") + (all ? "" : " waiting") + " ("
                    + String.join(", ", counts) + ")" + (notShown > 0 ? "; " + notShown + " issued, failed or"
                            + " expired: --all lists them" : ""));
        }
        out.println();
        if (snapshot.authorities().isEmpty()) {
            out.println("no CA in the directory to serve the queue; 'dirkms ca init' makes one");
            return;
        }
        TextTable cas = new TextTable("CA", "STATE", "SERVING", "LOAD", "CAPACITY", "HEARTBEAT", "TEMPLATES");
        for (Authority ca : snapshot.authorities()) {
            cas.row(ca.dn(), ca.name(), ca.state(), ca.servingAt(now) ? "yes" : "no",
                    Integer.toString(snapshot.load(ca)),
                    ca.effectiveCapacity() + (ca.capacity() == null ? " (default)" : ""), heartbeat(ca, now),
                    ca.installedTemplates().isEmpty() ? "-" : String.join(",", ca.templateNames()));
        }
        cas.print(out);
    }

    /**
     * The {@code --json} document: one object with {@code readAt}, the {@code requests} shown
     * (as in text), {@code requestsNotShown} and the {@code cas}; times RFC 3339 UTC, durations
     * in whole seconds from {@code readAt} (negative once passed), null where the directory has
     * nothing.
     */
    static ObjectNode json(QueueSnapshot snapshot, boolean all) {
        Instant now = readAt(snapshot);
        ObjectNode document = JsonOutput.object();
        document.put("readAt", time(now));
        ArrayNode requests = document.putArray("requests");
        List<Request> shown = snapshot.shown(all);
        for (Request request : shown) {
            ObjectNode entry = requests.addObject();
            entry.put("name", request.name());
            entry.put("dn", request.dn());
            entry.put("state", request.state());
            entry.put("subject", request.subjectDn());
            entry.put("template", request.templateName());
            entry.put("templateDn", request.templateDn());
            entry.put("requested", time(request.requested()));
            entry.put("ageSeconds", seconds(request.requested(), now));
            entry.put("expires", time(request.expires()));
            entry.put("expiresInSeconds", seconds(now, request.expires()));
            entry.put("claimedBy", request.claimedBy());
            entry.put("claimedByCa", snapshot.claimant(request).map(Authority::name).orElse(null));
            entry.put("claimAttempt", request.attempt());
            entry.put("leaseExpires", time(request.leaseExpires()));
            entry.put("leaseExpiresInSeconds", seconds(now, request.leaseExpires()));
            entry.put("lastError", request.lastError());
        }
        document.put("requestsNotShown", snapshot.requests().size() - shown.size());
        ArrayNode cas = document.putArray("cas");
        for (Authority ca : snapshot.authorities()) {
            ObjectNode entry = cas.addObject();
            entry.put("name", ca.name());
            entry.put("dn", ca.dn());
            entry.put("state", ca.state());
            entry.put("priority", ca.priority());
            ca.templateNames().forEach(entry.putArray("templates")::add);
            entry.put("capacity", ca.effectiveCapacity());
            entry.put("capacitySet", ca.capacity() != null);
            entry.put("load", snapshot.load(ca));
            entry.put("heartbeat", time(ca.heartbeat()));
            entry.put("heartbeatAgeSeconds", seconds(ca.heartbeat(), now));
            entry.put("serving", ca.servingAt(now));
        }
        return document;
    }

    /**
     * The moment of the read to the second: every stored time is to the second, so that an age
     * or a time left is exactly the difference of two times the listing shows.
     */
    private static Instant readAt(QueueSnapshot snapshot) {
        return snapshot.readAt().truncatedTo(ChronoUnit.SECONDS);
    }

    /** The CA's name and the attempt for a claim a CA here holds, else the claim's value as stored. */
    private static String claimedBy(QueueSnapshot snapshot, Request request) {
        if (request.claimedBy() == null) {
            return null;
        }
        Optional<Authority> ca = snapshot.claimant(request);
        return ca.map(authority -> authority.name() + " " + request.attempt()).orElse(request.claimedBy());
    }

    private static String heartbeat(Authority ca, Instant now) {
        if (ca.heartbeat() == null) {
            return "never";
        }
        Duration age = Duration.between(ca.heartbeat(), now);
        return time(ca.heartbeat()) + (age.isNegative() ? " (in " + span(age.negated()) + ")"
                : " (" + span(age) + " ago)");
    }

    /** {@code when} and how long until it, or how long since it {@code passed}; {@code -} when absent. */
    static String until(Instant when, Instant now, String passed) {
        if (when == null) {
            return null;
        }
        Duration left = Duration.between(now, when);
        return time(when) + (left.isNegative() || left.isZero() ? " (" + passed + " " + span(left.negated()) + " ago)"
                : " (in " + span(left) + ")");
    }

    /** An age: how long ago something happened, negative (a clock ahead of this one) with a minus sign. */
    static String age(Duration age) {
        return age.isNegative() ? "-" + span(age.negated()) : span(age);
    }

    /**
     * A duration for a person, to the two largest units: {@code 42s}, {@code 5m 3s},
     * {@code 2h 5m}, {@code 3d 4h}.
     */
    static String span(Duration duration) {
        long seconds = Math.abs(duration.getSeconds());
        if (seconds < 60) {
            return seconds + "s";
        }
        if (seconds < 3600) {
            return seconds / 60 + "m " + seconds % 60 + "s";
        }
        if (seconds < 86_400) {
            return seconds / 3600 + "h " + seconds % 3600 / 60 + "m";
        }
        return seconds / 86_400 + "d " + seconds % 86_400 / 3600 + "h";
    }

    /** RFC 3339 UTC to the second (GeneralizedTime is stored to the second), or null. */
    static String time(Instant instant) {
        return instant == null ? null : instant.truncatedTo(ChronoUnit.SECONDS).toString();
    }

    /** Whole seconds from {@code from} to {@code to}, or null when either is absent. */
    private static Long seconds(Instant from, Instant to) {
        return from == null || to == null ? null : Duration.between(from, to).getSeconds();
    }

    @Override
    Map<ExitCode, String> exitCodes() {
        Map<ExitCode, String> codes = new LinkedHashMap<>(super.exitCodes());
        codes.put(ExitCode.FAILED, "the queue could not be read (the directory, the password file, a stored time"
                + " that is not a GeneralizedTime): standard error says why");
        codes.remove(ExitCode.NOT_CHECKED);
        return codes;
    }
}
