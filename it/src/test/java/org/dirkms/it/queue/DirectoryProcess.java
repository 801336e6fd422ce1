package org.dirkms.it.queue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.dirkms.it.support.DirkmsRun;
import org.dirkms.it.support.LdapTools;
import org.dirkms.it.support.ServeProcess;
import org.dirkms.schema.DataFolder;
import org.dirkms.schema.DirectoryLayout;

/**
 * {@code ./dirkms serve} in a process of its own (with {@code --http-port 0}), and what the
 * request-queue tests do to it the way the people behind it would: the directory superuser adds
 * people with {@code ldapadd}, a KMS administrator (given the role with {@code dirkms roles add})
 * asks for their enrollment with {@code ldapmodify}, {@code dirkms ca init} makes more CAs, and the
 * CA entries' {@code kmsInstalledTemplate} is changed with {@code ldapmodify} bound as the KMS agent
 * (only KMS agents write CA entries, docs/security.md). Everything is read back with
 * {@code ldapsearch} as the superuser, whose searches no size limit cuts short.
 */
public final class DirectoryProcess implements AutoCloseable {
    /** The CA {@code dirkms serve} makes on a fresh data folder and runs in its process. */
    static final String ROOT_CA = "dirkms Root CA";
    /** The templates of an enrollment of the default group (signing, encryption). */
    static final List<String> SMIME_TEMPLATES = List.of("smime-signature", "smime-encryption");

    private static final Pattern LDAP_URL = Pattern.compile("LDAP \\(StartTLS\\): (ldap://\\S+)");
    private static final String KMS_ADMINISTRATOR_PASSWORD = "queue-kms-admin-password";

    private final ServeProcess serve;
    private final Path data;
    private final String url;
    private final DirectoryLayout layout = new DirectoryLayout(DirectoryLayout.DEFAULT_SUFFIX);
    private final LdapTools superuser;
    private final LdapTools agent;
    private LdapTools kmsAdministrator;

    private DirectoryProcess(ServeProcess serve, Path data, String url) {
        this.serve = serve;
        this.data = data;
        this.url = url;
        DataFolder folder = DataFolder.of(data);
        LdapTools anonymous = LdapTools.against(url, folder.caCertificate());
        this.superuser = anonymous.asWithPasswordFile("uid=admin,ou=system", folder.adminPassword());
        this.agent = anonymous.asWithPasswordFile(layout.kmsAgentIdentity(), folder.kmsAgentPassword());
    }

    /**
     * Starts {@code dirkms serve --data DATA} on free ports, waits for its banner, and gives
     * {@code uid=kms-admin,ou=Staff} the KMS administrator role.
     */
    public static DirectoryProcess start(Path data, Path work) throws IOException, InterruptedException {
        ServeProcess serve = ServeProcess.start(work, "--data", data.toString(), "--ldap-port", "0", "--ldaps-port",
                "0", "--http-port", "0");
        try {
            String banner = serve.awaitBanner();
            Matcher url = LDAP_URL.matcher(banner);
            if (!url.find()) {
                fail("no LDAP URL in the banner:\n" + banner);
            }
            DirectoryProcess directory = new DirectoryProcess(serve, data, url.group(1));
            directory.addKmsAdministrator();
            return directory;
        } catch (IOException | InterruptedException | RuntimeException | Error e) {
            serve.close();
            throw e;
        }
    }

    private void addKmsAdministrator() {
        String staff = "ou=Staff," + layout.suffix();
        String dn = "uid=kms-admin," + staff;
        superuser.add("dn: " + staff + "\nobjectClass: organizationalUnit\nou: Staff\n\ndn: " + dn
                + "\nobjectClass: inetOrgPerson\nuid: kms-admin\ncn: KMS Administrator\nsn: Administrator\n"
                + "userPassword: " + KMS_ADMINISTRATOR_PASSWORD + "\n").assertSuccess();
        DirkmsRun roles = DirkmsRun.of("roles", "add", "kms-administrators", dn, "--data", data.toString(), "--url",
                url);
        assertEquals(0, roles.code(), roles.toString());
        kmsAdministrator = LdapTools.against(url, DataFolder.of(data).caCertificate()).as(dn,
                KMS_ADMINISTRATOR_PASSWORD);
    }

    /** The directory's LDAP URL (StartTLS). */
    public String url() {
        return url;
    }

    /** The data folder. */
    public Path data() {
        return data;
    }

    /** The names under the suffix. */
    public DirectoryLayout layout() {
        return layout;
    }

    /** The DN of the CA {@code name}. */
    public String caDn(String name) {
        return "cn=" + name + "," + layout.certificationAuthorities();
    }

    /** {@code ldapsearch}, {@code ldapmodify}, ... bound as the directory superuser. */
    public LdapTools superuser() {
        return superuser;
    }

    /** The same bound as the KMS agent. */
    public LdapTools agent() {
        return agent;
    }

    /** {@code dirkms serve}'s standard error: its log. */
    public String log() throws IOException {
        return serve.stderr();
    }

    /** A KMS administrator sets the key algorithm of the default administrative group. */
    public void useKeyAlgorithm(String algorithm) {
        kmsAdministrator.modify("dn: " + layout.defaultAdministrativeGroup() + "\nchangetype: modify\n"
                + "replace: kmsKeyAlgorithm\nkmsKeyAlgorithm: " + algorithm + "\n-\n").assertSuccess();
    }

    /**
     * {@code dirkms ca init --name NAME --data DATA} against the running server: a root CA whose key
     * store lands in {@code DATA/ca/}, with the standard templates installed.
     *
     * @param keyAlgorithm {@code --key-algorithm}, or null for the default (RSA-3072)
     */
    public void initCa(String name, String keyAlgorithm) {
        List<String> arguments = new ArrayList<>(List.of("ca", "init", "--name", name, "--data", data.toString(),
                "--url", url));
        if (keyAlgorithm != null) {
            arguments.addAll(List.of("--key-algorithm", keyAlgorithm));
        }
        DirkmsRun init = DirkmsRun.of(arguments);
        assertEquals(0, init.code(), init.toString());
    }

    /**
     * Takes the S/MIME templates off CA {@code name} (ldapmodify as the KMS agent), as an
     * administrator does to keep a CA from issuing user certificates, and returns once that CA's
     * queue server in {@code dirkms serve} has read its entry since ({@link #awaitTwoRounds}).
     */
    public void withdrawSmimeTemplates(String name) throws InterruptedException {
        changeSmimeTemplates(name, "delete");
    }

    /** Puts the S/MIME templates back on CA {@code name}, the reverse of {@link #withdrawSmimeTemplates}. */
    public void installSmimeTemplates(String name) throws InterruptedException {
        changeSmimeTemplates(name, "add");
    }

    private void changeSmimeTemplates(String name, String operation) throws InterruptedException {
        StringBuilder ldif = new StringBuilder("dn: " + caDn(name) + "\nchangetype: modify\n" + operation
                + ": kmsInstalledTemplate\n");
        for (String template : SMIME_TEMPLATES) {
            ldif.append("kmsInstalledTemplate: cn=").append(template).append(',')
                    .append(layout.certificateTemplates()).append('\n');
        }
        agent.modify(ldif.append("-\n").toString()).assertSuccess();
        awaitTwoRounds(caDn(name));
    }

    /**
     * Returns once the CA at {@code caDn} has written its heartbeat twice after this call began:
     * a CA writes it at the start of each round and then reads its entry, rounds run one after
     * the other, so the round of the first new heartbeat read the entry as it is now, and the
     * second shows that round finished.
     */
    public void awaitTwoRounds(String caDn) throws InterruptedException {
        String seen = heartbeat(caDn);
        int changes = 0;
        Instant deadline = Instant.now().plusSeconds(60);
        while (changes < 2) {
            if (Instant.now().isAfter(deadline)) {
                fail("the CA " + caDn + " wrote no new heartbeat within 60 s (last " + seen + ")");
            }
            Thread.sleep(100); // polling the other process's rounds
            String now = heartbeat(caDn);
            if (now != null && !now.equals(seen)) {
                changes++;
                seen = now;
            }
        }
    }

    private String heartbeat(String caDn) {
        return LdifEntry.parse(superuser.searchRaw("-LLL", "-o", "ldif-wrap=no", "-s", "base", "-b", caDn,
                "(objectClass=*)", "kmsHeartbeat").assertSuccess().stdout()).get(0).string("kmsHeartbeat");
    }

    /**
     * The superuser adds {@code count} people {@code uid=<prefix><i>} under {@code ou=People}, each
     * with a {@code mail}, in one {@code ldapadd}; none is a KMS user yet.
     *
     * @return their DNs
     */
    public List<String> addPeople(String prefix, int count) {
        StringBuilder ldif = new StringBuilder();
        List<String> dns = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String dn = "uid=" + prefix + i + "," + layout.people();
            dns.add(dn);
            ldif.append("dn: ").append(dn).append("\nobjectClass: inetOrgPerson\nuid: ").append(prefix).append(i)
                    .append("\ncn: ").append(prefix).append(' ').append(i).append("\nsn: ").append(prefix)
                    .append("\nmail: ").append(prefix).append(i).append("@example.com\n\n");
        }
        superuser.add(ldif.toString()).assertSuccess();
        return dns;
    }

    /**
     * The KMS administrator asks for the enrollment of {@code dns} in one {@code ldapmodify}: each
     * becomes a {@code kmsUser} in {@code kmsEnrollmentState: requested}.
     */
    public void requestEnrollment(List<String> dns) {
        StringBuilder ldif = new StringBuilder();
        for (String dn : dns) {
            ldif.append("dn: ").append(dn).append("\nchangetype: modify\nadd: objectClass\nobjectClass: kmsUser\n-\n")
                    .append("add: kmsEnrollmentState\nkmsEnrollmentState: requested\n-\n\n");
        }
        kmsAdministrator.modify(ldif.toString()).assertSuccess();
    }

    /** How many people {@code uid=<prefix>*} are in {@code kmsEnrollmentState: state}. */
    public int usersInState(String prefix, String state) {
        String found = superuser.search(layout.people(), "(&(uid=" + prefix + "*)(kmsEnrollmentState=" + state + "))",
                "1.1").assertSuccess().stdout();
        return (int) found.lines().filter(line -> line.startsWith("dn:")).count();
    }

    /**
     * Returns once all {@code count} people {@code uid=<prefix>*} are enrolled; fails, with the
     * first failure's reason, as soon as one is {@code failed}, or after {@code seconds}.
     */
    public void awaitEnrolled(String prefix, int count, long seconds) throws IOException, InterruptedException {
        Instant deadline = Instant.now().plusSeconds(seconds);
        while (usersInState(prefix, "enrolled") < count) {
            if (usersInState(prefix, "failed") > 0) {
                fail("an enrollment failed: " + superuser.search(layout.people(), "(&(uid=" + prefix
                        + "*)(kmsEnrollmentState=failed))", "kmsLastError").stdout());
            }
            if (Instant.now().isAfter(deadline)) {
                fail(usersInState(prefix, "enrolled") + " of " + count + " users " + prefix + "* enrolled after "
                        + seconds + " s; dirkms serve's log ends:\n" + tail(log(), 40));
            }
            Thread.sleep(200); // polling the other processes' progress
        }
    }

    /** People {@code uid=<prefix>*} with their state, error and certificates. */
    public List<LdifEntry> users(String prefix) {
        return LdifEntry.parse(superuser.search(layout.people(), "(&(objectClass=kmsUser)(uid=" + prefix + "*))",
                "kmsEnrollmentState", "kmsLastError", "kmsClaimedBy", "userCertificate;binary").assertSuccess()
                .stdout());
    }

    /** Every {@code kmsPublishedCertificate} child under {@code ou=People}. */
    public List<LdifEntry> publishedCertificates() {
        return LdifEntry.parse(superuser.search(layout.people(), "(objectClass=kmsPublishedCertificate)",
                "kmsCertificatePurpose", "userCertificate;binary").assertSuccess().stdout());
    }

    /**
     * Every entry of the request queue {@code ou=Requests}, with its state, subject, claim and
     * certificates. The embedded server (ApacheDS AM27 on JDBM) was seen to end this one-level
     * search with result 80 (other) once, in the middle of a 300-user enrollment whose CAs were
     * writing the same entries many times a second; the observation is asked again then (up to
     * three times), so that what the test checks stays the queue's invariants, each read whole.
     */
    public List<LdifEntry> requests() {
        LdapTools.Result result = null;
        for (int attempt = 1; attempt <= 3; attempt++) {
            result = superuser.searchRaw("-LLL", "-o", "ldif-wrap=no", "-s", "one", "-b", layout.requests(),
                    "(objectClass=kmsCertificateRequest)", "kmsRequestState", "kmsRequestSubject", "kmsClaimedBy",
                    "kmsLeaseExpires", "userCertificate;binary");
            if (result.exitCode() != 80) {
                break;
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        return LdifEntry.parse(result.assertSuccess().stdout());
    }

    /** The CA certificate on the entry of CA {@code name}. */
    public byte[] caCertificate(String name) {
        LdifEntry entry = LdifEntry.parse(superuser.searchRaw("-LLL", "-o", "ldif-wrap=no", "-s", "base", "-b",
                caDn(name), "(objectClass=*)", "cACertificate;binary").assertSuccess().stdout()).get(0);
        List<byte[]> values = entry.binary("cACertificate");
        assertEquals(1, values.size(), "one cACertificate on " + caDn(name));
        return values.get(0);
    }

    /** The last {@code lines} lines of {@code text}. */
    public static String tail(String text, int lines) {
        List<String> all = text.lines().toList();
        return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    }

    /** Stops {@code dirkms serve} with SIGTERM, as Ctrl-C would; kills it if that fails. */
    @Override
    public void close() throws InterruptedException {
        try {
            serve.terminate();
        } finally {
            serve.close();
        }
    }
}
