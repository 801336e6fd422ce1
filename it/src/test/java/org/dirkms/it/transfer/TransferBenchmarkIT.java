package org.dirkms.it.transfer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.directory.ldap.client.api.LdapNetworkConnection;
import org.dirkms.agent.archive.KeyArchiver;
import org.dirkms.agent.archive.KeyRecoverer;
import org.dirkms.agent.archive.WrappedKey;
import org.dirkms.agent.directory.EnrollmentRecords;
import org.dirkms.agent.directory.TransferRecords;
import org.dirkms.agent.enroll.AgentConnection;
import org.dirkms.agent.keys.RecoveryKeyStore;
import org.dirkms.agent.transfer.TransferDocument;
import org.dirkms.agent.transfer.TransferEnvelope;
import org.dirkms.agent.transfer.TransferIdentity;
import org.dirkms.dist.KmsContext;
import org.dirkms.it.support.DirkmsRun;
import org.dirkms.it.support.LdapTools;
import org.dirkms.it.support.People;
import org.dirkms.it.support.ServeProcess;
import org.dirkms.schema.CertificatePurpose;
import org.dirkms.schema.DataFolder;
import org.dirkms.schema.DirectoryLayout;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Export and import of {@value #DEFAULT_USERS} users (1,000 with {@code -Ddirkms.bench.users=1000}) (each enrolled once: two certificates, one
 * archived key) between two {@code dirkms serve} processes, against the ceiling of the same work
 * done bare in the same run: for the export, the same directory reads (the users, their
 * children, their archive records), the same unwrapping and the same signing and sealing, without
 * the command; for the import, the same opening and checks of the file, the same re-wrapping and
 * the same directory writes (a person, an archive record, two children and one modify a user),
 * without the command's mapping, its look-ups and its resumability checks. It prints
 * {@code BENCHMARK} lines with users per second of each and their ratio (target: at least 0.85),
 * and asserts what was imported. System property {@code dirkms.bench.users} changes the count.
 */
class TransferBenchmarkIT {
    /**
     * Users in the suite's run: 100 keep it near a minute (each user costs the directory about five
     * synced writes at each end); {@code -Ddirkms.bench.users=1000} gives the figures of the note.
     */
    private static final int DEFAULT_USERS = 100;
    private static final String SOURCE = "dc=source,dc=example";
    private static final String DEST = "dc=dest,dc=example";
    private static final Pattern URL = Pattern.compile("LDAP \\(StartTLS\\): (ldap://\\S+)");

    @TempDir
    Path folder;

    private record Server(ServeProcess process, Path data, String suffix, String url) {
        KmsContext kms() {
            DataFolder folder = DataFolder.of(data);
            DirectoryLayout layout = new DirectoryLayout(suffix);
            return new KmsContext(folder, layout, new AgentConnection(url, layout.kmsAgentIdentity(),
                    folder.kmsAgentPassword(), folder.caCertificate()), Clock.systemUTC(), new SecureRandom());
        }

        DirkmsRun dirkms(String... arguments) {
            List<String> all = new ArrayList<>(List.of(arguments));
            all.addAll(List.of("--data", data.toString(), "--suffix", suffix));
            return DirkmsRun.of(all);
        }

        LdapTools agent() {
            DataFolder folder = DataFolder.of(data);
            return LdapTools.against(url, folder.caCertificate()).asWithPasswordFile(
                    new DirectoryLayout(suffix).kmsAgentIdentity(), folder.kmsAgentPassword());
        }

        LdapTools superuser() {
            DataFolder folder = DataFolder.of(data);
            return LdapTools.against(url, folder.caCertificate()).asWithPasswordFile("uid=admin,ou=system",
                    folder.adminPassword());
        }
    }

    private Server start(String name, String suffix) throws Exception {
        Path data = folder.resolve(name);
        ServeProcess process = ServeProcess.start(folder, "--data", data.toString(), "--suffix", suffix, "--ldap-port",
                "0", "--ldaps-port", "0", "--http-port", "0");
        Matcher url = URL.matcher(process.awaitBanner());
        assertTrue(url.find());
        return new Server(process, data, suffix, url.group(1));
    }

    @Test
    void exportAndImportAgainstTheSameWorkDoneBare() throws Exception {
        int users = Integer.getInteger("dirkms.bench.users", DEFAULT_USERS);
        Server source = start("source", SOURCE);
        Server destination = start("dest", DEST);
        try {
            // EC keys for the users, as an organisation choosing them would have.
            source.agent().modify("dn: cn=Default,ou=Administrative Groups," + SOURCE + "\nchangetype: modify\n"
                    + "replace: kmsKeyAlgorithm\nkmsKeyAlgorithm: EC-P256\n").assertSuccess();
            People.addCrowd(source.superuser(), SOURCE, users);
            long enrollStart = System.nanoTime();
            DirkmsRun enroll = source.dirkms("enroll", "--filter", "(uid=person*)", "--report",
                    folder.resolve("report.tsv").toString());
            assertEquals(0, enroll.code(), enroll.toString());
            System.out.printf(Locale.ROOT, "BENCHMARK transfer: %d users enrolled on the source in %.1f s%n", users,
                    seconds(enrollStart));
            Path transport = folder.resolve("transport.pem");
            assertEquals(0, destination.dirkms("transfer", "certificate", "--out", transport.toString()).code());
            X509Certificate destinationCertificate = certificate(Files.readAllBytes(transport));
            Path sourceCa = DataFolder.of(source.data()).caCertificate();

            // One unrecorded warm-up of every code path (this JVM runs the commands too), on 10 users.
            Path warm = folder.resolve("warm.p7m");
            assertEquals(0, source.dirkms("export", "--to", transport.toString(), "--filter", "(uid=person000*)",
                    "--out", warm.toString()).code());
            bareExport(source, destinationCertificate, "(uid=person000*)", 10);
            bareImport(destination, Files.readAllBytes(warm), certificate(Files.readAllBytes(sourceCa)), "warm-", 0, 10);

            // Export: bare, then the command.
            double bareExport = bareExport(source, destinationCertificate, "(uid=person*)", users);
            Path file = folder.resolve("users.p7m");
            long exportStart = System.nanoTime();
            DirkmsRun export = source.dirkms("export", "--to", transport.toString(), "--filter", "(uid=person*)",
                    "--out", file.toString());
            double exportSeconds = seconds(exportStart);
            assertEquals(0, export.code(), export.toString());
            assertTrue(export.out().startsWith("exported " + users + " users (" + 2 * users + " certificates, " + users
                    + " archived keys)"), export.out());

            // Import: bare on half the users (other entries, the same writes), the command on all, bare on
            // the other half: the directory grows by as much before and after, so neither is favoured.
            byte[] content = Files.readAllBytes(file);
            X509Certificate ca = certificate(Files.readAllBytes(sourceCa));
            double[] firstHalf = bareImport(destination, content, ca, "bare-", 0, users / 2);
            long importStart = System.nanoTime();
            DirkmsRun imported = destination.dirkms("import", file.toString(), "--trust", sourceCa.toString());
            double importSeconds = seconds(importStart);
            double[] secondHalf = bareImport(destination, content, ca, "bare-", users / 2, users);
            double bareImport = (firstHalf[0] + secondHalf[0]) / (firstHalf[1] + secondHalf[1]);
            assertEquals(0, imported.code(), imported.toString());
            assertTrue(imported.out().contains("imported " + users + " users from "), imported.out());

            report("export", users / exportSeconds, bareExport);
            report("import", users / importSeconds, bareImport);
        } finally {
            source.process().close();
            destination.process().close();
        }
    }

    private static void report(String what, double command, double bare) {
        System.out.printf(Locale.ROOT, "BENCHMARK transfer %s: %.1f users/s by the command, %.1f users/s bare,"
                + " ratio %.2f (target >= 0.85)%n", what, command, bare, command / bare);
    }

    /** The export's reads, unwrapping, signing and sealing, in a loop of their own: users per second. */
    private static double bareExport(Server source, X509Certificate destination, String filter, int expected)
            throws Exception {
        KmsContext kms = source.kms();
        KeyRecoverer recoverer = new KeyRecoverer(RecoveryKeyStore.open(kms.dataFolder()).keys());
        TransferIdentity identity = TransferIdentity.open(kms.dataFolder());
        try (LdapNetworkConnection connection = kms.openConnection(0)) {
            long start = System.nanoTime();
            EnrollmentRecords records = kms.enrollmentRecords(connection);
            TransferRecords transfers = kms.transferRecords(connection);
            List<TransferDocument.User> users = new ArrayList<>();
            for (TransferRecords.Person person : transfers.kmsUsers(filter)) {
                List<byte[]> certificates = new ArrayList<>(person.certificates());
                records.publishedCertificates(person.dn());
                List<TransferDocument.Key> keys = new ArrayList<>();
                for (EnrollmentRecords.ArchivedKeyEntry record : records.archivedKeys(person.dn())) {
                    keys.add(new TransferDocument.Key(record.certificate(),
                            recoverer.unwrap(record.wrappedKey()).getEncoded()));
                }
                users.add(new TransferDocument.User("user-" + (users.size() + 1), person.dn(), person.mail(),
                        person.commonName(), person.surname(), person.enrollmentState(), "Default", certificates, keys,
                        certificates.size()));
            }
            TransferDocument document = new TransferDocument(new TransferDocument.Manifest(TransferDocument.FORMAT,
                    kms.serverDn(), SOURCE, "", TransferEnvelope.thumbprint(destination), java.time.Instant.now(),
                    java.time.Instant.now().plus(Duration.ofDays(7)), users.size(), 0, 0,
                    TransferDocument.digests(users)), users);
            byte[] sealed = TransferEnvelope.seal(document, identity.signing().privateKey(), identity.signing().chain(),
                    destination, new SecureRandom());
            double seconds = seconds(start);
            assertEquals(expected, users.size());
            assertTrue(sealed.length > 0);
            return users.size() / seconds;
        }
    }

    /**
     * The import's opening, checks, re-wrapping and writes, in a loop of their own on other
     * entries, for the users {@code from} (inclusive) to {@code to} of the file: the users written
     * and the seconds taken (the file is opened each time: its cost is charged to every half).
     */
    private static double[] bareImport(Server destination, byte[] file, X509Certificate sourceCa, String prefix,
            int from, int to) throws Exception {
        KmsContext kms = destination.kms();
        TransferIdentity identity = TransferIdentity.open(kms.dataFolder());
        try (LdapNetworkConnection connection = kms.openConnection(0)) {
            long start = System.nanoTime();
            TransferEnvelope.Opened opened = TransferEnvelope.open(file, identity.transport().privateKey(),
                    identity.transport().certificate(), sourceCa, kms.clock());
            EnrollmentRecords records = kms.enrollmentRecords(connection);
            TransferRecords transfers = kms.transferRecords(connection);
            KeyArchiver archiver = new KeyArchiver(certificate(kms.recoveryKeyRecords(connection)
                    .currentRecoveryCertificate().orElseThrow()), new SecureRandom());
            int written = 0;
            for (TransferDocument.User user : opened.document().users().subList(from, to)) {
                String dn = "uid=" + prefix + (from + written) + ",ou=People," + DEST;
                List<String> mail = List.of(prefix + user.mail().get(0));
                transfers.addPerson(dn, user.commonName(), user.surname(), mail);
                List<String> recordDns = new ArrayList<>();
                for (TransferDocument.Key key : user.keys()) {
                    X509Certificate certificate = certificate(key.certificate());
                    PrivateKey privateKey = KeyFactory.getInstance(certificate.getPublicKey().getAlgorithm())
                            .generatePrivate(new PKCS8EncodedKeySpec(key.pkcs8()));
                    WrappedKey wrapped = archiver.wrap(privateKey, certificate);
                    String recordDn = records.archivedKeyDn(dn, "bare");
                    records.addArchivedKey(new EnrollmentRecords.ArchivedKeyEntry(recordDn, dn,
                            wrapped.envelopedDataDer(), key.certificate(), wrapped.wrappingAlgorithm(),
                            wrapped.wrappingKeyId()));
                    recordDns.add(recordDn);
                }
                List<byte[]> published = user.publishedCertificates();
                records.putPublishedCertificate(dn, CertificatePurpose.ENCRYPTION.ldapValue(), mail, published.get(0));
                records.putPublishedCertificate(dn, CertificatePurpose.SIGNING.ldapValue(), mail, published.get(1));
                transfers.writeImportedState(dn, true, "enrolled", null, published, recordDns);
                written++;
            }
            double seconds = seconds(start);
            opened.document().clearKeys();
            assertEquals(to - from, written);
            return new double[] {written, seconds};
        }
    }

    private static X509Certificate certificate(byte[] encoded) throws Exception {
        return (X509Certificate) CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(encoded));
    }

    private static double seconds(long start) {
        return (System.nanoTime() - start) / 1e9;
    }
}
