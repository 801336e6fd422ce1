package org.dirkms.it.ca;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.dirkms.it.support.DirkmsRun;
import org.dirkms.it.support.LdapTools;
import org.dirkms.it.support.TestDirectory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code dirkms queue} and {@code dirkms ca templates|capacity} as an administrator runs them
 * against the real embedded directory: two CAs made with {@code dirkms ca init}, request entries
 * written with ldapmodify as the KMS agent (one pending, one claimed by the second CA under a
 * lease, one failed), a heartbeat on the second CA; the table and the JSON show what ldapsearch
 * returns, for the KMS agent and for a KMS administrator alike. The template and capacity changes
 * are judged with ldapsearch, and each refusal is one line with its exit code and the entry
 * unchanged.
 */
class QueueCommandIT {
    @RegisterExtension
    static final TestDirectory directory = new TestDirectory();

    private static final DateTimeFormatter GENERALIZED_TIME = DateTimeFormatter.ofPattern("yyyyMMddHHmmss'Z'")
            .withZone(ZoneOffset.UTC);
    private static final String ROOT = "Queue Root CA";
    private static final String SECOND = "Queue Second CA";

    @TempDir
    Path work;

    @Test
    void theQueueAndItsCasAreShownAsTheDirectoryHoldsThem() throws Exception {
        String cas = directory.layout().certificationAuthorities();
        String requests = directory.layout().requests();
        String secondDn = "cn=" + SECOND + "," + cas;
        ca(0, "init", "--name", ROOT, "--key-algorithm", "EC-P384");
        ca(0, "init", "--name", SECOND, "--key-algorithm", "EC-P384", "--priority", "2");
        ca(0, "capacity", "--name", SECOND, "4");

        Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        String claim = secondDn + " pid 4242 0a1b2c3d4e5f #1";
        LdapTools agent = LdapTools.against(directory).asAgent();
        agent.modify(String.join("\n",
                request(requests, "q-alice-signing", "pending", "smime-signature", "alice", now.minusSeconds(300),
                        now.plusSeconds(3600)),
                "",
                request(requests, "q-bob-encryption", "claimed", "smime-encryption", "bob", now.minusSeconds(60),
                        now.plusSeconds(600)),
                "kmsClaimedBy: " + claim,
                "kmsLeaseExpires: " + GENERALIZED_TIME.format(now.plusSeconds(120)),
                "",
                request(requests, "q-carol-signing", "failed", "smime-signature", "carol", now.minusSeconds(86_400),
                        now.minusSeconds(80_000)),
                "kmsLastError: carol is not a KMS user",
                "",
                "dn: " + secondDn, "changetype: modify", "replace: kmsHeartbeat",
                "kmsHeartbeat: " + GENERALIZED_TIME.format(now), "-", "")).assertSuccess();

        // What ldapsearch returns, as the KMS agent.
        Map<String, Map<String, List<String>>> queued = entries(agent.search(requests,
                "(objectClass=kmsCertificateRequest)", "cn", "kmsRequestState", "kmsRequestTemplate",
                "kmsRequestSubject", "kmsRequestedTime", "kmsExpiresTime", "kmsClaimedBy", "kmsLeaseExpires",
                "kmsLastError").assertSuccess().stdout());
        Map<String, Map<String, List<String>>> authorities = entries(agent.search(cas,
                "(objectClass=kmsCertificationAuthority)", "cn", "kmsCAState", "kmsInstalledTemplate", "kmsCapacity",
                "kmsHeartbeat", "kmsPriority").assertSuccess().stdout());
        assertEquals(3, queued.size(), queued.toString());
        assertEquals(2, authorities.size(), authorities.toString());

        JsonNode json = json(queue("--json"));
        Instant readAt = Instant.parse(json.get("readAt").asText());
        // By default the waiting requests only: the pending and the claimed one, oldest first.
        assertEquals(List.of("q-alice-signing", "q-bob-encryption"), names(json.get("requests")));
        assertEquals(1, json.get("requestsNotShown").asInt());
        for (JsonNode shown : json.get("requests")) {
            Map<String, List<String>> entry = queued.get(shown.get("dn").asText().toLowerCase());
            assertEquals(first(entry, "kmsrequeststate"), shown.get("state").asText());
            assertEquals(first(entry, "kmsrequesttemplate"), shown.get("templateDn").asText());
            assertEquals(first(entry, "kmsrequestsubject"), shown.get("subject").asText());
            Instant requested = generalized(first(entry, "kmsrequestedtime"));
            assertEquals(requested.toString(), shown.get("requested").asText());
            assertEquals(readAt.getEpochSecond() - requested.getEpochSecond(), shown.get("ageSeconds").asLong());
            Instant expires = generalized(first(entry, "kmsexpirestime"));
            assertEquals(expires.toString(), shown.get("expires").asText());
            assertEquals(expires.getEpochSecond() - readAt.getEpochSecond(), shown.get("expiresInSeconds").asLong());
        }
        JsonNode bob = json.get("requests").get(1);
        Map<String, List<String>> bobEntry = queued.get(bob.get("dn").asText().toLowerCase());
        assertEquals(first(bobEntry, "kmsclaimedby"), bob.get("claimedBy").asText());
        assertEquals(SECOND, bob.get("claimedByCa").asText());
        assertEquals("pid 4242 0a1b2c3d4e5f #1", bob.get("claimAttempt").asText());
        assertEquals(generalized(first(bobEntry, "kmsleaseexpires")).toString(), bob.get("leaseExpires").asText());
        assertTrue(json.get("requests").get(0).get("claimedBy").isNull());

        Map<String, JsonNode> byName = new LinkedHashMap<>();
        json.get("cas").forEach(ca -> byName.put(ca.get("name").asText(), ca));
        assertEquals(List.of(ROOT, SECOND), List.copyOf(byName.keySet()), "lowest kmsPriority first");
        JsonNode second = byName.get(SECOND);
        Map<String, List<String>> secondEntry = authorities.get(secondDn.toLowerCase());
        assertEquals(first(secondEntry, "kmscastate"), second.get("state").asText());
        assertEquals(Integer.parseInt(first(secondEntry, "kmscapacity")), second.get("capacity").asInt());
        assertEquals(4, second.get("capacity").asInt());
        assertTrue(second.get("capacitySet").asBoolean());
        assertEquals(1, second.get("load").asInt(), "the claimed request under a live lease");
        assertEquals(generalized(first(secondEntry, "kmsheartbeat")).toString(), second.get("heartbeat").asText());
        assertTrue(second.get("serving").asBoolean(), second.toString());
        assertEquals(templateNames(secondEntry.get("kmsinstalledtemplate")), strings(second.get("templates")));
        JsonNode root = byName.get(ROOT);
        Map<String, List<String>> rootEntry = authorities.get(("cn=" + ROOT + "," + cas).toLowerCase());
        assertTrue(rootEntry.get("kmscapacity") == null, "no kmsCapacity on the root: " + rootEntry);
        assertEquals(16, root.get("capacity").asInt(), "the default capacity");
        assertTrue(!root.get("capacitySet").asBoolean());
        assertEquals(0, root.get("load").asInt());
        assertTrue(root.get("heartbeat").isNull() && !root.get("serving").asBoolean(), "never beat: " + root);

        // The table shows the same values, one request or CA per row.
        String table = queue();
        Map<String, List<String>> rows = rows(table);
        assertEquals(List.of("pending", "smime-signature"), rows.get("q-alice-signing").subList(1, 3), table);
        assertTrue(rows.get("q-alice-signing").get(4).startsWith(generalized(first(queued.get(
                ("cn=q-alice-signing," + requests).toLowerCase()), "kmsexpirestime")) + " (in "), table);
        List<String> bobRow = rows.get("q-bob-encryption");
        assertEquals(List.of("claimed", "smime-encryption"), bobRow.subList(1, 3), table);
        assertEquals(SECOND + " pid 4242 0a1b2c3d4e5f #1", bobRow.get(5), table);
        assertTrue(bobRow.get(6).startsWith(generalized(first(bobEntry, "kmsleaseexpires")) + " (in "), table);
        assertTrue(table.contains("\n  for uid=bob," + directory.layout().people() + "\n"), table);
        assertTrue(table.contains("\n2 requests waiting (1 claimed, 1 pending); 1 issued, failed or expired: --all"
                + " lists them\n"), table);
        assertEquals(List.of(SECOND, "active", "yes", "1", "4"), rows.get(SECOND).subList(0, 5), table);
        assertEquals(List.of(ROOT, "active", "no", "0", "16 (default)", "never"), rows.get(ROOT).subList(0, 6), table);
        assertTrue(!table.contains("q-carol-signing"), table);

        // --all adds the failed request, with its reason in JSON.
        JsonNode everything = json(queue("--all", "--json"));
        assertEquals(List.of("q-carol-signing", "q-alice-signing", "q-bob-encryption"),
                names(everything.get("requests")));
        assertEquals("carol is not a KMS user", everything.get("requests").get(0).get("lastError").asText());
        assertTrue(queue("--all").contains("\nq-carol-signing   failed "), queue("--all"));

        // A KMS administrator reads the same queue, bound as themselves.
        Path password = work.resolve("admin.password");
        Files.writeString(password, directory.kmsAdministratorPassword() + "\n");
        JsonNode asAdministrator = json(queue("--json", "--bind-dn", directory.kmsAdministratorDn(),
                "--password-file", password.toString()));
        assertEquals(names(json.get("requests")), names(asAdministrator.get("requests")));
        assertEquals(1, asAdministrator.get("cas").get(1).get("load").asInt());
        // A wrong password: one line on standard error, exit 1, nothing on standard output, no password shown.
        Path wrong = work.resolve("wrong.password");
        Files.writeString(wrong, "not-the-password-of-alice\n");
        DirkmsRun refused = DirkmsRun.of("queue", "--bind-dn", directory.kmsAdministratorDn(), "--password-file",
                wrong.toString(), "--data", directory.dataDirectory().toString(), "--url", directory.ldapUrl(),
                "--ca-cert", directory.tlsCertificateFile().toString());
        assertEquals(1, refused.code(), refused.toString());
        assertEquals("", refused.out(), refused.toString());
        assertTrue(refused.err().startsWith("dirkms queue: ") && refused.err().lines().count() == 1
                && !refused.err().contains("not-the-password"), refused.toString());

        // ca templates: remove and add change kmsInstalledTemplate, as ldapsearch shows.
        Set<String> installed = installed(agent, secondDn);
        assertTrue(installed.contains("legacy-v1") && installed.contains("ldap-server"), installed.toString());
        String removed = ca(0, "templates", "remove", "--name", SECOND, "legacy-v1", "ldap-server");
        assertTrue(removed.startsWith("removed legacy-v1, ldap-server from CA '" + SECOND + "'"), removed);
        Set<String> fewer = new TreeSet<>(installed);
        fewer.removeAll(Set.of("legacy-v1", "ldap-server"));
        assertEquals(fewer, installed(agent, secondDn));
        assertTrue(queue().contains("smime-encryption") && !rows(queue()).get(SECOND).get(6).contains("legacy-v1"));
        ca(0, "templates", "add", "--name", SECOND, "LEGACY-V1");
        Set<String> back = new TreeSet<>(fewer);
        back.add("legacy-v1");
        assertEquals(back, installed(agent, secondDn));
        String listed = ca(0, "templates", "list", "--name", SECOND);
        assertTrue(listed.contains("\n  not installed: ldap-server\n"), listed);

        // Each refusal: one line, its exit code, the entry unchanged.
        String before = caEntry(agent, secondDn);
        String unknownCa = ca(1, "templates", "add", "--name", "No Such CA", "legacy-v1");
        assertEquals("dirkms ca templates: there is no CA 'No Such CA' (the CAs: " + ROOT + ", " + SECOND
                + "); nothing changed\n", unknownCa);
        String unknownTemplate = ca(1, "templates", "add", "--name", SECOND, "ldap-server", "no-such-template");
        assertTrue(unknownTemplate.startsWith("dirkms ca templates: there is no certificate template"
                + " 'no-such-template' (the templates: "), unknownTemplate);
        assertTrue(unknownTemplate.contains("smime-signature") && unknownTemplate.endsWith("); nothing changed\n")
                && unknownTemplate.lines().count() == 1, unknownTemplate);
        String already = ca(1, "templates", "add", "--name", SECOND, "ldap-server", "smime-signature");
        assertEquals("dirkms ca templates: template 'smime-signature' is installed on CA '" + SECOND
                + "' already; nothing changed\n", already);
        String notInstalled = ca(1, "templates", "remove", "--name", SECOND, "legacy-v1", "ldap-server");
        assertTrue(notInstalled.startsWith("dirkms ca templates: template 'ldap-server' is not installed on CA '"
                + SECOND + "' (installed: "), notInstalled);
        assertTrue(notInstalled.endsWith("); nothing changed\n") && notInstalled.lines().count() == 1, notInstalled);
        String badAction = ca(2, "templates", "install", "--name", SECOND, "legacy-v1");
        assertTrue(badAction.startsWith("dirkms ca templates: ACTION 'install' is not one of: add, remove, list\n"),
                badAction);
        String noTemplate = ca(2, "templates", "add", "--name", SECOND);
        assertTrue(noTemplate.startsWith("dirkms ca templates: 'ca templates add' needs a TEMPLATE (one or more)\n"),
                noTemplate);
        String zero = ca(2, "capacity", "--name", SECOND, "0");
        assertTrue(zero.startsWith("dirkms ca capacity: N must be between 1 and 10000\n"), zero);
        String notNumber = ca(2, "capacity", "--name", SECOND, "many");
        assertTrue(notNumber.startsWith("dirkms ca capacity: N 'many' is not a number\n"), notNumber);
        String capacityUnknownCa = ca(1, "capacity", "--name", "No Such CA", "8");
        assertEquals("dirkms ca capacity: there is no CA 'No Such CA' (the CAs: " + ROOT + ", " + SECOND
                + "); nothing changed\n", capacityUnknownCa);
        assertEquals(before, caEntry(agent, secondDn), "no refusal changed the CA entry");

        // The capacity, set again, is what ldapsearch and the queue show.
        String set = ca(0, "capacity", "--name", SECOND, "8");
        assertEquals("CA '" + SECOND + "' may hold 8 requests claimed at once (kmsCapacity was 4)\n", set);
        assertEquals("8", first(entries(agent.search(secondDn, "(objectClass=*)", "kmsCapacity").assertSuccess()
                .stdout()).get(secondDn.toLowerCase()), "kmscapacity"));
        assertEquals(8, json(queue("--json")).get("cas").get(1).get("capacity").asInt());

        // The queue's lifetime: 24 hours until set; set, it is what ldapsearch shows on ou=Requests.
        assertEquals(24, json(queue("--json")).get("requestLifetimeHours").asInt());
        String longer = queue("--set-lifetime-hours", "48");
        assertTrue(longer.startsWith("A request waits up to 48 hours for a CA (kmsRequestLifetime of "
                + directory.layout().requests() + "), set now."), longer);
        assertEquals("48", first(entries(agent.searchRaw("-LLL", "-o", "ldif-wrap=no", "-s", "base",
                "-b", directory.layout().requests(), "(objectClass=*)", "kmsRequestLifetime").assertSuccess().stdout()).get(directory.layout().requests().toLowerCase()),
                "kmsrequestlifetime"));
        assertEquals(48, json(queue("--json")).get("requestLifetimeHours").asInt());
        // Only the KMS agent identity configures the queue: a KMS administrator is refused, nothing changed.
        DirkmsRun notAllowed = DirkmsRun.of("queue", "--set-lifetime-hours", "1", "--bind-dn",
                directory.kmsAdministratorDn(), "--password-file", password.toString(), "--data",
                directory.dataDirectory().toString(), "--url", directory.ldapUrl(), "--ca-cert",
                directory.tlsCertificateFile().toString());
        assertEquals(1, notAllowed.code(), notAllowed.toString());
        assertTrue(notAllowed.err().startsWith("dirkms queue: ") && notAllowed.err().lines().count() == 1,
                notAllowed.toString());
        assertEquals(48, json(queue("--json")).get("requestLifetimeHours").asInt());
    }

    private static String request(String requests, String name, String state, String template, String uid,
            Instant requested, Instant expires) {
        return String.join("\n", "dn: cn=" + name + "," + requests, "changetype: add",
                "objectClass: kmsCertificateRequest", "cn: " + name, "kmsRequestState: " + state,
                "kmsRequestTemplate: cn=" + template + "," + directory.layout().certificateTemplates(),
                "kmsRequestSubject: uid=" + uid + "," + directory.layout().people(),
                "kmsRequestedTime: " + GENERALIZED_TIME.format(requested),
                "kmsExpiresTime: " + GENERALIZED_TIME.format(expires));
    }

    /** {@code dirkms queue} as the KMS agent of the data folder (or as the flags say), exit 0; its standard output. */
    private static String queue(String... arguments) {
        List<String> all = new ArrayList<>(List.of("queue"));
        all.addAll(List.of(arguments));
        all.addAll(List.of("--data", directory.dataDirectory().toString(), "--url", directory.ldapUrl(), "--ca-cert",
                directory.tlsCertificateFile().toString()));
        DirkmsRun run = DirkmsRun.of(all);
        assertEquals(0, run.code(), run.toString());
        assertEquals("", run.err(), run.toString());
        return run.out();
    }

    /** {@code dirkms ca ...} with the expected exit code; standard output and standard error together. */
    private static String ca(int expectedExit, String... arguments) {
        List<String> all = new ArrayList<>(List.of("ca"));
        all.addAll(List.of(arguments));
        all.addAll(List.of("--data", directory.dataDirectory().toString(), "--url", directory.ldapUrl()));
        DirkmsRun run = DirkmsRun.of(all);
        assertEquals(expectedExit, run.code(), run.toString());
        return run.out() + run.err();
    }

    private static String caEntry(LdapTools agent, String dn) {
        return agent.searchRaw("-LLL", "-o", "ldif-wrap=no", "-s", "base", "-b", dn, "(objectClass=*)",
                "kmsInstalledTemplate", "kmsCapacity", "kmsCAState", "kmsPriority").assertSuccess().stdout();
    }

    /** The names of the templates installed on the CA entry {@code dn}, as ldapsearch returns them. */
    private static Set<String> installed(LdapTools agent, String dn) {
        List<String> values = entries(caEntry(agent, dn)).get(dn.toLowerCase()).get("kmsinstalledtemplate");
        return new TreeSet<>(templateNames(values));
    }

    private static List<String> templateNames(List<String> dns) {
        List<String> names = new ArrayList<>();
        for (String dn : dns) {
            names.add(dn.substring(dn.indexOf('=') + 1, dn.indexOf(',')).toLowerCase());
        }
        return names;
    }

    /** ldapsearch's LDIF (unwrapped) as entries by lower-cased DN, attributes by lower-cased name. */
    private static Map<String, Map<String, List<String>>> entries(String ldif) {
        Map<String, Map<String, List<String>>> entries = new LinkedHashMap<>();
        Map<String, List<String>> current = null;
        for (String line : ldif.split("\n")) {
            int colon = line.indexOf(": ");
            if (colon < 0) {
                continue;
            }
            String name = line.substring(0, colon).toLowerCase();
            String value = line.substring(colon + 2);
            if (name.equals("dn")) {
                current = new LinkedHashMap<>();
                entries.put(value.toLowerCase(), current);
            } else if (current != null) {
                current.computeIfAbsent(name, key -> new ArrayList<>()).add(value);
            }
        }
        return entries;
    }

    private static String first(Map<String, List<String>> entry, String attribute) {
        List<String> values = entry.get(attribute);
        return values == null ? null : values.get(0);
    }

    private static Instant generalized(String value) {
        return Instant.from(GENERALIZED_TIME.parse(value));
    }

    private static JsonNode json(String text) throws Exception {
        return new ObjectMapper().readTree(text);
    }

    private static List<String> names(JsonNode requests) {
        List<String> names = new ArrayList<>();
        requests.forEach(request -> names.add(request.get("name").asText()));
        return names;
    }

    private static List<String> strings(JsonNode array) {
        List<String> values = new ArrayList<>();
        array.forEach(value -> values.add(value.asText()));
        return values;
    }

    /** The rows of the tables by their first cell, cells split where two or more spaces align them. */
    private static Map<String, List<String>> rows(String table) {
        Map<String, List<String>> rows = new LinkedHashMap<>();
        for (String line : table.split("\n")) {
            if (line.isEmpty() || line.startsWith(" ")) {
                continue;
            }
            List<String> cells = List.of(line.split(" {2,}"));
            rows.put(cells.get(0), cells);
        }
        return rows;
    }
}
