package org.dirkms.it.openldap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;

import org.apache.directory.api.ldap.model.cursor.EntryCursor;
import org.apache.directory.api.ldap.model.entry.Attribute;
import org.apache.directory.api.ldap.model.entry.Entry;
import org.apache.directory.api.ldap.model.entry.Value;
import org.apache.directory.api.ldap.model.message.SearchScope;
import org.apache.directory.ldap.client.api.LdapNetworkConnection;
import org.dirkms.agent.names.DistinguishedNames;
import org.dirkms.it.support.DirkmsRun;
import org.dirkms.it.support.LdapTools;
import org.dirkms.it.support.ProjectFiles;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Enrollment on a replicated directory (docs/reliability.md, "Replicated directories"; README,
 * "Running replicated"), every part a process of its own over real sockets: two slapd 2.5
 * providers replicating each other (each from the configuration {@code dirkms openldap config}
 * writes with {@code --server-id} and {@code --peer}), and two {@code dirkms agent} processes,
 * one following each provider ({@code --url}) and both claiming on the home provider of the same
 * list ({@code --home-url} twice, the first provider first).
 *
 * <p>300 users (EC P-256) are asked for, half of them on each provider, while the first
 * provider, the home, is SIGKILLed twice at random moments and restarted after a random pause.
 * Once every user is enrolled on both providers, each agent has cleaned up after the last
 * failover and the providers have converged: on each provider every user is enrolled exactly
 * once (one encryption and one signing certificate, on the entry and in its children, and exactly
 * one archive record not marked abandoned, listed in {@code kmsArchiveRecord}, holding the
 * published encryption certificate), {@code dirkms archive check} against each provider finds
 * nothing, and both hold the same KMS entries, attribute for attribute.
 *
 * <p>The kill moments come from a {@link Random} seeded from {@value #SEED_PROPERTY} when set,
 * else from a fresh {@link SecureRandom}; the seed is printed first.
 */
class ReplicatedEnrollmentIT {
    private static final int USERS = 300;
    private static final int KILLS = 2;
    private static final int LEASE_SECONDS = 6;
    private static final int SWEEP_SECONDS = 2;
    private static final String SEED_PROPERTY = "dirkms.replication.kill.seed";
    /** What an agent logs once it cleaned up after a failover (KmsAgent). */
    private static final String CONVERGED = "have converged on";

    @TempDir
    Path work;

    private final List<Slapd> providers = new ArrayList<>();
    private final List<Process> agents = new ArrayList<>();

    @AfterEach
    void stopEverything() {
        for (Process agent : agents) {
            agent.destroyForcibly();
        }
        providers.forEach(Slapd::close);
    }

    @Test
    void threeHundredUsersAreEnrolledOnceWhileTheHomeProviderIsKilledTwice() throws Exception {
        long seed = Long.getLong(SEED_PROPERTY, new SecureRandom().nextLong());
        System.out.println("ReplicatedEnrollmentIT seed: -D" + SEED_PROPERTY + "=" + seed);
        Random random = new Random(seed);

        SlapdCa ca = SlapdCa.create(work.resolve("ca"));
        int port1 = Slapd.freePort();
        int port2 = Slapd.freePort();
        String url1 = "ldap://127.0.0.1:" + port1;
        String url2 = "ldap://127.0.0.1:" + port2;
        Slapd first = Slapd.start(work.resolve("provider1"),
                Slapd.Options.defaults().withCa(ca).withPort(port1).withReplication(1, List.of(url2)));
        providers.add(first);
        Slapd second = Slapd.start(work.resolve("provider2"), Slapd.Options.defaults().withCa(ca).withPort(port2)
                .withReplication(2, List.of(url1)).withoutBootstrap());
        providers.add(second);
        awaitEntry(second, first.agentDn());
        // What the harness loaded is what 'dirkms openldap config --server-id N --peer URL' writes.
        checkConfigurationCommand(first, 1, url2, ca);
        checkConfigurationCommand(second, 2, url1, ca);

        // The agents' data folder: the agent's password and the certificate the providers' TLS chains to.
        Path data1 = dataFolder("data1", first, ca);
        DirkmsRun init = DirkmsRun.of("ca", "init", "--data", data1.toString(), "--url", url1, "--key-algorithm",
                "EC-P384");
        assertEquals(0, init.code(), init.toString());
        String group = "cn=Default," + first.layout().administrativeGroups();
        first.asRoot().modify("dn: " + group + "\nchangetype: modify\nreplace: kmsKeyAlgorithm\nkmsKeyAlgorithm: EC-P256\n")
                .assertSuccess();

        // The first agent makes the recovery key store; the second gets a copy of it and of the CA's.
        List<String> home = List.of("--home-url", url1, "--home-url", url2);
        agents.add(startAgent("agent1", data1, url1, home));
        awaitRunning("agent1");
        Path data2 = dataFolder("data2", first, ca);
        copyFolder(data1.resolve("ca"), data2.resolve("ca"));
        copyFolder(data1.resolve("recovery"), data2.resolve("recovery"));
        agents.add(startAgent("agent2", data2, url2, home));
        awaitRunning("agent2");

        // Users, half asked for on each provider, by a KMS administrator as the README's LDIF does.
        String alice = first.addPerson("alice", "alice@example.com", "alice-password");
        first.grantRole(Slapd.Role.KMS_ADMINISTRATORS, alice);
        List<String> users = addPeople(first, USERS);
        awaitEntry(second, alice);
        awaitEntry(second, users.get(USERS - 1));
        Instant started = Instant.now();
        request(first, alice, users.subList(0, USERS / 2));
        request(second, alice, users.subList(USERS / 2, USERS));

        int[] killAt = {20 + random.nextInt(80), 140 + random.nextInt(80)};
        int[] convergedBefore = new int[2];
        for (int kill = 0; kill < KILLS; kill++) {
            awaitEnrolled(second, users, killAt[kill], 240);
            first.kill();
            long pause = 1000 + random.nextInt(3000);
            System.out.printf("ReplicatedEnrollmentIT: provider 1 (the home) SIGKILLed with %d users enrolled;"
                    + " restarted after %d ms%n", enrolled(second, users), pause);
            Thread.sleep(pause); // the provider stays down a while, as a crashed host does
            convergedBefore[0] = count("agent1", CONVERGED);
            convergedBefore[1] = count("agent2", CONVERGED);
            first.restart();
        }
        awaitEnrolled(first, users, USERS, 300);
        awaitEnrolled(second, users, USERS, 300);
        System.out.printf("ReplicatedEnrollmentIT: %d users enrolled on both providers in %d s%n", USERS,
                java.time.Duration.between(started, Instant.now()).toSeconds());
        // Each agent cleans up once every provider answers and its home caught up after the last restart.
        awaitLogged("agent1", CONVERGED, convergedBefore[0] + 1);
        awaitLogged("agent2", CONVERGED, convergedBefore[1] + 1);
        for (Process agent : agents) {
            LdapTools.run(List.of("kill", "-TERM", Long.toString(agent.pid())), Map.of(), null);
        }
        // The providers are compared once nothing writes to them any more. An agent gives its
        // workers up to 30 s to finish on SIGTERM (KmsAgent.close) and may write meanwhile.
        Instant terminated = Instant.now();
        for (int i = 0; i < agents.size(); i++) {
            assertTrue(agents.get(i).waitFor(60, java.util.concurrent.TimeUnit.SECONDS),
                    "agent" + (i + 1) + " did not stop within 60 s of SIGTERM");
        }
        System.out.printf("ReplicatedEnrollmentIT: both agents stopped %d ms after SIGTERM%n",
                java.time.Duration.between(terminated, Instant.now()).toMillis());
        Map<String, Map<String, List<String>>> kms1 = awaitSameKmsEntries(first, second);
        // The integrator's view of convergence: the same contextCSN on both, read as the directory administrator.
        assertEquals(contextCsn(first), contextCsn(second), "the providers' contextCSN after convergence");

        int lost = 0;
        for (Slapd provider : providers) {
            lost = checkEveryUserEnrolledOnce(provider, users);
            DirkmsRun check = DirkmsRun.of("archive", "check", "--data", data1.toString(), "--url", provider.url());
            assertEquals(0, check.code(), provider.url() + ": " + check);
        }
        System.out.printf("ReplicatedEnrollmentIT: both providers hold the same %d KMS entries; %d archive records of"
                + " attempts that lost marked abandoned; cleaned up after failover: agent1 %d times, agent2 %d times%n",
                kms1.size(), lost, count("agent1", CONVERGED), count("agent2", CONVERGED));
    }

    // ---- set-up ---------------------------------------------------------------------------

    /**
     * Runs {@code dirkms openldap config} for {@code provider} as README "Running replicated" does
     * and checks that it writes the server id and the syncrepl the harness loaded into it.
     */
    private void checkConfigurationCommand(Slapd provider, int serverId, String peer, SlapdCa ca) throws IOException {
        Path out = work.resolve("config" + serverId);
        DirkmsRun config = DirkmsRun.of("openldap", "config", "--suffix", provider.suffix(), "--agent-dn",
                provider.agentDn(), "--agent-password-file", provider.agentPasswordFile().toString(),
                "--replicator-password-file", provider.replicatorPasswordFile().toString(), "--server-id",
                Integer.toString(serverId), "--peer", peer, "--peer-ca-cert", ca.certificate().toAbsolutePath().toString(),
                "--out", out.toString());
        assertEquals(0, config.code(), config.toString());
        Path loaded = provider.configurationFolder();
        assertEquals(Files.readString(loaded.resolve("03-server-id.ldif")), Files.readString(out.resolve("03-server-id.ldif")),
                "olcServerID " + serverId);
        assertEquals(replicationLines(loaded.resolve("10-database.ldif")), replicationLines(out.resolve("10-database.ldif")),
                "provider " + serverId + " replicates from " + peer);
        assertTrue(replicationLines(out.resolve("10-database.ldif")).stream().anyMatch(l -> l.contains(peer)), peer);
    }

    private static List<String> replicationLines(Path databaseLdif) throws IOException {
        return Files.readAllLines(databaseLdif).stream()
                .filter(line -> line.startsWith("olcSyncrepl:") || line.startsWith("olcMultiProvider:")).toList();
    }

    private static String contextCsn(Slapd provider) {
        String found = provider.asDirectoryAdministrator().withArguments("-s", "base")
                .search(provider.suffix(), "(objectClass=*)", "contextCSN").assertSuccess().stdout();
        List<String> values = found.lines().filter(line -> line.startsWith("contextCSN:")).sorted().toList();
        assertTrue(values.size() == 2, provider.url() + ": a contextCSN for each server id:\n" + found);
        return String.join("\n", values);
    }

    private Path dataFolder(String name, Slapd provider, SlapdCa ca) throws IOException {
        Path data = Files.createDirectories(work.resolve(name));
        Files.setPosixFilePermissions(data, PosixFilePermissions.fromString("rwx------"));
        Path tls = Files.createDirectories(data.resolve("tls"));
        Files.copy(ca.certificate(), tls.resolve("ca.crt"));
        Files.copy(provider.agentPasswordFile(), data.resolve("kms-agent.password"));
        Files.setPosixFilePermissions(data.resolve("kms-agent.password"), PosixFilePermissions.fromString("rw-------"));
        return data;
    }

    private static void copyFolder(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        Files.setPosixFilePermissions(to, PosixFilePermissions.fromString("rwx------"));
        try (Stream<Path> files = Files.list(from)) {
            for (Path file : files.toList()) {
                Files.copy(file, to.resolve(file.getFileName()), StandardCopyOption.COPY_ATTRIBUTES);
            }
        }
    }

    private Process startAgent(String tag, Path data, String url, List<String> home) throws IOException {
        List<String> command = new ArrayList<>(List.of(ProjectFiles.file("dirkms").toString(), "agent", "--data",
                data.toString(), "--url", url, "--lease-seconds", Integer.toString(LEASE_SECONDS), "--sweep-seconds",
                Integer.toString(SWEEP_SECONDS), "--workers", "4"));
        command.addAll(home);
        return new ProcessBuilder(command).redirectOutput(work.resolve(tag + ".out").toFile())
                .redirectError(work.resolve(tag + ".err").toFile()).start();
    }

    private void awaitRunning(String tag) throws Exception {
        Instant deadline = Instant.now().plusSeconds(240); // the script builds the jar if it is stale
        Process agent = agents.get(agents.size() - 1);
        while (!Files.readString(work.resolve(tag + ".out")).contains("dirkms agent running")) {
            if (!agent.isAlive() || Instant.now().isAfter(deadline)) {
                fail(tag + " did not start:\n" + Files.readString(work.resolve(tag + ".err")));
            }
            Thread.sleep(50); // polling the other process's start
        }
    }

    /** The directory administrator adds {@code count} people in one ldapadd. */
    private static List<String> addPeople(Slapd provider, int count) {
        StringBuilder ldif = new StringBuilder();
        List<String> dns = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String uid = "replicated" + i;
            String dn = "uid=" + uid + "," + provider.layout().people();
            dns.add(dn);
            ldif.append("dn: ").append(dn).append("\nobjectClass: inetOrgPerson\nuid: ").append(uid)
                    .append("\ncn: Replicated ").append(i).append("\nsn: Replicated\nmail: ").append(uid)
                    .append("@example.com\n\n");
        }
        provider.asDirectoryAdministrator().add(ldif.toString()).assertSuccess();
        return dns;
    }

    /** A KMS administrator asks for the enrollment of {@code dns} on {@code provider}, in one ldapmodify. */
    private static void request(Slapd provider, String administrator, List<String> dns) {
        StringBuilder ldif = new StringBuilder();
        for (String dn : dns) {
            ldif.append("dn: ").append(dn).append("\nchangetype: modify\nadd: objectClass\nobjectClass: kmsUser\n-\n"
                    + "add: kmsEnrollmentState\nkmsEnrollmentState: requested\n-\n\n");
        }
        provider.tools().as(administrator, "alice-password").modify(ldif.toString()).assertSuccess();
    }

    // ---- waiting --------------------------------------------------------------------------

    private static void awaitEntry(Slapd provider, String dn) throws Exception {
        Instant deadline = Instant.now().plusSeconds(60);
        while (true) {
            try (LdapNetworkConnection root = root(provider)) {
                if (root.exists(dn)) {
                    return;
                }
            }
            if (Instant.now().isAfter(deadline)) {
                fail(dn + " did not reach " + provider.url() + " by replication within 60 s");
            }
            Thread.sleep(100); // polling replication
        }
    }

    private void awaitEnrolled(Slapd provider, List<String> users, int atLeast, int seconds) throws Exception {
        Instant deadline = Instant.now().plusSeconds(seconds);
        int enrolled;
        while ((enrolled = enrolled(provider, users)) < atLeast) {
            if (Instant.now().isAfter(deadline)) {
                fail(enrolled + " of " + users.size() + " users enrolled on " + provider.url() + " after " + seconds
                        + " s, expected " + atLeast + "; agent logs in " + work);
            }
            for (int i = 0; i < agents.size(); i++) {
                if (!agents.get(i).isAlive()) {
                    fail("agent" + (i + 1) + " ended:\n" + Files.readString(work.resolve("agent" + (i + 1) + ".err")));
                }
            }
            Thread.sleep(250); // polling the agents' progress
        }
    }

    private static int enrolled(Slapd provider, List<String> users) throws Exception {
        try (LdapNetworkConnection root = root(provider)) {
            int count = 0;
            try (EntryCursor cursor = root.search(provider.layout().people(),
                    "(&(objectClass=kmsUser)(kmsEnrollmentState=enrolled)(uid=replicated*))", SearchScope.ONELEVEL,
                    "1.1")) {
                while (cursor.next()) {
                    count++;
                }
            }
            return count;
        }
    }

    private int count(String tag, String line) throws IOException {
        return (int) Files.readAllLines(work.resolve(tag + ".err")).stream().filter(l -> l.contains(line)).count();
    }

    private void awaitLogged(String tag, String line, int times) throws Exception {
        Instant deadline = Instant.now().plusSeconds(60);
        while (count(tag, line) < times) {
            if (Instant.now().isAfter(deadline)) {
                fail(tag + " did not log '" + line + "' " + times + " times within 60 s:\n"
                        + Files.readString(work.resolve(tag + ".err")));
            }
            Thread.sleep(200); // polling the agent's sweep
        }
    }

    /**
     * Waits until both providers hold the same KMS entries (the KMS tree and every kmsUser with its
     * children, every attribute, entryCSN included) and returns the first's, DN to content. When they
     * do not converge it fails with what differs: for each entry (at most 20), on which provider it is
     * and which attributes differ, with their {@code entryCSN} on both, and each provider's
     * {@code contextCSN}.
     */
    private static Map<String, Map<String, List<String>>> awaitSameKmsEntries(Slapd first, Slapd second)
            throws Exception {
        Instant deadline = Instant.now().plusSeconds(60);
        while (true) {
            Map<String, Map<String, List<String>>> one = kmsEntries(first);
            Map<String, Map<String, List<String>>> two = kmsEntries(second);
            if (one.equals(two)) {
                return one;
            }
            if (Instant.now().isAfter(deadline)) {
                fail("the providers did not converge within 60 s; " + differences(one, two)
                        + "\ncontextCSN of provider 1:\n" + contextCsn(first)
                        + "\ncontextCSN of provider 2:\n" + contextCsn(second));
            }
            Thread.sleep(500); // polling replication
        }
    }

    /**
     * What differs between the KMS entries of provider 1 ({@code one}) and provider 2
     * ({@code two}): how many entries are on one provider only or differ, and for at most 20 of
     * them the DN, where it is, the names of the attributes that differ and the entryCSN on each.
     * Names only: the values hold packages and tokens.
     */
    static String differences(Map<String, Map<String, List<String>>> one, Map<String, Map<String, List<String>>> two) {
        Set<String> dns = new java.util.TreeSet<>(one.keySet());
        dns.addAll(two.keySet());
        int onlyFirst = 0;
        int onlySecond = 0;
        int differ = 0;
        List<String> shown = new ArrayList<>();
        for (String dn : dns) {
            Map<String, List<String>> a = one.get(dn);
            Map<String, List<String>> b = two.get(dn);
            String line;
            if (b == null) {
                onlyFirst++;
                line = dn + ": on provider 1 only (entryCSN " + a.get("entrycsn") + ")";
            } else if (a == null) {
                onlySecond++;
                line = dn + ": on provider 2 only (entryCSN " + b.get("entrycsn") + ")";
            } else if (!a.equals(b)) {
                differ++;
                Set<String> names = new java.util.TreeSet<>(a.keySet());
                names.addAll(b.keySet());
                names.removeIf(name -> java.util.Objects.equals(a.get(name), b.get(name)));
                line = dn + ": attributes " + names + " differ; entryCSN " + a.get("entrycsn") + " on provider 1, "
                        + b.get("entrycsn") + " on provider 2";
            } else {
                continue;
            }
            if (shown.size() < 20) {
                shown.add(line);
            }
        }
        return (onlyFirst + onlySecond + differ) + " KMS entries differ (" + onlyFirst + " on provider 1 only, "
                + onlySecond + " on provider 2 only, " + differ + " on both with other attributes):\n  "
                + String.join("\n  ", shown);
    }

    /** The KMS entries of {@code provider}: normalised DN to attribute name to sorted values. */
    private static Map<String, Map<String, List<String>>> kmsEntries(Slapd provider) throws Exception {
        Map<String, Map<String, List<String>>> entries = new TreeMap<>();
        try (LdapNetworkConnection root = root(provider)) {
            for (String[] search : List.of(new String[] {provider.layout().kms(), "(objectClass=*)"},
                    new String[] {provider.layout().people(), "(|(objectClass=kmsUser)(objectClass=kmsPublishedCertificate))"})) {
                try (EntryCursor cursor = root.search(search[0], search[1], SearchScope.SUBTREE, "*", "entryCSN")) {
                    while (cursor.next()) {
                        Entry entry = cursor.get();
                        // As the agent compares names: the normal form of getDn() depends on the connection.
                        entries.put(DistinguishedNames.normal(entry.getDn().getName()), content(entry));
                    }
                }
            }
        }
        return entries;
    }

    private static Map<String, List<String>> content(Entry entry) {
        Map<String, List<String>> attributes = new TreeMap<>();
        for (Attribute attribute : entry) {
            List<String> values = new ArrayList<>();
            for (Value value : attribute) {
                values.add(value.isHumanReadable() ? value.getString()
                        : java.util.HexFormat.of().formatHex(value.getBytes()));
            }
            values.sort(null);
            attributes.put(attribute.getUpId().toLowerCase(java.util.Locale.ROOT), values);
        }
        return attributes;
    }

    // ---- the invariants -------------------------------------------------------------------

    /**
     * Every user enrolled once on {@code provider}; returns how many archive records of the users
     * are marked abandoned (attempts that lost).
     */
    private static int checkEveryUserEnrolledOnce(Slapd provider, List<String> users) throws Exception {
        Map<String, List<Entry>> records = new HashMap<>();
        int abandoned = 0;
        try (LdapNetworkConnection root = root(provider)) {
            try (EntryCursor cursor = root.search(provider.layout().keyArchive(), "(objectClass=kmsArchivedKey)",
                    SearchScope.ONELEVEL, "kmsKeyOwner", "kmsArchiveState", "userCertificate")) {
                while (cursor.next()) {
                    Entry record = cursor.get();
                    if (record.contains("kmsArchiveState", "abandoned")) {
                        abandoned++;
                        continue;
                    }
                    records.computeIfAbsent(new org.apache.directory.api.ldap.model.name.Dn(
                            record.get("kmsKeyOwner").getString()).getNormName(), o -> new ArrayList<>()).add(record);
                }
            }
            Set<ByteBuffer> serials = new HashSet<>();
            for (String dn : users) {
                Entry user = root.lookup(dn, "kmsEnrollmentState", "userCertificate", "kmsArchiveRecord",
                        "kmsClaimedBy");
                String where = provider.url() + " " + dn;
                assertEquals("enrolled", user.get("kmsEnrollmentState").getString(), where);
                assertTrue(user.get("kmsClaimedBy") == null, where + ": no claim left");
                List<X509Certificate> published = certificates(user, "userCertificate");
                assertEquals(2, published.size(), where + ": one encryption and one signing certificate");
                X509Certificate encryption = published.get(0);
                assertTrue(encryption.getKeyUsage()[4] || encryption.getKeyUsage()[2],
                        where + ": the encryption certificate first");
                List<X509Certificate> children = new ArrayList<>();
                try (EntryCursor cursor = root.search(dn, "(objectClass=kmsPublishedCertificate)", SearchScope.ONELEVEL,
                        "userCertificate")) {
                    while (cursor.next()) {
                        children.addAll(certificates(cursor.get(), "userCertificate"));
                    }
                }
                assertEquals(der(published).stream().sorted().toList(), der(children).stream().sorted().toList(),
                        where + ": the children show the entry's certificates and nothing else");
                List<Entry> kept = records.getOrDefault(new org.apache.directory.api.ldap.model.name.Dn(dn).getNormName(),
                        List.of());
                assertEquals(1, kept.size(), where + ": exactly one archive record not marked abandoned");
                assertEquals(List.of(encryption), certificates(kept.get(0), "userCertificate"),
                        where + ": the record holds the published encryption certificate");
                assertTrue(user.get("kmsArchiveRecord") != null && user.get("kmsArchiveRecord").size() == 1,
                        where + ": kmsArchiveRecord lists the one record");
                for (X509Certificate certificate : published) {
                    assertTrue(serials.add(ByteBuffer.wrap(certificate.getSerialNumber().toByteArray())),
                            where + ": serial " + certificate.getSerialNumber().toString(16) + " on one user only");
                }
            }
        }
        return abandoned;
    }

    /** The certificates of {@code attribute} of {@code entry}, with or without options ({@code ;binary}). */
    private static List<X509Certificate> certificates(Entry entry, String attribute) throws CertificateException {
        List<X509Certificate> certificates = new ArrayList<>();
        CertificateFactory factory = CertificateFactory.getInstance("X.509");
        for (Attribute candidate : entry.getAttributes()) {
            String name = candidate.getUpId().toLowerCase(java.util.Locale.ROOT);
            if (name.equals(attribute.toLowerCase(java.util.Locale.ROOT))
                    || name.startsWith(attribute.toLowerCase(java.util.Locale.ROOT) + ";")) {
                for (Value value : candidate) {
                    certificates.add((X509Certificate) factory.generateCertificate(
                            new ByteArrayInputStream(value.getBytes())));
                }
            }
        }
        return certificates;
    }

    private static List<String> der(List<X509Certificate> certificates) throws Exception {
        List<String> encoded = new ArrayList<>();
        for (X509Certificate certificate : certificates) {
            encoded.add(java.util.HexFormat.of().formatHex(certificate.getEncoded()));
        }
        return encoded;
    }

    private static LdapNetworkConnection root(Slapd provider) throws Exception {
        return provider.connection(provider.rootDn(), Slapd.read(provider.rootPasswordFile()));
    }
}
